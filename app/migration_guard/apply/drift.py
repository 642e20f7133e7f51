"""Pending and drift: compare local files with the ledger before anything runs.

The Supabase CLI's rules: versions compare as strings; pending = local versions not in the ledger;
a ledger version missing locally is an error; a pending file older than the newest applied one is an
error unless explicitly allowed. On top, we compare each applied file's statements (the CLI's split)
with the ones stored, which catches files edited after they were applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migration_guard.apply.files import LocalMigration
from migration_guard.apply.ledger import LedgerRow, SidecarRow


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

    @property
    def drifted(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.state == "drifted")


def _first_difference(local: tuple[str, ...], stored: tuple[str, ...]) -> str:
    for i, (a, b) in enumerate(zip(local, stored, strict=False)):
        if a != b:
            return f"statement {i + 1} differs"
    return f"{len(local)} statements locally, {len(stored)} recorded"


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
            if row.statements is not None and tuple(row.statements) != file.statements:
                diff = _first_difference(file.statements, tuple(row.statements))
                entries.append(Entry(version, file.name, "drifted", f"edited after apply: {diff}", when, who))
                problems.append(
                    f"{file.path.name}: edited after it was applied ({diff}); never edit applied migrations, "
                    "revert the edit and write a new migration instead"
                )
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
    return Comparison(tuple(entries), tuple(pending) if not problems else (), tuple(problems))
