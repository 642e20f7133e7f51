"""The Supabase CLI's migration ledger, read and written exactly as the CLI does, plus our sidecar.

``supabase_migrations.schema_migrations(version, name, statements)`` belongs to the CLI: we create it
with the CLI's own statements, insert with an explicit column list (hosted projects add columns such
as ``created_by``), and read it with the CLI's query. What the CLI lacks (checksum, who, when, run
URL, duration, override reason) goes to ``migration_guard.applied``, never into the CLI's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

# The CLI's statements (pkg/migration/history.go), verbatim.
CREATE_VERSION_SCHEMA = "CREATE SCHEMA IF NOT EXISTS supabase_migrations"
CREATE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)"
)
ADD_STATEMENTS_COLUMN = "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]"
ADD_NAME_COLUMN = "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text"
INSERT_MIGRATION_VERSION = (
    "INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES(%s, %s, %s)"
)
DELETE_MIGRATION_VERSION = "DELETE FROM supabase_migrations.schema_migrations WHERE version = ANY(%s)"
SELECT_VERSION_TABLE = (
    "SELECT version, coalesce(name, '') as name, statements FROM supabase_migrations.schema_migrations"
)
LEDGER_SETUP = (CREATE_VERSION_SCHEMA, CREATE_VERSION_TABLE, ADD_STATEMENTS_COLUMN, ADD_NAME_COLUMN)

SIDECAR_SCHEMA = "migration_guard"
SIDECAR_SETUP = (
    f"CREATE SCHEMA IF NOT EXISTS {SIDECAR_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SIDECAR_SCHEMA}.applied (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version text NOT NULL,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text,
        triggering_actor text,
        environment text,
        sha text,
        ref text,
        run_url text,
        duration_ms integer,
        override_reason text,
        findings_overridden jsonb,
        tool_version text
    )""",
    f"CREATE INDEX IF NOT EXISTS applied_version_idx ON {SIDECAR_SCHEMA}.applied (version)",
)
INSERT_SIDECAR = f"""INSERT INTO {SIDECAR_SCHEMA}.applied
    (version, name, checksum, applied_by, triggering_actor, environment, sha, ref, run_url, duration_ms,
     override_reason, findings_overridden, tool_version)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""


@dataclass(frozen=True)
class LedgerRow:
    version: str
    name: str
    statements: tuple[str, ...] | None  # None when the row predates the CLI storing statements


@dataclass(frozen=True)
class SidecarRow:
    version: str
    checksum: str
    applied_at: datetime
    applied_by: str | None
    run_url: str | None
    duration_ms: int | None
    override_reason: str | None


@dataclass(frozen=True)
class AppliedFacts:
    """What the sidecar records for one applied migration (the audit record's facts)."""

    applied_by: str | None = None
    triggering_actor: str | None = None
    environment: str | None = None
    sha: str | None = None
    ref: str | None = None
    run_url: str | None = None
    override_reason: str | None = None
    findings_overridden: tuple[str, ...] = ()
    tool_version: str | None = None


def ledger_exists(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _ledger_complete(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('supabase_migrations.schema_migrations') "
        "AND attname IN ('version', 'statements', 'name') AND NOT attisdropped"
    ).fetchone()
    return bool(row and row[0] == 3)


def ensure_ledger(conn: psycopg.Connection[Any]) -> None:
    """Create the CLI's ledger if missing, with the CLI's statements (idempotent).

    Skipped when the table is complete: ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` takes an ACCESS
    EXCLUSIVE lock even when the column exists, which a deploy need not take every time.
    """
    if _ledger_complete(conn):
        return
    with conn.transaction():
        for sql in LEDGER_SETUP:
            conn.execute(sql)


def ensure_sidecar(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(f"SELECT to_regclass('{SIDECAR_SCHEMA}.applied') IS NOT NULL").fetchone()
    if row and row[0]:
        return
    with conn.transaction():
        for sql in SIDECAR_SETUP:
            conn.execute(sql)


def read_ledger(conn: psycopg.Connection[Any]) -> list[LedgerRow]:
    """The CLI's ledger as the CLI reads it; empty when the table does not exist yet."""
    if not ledger_exists(conn):
        return []
    has_statements = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = 'supabase_migrations.schema_migrations'::regclass "
        "AND attname IN ('statements', 'name') AND NOT attisdropped"
    ).fetchall()
    if len(has_statements) < 2:  # a very old ledger: only versions
        rows = conn.execute("SELECT version FROM supabase_migrations.schema_migrations").fetchall()
        return sorted((LedgerRow(str(r[0]), "", None) for r in rows), key=lambda r: r.version)
    rows = conn.execute(SELECT_VERSION_TABLE).fetchall()
    out = [LedgerRow(str(v), str(n), tuple(s) if s is not None else None) for v, n, s in rows]
    # Versions compare as strings (the CLI's rule); Python's str order is by code point like Go's.
    return sorted(out, key=lambda r: r.version)


def insert_ledger_row(conn: psycopg.Connection[Any], version: str, name: str, statements: list[str]) -> None:
    # The CLI encodes a file with no statements (a nil Go slice) as NULL, not '{}'.
    conn.execute(INSERT_MIGRATION_VERSION, (version, name, statements or None))


def insert_sidecar_row(
    conn: psycopg.Connection[Any],
    version: str,
    name: str,
    checksum: str,
    duration_ms: int,
    facts: AppliedFacts,
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        INSERT_SIDECAR,
        (
            version,
            name,
            checksum,
            facts.applied_by,
            facts.triggering_actor,
            facts.environment,
            facts.sha,
            facts.ref,
            facts.run_url,
            duration_ms,
            facts.override_reason,
            Jsonb(list(facts.findings_overridden)) if facts.findings_overridden else None,
            facts.tool_version,
        ),
    )


def read_sidecar(conn: psycopg.Connection[Any]) -> dict[str, SidecarRow]:
    """The latest sidecar row per version (empty when the sidecar does not exist)."""
    row = conn.execute(f"SELECT to_regclass('{SIDECAR_SCHEMA}.applied') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return {}
    rows = conn.execute(
        f"SELECT DISTINCT ON (version) version, checksum, applied_at, applied_by, run_url, duration_ms, "
        f"override_reason FROM {SIDECAR_SCHEMA}.applied ORDER BY version, id DESC"
    ).fetchall()
    return {str(r[0]): SidecarRow(*r) for r in rows}


def repair(conn: psycopg.Connection[Any], status: str, rows: list[tuple[str, str, list[str]]]) -> None:
    """``supabase migration repair``: ``reverted`` deletes the versions' rows; ``applied`` records each
    (version, name, statements) as applied, replacing a row already there (a hand-edited history).
    One transaction: all the rows change or none."""
    versions = [version for version, _, _ in rows]
    with conn.transaction():
        conn.execute(DELETE_MIGRATION_VERSION, (versions,))
        if status == "applied":
            for version, name, statements in rows:
                insert_ledger_row(conn, version, name, statements)
