"""Fixtures for our C libraries (pgext/): build and install them, and run a real server loading them.

The libraries are built with the real toolchain (`make -C pgext`) and installed into the server's
pkglibdir when the installed copy is missing or differs. The server starts from the dry run's
private install tree (dryrun/sharetree.py), which offers the `vector` stand-in exactly as in
production. Only where that tree cannot be built (an unrecognised installation layout) are the
stand-in's control and SQL files installed into the system extension folder, under a temporary,
test-only name (``mg_test_vector_<pid>``) removed at the end of the session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dryrun_servers import fresh_database
from migration_guard.dryrun import sharetree
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir

ROOT = Path(__file__).resolve().parents[2]
PGEXT = ROOT / "pgext"
STANDIN = ROOT / "app" / "migration_guard" / "dryrun" / "standins" / "vector"
MIGRATOR = "migrator"  # plays Supabase's `postgres`: CREATEROLE, not a superuser


def _pg_config_path() -> str | None:
    """The server's own pg_config (same major as the test server), else the one on PATH."""
    beside = find_bin_dir() / "pg_config"
    return str(beside) if beside.exists() else shutil.which("pg_config")


def _pg_config(flag: str) -> Path:
    out = subprocess.run([str(_pg_config_path()), flag], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


@pytest.fixture(scope="session")
def pgext_installed() -> Path:
    """Build pgext/ and make sure pkglibdir holds this build; returns pkglibdir."""
    pg_config = _pg_config_path()
    missing = [tool for tool in ("gcc", "make") if shutil.which(tool) is None] + ([] if pg_config else ["pg_config"])
    if missing:
        pytest.skip(f"cannot build pgext/: {', '.join(missing)} not installed (postgresql-server-dev-15, gcc, make)")
    make = ["make", "-C", str(PGEXT), f"PG_CONFIG={pg_config}"]
    build = subprocess.run(make, capture_output=True, text=True, check=False)
    if build.returncode != 0:
        pytest.fail(f"make -C pgext failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
    pkglibdir = _pg_config("--pkglibdir")
    stale = [
        name
        for name in ("mg_vector.so", "mg_guard.so", "mg_privileged.so")
        if not (pkglibdir / name).exists() or (pkglibdir / name).read_bytes() != (PGEXT / name).read_bytes()
    ]
    if stale:
        install = subprocess.run([*make, "install"], capture_output=True, text=True, check=False)
        if install.returncode != 0:
            pytest.fail(f"make -C pgext install failed (needs write access to {pkglibdir}):\n{install.stderr[-3000:]}")
    return pkglibdir


@pytest.fixture(scope="session")
def share_tree(pgext_installed: Path) -> sharetree.ShareTree | None:
    """The dry run's private install tree, when it offers our `vector` (None otherwise)."""
    tree = sharetree.build(find_bin_dir())
    return tree if tree is not None and "vector" in tree.standins else None


@pytest.fixture(scope="session")
def vector_ext(share_tree: sharetree.ShareTree | None) -> Iterator[str]:
    """The name to CREATE EXTENSION the stand-in by: `vector` from the share tree, else a temporary
    test-only name installed into the system extension folder."""
    if share_tree is not None:
        yield "vector"
        return
    name = f"mg_test_vector_{os.getpid()}"
    extdir = _pg_config("--sharedir") / "extension"
    control = (STANDIN / "vector.control").read_text()
    sql_files = sorted(STANDIN.glob("vector--*.sql"))
    assert len(sql_files) == 1, sql_files
    version = sql_files[0].name.removeprefix("vector--").removesuffix(".sql")
    written = [extdir / f"{name}.control", extdir / f"{name}--{version}.sql"]
    try:
        written[0].write_text(control)
        shutil.copyfile(sql_files[0], written[1])
    except PermissionError:
        pytest.skip(f"cannot write the test extension into {extdir} (not root)")
    try:
        yield name
    finally:
        for path in written:
            path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def guard_server(share_tree: sharetree.ShareTree | None) -> Iterator[LocalPostgres]:
    """A real server with mg_guard preloaded, roles shaped like the dry run's.

    The bootstrap superuser is `postgres` here (LocalPostgres' initdb); `supabase_admin` exists as a
    second superuser, and `migrator` is the non-superuser CREATEROLE role that migrations run as.
    """
    executable = share_tree.postgres if share_tree is not None else None
    with LocalPostgres(settings={"shared_preload_libraries": "mg_guard"}, executable=executable) as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE ROLE supabase_admin SUPERUSER LOGIN")
            conn.execute(f"CREATE ROLE {MIGRATOR} LOGIN CREATEROLE CREATEDB BYPASSRLS")
            for role in ("anon", "authenticated", "service_role"):
                conn.execute(f"CREATE ROLE {role} NOLOGIN")
                conn.execute(f"GRANT {role} TO {MIGRATOR} WITH ADMIN OPTION")
        yield server


@contextlib.contextmanager
def _database(server: LocalPostgres) -> Iterator[str]:
    """A database owned by the migrator role; yields a conninfo that logs in as the migrator."""
    with fresh_database(server, owner=MIGRATOR) as name:
        yield server.conninfo(dbname=name, user=MIGRATOR)


@pytest.fixture
def migrator_db(guard_server: LocalPostgres) -> Iterator[str]:
    """A fresh database for tests that create the extension themselves."""
    with _database(guard_server) as conninfo:
        yield conninfo


@pytest.fixture(scope="session")
def shared_migrator_db(guard_server: LocalPostgres) -> Iterator[str]:
    """One database for the tests that only need a place to run (a database costs ~1 s to make)."""
    with _database(guard_server) as conninfo:
        yield conninfo


@pytest.fixture(scope="session")
def vector_shared_db(guard_server: LocalPostgres, vector_ext: str) -> Iterator[str]:
    with _database(guard_server) as conninfo:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"CREATE EXTENSION {vector_ext}")
        yield conninfo


@pytest.fixture
def vector_db(vector_shared_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection, as the migrator, to a database with the stand-in `vector` in public; the test's
    tables go into a fresh schema of its own (first on search_path), dropped afterwards."""
    schema = f"s_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(vector_shared_db, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path = {schema}, public")
        try:
            yield conn
        finally:
            conn.execute("RESET ALL")
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
