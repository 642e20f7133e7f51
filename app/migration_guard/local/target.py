"""Is a database URL a local development database? `reset` refuses anything else by default."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict

from migration_guard.errors import UserError
from migration_guard.redact import describe_database

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def hosts(url: str) -> list[str]:
    """The hosts libpq would connect to; "" stands for the default unix socket."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise UserError("--database-url is not a valid PostgreSQL connection URL or DSN") from None
    raw = str(
        params.get("hostaddr") or params.get("host") or os.environ.get("PGHOSTADDR") or os.environ.get("PGHOST") or ""
    )
    return [h.strip() for h in raw.split(",")] if raw else [""]


def is_local(url: str) -> bool:
    """localhost, a loopback address, or a unix socket (an empty host or a path)."""
    return all(h == "" or h.startswith("/") or h.startswith("@") or h.lower() in LOCAL_HOSTS for h in hosts(url))


def require_local(url: str, force_remote: bool, action: str = "reset") -> None:
    if is_local(url) or force_remote:
        return
    why = "reset drops schemas" if action == "reset" else "seed writes made-up rows"
    raise UserError(
        f"refusing to {action} {describe_database(url)}: not a local database (localhost, 127.0.0.1, ::1 or a unix "
        f"socket); {why}, so it is for development databases only (pass --force-remote if this really is a "
        "disposable database)"
    )
