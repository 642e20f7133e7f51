"""Pull-request SQL against the dry run (local provider), one attack per test, through the real plan
pipeline on a real server. Each attack migration tries the primitive directly (as the migration role)
and through the escalation that today's main allows (the `public.=` hijack of our event trigger);
whatever it obtains lands in `public.loot` and is raised back, so a working attack fails the plan
with `LOOT: ...`. Every test here fails on main (noted per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import REPORT_LOOT, as_json, attempt, errors, hijack, plan, shared_folder


@pytest.fixture(name="shared_tmp")
def _shared_tmp() -> Iterator[Path]:
    yield from shared_folder()


SUPER = "insert into public.loot select 'superuser', current_user::text;"


def _no_loot(result_errors: list[str]) -> None:
    assert not [e for e in result_errors if "LOOT" in e], result_errors


def test_operator_hijack_of_our_event_trigger_runs_no_shell_command(tmp_path: Path, shared_tmp: Path) -> None:
    """The issue's attack: `public.=` on text + `search_path = public, pg_catalog` + CREATE EXTENSION.
    On main our SECURITY DEFINER trigger calls the operator as superuser and the shell runs."""
    marker = shared_tmp / "pwned"
    sql = hijack(f"copy (select 1) to program 'touch {marker}'; {SUPER}") + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    assert not marker.exists()
    _no_loot(errors(result))
    assert result.ok, errors(result)  # the extensions were created all the same (trusted)


def test_copy_to_program_is_refused(tmp_path: Path, shared_tmp: Path) -> None:
    """COPY ... TO PROGRAM: directly, through the hijack, and through dblink to a superuser session
    over the server's own socket (CREATE EXTENSION dblink hidden in dynamic SQL). On main the hijack
    and the dblink route both reach the shell."""
    marker = shared_tmp / "copy-program"
    via_dblink = f"""
do $d$ declare sock text := split_part(current_setting('unix_socket_directories'), ',', 1);
begin
  execute 'create extension if not exists dblink';
  perform dblink_connect_u('x', format('host=%s port=5432 user=postgres dbname=%s', sock, current_database()));
  perform dblink_exec('x', 'copy (select 1) to program ''touch {marker}''');
  insert into public.loot values ('dblink', 'copy to program ran');
exception when others then null;
end $d$;
"""
    direct = f"""
do $c$ begin
  copy (select 1) to program 'touch {marker}';
  insert into public.loot values ('direct', 'copy to program ran');
exception when others then null;
end $c$;
"""
    sql = hijack(f"copy (select 1) to program 'touch {marker}'; {SUPER}") + direct + via_dblink + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    assert not marker.exists()
    _no_loot(errors(result))


def test_pg_read_file_cannot_read_etc_passwd_nor_the_projects_git_config(shared_tmp: Path) -> None:
    """pg_read_file / pg_read_binary_file / pg_ls_dir / COPY FROM a file, on /etc/passwd and on the
    workspace's `.git/config` (world-readable, as on a GitHub runner). On main the hijack reads both."""
    tmp_path = shared_tmp
    git = tmp_path / ".git"
    git.mkdir()
    (git / "config").write_text('[http]\n\textraheader = "MG-SECRET-MARKER-7731"\n')
    git.chmod(0o755)
    (git / "config").chmod(0o644)
    config = git / "config"
    reads = [
        attempt("passwd", "pg_read_file('/etc/passwd')"),
        attempt("gitconfig", f"pg_read_file('{config}')"),
        attempt("binary", f"encode(pg_read_binary_file('{config}'), 'escape')"),
        attempt("ls", f"(select string_agg(f, ',') from pg_ls_dir('{git}') f)"),
        f"""
do $c$ begin
  create temp table mg_f (line text);
  copy mg_f from '{config}';
  insert into public.loot select 'copy-from', string_agg(line, ' ') from mg_f;
exception when others then null;
end $c$;
""",
    ]
    steal = f"insert into public.loot select 'gitconfig', pg_read_file('{config}'); " \
            "insert into public.loot select 'passwd', pg_read_file('/etc/passwd'); " + SUPER
    sql = hijack(steal) + "".join(reads) + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    _no_loot(errors(result))
    assert "MG-SECRET-MARKER-7731" not in as_json(result)
    assert "root:x:0:0" not in as_json(result)


