"""The dry run's plain data (see DESIGN.md, "The flow of data"): each migration's run, the statements it
executed with their locks and rewrites, the objects it touched and the advisories about them.

Apart from model.py because lint never builds a plan: defining these classes cost ~6 ms of every
lint's start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migration_guard.model import Finding, Severity


@dataclass(frozen=True)
class Lock:
    schema: str
    relation: str
    mode: str  # pg_locks mode, e.g. "AccessExclusiveLock"


@dataclass(frozen=True)
class StatementTrace:
    line: int
    kind: str
    sql: str
    duration_ms: float
    rows: int | None
    locks: tuple[Lock, ...] = ()
    rewrites: tuple[str, ...] = ()  # "schema.name" of tables/indexes whose relfilenode changed


@dataclass(frozen=True)
class StatementError:
    line: int
    column: int
    sqlstate: str | None
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class MigrationRun:
    path: str
    version: str
    new: bool
    status: str  # "applied" | "failed" | "skipped"
    error: StatementError | None = None
    statements: tuple[StatementTrace, ...] = ()
    duration_ms: float = 0.0


@dataclass(frozen=True)
class AffectedObject:
    kind: str  # schema | table | column | index | constraint | policy | rls | function | view | ...
    name: str
    change: str  # created | dropped | altered
    detail: str = ""
    dependents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advisory:
    """A dry-run rule's finding about one database object (``dryrun/advisories.py``).

    ``path``/``line``/``column`` locate the statement that created or last changed the object
    (``dryrun/locate.py``); ``path`` is None when no statement could be told apart (dynamic SQL).
    """

    rule: str
    object: str
    message: str
    severity: Severity = Severity.WARNING
    path: str | None = None
    line: int = 0
    column: int = 0
    suppressed: bool = False
    reason: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR and not self.suppressed

    @property
    def location(self) -> str:
        """``path:line`` (or the empty string when unknown)."""
        return f"{self.path}:{self.line}" if self.path else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "object": self.object,
            "message": self.message,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line or None,
            "column": self.column or None,
            "suppressed": self.suppressed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PlanResult:
    ok: bool
    postgres_version: str
    provider: str
    migrations: tuple[MigrationRun, ...]
    affected: tuple[AffectedObject, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    findings: tuple[Finding, ...] = ()
    table_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # what the dry run did differently from a real run (stubs, seed skipped)
    version_note: str = ""  # the dry run's PostgreSQL major is not the project's: what that can hide
