"""Running migrations on the dry-run database: fast baseline replay and per-statement tracing.

Tracing (eugene style): every statement of a new migration runs inside the file's transaction on
one connection; before and after it we read ``pg_locks`` for our own backend (relation locks
newly acquired) and ``pg_class.relfilenode`` of user relations (a changed relfilenode = the table
or index was rewritten). Locks are held to the end of the transaction, so "after minus before" is
exactly what the statement took. Statements that cannot run in a transaction (CREATE INDEX
CONCURRENTLY …) run in autocommit while a second connection watches their locks.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from migration_guard.migrations.splitting import LineIndex
from migration_guard.model import Migration, Statement
from migration_guard.plan_model import Lock, MigrationRun, StatementError, StatementTrace

USER_RELATIONS = """
select c.oid, c.relfilenode, n.nspname, c.relname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'i', 'm', 'p', 'I')
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'
  and n.nspname not like 'pg\\_temp%'
"""

OWN_LOCKS = """
select l.relation, l.mode, n.nspname, c.relname
from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
where l.pid = %s and l.locktype = 'relation' and l.granted
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%%'
"""

# pg_locks modes from weakest to strongest, to show the strongest first.
MODE_ORDER = [
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
]  # fmt: skip

NO_TRANSACTION_KINDS = {"VacuumStmt"}


def needs_autocommit(st: Statement) -> bool:
    """Statements PostgreSQL refuses inside a transaction block."""
    node = st.node
    if st.kind in NO_TRANSACTION_KINDS:
        return True
    if st.kind in ("IndexStmt", "ReindexStmt") and node.get("concurrent"):
        return True
    if st.kind == "ReindexStmt":
        return any(
            o.get("DefElem", {}).get("defname") == "concurrently" for o in node.get("params", ()) or ()
        )
    if st.kind == "DropStmt" and node.get("concurrent"):
        return True
    return st.kind in ("AlterSystemStmt", "CreatedbStmt", "DropdbStmt")


def outside_transaction(m: Migration) -> bool:
    """Marked no-transaction, or holding a statement PostgreSQL refuses in a transaction: runners
    (Flyway, newer Supabase CLIs) then run the file statement by statement, and so does the dry run."""
    return m.no_transaction or any(needs_autocommit(st) for st in m.statements)


@dataclass(frozen=True)
class Failure:
    error: StatementError
    statement_index: int | None


def error_from(exc: psycopg.Error, m: Migration, offset_base: int, fallback: Statement | None) -> StatementError:
    """Map the server's error position (1-based, in the text we sent) back to a file line/column."""
    diag = exc.diag
    lines = LineIndex(m.text)
    pos = diag.statement_position
    if pos and str(pos).isdigit() and int(pos) > 0:
        line, column = lines.position(min(offset_base + int(pos) - 1, max(len(m.text) - 1, 0)))
    elif fallback is not None:
        line, column = fallback.line, fallback.column
        inner = _body_line(fallback, diag.context or "")
        if inner is not None:
            line, column = inner, 1
    else:
        line, column = _statement_at(m, offset_base) or (1, 1)
    message = diag.message_primary or str(exc).strip().splitlines()[0]
    return StatementError(line, column, diag.sqlstate, message, diag.message_hint)


_PLPGSQL_LINE = re.compile(r"(?:inline_code_block|PL/pgSQL function .*?) (?:near )?line (\d+)")
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")


def _body_line(st: Statement, context: str) -> int | None:
    """An error inside a DO block or a PL/pgSQL body: the server names the body's line; body line 1
    is the line of the opening dollar quote, so map it back to the file."""
    if st.kind not in ("DoStmt", "CreateFunctionStmt"):
        return None
    m = _PLPGSQL_LINE.search(context.splitlines()[-1] if context else "")
    quote = _DOLLAR.search(st.sql)
    if m is None or quote is None:
        return None
    return st.line + st.sql.count("\n", 0, quote.start()) + int(m.group(1)) - 1


def _statement_at(m: Migration, offset: int) -> tuple[int, int] | None:
    for st in m.statements:
        if st.start >= offset:
            return st.line, st.column
    return None


def _locate_in_batch(exc: psycopg.Error, m: Migration) -> StatementError:
    """A whole-file batch failed: without a position, guess no further than the file's first line.

    The server gives no statement index for a multi-statement query; the caller re-runs the file
    statement by statement (rolled back) to find it when the position is missing.
    """
    return error_from(exc, m, 0, None)


