"""Pending and drift: compare local files with the ledger before anything runs.

The Supabase CLI's rules: versions compare as strings; pending = local versions not in the ledger;
a ledger version missing locally is an error; a pending file older than the newest applied one is an
error unless explicitly allowed. On top, we compare each applied file's statements (the CLI's split)
with the ones stored, which catches files edited after they were applied.

Drift is judged on what runs, not on text: each statement is compared by its parse tree with
positions removed, so an edit that only touches comments or whitespace (adding the suppression
comment our own lint asks for, a trailing note) is a warning, and a change to what runs is refused.
Not pglast's fingerprint: it ignores constants (``set price = 1`` and ``= 2`` fingerprint alike).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from migration_guard.apply.files import LocalMigration
from migration_guard.apply.ledger import LedgerRow, SidecarRow
from migration_guard.model import without_positions


@dataclass(frozen=True)
class Entry:
    version: str
    name: str
    state: str  # applied | pending | drifted | missing-locally | out-of-order
    detail: str = ""
    applied_at: str | None = None
    applied_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "state": self.state,
            "detail": self.detail,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
        }


@dataclass(frozen=True)
class Comparison:
    entries: tuple[Entry, ...]  # every version, local or remote, in version order
    pending: tuple[LocalMigration, ...]  # what would run, in order (empty when there are problems)
    problems: tuple[str, ...]  # one line each; any problem refuses the deploy
    warnings: tuple[str, ...] = ()  # one line each; shown, never refusing (comment-only edits)

    @property
    def drifted(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.state == "drifted")


def what_runs(sql: str) -> str | None:
    """The statement's parse tree without positions, as canonical JSON: equal for two texts that
    differ only in comments or whitespace. "" for a piece with no statement (only a comment);
    None when it does not parse (then only the exact text can be compared)."""
    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except Exception:  # pglast.parser.ParseError and friends: compare text instead
        return None
    stmts = tree.get("stmts") or []
    if not stmts:
        return ""
    return json.dumps(without_positions(stmts), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class StatementDiff:
    same_text: bool
    same_effect: bool
    detail: str  # "" when the text is identical


def diff_statements(local: tuple[str, ...], stored: tuple[str, ...]) -> StatementDiff:
    """Compare the file's statements with the recorded ones: by text, then by what runs."""
    if local == stored:
        return StatementDiff(True, True, "")
    keys_local = [(i, what_runs(sql), sql) for i, sql in enumerate(local)]
    keys_stored = [(i, what_runs(sql), sql) for i, sql in enumerate(stored)]
    # Pieces that are only comments run nothing (a trailing comment is a piece of its own).
    runs_local = [k for k in keys_local if k[1] != ""]
    runs_stored = [k for k in keys_stored if k[1] != ""]
    for (i, a_key, a_sql), (_, b_key, b_sql) in zip(runs_local, runs_stored, strict=False):
        same = a_sql == b_sql if a_key is None or b_key is None else a_key == b_key
        if not same:
            return StatementDiff(False, False, f"statement {i + 1} differs")
    if len(runs_local) != len(runs_stored):
        return StatementDiff(
            False, False, f"{len(runs_local)} statements run locally, {len(runs_stored)} were recorded"
        )
    return StatementDiff(False, True, "only comments or whitespace changed; what runs is the same")


def compare(
    local: tuple[LocalMigration, ...],
    ledger: list[LedgerRow],
    sidecar: dict[str, SidecarRow] | None = None,
    allow_out_of_order: bool = False,
) -> Comparison:
    sidecar = sidecar or {}
    by_version = {m.version: m for m in local}
    applied = {r.version: r for r in ledger}
    newest_applied = max(applied) if applied else None
    entries: list[Entry] = []
    problems: list[str] = []
    warnings: list[str] = []
    pending: list[LocalMigration] = []

    for version in sorted(set(by_version) | set(applied)):
        row = applied.get(version)
        file = by_version.get(version)
        side = sidecar.get(version)
        when = side.applied_at.isoformat() if side else None
        who = side.applied_by if side else None
        if row is not None and file is None:
            entries.append(Entry(version, row.name, "missing-locally", "applied but no local file", when, who))
            problems.append(
                f"version {version} ({row.name or 'unnamed'}) is applied on the database but has no local file; "
                "restore the file (supabase migration fetch) or repair the ledger before deploying"
            )
        elif row is not None and file is not None:
            diff = diff_statements(file.statements, tuple(row.statements)) if row.statements is not None else None
            if diff is not None and not diff.same_effect:
                entries.append(
                    Entry(version, file.name, "drifted", f"edited after apply: {diff.detail}", when, who)
                )
                problems.append(
                    f"{file.path.name}: edited after it was applied ({diff.detail}); never edit applied migrations, "
                    "revert the edit and write a new migration instead (or, if the database really has this "
                    f"version's new statements, record them: migration-guard ledger repair --status applied {version})"
                )
            elif diff is not None and not diff.same_text:
                entries.append(Entry(version, file.name, "applied", f"edited after apply: {diff.detail}", when, who))
                warnings.append(f"{file.path.name}: edited after it was applied, but {diff.detail}")
            else:
                detail = "" if row.statements is not None else "no statements recorded (older CLI); not compared"
                entries.append(Entry(version, file.name, "applied", detail, when, who))
        elif file is not None:
            if newest_applied is not None and version < newest_applied and not allow_out_of_order:
                entries.append(Entry(version, file.name, "out-of-order", f"older than applied {newest_applied}"))
                problems.append(
                    f"{file.path.name}: pending but older than the newest applied version {newest_applied}; "
                    "rename it with a newer timestamp, or pass --allow-out-of-order"
                )
            else:
                entries.append(Entry(version, file.name, "pending"))
                pending.append(file)
    return Comparison(tuple(entries), tuple(pending) if not problems else (), tuple(problems), tuple(warnings))
