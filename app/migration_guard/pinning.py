"""Digests of what a migration runs, so a deploy runs only what a passing PR check saw.

A file's digest covers its name and each statement's parse tree with source positions removed:
comments and whitespace do not change it, any change to what runs does. pglast's ``fingerprint``
is not enough on its own: it ignores constants (``where id = 1`` and ``where id = 2`` share one),
which is right for grouping queries and wrong for pinning a reviewed migration.

The PR check records ``Pins`` (digest per changed file, plus the verdict) in a hidden marker of its
sticky comment, in its JSON report and in its SARIF run; the deploy reads them back and compares.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from migration_guard.model import Migration, Statement, without_positions

MARKER = "migration-guard:pins"
# Only the marker that ends the comment counts: the report renders it last (its footer), and the
# comment quotes pull-request text before that (a suppression's reason, an error message, code spans
# kept verbatim), where a forged marker claiming "pass" could otherwise be found first.
_MARKER_RE = re.compile(r"(?:\A|\n)<!-- " + re.escape(MARKER) + r" (\{[^\n]*\}) -->\s*\Z")
PASSING = ("pass", "override")


def statement_digest(statement: Statement) -> str:
    """The statement's parse tree without source positions, hashed (comments/whitespace ignored)."""
    tree = without_positions(orjson.loads(statement.node_json))
    return hashlib.sha256(orjson.dumps(tree, option=orjson.OPT_SORT_KEYS)).hexdigest()


def file_digest(migration: Migration) -> str:
    """``sha256:`` + hash of the file name and its statements' digests, in order."""
    h = hashlib.sha256(migration.path.name.encode())
    for st in migration.statements:
        h.update(b"\0" + statement_digest(st).encode())
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True)
class Pins:
    """What one PR check saw: file name → digest, its verdict, and the commit it checked."""

    files: dict[str, str]
    verdict: str  # pass | fail | override
    sha: str | None = None

    @classmethod
    def of(cls, migrations: Iterable[Migration], verdict: str, sha: str | None = None) -> Pins:
        return cls({m.path.name: file_digest(m) for m in migrations}, verdict, sha)

    def to_json(self) -> dict[str, Any]:
        return {"files": dict(sorted(self.files.items())), "verdict": self.verdict, "sha": self.sha}

    def marker(self) -> str:
        """A hidden HTML comment for the sticky PR comment (invisible when rendered). File names come
        from the pull request: ``<`` and ``>`` are JSON-escaped so none can end the comment early
        (``x-->`` would let the rest of the name render as Markdown and HTML)."""
        data = orjson.dumps(self.to_json()).decode().replace("<", "\\u003c").replace(">", "\\u003e")
        return f"<!-- {MARKER} {data} -->"

    @classmethod
    def from_json(cls, data: Any) -> Pins | None:
        if not isinstance(data, dict):
            return None
        files, verdict = data.get("files"), data.get("verdict")
        if not isinstance(files, dict) or not isinstance(verdict, str):
            return None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            return None
        sha = data.get("sha")
        return cls(dict(files), verdict, sha if isinstance(sha, str) else None)

    @classmethod
    def from_comment(cls, body: str) -> Pins | None:
        """The pins ending a comment body, or None (no marker there, or a malformed one: never trusted)."""
        m = _MARKER_RE.search(body or "")
        if m is None:
            return None
        try:
            return cls.from_json(orjson.loads(m.group(1)))
        except orjson.JSONDecodeError:
            return None


@dataclass(frozen=True)
class PinProblem:
    file: str
    reason: str


def unreviewed(pending: Iterable[Migration], pins: Pins | None, pr: int | None) -> list[PinProblem]:
    """Pending files that no passing (or reasoned-override) check of the PR covered with the same digest."""
    where = f"#{pr}" if pr is not None else "the merged pull request"
    problems = []
    for m in pending:
        name = m.path.name
        if pins is None:
            problems.append(PinProblem(name, f"no Migration Guard check ran on {where} (no recorded digest)"))
        elif pins.verdict not in PASSING:
            problems.append(PinProblem(name, f"the last check of {where} did not pass ({pins.verdict})"))
        elif name not in pins.files:
            problems.append(PinProblem(name, f"the check of {where} never saw this file"))
        elif pins.files[name] != file_digest(m):
            problems.append(
                PinProblem(name, f"it differs from the version the check of {where} passed (edited after the check)")
            )
    return problems
