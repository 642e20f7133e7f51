"""Where the dry run's throwaway PostgreSQL comes from (issue 3, "Ephemeral Postgres").

``ephemeral_postgres(kind, url, bin_dir, cache_dir)`` is a context manager yielding a ``Server``:
``.conninfo(db)`` / ``.url(db)`` (superuser), ``.version``, ``.provider_name`` and ``.dbname``, the
database the dry run owns. Providers, tried in this order unless ``kind`` names one:

1. ``url``: a server the user provides (a workflow service container). The dry run creates its own
   database there and drops it on exit.
2. ``local``: server binaries on this machine (``LocalPostgres``), optionally from a prepared data
   dir in ``cache_dir`` keyed by major version and bootstrap hash.
3. ``docker``: the Docker engine through the ``docker`` SDK (``dryrun/docker.py``).

Everything is torn down on exit, on errors and on KeyboardInterrupt / SystemExit (the plan command
turns SIGTERM into SystemExit so this runs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from migration_guard.dryrun.local import LocalPostgres, copy_data_dir, find_bin_dir, major_version
from migration_guard.errors import UserError
from migration_guard.redact import describe_database

DRYRUN_DB = "migration_guard_dryrun"
KINDS = ("url", "local", "docker")

# Called once on a fresh server with it and the dry-run database created: apply the bootstrap.
Prepare = Callable[["Server"], None]


@dataclass
class Server:
    provider_name: str
    version: str
    dbname: str
    _conninfo: Callable[[str], str]
    _url: Callable[[str], str]
    extra: dict[str, Any] = field(default_factory=dict)

    def conninfo(self, db: str | None = None) -> str:
        return self._conninfo(db or self.dbname)

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


# -- url ------------------------------------------------------------------------------------------
def _with_dbname(url: str, db: str) -> str:
    if "://" in url:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(db), parts.query, parts.fragment))
    fields = [item for item in url.split() if not item.startswith("dbname=")]
    return " ".join([*fields, f"dbname={db}"])


@contextlib.contextmanager
def url_server(url: str, prepare: Prepare | None) -> Iterator[Server]:
    name = f"migration_guard_dryrun_{uuid.uuid4().hex[:10]}"
    try:
        version = server_version(url)
    except psycopg.Error as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        from migration_guard.redact import redact

        raise UserError(f"cannot connect to --postgres-url ({describe_database(url)}): {redact(msg, [url])}") from None
    create_database(url, name)
    try:
        server = Server("url", version, name, lambda db: _with_dbname(url, db), lambda db: _with_dbname(url, db))
        if prepare is not None:
            prepare(server)
        yield server
    finally:
        drop_database(url, name)


# -- local ----------------------------------------------------------------------------------------
def cron_available(bin_dir: Path) -> bool:
    """pg_cron's control file next to this server's extensions (Debian: postgresql-NN-cron)."""
    from migration_guard.dryrun.extensions import local_extensions

    return "pg_cron" in (local_extensions(bin_dir) or set())


def local_settings(bin_dir: Path, dbname: str) -> dict[str, str]:
    # pg_cron refuses CREATE EXTENSION unless preloaded and pointed at the database (REPLAY.md, dbdev).
    if cron_available(bin_dir):
        return {"shared_preload_libraries": "pg_cron", "cron.database_name": dbname}
    return {}


def _local_version(server: LocalPostgres) -> str:
    return server_version(server.conninfo(DRYRUN_DB))


@contextlib.contextmanager
def local_server(
    bin_dir: Path | None, cache_dir: Path | None, prepare: Prepare | None, prepare_key: str
) -> Iterator[Server]:
    resolved = find_bin_dir(bin_dir)
    settings = local_settings(resolved, DRYRUN_DB)
    template: Path | None = None
    if cache_dir is not None:
        major = major_version(resolved)
        key = f"pg{major}-{prepare_key or 'plain'}{'-cron' if settings else ''}"
        template = cache_dir / key
        if not (template / "PG_VERSION").exists():
            _prepare_cache(resolved, settings, prepare, template)
    with LocalPostgres(resolved, settings=settings, template_data_dir=template) as pg:
        if template is None:
            create_database(pg.conninfo(), DRYRUN_DB)
        server = Server("local", _local_version(pg), DRYRUN_DB, lambda db: pg.conninfo(db), lambda db: pg.url(db))
        server.extra["local"] = pg
        if template is None and prepare is not None:
            prepare(server)
        yield server


def _prepare_cache(bin_dir: Path, settings: dict[str, str], prepare: Prepare | None, target: Path) -> None:
    """Build a data dir with the dry-run database prepared, stop cleanly, move it into the cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with LocalPostgres(bin_dir, settings=settings) as pg:
            server = Server("local", "", DRYRUN_DB, lambda db: pg.conninfo(db), lambda db: pg.url(db))
            create_database(pg.conninfo(), DRYRUN_DB)
            if prepare is not None:
                prepare(server)
            with psycopg.connect(pg.conninfo(DRYRUN_DB), autocommit=True) as conn:
                # The dry run needs only its own database: fewer bytes to copy on every start.
                conn.execute("DROP DATABASE postgres")
                conn.execute("ALTER DATABASE template1 IS_TEMPLATE false")
                conn.execute("DROP DATABASE template1")
                conn.execute("CHECKPOINT")
            proc, pg.proc = pg.proc, None
            if proc is not None:  # a clean (fast) shutdown leaves a consistent data dir to copy
                proc.send_signal(2)
                proc.wait(timeout=30)
            copy_data_dir(pg.data_dir, staging / "data")
        for leftover in ("postmaster.pid", "postmaster.opts"):
            (staging / "data" / leftover).unlink(missing_ok=True)
        try:
            os.rename(staging / "data", target)  # atomic: a concurrent run sees all or nothing
        except OSError:
            if not (target / "PG_VERSION").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- the entry point ------------------------------------------------------------------------------
@contextlib.contextmanager
def ephemeral_postgres(
    kind: str | None,
    url: str | None,
    bin_dir: Path | None,
    cache_dir: Path | None,
    *,
    image: str | None = None,
    prepare: Prepare | None = None,
    prepare_key: str = "",
    docker_client: Any = None,
) -> Iterator[Server]:
    """A throwaway server with the dry-run database created (and prepared); torn down on exit."""
    if kind is None:
        kind = "url" if url else _auto_kind(bin_dir)
    if kind == "url":
        if not url:
            raise UserError("--postgres url needs --postgres-url URL (or MIGRATION_GUARD_POSTGRES_URL)")
        with url_server(url, prepare) as server:
            yield server
    elif kind == "local":
        with local_server(bin_dir, cache_dir, prepare, prepare_key) as server:
            yield server
    elif kind == "docker":
        from migration_guard.dryrun.docker import docker_server

        with docker_server(image, prepare, client=docker_client) as server:
            yield server
    else:
        raise UserError(f"unknown --postgres {kind!r} (choose from {', '.join(KINDS)})")


def _auto_kind(bin_dir: Path | None) -> str:
    try:
        find_bin_dir(bin_dir)
        return "local"
    except UserError:
        if bin_dir is not None:
            raise
    if shutil.which("docker") or Path("/var/run/docker.sock").exists():
        return "docker"
    raise UserError(
        "no PostgreSQL for the dry run: install server binaries (Debian: apt-get install postgresql), "
        "pass --postgres-url of a service container, or use --postgres docker"
    )