def test_lo_import_cannot_read_server_files(tmp_path: Path) -> None:
    """Server-side lo_import('/etc/passwd'), then lo_get: refused. On main the hijack imports it."""
    # lo_get must run in a later statement than lo_import (it needs a snapshot that sees the object)
    steal = "perform lo_import('/etc/passwd', 727001); insert into public.loot select 'lo', " \
            "convert_from(lo_get(727001), 'utf8'); " + SUPER
    direct = "do $d$ begin perform lo_import('/etc/passwd', 727002); exception when others then null; end $d$;\n"
    sql = hijack(steal) + direct + attempt("lo", "convert_from(lo_get(727002), 'utf8')") + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    _no_loot(errors(result))
    assert "root:x:0:0" not in as_json(result)


def test_grant_pg_execute_server_program_to_postgres_is_refused(tmp_path: Path, shared_tmp: Path) -> None:
    """GRANT pg_execute_server_program TO postgres (then COPY TO PROGRAM as postgres). On main the
    hijack grants it to the migration role."""
    marker = shared_tmp / "granted"
    grant_self = """
do $g$ begin
  execute format('grant pg_execute_server_program, pg_read_server_files to %I', session_user);
exception when others then null;
end $g$;
"""
    use_it = f"""
do $u$ begin
  copy (select 1) to program 'touch {marker}';
  insert into public.loot values ('granted', 'copy to program ran');
exception when others then null;
end $u$;
"""
    steal = "execute format('grant pg_execute_server_program to %I', session_user);"
    sql = hijack(steal) + grant_self + use_it + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    assert not marker.exists()
    _no_loot(errors(result))


def test_alter_role_postgres_superuser_is_refused(tmp_path: Path) -> None:
    """ALTER ROLE <self> SUPERUSER, directly and through the hijack. On main the hijack succeeds."""
    # Our ddl_command_end trigger lowers the role again on main, so record the moment it worked.
    become = "execute format('alter role %I superuser', session_user); " \
             "insert into public.loot values ('altered', session_user);"
    check = """
do $s$ begin
  if (select rolsuper from pg_roles where rolname = session_user) then
    insert into public.loot values ('superuser', session_user);
  end if;
end $s$;
"""
    direct = "do $d$ begin execute format('alter role %I superuser', session_user); " \
             "exception when others then null; end $d$;\n"
    sql = hijack(become) + direct + check + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    _no_loot(errors(result))


def test_create_role_superuser_is_refused(tmp_path: Path) -> None:
    """CREATE ROLE x SUPERUSER LOGIN, directly and through the hijack. On main the hijack creates it."""
    make = "create role mg_evil superuser login;"
    direct = "do $d$ begin create role mg_evil2 superuser login; exception when others then null; end $d$;\n"
    check = """
do $s$ begin
  insert into public.loot select 'role', rolname from pg_roles where rolname in ('mg_evil', 'mg_evil2');
end $s$;
"""
    sql = hijack(make) + direct + check + REPORT_LOOT
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    _no_loot(errors(result))


def test_operators_that_shadow_catalog_functions_are_never_called_by_our_superuser_sessions(
    tmp_path: Path, shared_tmp: Path
) -> None:
    """After the migration, our superuser session reads the catalog (affected objects, advisories):
    `n.nspname || '.' || c.relname`. PR SQL defines `public.||(name, text)`, a better match than
    pg_catalog's text || text, and the database's search_path includes public. On main our catalog
    snapshot calls it as superuser and the shell runs."""
    marker = shared_tmp / "catalog-hijack"
    sql = f"""
create function public.mg_cat(a name, b text) returns text language plpgsql as $f$
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname operator(pg_catalog.=) current_user) then
    execute 'copy (select 1) to program ''touch {marker}''';
  end if;
  return a::text operator(pg_catalog.||) b;
end $f$;
create operator public.|| (leftarg = name, rightarg = text, function = public.mg_cat);
do $d$ begin  -- the database owner may change what new sessions get; our connection options outrank it
  execute format('alter database %I set search_path = public, pg_catalog', current_database());
end $d$;
create table public.bait (id bigint primary key);
"""
    result = plan(tmp_path, {"20240101000000_attack.sql": sql})
    assert result.ok, errors(result)
    assert not marker.exists()


def test_a_token_in_an_error_message_is_scrubbed(tmp_path: Path) -> None:
    """PR SQL echoes a secret into its error (e.g. from a setting or a seed value): the report, the
    JSON and the comment built from them carry it masked. On main the plan result holds it verbatim."""
    token = "ghp_" + "Z9" * 18  # built by the server, so only the error text holds it, not the SQL
    sql = "do $$ begin raise exception 'upstream said: token % rejected', 'ghp_' || repeat('Z9', 18); end $$;\n"
    result = plan(tmp_path, {"20240101000000_leak.sql": sql})
    assert not result.ok
    assert token not in as_json(result)
    assert any("upstream said" in e for e in errors(result))
