"""Extensions in the dry run (local provider, private install tree): the refused ones stop the plan
with one clear line naming file, line and why; ALTER EXTENSION UPDATE gives PR SQL nothing; and
after every allowlisted extension is created no superuser-owned object is left that the migration
role can hijack. Real server, real plan pipeline; each fails on today's main (noted per test)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sandbox_helpers import errors, hijack, plan, project, shared_folder

from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, SUPERUSER, apply_bootstrap
from migration_guard.dryrun.extension_policy import ALLOWED, REFUSED
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.providers import cron_available
from migration_guard.dryrun.sharetree import build


@pytest.fixture(name="shared_tmp")
def _shared_tmp() -> Iterator[Path]:
    yield from shared_folder()


@pytest.mark.parametrize("name", ["adminpack", "file_fdw", "dblink", "plpython3u"])
def test_file_network_and_shell_extensions_are_refused_with_the_reason(tmp_path: Path, name: str) -> None:
    """On main adminpack, file_fdw and dblink are created (elevated by our event trigger, then owned
    by the migration role), and plpython3u is merely "not available"."""
    sql = f"create table public.a (id bigint primary key);\ncreate extension if not exists {name};\n"
    result = plan(tmp_path, {"20240101000000_x.sql": sql})
    assert not result.ok
    [run] = result.migrations
    assert run.status == "failed" and run.error is not None
    assert run.error.line == 2
    assert f'extension "{name}" is refused in the dry run: {REFUSED[name]}' in run.error.message
    assert f"--stub-extension {name}" in run.error.message


def test_refusal_through_the_cli_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    """The CLI as a subprocess: exit 1, one line with file:line and the reason, no traceback.
    On main `create extension adminpack` succeeds (exit 0)."""
    d = project(tmp_path, {"20240101000000_x.sql": "select 1;\ncreate extension adminpack;\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "plan", "--dir", str(d), "--postgres", "local", "--supabase", "on"],
        capture_output=True, text=True, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert "20240101000000_x.sql:2" in out
    assert 'extension "adminpack" is refused' in out and "reads or writes files" in out


def test_alter_extension_update_gives_pr_sql_nothing(tmp_path: Path, shared_tmp: Path) -> None:
    """An allowlisted extension created at an old version, then updated, with `public.=` hijacked
    and search_path pointing at it: the update script runs (trusted, as the bootstrap superuser) and
    nothing of the PR's runs with its rights. On main the CREATE EXTENSION already runs the hijack."""
    marker = shared_tmp / "update"
    sql = hijack(f"copy (select 1) to program 'touch {marker}';") + (
        "set search_path = public, pg_catalog;\n"
        "create extension pg_stat_statements version '1.8';\n"
        "alter extension pg_stat_statements update;\n"
        "reset search_path;\n"
        "do $$ begin if (select rolsuper from pg_roles where rolname = current_user) then "
        "raise exception 'LOOT: superuser'; end if; end $$;\n"
    )
    result = plan(tmp_path, {"20240101000000_x.sql": sql})
    assert result.ok, errors(result)
    assert not marker.exists()


def test_no_superuser_object_is_left_for_the_migration_role_to_hijack() -> None:
    """Create every allowlisted extension this server has, as `postgres`, on a dry-run-shaped server;
    then: every SECURITY DEFINER function a superuser owns pins its search_path, no event trigger or
    default privilege belongs to the migration role, and the migration role owns nothing a superuser
    runs. On main our own event-trigger functions are SECURITY DEFINER with no search_path."""
    tree = build(find_bin_dir())
    assert tree is not None
    with LocalPostgres(superuser=SUPERUSER, executable=tree.postgres) as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as su:
            su.execute("create database audit")
        with psycopg.connect(server.conninfo("audit"), autocommit=True) as su:
            apply_bootstrap(su, supabase=True)
            names = {r[0] for r in su.execute("select name from pg_available_extensions").fetchall()}
        created = []
        with psycopg.connect(server.conninfo("audit", user=MIGRATION_ROLE), autocommit=True) as pg:
            for name in sorted((names & ALLOWED) | tree.standins):
                try:
                    pg.execute(f'create extension if not exists "{name}" cascade')
                    created.append(name)
                except psycopg.Error:  # e.g. pgaudit/pg_cron without their preload: not created at all
                    pass
            assert pg.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
        assert {"pgcrypto", "pg_stat_statements", "hstore", "pgtap"} <= set(created)
        with psycopg.connect(server.conninfo("audit"), autocommit=True) as su:
            unpinned = su.execute(
                """select p.oid::regprocedure::text from pg_proc p join pg_roles r on r.oid = p.proowner
                   where r.rolsuper and p.prosecdef
                     and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
                     and p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"""
            ).fetchall()
            assert unpinned == []
            evt = su.execute(
                "select evtname from pg_event_trigger e join pg_roles r on r.oid = e.evtowner where not r.rolsuper"
            ).fetchall()
            assert evt == []
            acl = su.execute(
                "select count(*) from pg_default_acl d join pg_roles r on r.oid = d.defaclrole where r.rolsuper"
            ).fetchone()
            assert acl == (0,)


@pytest.mark.skipif(not cron_available(find_bin_dir()), reason="pg_cron not installed (postgresql-15-cron)")
def test_cron_jobs_cannot_be_made_to_run_as_another_role(tmp_path: Path) -> None:
    """pg_cron runs a job as cron.job.username. The migration role may schedule (as on Supabase) but
    not write another role's name there, directly or by update, although BYPASSRLS skips pg_cron's
    policy. On main the job table belongs to the migration role (created elevated): anything goes."""
    sql = (
        "create extension if not exists pg_cron;\n"
        "select cron.schedule('nightly', '0 3 * * *', 'select 1');\n"
        "do $$ begin update cron.job set username = 'supabase_admin'; "
        "raise exception 'LOOT: job re-owned'; exception when insufficient_privilege then null; end $$;\n"
        "do $$ begin insert into cron.job (schedule, command, nodename, nodeport, database, username) "
        "values ('* * * * *', 'select 1', '', 5432, current_database(), 'supabase_admin'); "
        "raise exception 'LOOT: job as superuser'; exception when insufficient_privilege then null; end $$;\n"
    )
    result = plan(tmp_path, {"20240101000000_cron.sql": sql})
    assert result.ok, errors(result)
