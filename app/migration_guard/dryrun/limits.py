"""Resource limits for pull-request SQL in the dry run (issue 10, "Resource limits").

PR SQL is hostile: it may sleep forever, recurse forever or fill the disk. Four limits bound it:

- ``statement_timeout`` (default 60 s): set for the migration role in the dry-run database, and
  enforced from outside too, because a migration may ``SET statement_timeout = 0`` (every
  ``pg_dump`` output does): a watchdog cancels a statement still running at twice the limit.
- ``temp_file_limit``: a superuser-only setting, so the migration role cannot lift it.
- the data folder's growth: the watchdog measures the database and the WAL folder and cancels the
  migration's statement when they have grown more than the disk limit since the run began.
- a wall-clock budget for the whole plan: when it runs out, every session on the dry-run database
  (other than the watchdog's) is terminated and the plan stops.

The watchdog is one thread with its own superuser connection, polling a few times a second; it
records which limit it enforced so the report can name it. Pure parsing helpers come first.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_STATEMENT_TIMEOUT = "60s"
DEFAULT_TIME_BUDGET = "10min"
DEFAULT_DISK_LIMIT = "2GB"
POLL_SECONDS = 0.2

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|m|min|mins|h|hr|hrs)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600, "hr": 3600,
          "hrs": 3600}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|k|m|g|t)?\s*$", re.IGNORECASE)
_BYTES = {"b": 1, "kb": 1 << 10, "k": 1 << 10, "mb": 1 << 20, "m": 1 << 20, "gb": 1 << 30, "g": 1 << 30,
          "tb": 1 << 40, "t": 1 << 40}


def parse_duration(text: str) -> float:
    """``"60s"``, ``"500ms"``, ``"2min"``, ``"1h"`` or plain seconds → seconds (> 0)."""
    m = _DURATION.match(str(text))
    if m is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 500ms, 2min, 1h)")
    seconds = float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]
    if seconds <= 0:
        raise ValueError(f"{text!r}: a limit must be greater than zero")
    return seconds


def parse_size(text: str) -> int:
    """``"2GB"``, ``"500MB"``, ``"64kB"`` or plain bytes → bytes (> 0)."""
    m = _SIZE.match(str(text))
    if m is None:
        raise ValueError(f"{text!r} is not a size (e.g. 500MB, 2GB)")
    size = int(float(m.group(1)) * _BYTES[(m.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError(f"{text!r}: a limit must be greater than zero")
    return size


def show_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120 or seconds % 60:
        return f"{seconds:g}s"
    return f"{seconds / 60:g}min"


def show_size(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g}{unit}"
    return f"{size}B"


@dataclass(frozen=True)
class Limits:
    statement_timeout: float = parse_duration(DEFAULT_STATEMENT_TIMEOUT)  # seconds
    time_budget: float = parse_duration(DEFAULT_TIME_BUDGET)  # seconds, the whole plan
    disk_limit: int = parse_size(DEFAULT_DISK_LIMIT)  # bytes: temp files per session, and data growth

    @classmethod
    def parse(cls, statement_timeout: str | None, time_budget: str | None, disk_limit: str | None) -> Limits:
        """From the user's strings (None = default); a bad value raises ValueError naming it."""
        return cls(
            parse_duration(statement_timeout or DEFAULT_STATEMENT_TIMEOUT),
            parse_duration(time_budget or DEFAULT_TIME_BUDGET),
            parse_size(disk_limit or DEFAULT_DISK_LIMIT),
        )


# The limits, as the report names them, with the option that raises each.
STATEMENT_TIMEOUT = "statement_timeout"
TEMP_FILE_LIMIT = "temp_file_limit"
DISK_LIMIT = "disk limit"
TIME_BUDGET = "time budget"
RAISE_WITH = {
    STATEMENT_TIMEOUT: "--statement-timeout (setting `dry-run-statement-timeout`)",
    TEMP_FILE_LIMIT: "--disk-limit (setting `dry-run-disk-limit`)",
    DISK_LIMIT: "--disk-limit (setting `dry-run-disk-limit`)",
    TIME_BUDGET: "--time-budget (setting `dry-run-time-budget`)",
}


@dataclass(frozen=True)
class LimitHit:
    name: str  # one of the four above
    value: str  # the limit as set, e.g. "60s"
    detail: str = ""  # what was measured

    def message(self) -> str:
        extra = f": {self.detail}" if self.detail else ""
        return f"dry-run limit reached: {self.name} ({self.value}){extra}; the statement was stopped"

    def hint(self) -> str:
        return (f"the dry run stops PR SQL that runs this long or writes this much, and tears its server down; "
                f"if this migration really needs more, raise it with {RAISE_WITH[self.name]}")