# -- baseline -------------------------------------------------------------------------------------
def replay_file(conn: psycopg.Connection[Any], m: Migration, skip: set[int] | None = None) -> MigrationRun:
    """One file, fast, no tracing. The whole text in one simple-protocol query: PostgreSQL runs it
    as one implicit transaction (atomic), like ``psql --single-transaction -f``."""
    t0 = time.perf_counter()
    if m.error is not None:
        err = StatementError(m.error.line, m.error.column, "42601", m.error.message)
        return MigrationRun(m.display_path, m.version, False, "failed", err)
    if not m.statements:
        return MigrationRun(m.display_path, m.version, False, "applied", duration_ms=_ms(t0))
    if m.no_transaction or skip:
        failure = _run_statements(conn, m, autocommit=m.no_transaction, skip=skip or set())
    else:
        failure = None
        try:
            conn.execute(m.text.encode("utf-8"), prepare=False)
        except pg_errors.ActiveSqlTransaction:
            # "cannot run inside a transaction block" (CONCURRENTLY in a Flyway file): nothing was
            # applied, so run it the way such runners do, statement by statement in autocommit.
            failure = _run_statements(conn, m, autocommit=True, skip=set())
        except psycopg.Error as exc:
            if exc.diag.statement_position:
                failure = Failure(error_from(exc, m, 0, None), None)
            else:
                failure = _pinpoint(conn, m, exc)
    status = "failed" if failure else "applied"
    error = failure.error if failure else None
    return MigrationRun(m.display_path, m.version, False, status, error, duration_ms=_ms(t0))


def _pinpoint(conn: psycopg.Connection[Any], m: Migration, exc: psycopg.Error) -> Failure:
    """Find which statement failed (the batch error had no position): re-run them one by one in a
    transaction that is rolled back, so nothing stays applied."""
    try:
        conn.execute("BEGIN")
        for st in m.statements:
            try:
                conn.execute(st.sql.encode("utf-8"), prepare=False)
            except psycopg.Error as inner:
                return Failure(error_from(inner, m, st.start, st), st.index)
        return Failure(_locate_in_batch(exc, m), None)
    finally:
        _rollback(conn)


