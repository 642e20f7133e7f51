"""The pg_cron stand-in: preferred over Debian's pg_cron 1.4, which rejects the second schedules
Supabase's pg_cron 1.6 accepts (pgflow schedules '1 second'). Real server, the real private tree,
CREATE EXTENSION as the migration role, the calls the corpus makes."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from dryrun_servers import bootstrapped_database, dry_run_server
from migration_guard.dryrun.bootstrap import MIGRATION_ROLE
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.sharetree import replaced_by_standin


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    with dry_run_server(["pg_cron"]) as pg:  # no shared_preload_libraries needed
        yield pg


@pytest.fixture
def url(server: LocalPostgres) -> Iterator[str]:
    with bootstrapped_database(server) as url:
        with psycopg.connect(url, user=MIGRATION_ROLE, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_cron")
        yield url


def test_the_stand_in_replaces_an_older_real_pg_cron_but_not_in_strict_mode() -> None:
    bin_dir = find_bin_dir()
    assert replaced_by_standin(bin_dir, "pg_cron") is True  # Debian bookworm: pg_cron 1.4
    assert replaced_by_standin(bin_dir, "pg_cron", strict=True) is False


def test_the_calls_pgflow_and_dbdev_make(url: str) -> None:
    with psycopg.connect(url, user=MIGRATION_ROLE, autocommit=True) as conn:
        # pgflow 20251209074533_pgflow_worker_management.sql: named jobs, a '1 second' schedule.
        first = conn.execute(
            "select cron.schedule(job_name => 'pgflow_ensure_workers', schedule => '1 second', "
            "command => 'select 1')"
        ).fetchone()
        again = conn.execute("select cron.schedule('pgflow_ensure_workers', '2 seconds', 'select 2')").fetchone()
        assert first == again  # same name, same user: updated in place, as pg_cron does
        # dbdev 20230405163940_download_metrics.sql: an unnamed job on a five-field schedule.
        conn.execute("select cron.schedule('*/30 * * * *', $$refresh materialized view x$$)")
        conn.execute("select cron.schedule('cleanup', '0 3 $ * *', 'select 3')")  # '$': last day of month
        conn.execute("delete from cron.job_run_details where end_time < now() - interval '1 day'")
        assert conn.execute("select cron.unschedule('cleanup')").fetchone() == (True,)
        rows = conn.execute("select jobname, schedule, username from cron.job order by jobid").fetchall()
        assert rows == [("pgflow_ensure_workers", "2 seconds", MIGRATION_ROLE), (None, "*/30 * * * *", MIGRATION_ROLE)]


def test_invalid_schedules_and_unknown_jobs_fail_as_pg_cron_fails(url: str) -> None:
    with psycopg.connect(url, user=MIGRATION_ROLE, autocommit=True) as conn:
        for bad in ("every minute", "61 seconds", "* * * *"):
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid schedule"):
                conn.execute("select cron.schedule(%s, 'select 1')", (bad,))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="could not find valid entry"):
            conn.execute("select cron.unschedule('nope')")


def test_a_job_cannot_be_made_to_run_as_another_role(url: str) -> None:
    """BYPASSRLS (Supabase's postgres has it) skips pg_cron's policy: column grants keep username ours."""
    with psycopg.connect(url, user=MIGRATION_ROLE, autocommit=True) as conn:
        conn.execute("select cron.schedule('nightly', '0 3 * * *', 'select 1')")
        for sql in (
            "update cron.job set username = 'supabase_admin'",
            "insert into cron.job (schedule, command, username) values ('* * * * *', 'select 1', 'supabase_admin')",
            "select cron.schedule_in_database('x', '* * * * *', 'select 1', current_database(), 'supabase_admin')",
            "select cron.alter_job(1, username => 'supabase_admin')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        assert conn.execute("select distinct username from cron.job").fetchall() == [(MIGRATION_ROLE,)]
