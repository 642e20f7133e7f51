"""Replay every migration on the freshly emptied development database, with the Supabase ledger.

This is the deploy's own runner (``migration_guard.apply``): each file in one transaction together
with its ledger row (split exactly like the Supabase CLI), ``no-transaction`` files statement by
statement, under the deploy's advisory lock. So after a reset, ``migration-guard status`` and
``supabase migration list`` agree, and a file that resets cleanly also deploys the same way. The
first failure stops the replay with the file, line and PostgreSQL's message.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable

from migration_guard.apply import lock
from migration_guard.apply.files import LocalMigration
from migration_guard.apply.ledger import AppliedFacts, ensure_ledger, ensure_sidecar
from migration_guard.apply.runner import Runner, RunOptions, apply_session_settings
from migration_guard.errors import UserError
from migration_guard.local.db import Conn

# A local database has no competing sessions worth waiting for: fail fast, never retry for long.
LOCAL_OPTIONS = RunOptions(lock_timeout_ms=10_000, statement_timeout_ms=0, retries=0)


def replay(conn: Conn, migrations: list[LocalMigration], say: Callable[[str], None]) -> float:
    """Apply all files in order; returns the seconds spent."""
    for lm in migrations:
        m = lm.migration
        if m.error is not None:
            raise UserError(f"{m.path}:{m.error.line}:{m.error.column}: {m.error.message}")
    started = time.perf_counter()
    ensure_ledger(conn)
    ensure_sidecar(conn)
    lock.acquire(conn, 10.0)
    try:
        apply_session_settings(conn, LOCAL_OPTIONS)
        runner = Runner(conn, LOCAL_OPTIONS, AppliedFacts(applied_by=getpass.getuser(), environment="local"), say)
        for lm in migrations:
            result = runner.apply_file(lm)
            if result.outcome != "applied":
                raise UserError(
                    f"{lm.path}:{result.line}: migration failed during reset: {result.error}; earlier migrations "
                    "are applied, fix this file and run reset again",
                    exit_code=1,
                )
    finally:
        lock.release(conn)
        conn.execute("reset lock_timeout")
        conn.execute("reset statement_timeout")
    return time.perf_counter() - started
