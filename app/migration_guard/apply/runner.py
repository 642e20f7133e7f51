"""Run pending migration files against a database, one file at a time.

- A normal file runs in one transaction together with its ledger row and sidecar row: either all
  of it and its record commit, or nothing does.
- ``lock_timeout`` (and ``statement_timeout``) are set on the session, so a DDL statement waiting
  behind a long query gives up instead of queueing every other query behind it; a file whose lock
  wait timed out (SQLSTATE 55P03) is retried from the start with exponential backoff and jitter.
- A ``no-transaction`` file runs statement by statement in autocommit (CONCURRENTLY cannot run in
  a transaction). On failure we say exactly which statements committed, drop the index the failed
  CONCURRENTLY statement left INVALID (its schema, table and name; nothing else), and record
  nothing in the ledger.
- Nothing is ever rolled back across files: the caller stops at the first failure (fix forward).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors, sql

from migration_guard.apply.files import LocalMigration
from migration_guard.apply.ledger import AppliedFacts, insert_ledger_row, insert_sidecar_row
from migration_guard.model import Statement

Say = Callable[[str], None]

# Transaction control at the top level of a file would end our per-file transaction early; the
# file runs in a transaction anyway, so these are skipped (and said so).
_TX_CONTROL = {"TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT"}


@dataclass(frozen=True)
class RunOptions:
    lock_timeout_ms: int = 3000
    statement_timeout_ms: int = 0  # 0 = no limit
    retries: int = 5
    retry_base_s: float = 1.0  # first backoff; doubles each retry, with jitter, capped
    retry_cap_s: float = 30.0


@dataclass(frozen=True)
class FileResult:
    version: str
    name: str
    path: str
    checksum: str
    outcome: str  # applied | failed
    duration_ms: int
    attempts: int
    error: str | None = None
    sqlstate: str | None = None
    statement: int | None = None  # 1-based number of the failing statement
    line: int | None = None  # line in the file of the failure
    committed: tuple[int, ...] = ()  # no-transaction files: statements (1-based) that committed
    dropped_indexes: tuple[str, ...] = ()
    skipped_statements: tuple[int, ...] = field(default=())


class _StatementFailed(Exception):
    def __init__(self, index: int, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def backoff_seconds(attempt: int, options: RunOptions, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [base·2^n / 2, base·2^n], capped."""
    ceiling = min(options.retry_cap_s, options.retry_base_s * (2**attempt))
    return rng.uniform(ceiling / 2, ceiling)


def apply_session_settings(conn: psycopg.Connection[Any], options: RunOptions) -> None:
    # One round trip for both (a parameterless query may hold several statements).
    conn.execute(
        sql.SQL("SET lock_timeout = {}; SET statement_timeout = {}").format(
            sql.Literal(f"{options.lock_timeout_ms}ms"), sql.Literal(f"{options.statement_timeout_ms}ms")
        )
    )


def _error_text(exc: psycopg.Error) -> str:
    diag = exc.diag
    first = (diag.message_primary or str(exc)).strip()
    return first.splitlines()[0] if first else type(exc).__name__


