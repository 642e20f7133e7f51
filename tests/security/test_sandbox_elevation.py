"""The url/docker fallback (no private extension folder): CREATE EXTENSION goes through our event
triggers. A real server handed to the plan as --postgres-url (superuser supabase_admin, Debian's own
share folder, no mg_guard preload), the real plan pipeline. Each fails on today's main (noted)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sandbox_helpers import REPORT_LOOT, as_json, errors, hijack, plan, shared_folder

from migration_guard.dryrun.errortext import CREATE_ROLE_WITHHELD, FALLBACK_ROLE_WARNING
from migration_guard.dryrun.local import LocalPostgres


@pytest.fixture(name="shared_tmp")
def _shared_tmp() -> Iterator[Path]:
    yield from shared_folder()


@pytest.fixture(scope="module")
def url_server() -> Iterator[str]:
    """A service-container-like server: superuser supabase_admin, the real extension folder."""
    with LocalPostgres(superuser="supabase_admin") as server:
        yield server.url()


def test_operator_hijack_of_the_elevation_trigger_runs_nothing(
    tmp_path: Path, url_server: str, shared_tmp: Path
) -> None:
    """The issue's attack where the event triggers still exist: pinned search_path and qualified
    operators mean `public.=` is never called by them. On main it runs as superuser."""
    marker = shared_tmp / "elevated"
    sql = hijack(f"copy (select 1) to program 'touch {marker}';") + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_x.sql": sql}, postgres="url", postgres_url=url_server)
    assert not marker.exists()
    assert result.ok, errors(result)


def test_allowlisted_extension_is_created_and_the_role_is_lowered_again(tmp_path: Path, url_server: str) -> None:
    """pg_stat_statements (untrusted in PostgreSQL, on our allowlist) is created through the
    elevation; afterwards the migration role is no superuser, and a later COPY TO PROGRAM fails."""
    sql = (
        "create extension pg_stat_statements;\n"
        "do $$ begin if (select rolsuper from pg_roles where rolname = current_user) then "
        "raise exception 'LOOT: still superuser'; end if; end $$;\n"
        "copy (select 1) to program 'true';\n"
    )
    result = plan(tmp_path, {"20240101000000_x.sql": sql}, postgres="url", postgres_url=url_server)
    [run] = result.migrations
    assert run.error is not None and run.error.line == 3, errors(result)
    assert "pg_execute_server_program" in run.error.message or "permission denied" in run.error.message


def test_an_extension_outside_the_allowlist_is_never_elevated(tmp_path: Path, url_server: str) -> None:
    """Hidden from the static scan in dynamic SQL, with an allowlisted CREATE EXTENSION in the same
    query text to unlock the elevation: the end trigger finds adminpack and rolls everything back.
    On main adminpack is created and its pg_file_write works for the migration role."""
    smuggle = (
        "create extension if not exists pg_stat_statements;\n"
        "do $$ begin execute 'create ' || 'extension adminpack'; end $$;\n"
        "select pg_file_write('/tmp/mg-adminpack-smuggled', 'x', false);\n"
    )
    # The first file replays as one query (the whole text is the client's statement).
    files = {"20240101000000_a.sql": smuggle, "20240102000000_b.sql": "select 1;\n"}
    result = plan(tmp_path, files, postgres="url", postgres_url=url_server)
    assert not result.ok
    assert not Path("/tmp/mg-adminpack-smuggled").exists()
    assert any('extension "adminpack" is refused' in e or "permission denied" in e for e in errors(result))


def test_our_trigger_functions_cannot_be_replaced_or_disabled(tmp_path: Path, url_server: str) -> None:
    """Replacing or altering our functions, disabling our event triggers or all triggers: each is
    refused. On main the first attack alone (the hijack) already owns them."""
    attempts = [
        "create or replace function migration_guard_internal.extension_elevate() returns event_trigger "
        "language plpgsql as $f$ begin end $f$",
        "alter function migration_guard_internal.extension_lower() owner to current_user",
        "alter event trigger migration_guard_extension_lower disable",
        "drop event trigger migration_guard_extension_lower",
        "set session_replication_role = replica",
        "create event trigger mine on ddl_command_start execute function pg_catalog.pg_sleep()",
    ]
    quote = psycopg.sql.quote
    body = "".join(
        f"do $a$ begin execute {quote(a)}; insert into public.loot values ('done', {quote(a)}); "
        "exception when others then null; end $a$;\n"
        for a in attempts
    )
    sql = hijack("insert into public.loot values ('superuser', current_user);") + body + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_x.sql": sql}, postgres="url", postgres_url=url_server)
    assert result.ok, errors(result)


def test_create_role_without_mg_guard_fails_and_says_why(tmp_path: Path, url_server: str) -> None:
    """Without mg_guard preloaded the migration role has no CREATEROLE; CREATE ROLE fails at its line
    and the message explains the sandbox's reason. On main the message is PostgreSQL's bare error."""
    result = plan(tmp_path, {"20240101000000_x.sql": "select 1;\ncreate role app_reader nologin;\n"},
                  postgres="url", postgres_url=url_server)
    [run] = result.migrations
    assert run.error is not None and run.error.line == 2
    assert CREATE_ROLE_WITHHELD in run.error.message


def test_a_server_whose_postgres_is_superuser_still_runs_pr_sql_as_a_non_superuser(
    tmp_path: Path, pg_server: LocalPostgres, shared_tmp: Path
) -> None:
    """A plain postgres image (its superuser is `postgres`): migrations run as a stand-in
    non-superuser, the plan says so, and the hijack still gets nothing. On main: the hijack works."""
    marker = shared_tmp / "fallback"
    sql = hijack(f"copy (select 1) to program 'touch {marker}';") + REPORT_LOOT + (
        "create schema private;\n"
        "do $$ begin raise exception 'I am %', current_user; end $$;\n"
    )
    result = plan(tmp_path, {"20240101000000_x.sql": sql}, postgres="url", postgres_url=pg_server.url())
    assert not marker.exists()
    assert errors(result) == ["I am postgres"]  # the hijack did nothing; the stand-in's name is not shown
    assert FALLBACK_ROLE_WARNING in result.warnings
    assert "mg_migrator" not in as_json(result)


def test_elevated_extensions_never_leave_the_migration_role_an_event_trigger_or_pg_catalog_objects(
    tmp_path: Path, url_server: str
) -> None:
    """Objects an elevated CREATE EXTENSION makes belong to the migration role. pgaudit's event
    triggers would then run code it can replace in every later command (the next elevated script,
    as superuser); pg_cron's job table says which role a job runs as; and objects in pg_catalog are
    what our superuser sessions search. On main all three are created for the migration role."""
    r1 = plan(tmp_path / "a", {"20240101000000_x.sql": "create extension pgaudit;\n"},
              postgres="url", postgres_url=url_server)
    assert any('extension "pgaudit" is refused' in e and "event trigger" in e for e in errors(r1)), errors(r1)
    r2 = plan(tmp_path / "b", {"20240101000000_x.sql": "do $$ begin execute 'create extension pg_cron'; end $$;\n"},
              postgres="url", postgres_url=url_server)
    assert not r2.ok
    r3 = plan(tmp_path / "c", {"20240101000000_x.sql": "create extension citext schema pg_catalog;\n"},
              postgres="url", postgres_url=url_server)
    assert any("objects in pg_catalog" in e for e in errors(r3)), errors(r3)


def test_alter_extension_update_is_never_elevated(tmp_path: Path, url_server: str) -> None:
    """An extension created (elevated) at an old version cannot be updated through the elevation:
    update scripts would run in a superuser session. On main the CREATE EXTENSION runs the hijack."""
    sql = (
        "create extension pg_stat_statements version '1.8';\n"
        "alter extension pg_stat_statements update;\n"
    )
    result = plan(tmp_path, {"20240101000000_x.sql": sql}, postgres="url", postgres_url=url_server)
    [run] = result.migrations
    assert run.error is not None and run.error.line == 2, errors(result)
    assert "permission denied" in run.error.message
