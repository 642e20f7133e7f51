"""Where the dry run's throwaway PostgreSQL comes from (issue 3, "Ephemeral Postgres").

``ephemeral_postgres(kind, url, bin_dir, cache_dir)`` is a context manager yielding a ``Server``:
``.conninfo(db)`` (superuser, search_path pinned to pg_catalog), ``.role_conninfo(user)`` (the
migration role), ``.version``, ``.provider_name`` and ``.dbname``, the database the dry run owns.
Providers, tried in this order unless ``kind`` names one:

1. ``url``: a server the user provides (a workflow service container). The dry run creates its own
   database there and drops it on exit.
2. ``local``: server binaries on this machine (``LocalPostgres``), superuser ``supabase_admin``,
   started from a private install tree (``sharetree.py``: our extension folder), optionally from a
   prepared data dir in ``cache_dir`` keyed by major version, bootstrap hash and preloads.
3. ``docker``: the Docker engine through the ``docker`` SDK (``dryrun/docker.py``).

Everything is torn down on exit, on errors and on KeyboardInterrupt / SystemExit (`interrupts.py`
turns SIGTERM into KeyboardInterrupt so this runs).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from migration_guard.dryrun.local import (
    SHARED_MANIFEST,
    LocalPostgres,
    copy_data_dir,
    find_bin_dir,
    major_version,
    minimal_env,
)
from migration_guard.dryrun.server import (
    DRYRUN_DB,
    Prepare,
    Server,
    create_database,
    drop_database,
    server_version,
)
from migration_guard.dryrun.sharetree import ShareTree
from migration_guard.errors import UserError
from migration_guard.redact import describe_database

KINDS = ("url", "local", "docker")


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


def guard_available(bin_dir: Path) -> bool:
    """mg_guard.so (pgext/) in this server's library folder: then the migration role gets CREATEROLE."""
    from migration_guard.dryrun.sharetree import layout

    lay = layout(bin_dir)
    return lay is not None and (lay.pkglib_dir / "mg_guard.so").exists()


def privileged_available(bin_dir: Path) -> bool:
    """mg_privileged.so (pgext/): BYPASSRLS roles and extension-backed foreign-data wrappers as on Supabase."""
    from migration_guard.dryrun.sharetree import layout

    lay = layout(bin_dir)
    return lay is not None and (lay.pkglib_dir / "mg_privileged.so").exists()


def local_settings(bin_dir: Path, dbname: str, strict: bool = False) -> dict[str, str]:
    settings: dict[str, str] = {}
    preload = []
    if guard_available(bin_dir):
        preload.append("mg_guard")
    if privileged_available(bin_dir):  # after mg_guard: its hook runs first and elevates, mg_guard still checks
        preload.append("mg_privileged")
    # pg_cron refuses CREATE EXTENSION unless preloaded and pointed at the database (REPLAY.md, dbdev).
    from migration_guard.dryrun.sharetree import replaced_by_standin

    if cron_available(bin_dir) and not replaced_by_standin(bin_dir, "pg_cron", strict):
        preload.append("pg_cron")
        settings["cron.database_name"] = dbname
    if preload:
        settings["shared_preload_libraries"] = ",".join(preload)
    return settings


def _local_version(server: LocalPostgres) -> str:
    return server_version(server.conninfo(DRYRUN_DB))


def confinement(tree: ShareTree | None) -> tuple[Path, ...] | None:
    """What the local dry-run server may read besides system folders (``confine.py``): its tree and
    the real installation it links to. None (not confined) without a tree."""
    if tree is None:
        return None
    lay = tree.layout
    return (tree.root, lay.bin_dir, lay.share_dir, lay.pkglib_dir)


@contextlib.contextmanager
def local_server(
    bin_dir: Path | None,
    cache_dir: Path | None,
    prepare: Prepare | None,
    prepare_key: str,
    strict_extensions: bool = False,
) -> Iterator[Server]:
    from migration_guard.dryrun.bootstrap import SUPERUSER
    from migration_guard.dryrun.sharetree import build

    resolved = find_bin_dir(bin_dir)
    settings = local_settings(resolved, DRYRUN_DB, strict_extensions)
    tree = build(resolved, strict=strict_extensions, cache_dir=cache_dir)
    executable = tree.postgres if tree is not None else None
    template: Path | None = None
    if cache_dir is not None:
        major = tree.layout.major if tree is not None and tree.layout.major else major_version(resolved)
        flags = "".join(f"-{k}" for k, on in (("tree", tree), ("cron", "cron.database_name" in settings),
                                               ("guard", "mg_guard" in settings.get("shared_preload_libraries", "")))
                        if on)
        template = cache_dir / f"pg{major}-{prepare_key or 'plain'}{flags}"
        if not (template / "PG_VERSION").exists():
            _prepare_cache(resolved, settings, prepare, template, tree)
    with LocalPostgres(
        resolved, settings=settings, template_data_dir=template, superuser=SUPERUSER, executable=executable,
        confine_read=confinement(tree),
    ) as pg:
        if template is None:
            create_database(pg.conninfo(), DRYRUN_DB)
        server = Server("local", _local_version(pg), DRYRUN_DB, lambda db: pg.conninfo(db), lambda db: pg.url(db))
        server.extra["local"] = pg
        server.extra["sharetree"] = tree
        if template is None and prepare is not None:
            prepare(server)
        yield server


