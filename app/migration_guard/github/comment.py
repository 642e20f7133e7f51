"""The sticky report comment: one per pull request and migrations folder, edited in place.

The comment is found by a hidden marker at the start of its body, ``<!-- migration-guard:<dir> -->``,
so two folders (two action steps) keep two comments and a re-run never adds a second one. Failing to
comment (a fork's read-only token, a bad token, GitHub down) is reported as a warning by the caller:
the check's verdict never depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from github import Github, GithubException
from migration_guard.github.client import describe

MARKER_PREFIX = "<!-- migration-guard:"
MAX_BODY = 65536  # GitHub's limit for a comment body


def marker(migrations_dir: str) -> str:
    # The folder name is user input: keep it from closing the HTML comment early.
    safe = migrations_dir.replace("--", "-").replace("<", "").replace(">", "").replace("\n", " ").strip()
    return f"{MARKER_PREFIX}{safe} -->"


@dataclass(frozen=True)
class CommentOutcome:
    status: str  # created | updated | unchanged | failed
    url: str = ""
    message: str = ""  # why it failed (one line, no secret)
    http_status: int | None = None


def _by_a_bot(comment: Any) -> bool:
    """Our reports are posted with the workflow's token: github-actions[bot] or another app. A comment
    by a person that starts with our marker is someone else's (a PR author could plant one to hide
    the real report, or to fake what a check recorded): never edited, never trusted."""
    user = comment.user
    return user is not None and (user.type == "Bot" or user.login.endswith("[bot]"))


def _ours(comments: Iterable[Any], tag: str) -> Any | None:
    for comment in comments:  # PaginatedList follows the Link headers
        if (comment.body or "").startswith(tag) and _by_a_bot(comment):
            return comment
    return None


def find_report(gh: Github, repository: str, number: int, migrations_dir: str) -> str | None:
    """The body of the report comment a check posted on the pull request (bot-authored only), or None."""
    found = _ours(gh.get_repo(repository).get_pull(number).get_issue_comments(), marker(migrations_dir))
    return str(found.body) if found is not None else None


def upsert_comment(gh: Github, repository: str, number: int, body: str, migrations_dir: str) -> CommentOutcome:
    """Create the comment or edit the one carrying this folder's marker."""
    tag = marker(migrations_dir)
    if not body.startswith(tag):
        body = f"{tag}\n{body}"
    if len(body) > MAX_BODY:  # the renderer keeps under it; this only guards against misuse
        body = body[: MAX_BODY - 200] + "\n\n_(cut: the comment limit is 65,536 characters)_\n"
    try:
        pull = gh.get_repo(repository).get_pull(number)
        existing = None
        existing = _ours(pull.get_issue_comments(), tag)
        if existing is None:
            created = pull.create_issue_comment(body)
            return CommentOutcome("created", created.html_url)
        if existing.body == body:
            return CommentOutcome("unchanged", existing.html_url)
        existing.edit(body)
        return CommentOutcome("updated", existing.html_url)
    except GithubException as exc:
        return CommentOutcome("failed", message=describe(exc), http_status=exc.status)
    except Exception as exc:  # network errors: requests/urllib3 exceptions, timeouts
        return CommentOutcome("failed", message=describe(exc))
