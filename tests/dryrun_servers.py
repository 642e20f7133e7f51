"""Real PostgreSQL servers and throwaway databases for tests, shaped like the dry run's where asked,
and the private TMPDIR in which a dry run's own server must leave nothing behind.

Shared by tests/conftest.py, tests/dryrun/, tests/pgext/ and tests/commands/ so that every test
database is created and dropped, and every leftover looked for, the same way."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path

import psycopg
import pytest

from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, SUPERUSER, apply_bootstrap
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.sharetree import build

__all__ = [
    "as_migration_role",
    "assert_nothing_left",
    "bootstrapped_database",
    "dry_run_server",
    "fresh_database",
    "private_tmp",
    "processes_mentioning",
    "server_reachable_folder",
]


@contextlib.contextmanager
def fresh_database(server: LocalPostgres, owner: str | None = None) -> Iterator[str]:
    """A new, uniquely named database on `server` (owned by `owner` if given); yields its name."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f" OWNER {owner}" if owner else ""))
    try:
        yield name
    finally:
        # FORCE: a failed test may leave its connections open.
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def dry_run_server(standins: Collection[str] = ()) -> Iterator[LocalPostgres]:
    """A server shaped like the dry run's: superuser supabase_admin, run from the private install
    tree, which must offer the named `standins`."""
    tree = build(find_bin_dir())
    assert tree is not None and set(standins) <= tree.standins, "the share tree must offer the stand-ins"
    with LocalPostgres(superuser=SUPERUSER, executable=tree.postgres) as server:
        yield server


@contextlib.contextmanager
def bootstrapped_database(server: LocalPostgres) -> Iterator[str]:
    """A dry-run database: a fresh one with the Supabase bootstrap, as the dry run prepares it;
    yields its URL."""
    with fresh_database(server) as name:
        with psycopg.connect(server.conninfo(name)) as conn:
            assert apply_bootstrap(conn) == MIGRATION_ROLE
        yield server.url(name)


def as_migration_role(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A connection as the migration role (`postgres`), with the search path Supabase gives it."""
    conn = psycopg.connect(url, user=MIGRATION_ROLE)
    conn.execute('set search_path = "$user", public, extensions')
    return conn


@contextlib.contextmanager
def server_reachable_folder(prefix: str, mode: int) -> Iterator[Path]:
    """A new folder under /tmp with `mode`, so that the server's unprivileged user can reach it
    (pytest's tmp_path is root-only); removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(mode)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """A TMPDIR the unprivileged server user can traverse; import this fixture into a test module."""
    with server_reachable_folder("mg-test-tmp-", 0o755) as d:
        yield d


def processes_mentioning(text: str) -> list[int]:
    """The ids of the processes whose command line contains `text`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


def assert_nothing_left(private_tmp: Path) -> None:
    """No process runs from the dry run's TMPDIR any more, and its temp folder is gone."""
    assert processes_mentioning(str(private_tmp)) == []
    assert list(private_tmp.iterdir()) == []