def _prepare_cache(
    bin_dir: Path, settings: dict[str, str], prepare: Prepare | None, target: Path, tree: ShareTree | None
) -> None:
    """Build a data dir with the dry-run database prepared, stop cleanly, move it into the cache."""
    from migration_guard.dryrun.bootstrap import SUPERUSER

    executable = tree.postgres if tree is not None else None

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with LocalPostgres(bin_dir, settings=settings, superuser=SUPERUSER, executable=executable,
                           confine_read=confinement(tree)) as pg:
            server = Server("local", "", DRYRUN_DB, lambda db: pg.conninfo(db), lambda db: pg.url(db))
            server.extra["sharetree"] = tree
            create_database(pg.conninfo(), DRYRUN_DB)
            if prepare is not None:
                prepare(server)
            with psycopg.connect(server.conninfo(DRYRUN_DB), autocommit=True) as conn:
                # The dry run needs only its own database and `postgres` (Supabase's database name:
                # migrations grant and revoke on database "postgres"): fewer bytes to copy per start.
                conn.execute("ALTER DATABASE template1 IS_TEMPLATE false")
                conn.execute("DROP DATABASE template1")
                # Nobody connects to `postgres` in a dry run; closed, its folder (like template0's)
                # is never written and each run links it instead of copying (local.SHARED_MANIFEST).
                conn.execute("ALTER DATABASE postgres ALLOW_CONNECTIONS false")
                closed = conn.execute(
                    "select d.oid from pg_catalog.pg_database d join pg_catalog.pg_tablespace t"
                    " on t.oid = d.dattablespace where not d.datallowconn and t.spcname = 'pg_default'"
                ).fetchall()
                conn.execute("CHECKPOINT")
            proc, pg.proc = pg.proc, None
            if proc is not None:  # a clean (fast) shutdown leaves a consistent data dir to copy
                proc.send_signal(2)
                proc.wait(timeout=30)
            copy_data_dir(pg.data_dir, staging / "data")
        data = staging / "data"
        shared = [f"base/{oid}" for (oid,) in closed]
        slim_data_dir(bin_dir, data, shared)
        (data / SHARED_MANIFEST).write_text("".join(f"{rel}\n" for rel in shared))
        for rel in shared:
            seal(data / rel)
        try:
            os.rename(data, target)  # atomic: a concurrent run sees all or nothing
        except OSError:
            if not (target / "PG_VERSION").exists():
                raise
    finally:
        if staging.exists():
            for folder, _, _ in os.walk(staging):
                os.chmod(folder, 0o700)  # sealed folders too (a non-root user cannot remove their files otherwise)
            shutil.rmtree(staging, ignore_errors=True)


def seal(folder: Path) -> None:
    """Make a shared folder of a prepared data dir read-only to its owner, the server's user: files
    0400, so no server opens them for writing (PostgreSQL opens relation files read-write: a session
    that tries, e.g. a connection to the closed database or CREATE DATABASE from template0, fails
    instead of writing into the cache), and the folder 0500, so none can add a file to it (a
    connection attempt writes a relcache init file before it learns the database is closed)."""
    for path in folder.iterdir():
        path.chmod(0o400)
    folder.chmod(0o500)


def slim_data_dir(bin_dir: Path, data: Path, shared: list[str]) -> None:
    """Fewer files for each run to copy out of a cleanly stopped prepared ``data`` dir: the server's
    leftovers, the relcache init files (the server removes them at every start), the free space and
    visibility maps of the copied databases (the server recreates them when it needs them), and
    the WAL segments past the last checkpoint's."""
    for leftover in ("postmaster.pid", "postmaster.opts"):
        (data / leftover).unlink(missing_ok=True)
    for path in data.glob("**/pg_internal.init"):
        path.unlink()
    linked = {data / rel for rel in shared}
    for folder in (data / "global", *(d for d in (data / "base").iterdir() if d not in linked)):
        for path in folder.iterdir():
            if re.fullmatch(r"\d+_(fsm|vm)", path.name):
                path.unlink()
    trim_wal(bin_dir, data)


def trim_wal(bin_dir: Path, data: Path) -> None:
    """Keep only the WAL segment holding the last checkpoint of a cleanly stopped ``data`` dir: the
    others are recycled or pre-allocated segments (8 of 9 MB), copied for nothing by every run."""
    if not (bin_dir / "pg_controldata").exists():
        return
    proc = subprocess.run([str(bin_dir / "pg_controldata"), "-D", str(data)], capture_output=True, text=True,
                          check=False, env={**minimal_env(), "LC_ALL": "C"})
    state = re.search(r"^Database cluster state:\s*shut down$", proc.stdout, re.MULTILINE)
    redo = re.search(r"^Latest checkpoint's REDO WAL file:\s*(\S+)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not state or not redo or not (data / "pg_wal" / redo.group(1)).is_file():
        return
    for segment in (data / "pg_wal").iterdir():
        if segment.is_file() and re.fullmatch(r"[0-9A-F]{24}", segment.name) and segment.name != redo.group(1):
            segment.unlink()


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
    strict_extensions: bool = False,
) -> Iterator[Server]:
    """A throwaway server with the dry-run database created (and prepared); torn down on exit.
    ``strict_extensions``: the local server offers no stand-ins."""
    if kind is None:
        kind = "url" if url else _auto_kind(bin_dir)
    if kind == "url":
        if not url:
            raise UserError("--postgres url needs --postgres-url URL (or MIGRATION_GUARD_POSTGRES_URL)")
        with url_server(url, prepare) as server:
            yield server
    elif kind == "local":
        with local_server(bin_dir, cache_dir, prepare, prepare_key, strict_extensions) as server:
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
