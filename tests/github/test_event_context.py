"""GitHubContext from GITHUB_* variables and the event payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.github.context import load_context, read_event

BASE, HEAD = "b" * 40, "h" * 40


def env_for(tmp_path: Path, event: object, name: str = "pull_request", raw: str | None = None) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(raw if raw is not None else json.dumps(event))
    return {
        "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "99", "GITHUB_ACTOR": "alice",
        "GITHUB_TRIGGERING_ACTOR": "bob", "GITHUB_SHA": "m" * 40, "GITHUB_REF": "refs/pull/3/merge",
        "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_API_URL": "http://127.0.0.1:9/",
    }


def pr_event(head_repo: str | None = "acme/app") -> dict[str, object]:
    return {"number": 3, "pull_request": {
        "number": 3, "base": {"sha": BASE, "ref": "main", "repo": {"full_name": "acme/app"}},
        "head": {"sha": HEAD, "ref": "feat", "repo": {"full_name": head_repo} if head_repo else None}}}


def test_pull_request(tmp_path: Path) -> None:
    ctx = load_context(env_for(tmp_path, pr_event()))
    assert (ctx.pr_number, ctx.base_sha, ctx.head_sha, ctx.base_ref, ctx.head_ref) == (3, BASE, HEAD, "main", "feat")
    assert not ctx.is_fork and ctx.is_pull_request
    assert ctx.run_url == "https://github.example/acme/app/actions/runs/99"
    assert ctx.api_url == "http://127.0.0.1:9"
    assert (ctx.actor, ctx.triggering_actor, ctx.owner) == ("alice", "bob", "acme")
    assert ctx.workspace == tmp_path


def test_fork_and_deleted_fork(tmp_path: Path) -> None:
    assert load_context(env_for(tmp_path, pr_event("mallory/app"))).is_fork
    assert load_context(env_for(tmp_path, pr_event(None))).is_fork  # head.repo null: never trusted


def test_push_uses_before_and_after(tmp_path: Path) -> None:
    ctx = load_context(env_for(tmp_path, {"before": BASE, "after": HEAD}, name="push"))
    assert (ctx.base_sha, ctx.head_sha, ctx.pr_number) == (BASE, HEAD, None)
    first = load_context(env_for(tmp_path, {"before": "0" * 40, "after": HEAD}, name="push"))
    assert first.base_sha is None  # a new branch has no "before"


def test_workflow_dispatch_inputs(tmp_path: Path) -> None:
    ctx = load_context(env_for(tmp_path, {"inputs": {"override": "true", "reason": "x"}}, name="workflow_dispatch"))
    assert ctx.inputs == {"override": "true", "reason": "x"}
    assert ctx.base_sha is None


@pytest.mark.parametrize("raw", ['{"pull_request": {"number": 3', "[1, 2]", ""])
def test_invalid_event_is_one_line_naming_the_file(tmp_path: Path, raw: str) -> None:
    with pytest.raises(UserError) as err:
        load_context(env_for(tmp_path, None, raw=raw))
    assert str(tmp_path / "event.json") in err.value.message
    assert "\n" not in err.value.message


def test_missing_event_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="event file not found"):
        read_event(tmp_path / "nope.json")