def _rollback(conn: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.execute("ROLLBACK")


def _run_statements(
    conn: psycopg.Connection[Any], m: Migration, autocommit: bool, skip: set[int]
) -> Failure | None:
    """Statement by statement: in one transaction, or each on its own (no-transaction files)."""
    if not autocommit:
        conn.execute("BEGIN")
    for st in m.statements:
        if st.index in skip:
            continue
        try:
            conn.execute(st.sql.encode("utf-8"), prepare=False)
        except psycopg.Error as exc:
            if not autocommit:
                _rollback(conn)
            return Failure(error_from(exc, m, st.start, st), st.index)
    if not autocommit:
        conn.execute("COMMIT")
    return None


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


# -- tracing --------------------------------------------------------------------------------------
def _relfilenodes(conn: psycopg.Connection[Any]) -> dict[int, tuple[int, str]]:
    return {int(r[0]): (int(r[1]), f"{r[2]}.{r[3]}") for r in conn.execute(USER_RELATIONS).fetchall()}


def _locks(conn: psycopg.Connection[Any], pid: int) -> set[tuple[int, str, str, str]]:
    return {(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in conn.execute(OWN_LOCKS, (pid,)).fetchall()}


def _sorted_locks(found: set[tuple[int, str, str, str]], existing: set[int]) -> tuple[Lock, ...]:
    # Locks on relations the statement itself created block nobody: report those that existed.
    rank = {m: i for i, m in enumerate(MODE_ORDER)}
    locks = {Lock(s, r, mode) for oid, mode, s, r in found if oid in existing}
    return tuple(sorted(locks, key=lambda lk: (-rank.get(lk.mode, 0), lk.schema, lk.relation)))


def _rewrites(before: dict[int, tuple[int, str]], after: dict[int, tuple[int, str]]) -> tuple[str, ...]:
    out = [name for oid, (node, name) in after.items() if oid in before and before[oid][0] not in (0, node)]
    return tuple(sorted(out))


def trace_file(
    conn: psycopg.Connection[Any],
    m: Migration,
    watcher: Callable[[], psycopg.Connection[Any]],
    skip: set[int] | None = None,
) -> MigrationRun:
    """Run a new migration statement by statement, recording locks, rewrites, rows and time."""
    t_file = time.perf_counter()
    if m.error is not None:
        err = StatementError(m.error.line, m.error.column, "42601", m.error.message)
        return MigrationRun(m.display_path, m.version, True, "failed", err)
    pid = int(conn.info.backend_pid)
    traces: list[StatementTrace] = []
    in_tx = not outside_transaction(m)
    if in_tx:
        conn.execute("BEGIN")
    # Relations created by this file block nobody (in its transaction no one else sees them).
    existing = set(_relfilenodes(conn))
    for st in m.statements:
        if skip and st.index in skip:
            traces.append(StatementTrace(st.line, st.kind, st.sql, 0.0, None))
            continue
        own_tx = not in_tx and not needs_autocommit(st)
        if own_tx:
            conn.execute("BEGIN")  # autocommit file: one statement per transaction, same effect, traceable
        before_nodes = _relfilenodes(conn)
        t_stmt = time.perf_counter()
        try:
            if not in_tx and needs_autocommit(st):
                rows, duration, found = _run_watched(conn, st, pid, watcher)
            else:
                before_locks = _locks(conn, pid)
                t0 = time.perf_counter()
                cur = conn.execute(st.sql.encode("utf-8"), prepare=False)
                duration = _ms(t0)
                rows = cur.rowcount if cur.rowcount >= 0 else None
                found = _locks(conn, pid) - before_locks
        except psycopg.Error as exc:
            error = error_from(exc, m, st.start, st)
            if in_tx or own_tx:
                _rollback(conn)
            traces.append(StatementTrace(st.line, st.kind, st.sql, _ms(t_stmt), None))
            return MigrationRun(m.display_path, m.version, True, "failed", error, tuple(traces), _ms(t_file))
        after_nodes = _relfilenodes(conn)
        if own_tx:
            conn.execute("COMMIT")
        locks = _sorted_locks(found, existing)
        rewrites = _rewrites(before_nodes, after_nodes)
        traces.append(StatementTrace(st.line, st.kind, st.sql, duration, rows, locks, rewrites))
    if in_tx:
        try:
            conn.execute("COMMIT")
        except psycopg.Error as exc:  # deferred constraints fail at commit
            last = m.statements[-1] if m.statements else None
            error = error_from(exc, m, last.start if last else 0, last)
            return MigrationRun(m.display_path, m.version, True, "failed", error, tuple(traces), _ms(t_file))
    return MigrationRun(m.display_path, m.version, True, "applied", None, tuple(traces), _ms(t_file))


def _run_watched(
    conn: psycopg.Connection[Any], st: Statement, pid: int, watcher: Callable[[], psycopg.Connection[Any]]
) -> tuple[int | None, float, set[tuple[int, str, str, str]]]:
    """Run an autocommit-only statement while a second session samples its locks.

    Locks taken outside a transaction are gone when the statement returns, so they are watched
    while it runs. For CONCURRENTLY, a third session holds a snapshot open: the statement then waits
    for it (holding its locks) until the watcher has seen them, so the observation is certain.
    """
    found: set[tuple[int, str, str, str]] = set()
    result: dict[str, Any] = {}

    def work() -> None:
        t0 = time.perf_counter()
        try:
            cur = conn.execute(st.sql.encode("utf-8"), prepare=False)
            result["rows"] = cur.rowcount if cur.rowcount >= 0 else None
        except psycopg.Error as exc:
            result["error"] = exc
        result["ms"] = _ms(t0)

    with watcher() as watch, watcher() as holder:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        holder.execute("SELECT 1")
        holding = True
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while thread.is_alive():
            # Ask whether it waits for the held snapshot *before* sampling: while it waits it cannot
            # release anything, so the sample that follows is certain to see its locks.
            waiting = None
            if holding:
                waiting = watch.execute("select wait_event from pg_stat_activity where pid = %s", (pid,)).fetchone()
            found |= _locks(watch, pid)
            if holding and (found or (waiting and waiting[0] == "virtualxid")):
                holder.execute("COMMIT")
                holding = False
            thread.join(0.002)
        if holding:
            holder.execute("COMMIT")
    if "error" in result:
        raise result["error"]
    return result.get("rows"), float(result.get("ms", 0.0)), found
