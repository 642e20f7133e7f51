"""Who, what and where of a workflow run: ``GITHUB_*`` variables plus the event payload.

GitHub writes the triggering event as JSON to ``GITHUB_EVENT_PATH``; the pull request's base and
head SHAs, whether the head is a fork, and ``before``/``after`` of a push are only there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migration_guard.errors import UserError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
_NULL_SHA = "0" * 40


@dataclass(frozen=True)
class GitHubContext:
    event_name: str  # pull_request | pull_request_target | push | workflow_dispatch | ...
    repository: str  # owner/name
    sha: str  # the commit the workflow runs on
    ref: str
    workspace: Path
    actor: str
    triggering_actor: str
    run_id: str
    run_url: str
    api_url: str
    server_url: str
    pr_number: int | None = None
    base_sha: str | None = None  # PR base, or the commit before a push
    head_sha: str | None = None  # PR head, or the pushed commit
    base_ref: str | None = None
    head_ref: str | None = None
    head_repository: str | None = None  # owner/name the PR comes from
    event: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None

    @property
    def is_fork(self) -> bool:
        """The PR's head lives in another repository (its code is not trusted with our secrets)."""
        return bool(self.head_repository) and self.head_repository != self.repository

    @property
    def branch(self) -> str | None:
        """The branch the run is on (``refs/heads/<branch>``); None for a tag or a pull request ref."""
        prefix = "refs/heads/"
        return self.ref[len(prefix) :] if self.ref.startswith(prefix) and len(self.ref) > len(prefix) else None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def inputs(self) -> dict[str, Any]:
        """``workflow_dispatch`` inputs (always strings in the payload)."""
        value = self.event.get("inputs")
        return value if isinstance(value, dict) else {}


def read_event(path: Path) -> dict[str, Any]:
    """The event payload; a missing, truncated or non-object file is one clear error (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: event file not found (GITHUB_EVENT_PATH)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the event file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: invalid event JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: invalid event JSON: expected an object, got {type(data).__name__}")
    return data


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def load_context(env: Mapping[str, str] | None = None) -> GitHubContext:
    """Build the context from the environment a GitHub runner gives a step (or a test gives)."""
    env = os.environ if env is None else env
    event_path = env.get("GITHUB_EVENT_PATH", "")
    event = read_event(Path(event_path)) if event_path else {}
    event_name = env.get("GITHUB_EVENT_NAME", "")
    repository = env.get("GITHUB_REPOSITORY") or _str(_get(event, "repository", "full_name")) or ""
    server_url = (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    run_id = env.get("GITHUB_RUN_ID", "")
    run_url = f"{server_url}/{repository}/actions/runs/{run_id}" if repository and run_id else ""
    actor = env.get("GITHUB_ACTOR", "")

    pr = event.get("pull_request")
    pr_number = base_sha = head_sha = base_ref = head_ref = head_repo = None
    if isinstance(pr, dict):
        number = pr.get("number", event.get("number"))
        pr_number = number if isinstance(number, int) else None
        base_sha = _str(_get(pr, "base", "sha"))
        head_sha = _str(_get(pr, "head", "sha"))
        base_ref = _str(_get(pr, "base", "ref"))
        head_ref = _str(_get(pr, "head", "ref"))
        # A deleted fork has head.repo = null: treat it as foreign, never as ours.
        head_repo = _str(_get(pr, "head", "repo", "full_name")) or ("(deleted fork)" if head_sha else None)
    elif event_name == "push":
        before, after = _str(event.get("before")), _str(event.get("after"))
        base_sha = before if before and before != _NULL_SHA else None
        head_sha = after
        base_ref = head_ref = _str(env.get("GITHUB_REF_NAME"))

    return GitHubContext(
        event_name=event_name,
        repository=repository,
        sha=env.get("GITHUB_SHA", "") or head_sha or "",
        ref=env.get("GITHUB_REF", ""),
        workspace=Path(env.get("GITHUB_WORKSPACE") or os.getcwd()),
        actor=actor,
        triggering_actor=env.get("GITHUB_TRIGGERING_ACTOR") or actor,
        run_id=run_id,
        run_url=run_url,
        api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        server_url=server_url,
        pr_number=pr_number,
        base_sha=base_sha,
        head_sha=head_sha,
        base_ref=base_ref,
        head_ref=head_ref,
        head_repository=head_repo,
        event=event,
    )
