"""The prepared data folder (``--cache-dir``, the image's baked folder) is what a run starts from, and no
run ever changes it: the folders of template0 and the closed ``postgres`` database are linked into
each run's data dir instead of copied (local.SHARED_MANIFEST), so a server writing into them would
corrupt every later run. These tests write as much as a dry run can and compare the cache byte for
byte (and every file's mtime) before and after."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from migration_guard.dryrun import confine
from migration_guard.dryrun.bootstrap import SUPERUSER
from migration_guard.dryrun.errortext import NO_TEMPLATE, clean
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.providers import confinement, local_settings
from migration_guard.dryrun.server import DRYRUN_DB
from migration_guard.dryrun.sharetree import build
from migration_guard.plan_model import MigrationRun, PlanResult, StatementError

CLI = [sys.executable, "-m", "migration_guard", "plan"]

# Every kind of write a migration does, in every file kind the plan runs: DDL, rows, a table
# rewrite, an index, a no-transaction file (CONCURRENTLY, VACUUM), plus a seed.
WRITES = {
    "1_tables.sql": (
        "create table items (id bigint generated always as identity primary key, name text, n int);\n"
        "insert into items (name, n) select 'item ' || g, g from generate_series(1, 20000) g;\n"
        "create table notes (id int primary key, body text);\n"
    ),
    "2_change.sql": (
        "update items set n = n + 1;\n"
        "delete from items where id % 7 = 0;\n"
        "alter table items alter column n type bigint;\n"
        "grant select on items to anon;\n"
        "create role reporting nologin;\n"
    ),
    "3_concurrently.sql": (
        "-- migration-guard: no-transaction\n"
        "create index concurrently items_name on items (name);\n"
        "vacuum (analyze) items;\n"
    ),
}


@pytest.fixture(name="cache")
def _cache() -> Iterator[Path]:
    """A cache folder the unprivileged server user can traverse (pytest's tmp_path is root-only)."""
    d = Path(tempfile.mkdtemp(prefix="mg-prepared-", dir="/tmp"))
    d.chmod(0o755)
    try:
        yield d / "cache"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under ``root``: kind, mode, owner, size, mtime and content (links: target)."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            if path.is_symlink():
                found[str(path.relative_to(root))] = ("link", os.readlink(path))
            elif path.is_dir():
                found[str(path.relative_to(root))] = ("dir", st.st_mode, st.st_uid)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[str(path.relative_to(root))] = ("file", st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, digest)
    return found


def plan(project: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    args = [*CLI, "--dir", str(project), "--supabase", "on", "--postgres", "local", "--cache-dir", str(cache),
            "--format", "json", "--no-progress"]
    return subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)


def test_a_dry_run_that_writes_starts_from_the_prepared_folder_and_leaves_it_unchanged(
    tmp_path: Path, cache: Path
) -> None:
    project = tmp_path / "supabase" / "migrations"
    project.mkdir(parents=True)
    for name, sql in WRITES.items():
        (project / name).write_text(sql)
    seed = "insert into notes select g, repeat('x', 500) from generate_series(1, 3000) g;\n"
    (project.parent / "seed.sql").write_text(seed)
    first = plan(project, cache)  # prepares the folder, then runs from it
    assert first.returncode == 0, first.stderr
    before = snapshot(cache)
    folders = [p for p in cache.iterdir() if p.name.startswith("pg")]
    assert len(folders) == 1
    shared = (folders[0] / "migration_guard_shared").read_text().split()
    assert len(shared) == 2 and "base/4" in shared  # template0 (fixed OID) and the closed `postgres`

    second = plan(project, cache)
    assert second.returncode == 0, second.stderr
    assert snapshot(cache) == before

    # The same folder under a server with no Landlock at all (as on a kernel without it): the linked
    # folders are read-only to their owner (providers.seal), whatever our superuser does.
    bin_dir = find_bin_dir()
    tree = build(bin_dir, cache_dir=cache)
    assert tree is not None
    pg = LocalPostgres(bin_dir, settings=local_settings(bin_dir, DRYRUN_DB), template_data_dir=folders[0],
                       superuser=SUPERUSER, executable=tree.postgres).start()
    try:
        assert {p.name for p in pg.shared} == {Path(s).name for s in shared}
        for rel in shared:  # linked, not copied
            assert (pg.data_dir / rel).is_symlink() and (pg.data_dir / rel).resolve() == folders[0] / rel
        with psycopg.connect(pg.conninfo(DRYRUN_DB), autocommit=True) as su:
            su.execute("create table big as select g, md5(g::text) from generate_series(1, 50000) g")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Permission denied"):
                su.execute("create database refused template template0")  # opens its files read-write
            su.execute("create database copied template template0 strategy file_copy")  # reads them
            su.execute("vacuum freeze")
            su.execute("checkpoint")
            with pytest.raises(psycopg.OperationalError):  # closed: nothing can write into its files
                psycopg.connect(pg.conninfo("postgres")).close()
        with psycopg.connect(pg.conninfo("copied"), autocommit=True) as other:
            other.execute("create table t as select g from generate_series(1, 10000) g")
            other.execute("checkpoint")
    finally:
        pg.stop()
    assert snapshot(cache) == before


@pytest.mark.skipif(not confine.supported(), reason="the kernel offers no Landlock here")
def test_confined_server_cannot_write_the_linked_folders_and_create_database_says_why(cache: Path) -> None:
    """Under Landlock the linked folders are read-only to the server: CREATE DATABASE (which opens
    its template's files for writing) fails there, and the plan's error text says why."""
    from migration_guard.dryrun.providers import ephemeral_postgres

    with ephemeral_postgres("local", None, None, cache):
        pass  # prepares the folder
    before = snapshot(cache)
    bin_dir = find_bin_dir()
    tree = build(bin_dir, cache_dir=cache)
    folder = next(p for p in cache.iterdir() if p.name.startswith("pg"))
    with LocalPostgres(bin_dir, template_data_dir=folder, superuser=SUPERUSER,
                       executable=tree.postgres if tree else None, confine_read=confinement(tree)) as pg, \
            psycopg.connect(pg.conninfo(DRYRUN_DB), autocommit=True) as su:
        assert pg.shared
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Permission denied") as refused:
            su.execute("create database other template template0")
    assert snapshot(cache) == before
    error = StatementError(1, 1, "42501", str(refused.value).strip())
    run = MigrationRun("1_db.sql", "1", True, "failed", error)
    result = clean(PlanResult(False, "15", "local", (run,)), createrole=True)
    message = result.migrations[0].error.message if result.migrations[0].error else ""
    assert message.endswith(NO_TEMPLATE)


@pytest.mark.skipif(os.geteuid() != 0, reason="as another user than root the server runs as us and reaches any cache")
def test_a_cache_the_server_user_cannot_reach_is_copied_whole(tmp_path: Path) -> None:
    """A cache in a private folder (pytest's tmp_path, a root-only home): the server's user could not
    follow links into it, so the run copies every folder, the sealed ones too, and still starts."""
    from migration_guard.dryrun.providers import ephemeral_postgres

    assert tmp_path.stat().st_mode & 0o007 == 0  # root-only, like the parent pytest makes
    cache = tmp_path / "cache"
    with ephemeral_postgres("local", None, None, cache):
        pass  # prepares the folder
    with ephemeral_postgres("local", None, None, cache) as server:
        pg = server.extra["local"]
        assert pg.shared == []
        assert (pg.data_dir / "base" / "4").is_dir() and not (pg.data_dir / "base" / "4").is_symlink()
        with psycopg.connect(server.conninfo(), autocommit=True) as su:
            assert su.execute("select count(*) > 0 from pg_class").fetchone() == (True,)


def test_private_install_tree_is_kept_in_the_cache_dir_reused_and_baked_without_the_binary(cache: Path) -> None:
    from migration_guard.dryrun import sharetree

    bin_dir = find_bin_dir()
    sharetree._BUILT.clear()  # as a new process
    first = build(bin_dir, cache_dir=cache)
    assert first is not None and first.root.parent == (cache / ".trees").resolve()
    sharetree._BUILT.clear()
    again = build(bin_dir, cache_dir=cache)
    assert again is not None and again.root == first.root
    assert again.postgres.stat().st_ino == first.postgres.stat().st_ino  # reused, not rebuilt
    for folder, dirs, files in os.walk(first.root):  # ours: nobody else (the server's user) may write
        for name in [*dirs, *files]:
            st = (Path(folder) / name).lstat()
            assert st.st_uid == os.geteuid() and (Path(folder, name).is_symlink() or not st.st_mode & 0o022)

    baked_cache = cache.parent / "baked"
    root = sharetree.bake(bin_dir, baked_cache)
    assert root is not None and root.name == first.root.name
    assert not (root / first.postgres.relative_to(first.root)).exists()
    sharetree._BUILT.clear()
    tree = build(bin_dir, cache_dir=baked_cache)  # the first run links the executable in
    sharetree._BUILT.clear()
    assert tree is not None and tree.root == root and tree.postgres.is_file()
    with LocalPostgres(bin_dir, superuser=SUPERUSER, executable=tree.postgres) as pg, \
            psycopg.connect(pg.conninfo()) as conn:
        assert os.readlink(f"/proc/{pg.proc.pid if pg.proc else 0}/exe") == str(tree.postgres)
        row = conn.execute("select count(*) from pg_available_extensions where name = 'pg_net'").fetchone()
        assert row == (1,)  # our stand-in, from the baked tree's extension folder