def hit_from_error(sqlstate: str | None, message: str, limits: Limits) -> LimitHit | None:
    """A limit the server itself enforced (the statement_timeout or temp_file_limit setting)."""
    if sqlstate == "57014" and "statement timeout" in message:
        return LimitHit(STATEMENT_TIMEOUT, show_duration(limits.statement_timeout))
    if sqlstate == "53400" and "temp_file_limit" in message:
        return LimitHit(TEMP_FILE_LIMIT, show_size(limits.disk_limit), "temporary files of one session")
    return None


def role_settings(limits: Limits) -> dict[str, str]:
    """Settings for the migration role in the dry-run database (``ALTER ROLE … IN DATABASE … SET``)."""
    return {
        "statement_timeout": f"{int(limits.statement_timeout * 1000)}ms",
        "temp_file_limit": f"{max(1, limits.disk_limit // 1024)}kB",
    }


def apply_role_settings(admin: Any, role: str, dbname: str, limits: Limits) -> None:
    from psycopg import sql

    for name, value in role_settings(limits).items():
        admin.execute(sql.SQL("alter role {} in database {} set {} = {}").format(
            sql.Identifier(role), sql.Identifier(dbname), sql.Identifier(name), sql.Literal(value)))


# -- the watchdog ---------------------------------------------------------------------------------
SIZE_SQL = "select pg_database_size(current_database())"
WAL_SQL = "select coalesce(sum(size), 0) from pg_ls_waldir()"
RUNNING_SQL = """
select pid, extract(epoch from now() - query_start)
from pg_stat_activity
where datname = current_database() and usename = %s and state = 'active' and pid <> pg_backend_pid()
"""
OTHERS_SQL = "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"


class Watchdog:
    """Enforces the limits PR SQL could lift or that no setting covers, from a second session.

    ``connect`` opens a superuser connection to the dry-run database. ``deadline`` is the
    ``time.monotonic()`` at which the plan's budget runs out. ``own_server``: the WAL folder is ours
    to count (not on a shared ``--postgres-url`` server).
    """

    def __init__(
        self, connect: Callable[[], Any], role: str, limits: Limits, deadline: float, own_server: bool = True
    ) -> None:
        self.connect = connect
        self.role = role
        self.limits = limits
        self.deadline = deadline
        self.own_server = own_server
        self.hit: LimitHit | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._start_size = 0

    # The measured size: the database's files, plus the WAL written for them on our own server.
    def _size(self) -> int:
        size = int(self._conn.execute(SIZE_SQL).fetchone()[0])
        if self.own_server:
            with contextlib.suppress(Exception):
                size += int(self._conn.execute(WAL_SQL).fetchone()[0])
        return size

    def start(self) -> Watchdog:
        self._conn = self.connect()
        self._start_size = self._size()
        self._thread = threading.Thread(target=self._loop, name="migration-guard-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()

    def __enter__(self) -> Watchdog:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        cancelled: dict[int, float] = {}
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._check(cancelled)
            except Exception:  # the server went away (teardown, our own termination): nothing left to watch
                if self._stop.is_set():
                    return
                time.sleep(POLL_SECONDS)

    def _check(self, cancelled: dict[int, float]) -> None:
        now = time.monotonic()
        if now >= self.deadline:
            if self.hit is None:
                self.hit = LimitHit(TIME_BUDGET, show_duration(self.limits.time_budget), "the whole plan")
            for (pid,) in self._conn.execute(OTHERS_SQL).fetchall():
                self._conn.execute("select pg_terminate_backend(%s)", (pid,))
            return
        grown = self._size() - self._start_size
        over_disk = grown > self.limits.disk_limit
        # Twice the setting: the server's own timeout fires first unless the migration lifted it.
        allowed = max(self.limits.statement_timeout * 2, self.limits.statement_timeout + 1)
        for pid, seconds in self._conn.execute(RUNNING_SQL, (self.role,)).fetchall():
            pid = int(pid)
            if pid in cancelled:
                if now - cancelled[pid] > 5:  # a cancel it ignored (a C loop without interrupts)
                    self._conn.execute("select pg_terminate_backend(%s)", (pid,))
                continue
            if over_disk:
                if self.hit is None:
                    self.hit = LimitHit(DISK_LIMIT, show_size(self.limits.disk_limit),
                                        f"the dry-run database grew by {show_size(grown)}")
            elif seconds is not None and float(seconds) > allowed:
                if self.hit is None:
                    self.hit = LimitHit(STATEMENT_TIMEOUT, show_duration(self.limits.statement_timeout),
                                        "the migration turned the setting off; stopped by the watchdog")
            else:
                continue
            self._conn.execute("select pg_cancel_backend(%s)", (pid,))
            cancelled[pid] = now
        for pid in [p for p, t in cancelled.items() if now - t > 30]:
            del cancelled[pid]
