"""Running files on a real database: atomic files, fix forward, lock retries, no-transaction files,
concurrent deploys and a deploy killed mid-file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
from apply_helpers import Folder, RunMG, clean_env, query, table_exists

OVERRIDE = "testing the runner, not the lint gate"


def _ledger(url: str) -> list[object]:
    if not table_exists(url, "supabase_migrations.schema_migrations"):
        return []
    return [r[0] for r in query(url, "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version")]


def test_failing_statement_leaves_no_change_and_no_row(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "ok", "create table ok (id int);\n")
    bad = folder.add("20240102000000", "bad", "create table half (id int);\n\ninsert into missing values (1);\n")
    folder.add("20240103000000", "later", "create table later (id int);\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    out = proc.stdout
    assert f'failed: {bad}:3: statement 2: relation "missing" does not exist (SQLSTATE 42P01)' in out
    assert "rolled back as a whole: no schema change and no ledger row" in out
    assert "the 1 file(s) applied before it stay applied; nothing is rolled back (fix forward)" in out
    assert "Next step:" in out
    assert table_exists(pg_url, "ok")
    assert not table_exists(pg_url, "half")
    assert not table_exists(pg_url, "later")
    assert _ledger(pg_url) == ["20240101000000"]


def test_no_transaction_failure_reports_commits_and_drops_invalid_index(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add(
        "20240101000000",
        "concurrent",
        "-- migration-guard: no-transaction\n"
        "create table dup (v int);\n"
        "insert into dup values (1), (1);\n"
        "create unique index concurrently dup_v_idx on dup (v);\n",
    )
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    assert "statement 3: could not create unique index" in proc.stdout
    assert "statements committed before the failure: 1, 2" in proc.stdout
    assert "dropped index public.dup_v_idx, left INVALID by the failed CONCURRENTLY build" in proc.stdout
    assert table_exists(pg_url, "dup")  # committed statements stay: that is what no-transaction means
    assert not table_exists(pg_url, "dup_v_idx")
    assert _ledger(pg_url) == []


def test_no_transaction_file_applies_and_is_recorded(folder: Folder, mg: RunMG, pg_url: str) -> None:
    query(pg_url, "create table big (v int)")
    folder.add(
        "20240101000000",
        "idx",
        "-- migration-guard: no-transaction\ncreate index concurrently if not exists big_v_idx on big (v);\n",
    )
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0, proc.stdout
    assert query(pg_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass") == [(True,)]
    assert _ledger(pg_url) == ["20240101000000"]


def test_lock_held_by_another_session_retries_then_fails_cleanly(folder: Folder, mg: RunMG, pg_url: str) -> None:
    query(pg_url, "create table busy (id int)")
    folder.add("20240101000000", "alter", "alter table busy add column note text;\n")
    holder = psycopg.connect(pg_url)
    try:
        holder.execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")  # held until rollback
        args = ("--lock-timeout", "100ms", "--retries", "2", "--retry-delay", "50ms")
        proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", *args)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 1
    assert "retry 1/2: 20240101000000_alter.sql statement 1 timed out waiting for a lock" in proc.stdout
    assert "retry 2/2:" in proc.stdout
    assert "canceling statement due to lock timeout (SQLSTATE 55P03)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert _ledger(pg_url) == []
    assert query(pg_url, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") == [(0,)]
    # Lock released: the next run applies it.
    assert mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes").returncode == 0
    assert _ledger(pg_url) == ["20240101000000"]


def _start_apply(url: str, folder: Folder) -> subprocess.Popen[str]:
    # cwd: the default audit folder goes next to the migrations, not into the repository
    return subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "apply", "--database-url", url, "--dir", str(folder.path), "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        cwd=folder.path.parent,
    )


def test_two_concurrent_applies_apply_once(folder: Folder, pg_url: str) -> None:
    folder.add("20240101000000", "slow", "create table once (id int);\nselect pg_sleep(1);\n")
    folder.add("20240102000000", "next", "insert into once values (1);\n")
    procs = [_start_apply(pg_url, folder) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    text = "".join(o + e for o, e in outs)
    assert "Traceback" not in text
    assert text.count("applied 20240101000000_slow.sql") == 1
    assert query(pg_url, "SELECT count(*) FROM once") == [(1,)]
    assert _ledger(pg_url) == ["20240101000000", "20240102000000"]


def test_kill_9_mid_file_leaves_a_consistent_state(folder: Folder, pg_url: str, mg: RunMG) -> None:
    query(pg_url, "create table slow_flag ()")
    folder.add(
        "20240101000000",
        "killed",
        "create table k1 (id int);\n"
        "select pg_sleep(case when to_regclass('public.slow_flag') is not null then 30 else 0 end);\n",
    )
    proc = _start_apply(pg_url, folder)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = query(
            pg_url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migration-guard' "
            "AND query LIKE '%pg_sleep%' AND state = 'active'",
        )
        if busy[0][0]:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError("the apply never reached the sleeping statement: " + str(proc.communicate()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    # The server notices the dead client (client_connection_check_interval) and rolls back.
    deadline = time.monotonic() + 20
    while query(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migration-guard'")[0][0]:
        assert time.monotonic() < deadline, "the killed deploy's backend is still running"
        time.sleep(0.1)
    assert not table_exists(pg_url, "k1")
    assert _ledger(pg_url) == []
    query(pg_url, "drop table slow_flag")
    again = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert table_exists(pg_url, "k1")
    assert _ledger(pg_url) == ["20240101000000"]


def test_transaction_pooler_is_refused(folder: Folder, mg: RunMG) -> None:
    folder.add("20240101000000", "a", "create table a (id int);\n")
    for url in (
        "postgresql://postgres:hunter2secret@db.example.supabase.co:6543/postgres",
        "postgresql://postgres:hunter2secret@db.example.supabase.co:5432/postgres?pgbouncer=true",
    ):
        proc = mg("apply", "--database-url", url, "--dir", folder.path, "--yes")
        assert proc.returncode == 2
        assert "transaction-mode pooler" in proc.stderr
        assert "session-mode pooler (port 5432)" in proc.stderr
        assert "hunter2secret" not in proc.stdout + proc.stderr


def test_another_deploy_holding_the_lock_is_a_clean_refusal(folder: Folder, mg: RunMG, pg_url: str) -> None:
    from migration_guard.apply.lock import LOCK_KEY

    folder.add("20240101000000", "a", "create table a (id int);\n")
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--wait", "1s")
    assert proc.returncode == 1
    assert "refused: another deploy is in progress (held by backend pid" in proc.stdout
    assert "waited 1s for its lock; try again when it finishes" in proc.stdout
    assert not table_exists(pg_url, "a")
    assert mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes").returncode == 0
    assert table_exists(pg_url, "a")


def test_database_errors_outside_a_file_are_one_line(folder: Folder, mg: RunMG, pg_url: str) -> None:
    # A ledger the deploying role cannot read: one line naming the database, no traceback.
    query(
        pg_url,
        "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
        "(version text PRIMARY KEY, statements text[], name text); "
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mg_reader') THEN "
        "CREATE ROLE mg_reader LOGIN; END IF; END $$; REVOKE ALL ON SCHEMA supabase_migrations FROM PUBLIC",
    )
    folder.add("20240101000000", "a", "create table a (id int);\n")
    url = pg_url.replace("postgresql://postgres@", "postgresql://mg_reader@")
    proc = mg("apply", "--database-url", url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    assert proc.stderr.startswith("migration-guard: error: localhost/")
    assert "permission denied for schema supabase_migrations" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_begin_commit_in_a_file_do_not_break_its_transaction(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "wrapped", "begin;\ncreate table w1 (id int);\ncommit;\n")
    # lint blocks BEGIN/COMMIT (transaction-control); the override lets the runner's handling be seen
    ok = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--override-reason", OVERRIDE)
    assert ok.returncode == 0, ok.stdout
    assert "line 1: skipping 'begin'; the file already runs in one transaction" in ok.stdout
    # The ledger keeps the file's statements as the CLI splits them, BEGIN/COMMIT included.
    assert query(pg_url, "SELECT statements FROM supabase_migrations.schema_migrations") == [
        (["begin", "create table w1 (id int)", "commit"],)
    ]
    # A failure after an inner COMMIT still rolls back the whole file.
    folder.add("20240102000000", "wrapped_bad", "begin;\ncreate table w2 (id int);\ncommit;\nselect 1/0;\n")
    bad = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--override-reason", OVERRIDE)
    assert bad.returncode == 1
    assert "division by zero" in bad.stdout
    assert not table_exists(pg_url, "w2")
    assert _ledger(pg_url) == ["20240101000000"]


def test_a_files_own_set_does_not_leak_into_the_next_file(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "sets", "set lock_timeout = '1h';\ncreate table s1 (id int);\n")
    folder.add("20240102000000", "reads", "create table s2 as select current_setting('lock_timeout') as v;\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--lock-timeout", "2s")
    assert proc.returncode == 0, proc.stdout
    assert query(pg_url, "SELECT v FROM s2") == [("2s",)]


def test_rollback_inside_a_transactional_file_is_refused_before_anything_runs(
    folder: Folder, mg: RunMG, pg_url: str
) -> None:
    bad = folder.add("20240101000000", "rb", "create table r1 (id int);\nrollback;\ncreate table r2 (id int);\n")
    # past the lint gate (which blocks ROLLBACK too), the runner's own check still refuses it
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--override-reason", OVERRIDE)
    assert proc.returncode == 1
    assert f"{bad}:2:1: ROLLBACK inside a file that runs in one transaction" in proc.stdout
    assert not table_exists(pg_url, "r1") and not table_exists(pg_url, "r2")


def test_no_transaction_statement_waiting_for_a_lock_is_retried(folder: Folder, mg: RunMG, pg_url: str) -> None:
    query(pg_url, "create table hot (v int)")
    folder.add(
        "20240101000000",
        "hot_idx",
        "-- migration-guard: no-transaction\ncreate index concurrently if not exists hot_v_idx on hot (v);\n",
    )
    holder = psycopg.connect(pg_url)
    try:
        holder.execute("LOCK TABLE hot IN ACCESS EXCLUSIVE MODE")
        args = ("--lock-timeout", "100ms", "--retries", "1", "--retry-delay", "50ms")
        proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", *args)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 1
    assert "retry 1/1: 20240101000000_hot_idx.sql statement 1 timed out waiting for a lock" in proc.stdout
    assert "statements committed before the failure: none" in proc.stdout
    assert _ledger(pg_url) == []
    assert query(pg_url, "SELECT count(*) FROM pg_class WHERE relname = 'hot_v_idx'") == [(0,)]
