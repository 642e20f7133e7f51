"""Replay every migration on the freshly emptied development database, with the Supabase ledger.

Each file runs in its own transaction together with its ledger row, exactly like a deploy, so
``migration-guard status`` / ``supabase migration list`` agree after a reset; a file marked
``-- migration-guard: no-transaction`` runs statement by statement. The first failure stops the
replay with the file, line and PostgreSQL's message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from migration_guard.errors import UserError
from migration_guard.local.db import Conn
from migration_guard.model import Migration

LEDGER_DDL = (
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
)


def ledger_statements(m: Migration) -> list[str]:
    """The statements as the Supabase CLI stores them (its own splitter, comments kept)."""
    try:
        from migration_guard.apply.split import split_statements  # the apply helper's CLI-exact splitter
    except ImportError:  # pragma: no cover - only while the apply package is absent
        return [m.text[st.raw_start : st.end].strip() for st in m.statements]
    return split_statements(m.text)


def _fail(m: Migration, line: int, column: int, exc: psycopg.Error) -> UserError:
    message = (exc.diag.message_primary or str(exc)).strip()
    hint = f" (hint: {exc.diag.message_hint})" if exc.diag.message_hint else ""
    return UserError(
        f"{m.path}:{line}:{column}: migration failed during reset: {message}{hint}; earlier migrations are "
        "applied, fix this file and run reset again",
        exit_code=1,
    )


def replay(
    conn: Conn,
    migrations: list[Migration],
    progress: Callable[[int, int, Migration], None] | None = None,
) -> float:
    """Apply all files in order; returns the seconds spent."""
    for m in migrations:
        if m.error is not None:
            raise UserError(f"{m.path}:{m.error.line}:{m.error.column}: {m.error.message}")
    started = time.perf_counter()
    with conn.transaction():
        for ddl in LEDGER_DDL:
            conn.execute(ddl.encode())
    for i, m in enumerate(migrations, 1):
        if progress is not None:
            progress(i, len(migrations), m)
        ledger = (m.version or m.path.stem, m.name, ledger_statements(m))
        if m.no_transaction:
            for st in m.statements:
                try:
                    conn.execute(st.sql.encode())
                except psycopg.Error as exc:
                    raise _fail(m, st.line, st.column, exc) from None
            _record(conn, ledger)
            continue
        with conn.transaction():
            for st in m.statements:
                try:
                    conn.execute(st.sql.encode())
                except psycopg.Error as exc:
                    raise _fail(m, st.line, st.column, exc) from None
            _record(conn, ledger)
    return time.perf_counter() - started


def _record(conn: Conn, row: tuple[str, str, list[str]]) -> None:
    # Explicit column list: hosted projects' ledgers have extra columns (FACTS.md).
    conn.execute(
        "insert into supabase_migrations.schema_migrations(version, name, statements) values (%s, %s, %s)", row
    )

