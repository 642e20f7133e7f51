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