class Runner:
    def __init__(
        self,
        conn: psycopg.Connection[Any],
        options: RunOptions,
        facts: AppliedFacts,
        say: Say,
        rng: random.Random | None = None,
    ) -> None:
        self.conn = conn  # autocommit connection holding the session advisory lock
        self.options = options
        self.facts = facts
        self.say = say
        self.rng = rng or random.Random()

    # -- helpers ----------------------------------------------------------------------------------
    def _skipped_tx_control(self, m: LocalMigration) -> set[int]:
        """Indexes of pieces that are a top-level BEGIN/START/COMMIT (read from the parse tree)."""
        starts = [
            st.start
            for st in m.migration.statements
            if st.kind == "TransactionStmt" and st.node.get("kind") in _TX_CONTROL
        ]
        out: set[int] = set()
        for i, piece in enumerate(m.pieces):
            end = piece.start + len(piece.sql)
            if any(piece.start <= s < end for s in starts):
                out.add(i)
        return out

    def _statements_of(self, m: LocalMigration, index: int) -> list[Statement]:
        """The parsed statements inside piece ``index`` (a piece starts at its leading comments)."""
        piece = m.pieces[index]
        end = piece.start + len(piece.sql)
        return [st for st in m.migration.statements if piece.start <= st.start < end]

    def _line(self, m: LocalMigration, index: int, exc: psycopg.Error | None) -> int:
        piece = m.pieces[index]
        position = exc.diag.statement_position if exc is not None else None
        if position and position.isdigit():
            return m.line_of(piece.start + max(int(position) - 1, 0))
        # No position (a lock timeout, a constraint violation): the statement's first token, not
        # the comments before it nor the file's first line.
        inside = self._statements_of(m, index)
        return inside[0].line if inside else m.line_of(piece.start)

    def _record(self, m: LocalMigration, duration_ms: int) -> None:
        # Both rows in one round trip (pipeline mode): it matters against a remote database.
        with self.conn.pipeline():
            insert_ledger_row(self.conn, m.version, m.name, list(m.statements))
            insert_sidecar_row(self.conn, m.version, m.name, m.checksum, duration_ms, self.facts)

    def _restore_settings(self, m: LocalMigration) -> None:
        """Set our timeouts again when the file may have changed them for the session (SET/RESET)."""
        if any(st.kind in ("VariableSetStmt", "DiscardStmt") for st in m.migration.statements):
            apply_session_settings(self.conn, self.options)

    def _wait_before_retry(self, m: LocalMigration, attempt: int, exc: psycopg.Error, where: str) -> None:
        delay = backoff_seconds(attempt, self.options, self.rng)
        self.say(
            f"retry {attempt + 1}/{self.options.retries}: {m.path.name}{where} timed out waiting for a lock "
            f"({_error_text(exc)}); another session holds it; retrying in {delay:.1f}s"
        )
        time.sleep(delay)

    # -- transactional files ----------------------------------------------------------------------
    def _run_in_transaction(self, m: LocalMigration, skip: set[int]) -> int:
        started = time.monotonic()
        with self.conn.transaction():
            for i, piece in enumerate(m.pieces):
                if i in skip:
                    continue
                try:
                    self.conn.execute(piece.sql)
                except psycopg.Error as exc:
                    raise _StatementFailed(i, exc) from exc
            duration_ms = int((time.monotonic() - started) * 1000)
            self._record(m, duration_ms)
        return duration_ms

    def apply_file(self, m: LocalMigration) -> FileResult:
        if m.no_transaction:
            return self._apply_no_transaction(m)
        skip = self._skipped_tx_control(m)
        for i in sorted(skip):
            self.say(
                f"{m.path.name}: line {m.line_of(m.pieces[i].start)}: skipping {m.pieces[i].sql.split()[0]!r}; "
                "the file already runs in one transaction"
            )
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                duration_ms = self._run_in_transaction(m, skip)
            except _StatementFailed as failed:
                exc = failed.error
                if isinstance(exc, errors.LockNotAvailable) and attempt < self.options.retries:
                    self._wait_before_retry(m, attempt, exc, f" statement {failed.index + 1}")
                    attempt += 1
                    continue
                return FileResult(
                    m.version,
                    m.name,
                    str(m.path),
                    m.checksum,
                    "failed",
                    int((time.monotonic() - started) * 1000),
                    attempt + 1,
                    error=_error_text(exc),
                    sqlstate=exc.sqlstate,
                    statement=failed.index + 1,
                    line=self._line(m, failed.index, exc),
                    skipped_statements=tuple(sorted(i + 1 for i in skip)),
                )
            finally:
                self._restore_settings(m)  # a file's own SET must not leak into the next file
            return FileResult(
                m.version,
                m.name,
                str(m.path),
                m.checksum,
                "applied",
                duration_ms,
                attempt + 1,
                skipped_statements=tuple(sorted(i + 1 for i in skip)),
            )

    # -- no-transaction files ---------------------------------------------------------------------
    def _invalid_indexes(self) -> set[int]:
        rows = self.conn.execute("SELECT indexrelid::oid::bigint FROM pg_index WHERE NOT indisvalid").fetchall()
        return {int(r[0]) for r in rows}

    def _index_target(self, m: LocalMigration, index: int) -> tuple[int, str | None] | None:
        """(table oid, index name or None) that statement ``index`` was building, if it builds one.

        The table is resolved the way the statement resolved it (schema-qualified, else the
        search_path), so a table of the same name in another schema never matches.
        """
        for st in self._statements_of(m, index):
            if st.kind not in ("IndexStmt", "ReindexStmt"):
                continue
            rel = st.node.get("relation") or {}
            if not rel.get("relname"):
                continue  # REINDEX INDEX/SCHEMA/DATABASE: no single table to match
            name = sql.Identifier(*(p for p in (rel.get("schemaname"), rel["relname"]) if p))
            row = self.conn.execute(
                sql.SQL("SELECT to_regclass({})::oid::bigint").format(sql.Literal(name.as_string(self.conn)))
            ).fetchone()
            if row is None or row[0] is None:
                return None
            if st.kind == "ReindexStmt" and st.node.get("kind") == "REINDEX_OBJECT_INDEX":
                # REINDEX INDEX names the index: its table is the index's, the new copy `<name>_ccnew`.
                owner = self.conn.execute(
                    "SELECT indrelid::oid::bigint FROM pg_index WHERE indexrelid = %s::bigint::oid", (row[0],)
                ).fetchone()
                return (int(owner[0]), str(rel["relname"])) if owner else None
            idxname = st.node.get("idxname") if st.kind == "IndexStmt" else None
            return int(row[0]), str(idxname) if idxname else None
        return None

    def _drop_new_invalid_indexes(self, m: LocalMigration, index: int, before: set[int]) -> tuple[str, ...]:
        """Drop what the failed statement left INVALID: its index (schema, table and name match), or,
        for an unnamed index or a REINDEX, the indexes on its table that became invalid since the
        file started. Nothing else, even when another session's build failed meanwhile."""
        target = self._index_target(m, index)
        if target is None:
            return ()
        table, idxname = target
        rows = self.conn.execute(
            "SELECT i.indexrelid::oid::bigint, n.nspname, c.relname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT i.indisvalid AND i.indrelid = %s::bigint::oid AND (%s::text IS NULL OR c.relname = %s "
            "OR c.relname LIKE %s)",
            (table, idxname, idxname, f"{idxname}_ccnew%" if idxname else None),
        ).fetchall()
        dropped: list[str] = []
        for oid, schema, name in rows:
            if int(oid) in before:
                continue  # was already invalid before this file: not ours to drop
            try:
                self.conn.execute(
                    sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(name)
                    )
                )
                dropped.append(f"{schema}.{name}")
            except psycopg.Error as exc:
                self.say(f"could not drop invalid index {schema}.{name}: {_error_text(exc)}; drop it by hand")
        return tuple(dropped)

    def _apply_no_transaction(self, m: LocalMigration) -> FileResult:
        started = time.monotonic()
        before = self._invalid_indexes()
        committed: list[int] = []
        dropped: list[str] = []
        attempts = 1
        for i, piece in enumerate(m.pieces):
            attempt = 0
            while True:
                try:
                    self.conn.execute(piece.sql)
                    committed.append(i + 1)
                    break
                except psycopg.Error as exc:
                    dropped.extend(self._drop_new_invalid_indexes(m, i, before))
                    if isinstance(exc, errors.LockNotAvailable) and attempt < self.options.retries:
                        self._wait_before_retry(m, attempt, exc, f" statement {i + 1}")
                        attempt += 1
                        attempts += 1
                        continue
                    self._restore_settings(m)
                    return FileResult(
                        m.version,
                        m.name,
                        str(m.path),
                        m.checksum,
                        "failed",
                        int((time.monotonic() - started) * 1000),
                        attempts,
                        error=_error_text(exc),
                        sqlstate=exc.sqlstate,
                        statement=i + 1,
                        line=self._line(m, i, exc),
                        committed=tuple(committed),
                        dropped_indexes=tuple(dropped),
                    )
        duration_ms = int((time.monotonic() - started) * 1000)
        with self.conn.transaction():
            self._record(m, duration_ms)
        self._restore_settings(m)
        return FileResult(
            m.version, m.name, str(m.path), m.checksum, "applied", duration_ms, attempts, committed=tuple(committed)
        )
