from __future__ import annotations

import psycopg

from migration_guard.dryrun.local import LocalPostgres


def test_local_server_starts_answers_and_leaves_nothing_behind() -> None:
    server = LocalPostgres().start()
    root = server.root
    assert root is not None and root.exists()
    with psycopg.connect(server.conninfo()) as conn:
        assert conn.execute("select current_setting('fsync')").fetchone() == ("off",)
        assert conn.execute("select current_setting('listen_addresses')").fetchone() == ("",)
    pid = server.proc.pid if server.proc else None
    server.stop()
    assert not root.exists()
    assert pid is not None
    import os

    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_fresh_database_fixture_is_usable(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("create table t (id bigint primary key)")
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_major_version_reads_debian_version_strings() -> None:
    from migration_guard.dryrun.local import find_bin_dir, major_version

    bin_dir = find_bin_dir()
    major = major_version(bin_dir)
    assert major >= 12
    if bin_dir.parent.name.isdigit():  # /usr/lib/postgresql/<major>/bin
        assert major == int(bin_dir.parent.name)


def test_server_from_a_prepared_data_dir_keeps_its_objects_and_the_copy_is_removed(tmp_path: object) -> None:
    import shutil
    import tempfile
    from pathlib import Path

    from migration_guard.dryrun.local import copy_data_dir

    keep = Path(tempfile.mkdtemp(prefix="mg-template-", dir="/tmp"))
    try:
        with LocalPostgres() as first:
            with psycopg.connect(first.conninfo(), autocommit=True) as conn:
                conn.execute("create table kept (id int)")
                conn.execute("checkpoint")
            assert first.proc is not None
            first.proc.send_signal(2)  # clean shutdown before copying
            first.proc.wait()
            first.proc = None
            copy_data_dir(first.data_dir, keep / "data")
        (keep / "data" / "postmaster.pid").unlink(missing_ok=True)
        server = LocalPostgres(template_data_dir=keep / "data").start()
        root = server.root
        try:
            with psycopg.connect(server.conninfo()) as conn:
                assert conn.execute("select to_regclass('public.kept') is not null").fetchone() == (True,)
        finally:
            server.stop()
        assert root is not None and not root.exists()
        assert (keep / "data" / "PG_VERSION").exists()  # the template itself is untouched
    finally:
        shutil.rmtree(keep, ignore_errors=True)


def test_server_gets_a_minimal_environment() -> None:
    import os

    os.environ["INPUT_GITHUB-TOKEN"] = "ghp_notarealtokenbutlongenough123456"
    try:
        with LocalPostgres() as server:
            assert server.proc is not None
            from pathlib import Path

            environ = Path(f"/proc/{server.proc.pid}/environ").read_bytes().split(b"\0")
    finally:
        del os.environ["INPUT_GITHUB-TOKEN"]
    names = {e.split(b"=", 1)[0].decode() for e in environ if e}
    assert "INPUT_GITHUB-TOKEN" not in names
    assert names <= {"PATH", "LANG", "LC_ALL", "TZ", "PGDATA", "PG_GRANDPARENT_PID", "PGSYSCONFDIR", "PGLOCALEDIR"}


def test_dry_run_server_has_supabase_admin_as_superuser_and_runs_from_the_private_tree() -> None:
    """The relocatable-path logic makes the tree's extension folder the server's: the policy's
    `trusted` flags are what the server sees (pg_stat_statements trusted, adminpack not)."""
    from migration_guard.dryrun.local import find_bin_dir
    from migration_guard.dryrun.sharetree import build

    tree = build(find_bin_dir())
    assert tree is not None
    with LocalPostgres(superuser="supabase_admin", executable=tree.postgres) as server:
        assert server.proc is not None
        import os

        assert os.readlink(f"/proc/{server.proc.pid}/exe").startswith(str(tree.root))
        with psycopg.connect(server.conninfo()) as conn:
            row = conn.execute("select current_user::text, rolsuper from pg_roles where rolname = current_user")
            assert row.fetchone() == ("supabase_admin", True)
            q = "select distinct name, trusted from pg_available_extension_versions where name = any(%s)"
            found = dict(conn.execute(q, (["pg_stat_statements", "adminpack", "dblink", "pgcrypto"],)).fetchall())
            assert found == {"pg_stat_statements": True, "adminpack": False, "dblink": False, "pgcrypto": True}
            # the real scripts still load from the real folder (control file `directory`)
            conn.execute("create extension pg_stat_statements")
