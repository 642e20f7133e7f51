"""A cancelled deploy (the runner stops the job: SIGTERM to the action, or Ctrl-C locally) still
says how it ended: the migration in flight is rolled back and recorded as cancelled, the ones not
started as skipped, the run's own record as cancelled with what was applied before, and the step
summary and outputs say so. The real CLI in a subprocess, a real target database; the cancel lands
while the second migration waits for a lock this test holds on the target (the dry run, on another
server, is not held up)."""

from __future__ import annotations

import signal
import subprocess
import time

import psycopg
import pytest

from deploy_harness import CLEAN, Deploy, assert_no_secrets, deploy, fake_github

__all__ = ["deploy", "fake_github"]

WAITS = "-- intent: a note on items\nalter table public.items add column note text;\n"
LATER = "-- intent: tags\ncreate table public.tags (id bigint generated always as identity primary key, name text);\n"


def wait_for_lock_wait(conn: psycopg.Connection[tuple[object, ...]], proc: subprocess.Popen[str]) -> None:
    """Until the deploy's ALTER waits for this test's lock (its first migration is then committed)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%add column note%'"
        ).fetchone()
        if waiting and waiting[0]:
            return
        time.sleep(0.1)
    pytest.fail("the deploy never reached the second migration")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_deploy_records_what_it_left(deploy: Deploy, sig: signal.Signals) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.add("20240202000000", "note_on_items", WAITS)
    deploy.add("20240203000000", "tags", LATER)
    deploy.approve()
    deploy.protect()
    with psycopg.connect(deploy.target, autocommit=True) as watcher, psycopg.connect(deploy.target) as holder:
        holder.execute("LOCK TABLE public.items IN ACCESS EXCLUSIVE MODE")  # until this test lets go
        proc = deploy.start(**{"lock-timeout": "5min", "retries": "0"})
        try:
            wait_for_lock_wait(watcher, proc)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        holder.rollback()
    run = deploy.collect(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))

    assert run.proc.returncode == 130, run.text
    assert "Traceback" not in run.text
    # The first migration stays applied; the one in flight was rolled back; the last never ran.
    assert deploy.ledger() == ["20240101000000", "20240201000000"]
    with psycopg.connect(deploy.target) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"
        ).fetchone()
        tags = conn.execute("SELECT to_regclass('public.tags')").fetchone()
    assert columns == (0,) and tags == (None,)
    migrations = [(r["outcome"], r["version"]) for r in run.audit if r["event"] == "migration"]
    assert migrations == [
        ("applied", "20240201000000"), ("cancelled", "20240202000000"), ("skipped", "20240203000000")
    ]
    cancelled = next(r for r in run.audit if r["outcome"] == "cancelled" and r["event"] == "migration")
    assert "rolled back" in str(cancelled["reason"])
    final = run.audit[-1]
    assert final["event"] == "deploy" and final["outcome"] == "cancelled"
    assert final["applied"] == ["20240201000000"]
    assert "1 migration(s) applied before it stay applied" in str(final["reason"])
    assert run.outputs["verdict"] == "cancelled" and run.outputs["applied-count"] == "1"
    assert "## Deploy to `production`: cancelled" in run.summary and "**Cancelled:**" in run.summary
    assert "::error title=migration-guard deploy cancelled::" in run.proc.stdout
    assert_no_secrets(run)
