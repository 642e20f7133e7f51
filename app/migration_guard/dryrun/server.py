"""The dry run's server as every provider hands it over, and the few things done to any server.

Shared by ``providers.py`` (url, local) and ``docker.py`` (which ``providers`` loads only when the
Docker provider is asked for): neither imports the other for these.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

DRYRUN_DB = "migration_guard_dryrun"

# Called once on a fresh server with it and the dry-run database created: apply the bootstrap.
Prepare = Callable[["Server"], None]


# Every superuser session of ours resolves names only in pg_catalog: after PR SQL has run, an
# operator or function it defined in public (or any schema) can never be called with our rights.
# Connection options outrank per-database settings, which the database owner (PR SQL) may change.
ADMIN_OPTIONS = "-c search_path=pg_catalog,pg_temp"


def harden(conninfo: str) -> str:
    """``conninfo`` with ``ADMIN_OPTIONS`` added to its ``options``."""
    params = conninfo_to_dict(conninfo)
    options = str(params.get("options") or "")
    params["options"] = f"{options} {ADMIN_OPTIONS}".strip()
    return make_conninfo("", **params)


@dataclass
class Server:
    provider_name: str
    version: str
    dbname: str
    _conninfo: Callable[[str], str]
    _url: Callable[[str], str]
    extra: dict[str, Any] = field(default_factory=dict)

    def conninfo(self, db: str | None = None) -> str:
        """The superuser's connection string (hardened search_path)."""
        return harden(self._conninfo(db or self.dbname))

    def role_conninfo(self, user: str, db: str | None = None) -> str:
        """A connection string for ``user`` (the migration role), with the database's own settings."""
        return make_conninfo(self._conninfo(db or self.dbname), user=user)

    def url(self, db: str | None = None) -> str:
        return self._url(db or self.dbname)


def server_version(conninfo: str) -> str:
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute("show server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def create_database(admin_conninfo: str, name: str) -> None:
    with psycopg.connect(admin_conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')


def drop_database(admin_conninfo: str, name: str) -> None:
    with contextlib.suppress(psycopg.Error), psycopg.connect(admin_conninfo, autocommit=True, connect_timeout=10) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
