"""The GitHub runner's side of a step's files, shared by every test that runs the action: the event
file it writes before the step, and the GITHUB_OUTPUT file it reads after it."""

from __future__ import annotations

from typing import Any

__all__ = ["parse_outputs", "pull_request_event"]


def pull_request_event(
    repo: str, number: int, base: str, head: str, head_repo: str | None = None, action: str = "synchronize",
    user: str | None = None,
) -> dict[str, Any]:
    """The event file of pull request `number` of `repo`: branch `feature` of `head_repo` (default:
    `repo` itself; a fork otherwise) at `head`, into `main` at `base`; `user` opened it."""
    pull: dict[str, Any] = {"number": number}
    if user is not None:
        pull["user"] = {"login": user}
    pull["base"] = {"sha": base, "ref": "main", "repo": {"full_name": repo}}
    pull["head"] = {"sha": head, "ref": "feature", "repo": {"full_name": head_repo or repo}}
    return {"action": action, "number": number, "pull_request": pull, "repository": {"full_name": repo}}


def parse_outputs(text: str) -> dict[str, str]:
    """A GITHUB_OUTPUT file read as the runner reads it: `name<<DELIM`, the value's lines, `DELIM`."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delim = line.split("<<", 1)
        value = []
        for inner in lines:
            if inner == delim:
                break
            value.append(inner)
        out[name] = "\n".join(value)
    return out
