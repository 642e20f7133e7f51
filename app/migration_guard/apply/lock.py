"""The session advisory lock that keeps two deploys from interleaving.

``pg_try_advisory_lock`` polled until a deadline (like Flyway) rather than a blocking
``pg_advisory_lock``: a blocked call cannot be given up cleanly, and we want a clear
"another deploy is in progress" after a bounded wait. Session-level, so it spans the per-file
transactions and is released by the server if our process dies.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from migration_guard.errors import UserError

# A fixed 64-bit key (the bytes of "MG_DEPLY"); any constant works, it only must never change.
LOCK_KEY = 0x4D47_5F44_4550_4C59
POLL_SECONDS = 0.2


def acquire(conn: psycopg.Connection[Any], wait_seconds: float) -> None:
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() >= deadline:
            # pg_locks shows a bigint key as classid (high 32 bits) and objid (low 32 bits).
            holder = conn.execute(
                "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.objsubid = 1 AND l.classid::text::bigint = %s AND l.objid::text::bigint = %s "
                "AND l.pid <> pg_backend_pid() LIMIT 1",
                (LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF),
            ).fetchone()
            who = f" (held by backend pid {holder[0]} since {holder[2]:%H:%M:%S})" if holder else ""
            raise UserError(
                f"another deploy is in progress{who}: waited {wait_seconds:g}s for its lock; "
                "try again when it finishes",
                exit_code=1,
            )
        time.sleep(POLL_SECONDS)


def release(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
