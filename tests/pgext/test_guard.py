"""mg_guard on a real server: a CREATEROLE non-superuser (Supabase's `postgres`, here `migrator`)
can manage ordinary roles, but cannot reach the server's files or programs, or a superuser, by any
path an attacker would try: direct grants, role chains, CREATE ROLE ... IN ROLE, ALTER GROUP,
SET ROLE to a helper role, DO blocks, EXECUTE and functions.

Every refusal is followed by the end-to-end proof: the migrator still cannot run COPY ... TO PROGRAM.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from migration_guard.dryrun.local import LocalPostgres

Conn = psycopg.Connection[tuple[object, ...]]
SANDBOX = "is not allowed in the Migration Guard dry-run sandbox"


@pytest.fixture
def superuser(guard_server: LocalPostgres) -> Iterator[Conn]:
    with psycopg.connect(guard_server.conninfo(), autocommit=True) as conn:
        yield conn


@pytest.fixture
def migrator(shared_migrator_db: str) -> Iterator[Conn]:
    with psycopg.connect(shared_migrator_db, autocommit=True) as conn:
        yield conn


def fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def refused(conn: Conn, sql: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(sql)
    first_line = str(caught.value).splitlines()[0]
    assert SANDBOX in first_line
    return first_line


def cannot_run_programs(conn: Conn) -> None:
    """The escalation the guard exists for did not happen."""
    conn.execute("reset role")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("copy (select 1) to program 'cat > /dev/null'")
    members = conn.execute(
        "select count(*) from pg_auth_members m join pg_roles r on r.oid = m.roleid"
        " where r.rolname in ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files')"
    ).fetchone()
    assert members == (0,)


def test_without_the_guard_createrole_reaches_a_shell(pg_server: LocalPostgres) -> None:
    """The PostgreSQL 15 escalation this library closes (a server without mg_guard)."""
    role = fresh("plain_createrole")
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"create role {role} login createrole")
    try:
        with psycopg.connect(pg_server.conninfo(user=role), autocommit=True) as conn:
            conn.execute(f"grant pg_execute_server_program to {role}")
            conn.execute("copy (select 1) to program 'cat > /dev/null'")
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute(f"drop role {role}")


# --- what migrations do keeps working ---------------------------------------------------------


def test_ordinary_role_management_is_allowed(migrator: Conn) -> None:
    role, other = fresh("app_role"), fresh("app_group")
    migrator.execute(f"create role {role} nologin")
    migrator.execute(f"grant anon to {role}")
    migrator.execute(f"grant authenticated, service_role to {role} with admin option")
    migrator.execute(f"create role {other} in role anon role {role}")
    migrator.execute(f"grant {other} to migrator")
    migrator.execute(f"set role {other}")
    migrator.execute("reset role")
    migrator.execute(f"alter role {role} with login password 'x' connection limit 5")
    migrator.execute(f"alter role {role} set statement_timeout = '5s'")
    migrator.execute(f"alter group {other} add user {role}")
    migrator.execute(f"alter role {role} rename to {role}_renamed")
    migrator.execute(f"revoke anon from {role}_renamed")
    migrator.execute(f"grant {role}_renamed to migrator")  # REASSIGN needs the privileges of both roles
    migrator.execute(f"reassign owned by {role}_renamed to migrator")
    migrator.execute(f"drop owned by {role}_renamed")
    migrator.execute(f"drop role {role}_renamed, {other}")
    cannot_run_programs(migrator)


def test_superuser_is_not_limited(superuser: Conn) -> None:
    role = fresh("admin_made")
    superuser.execute(f"create role {role} in role pg_read_server_files")
    superuser.execute(f"grant pg_execute_server_program to {role}")
    superuser.execute(f"drop role {role}")


# --- direct attempts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "grant pg_execute_server_program to migrator",
            'granting role "pg_execute_server_program" ' + SANDBOX + ": it is a reserved role",
        ),
        ("grant pg_read_server_files to migrator", 'granting role "pg_read_server_files"'),
        ("grant pg_write_server_files to migrator", 'granting role "pg_write_server_files"'),
        ("grant anon, pg_execute_server_program to migrator", 'granting role "pg_execute_server_program"'),
        ("grant pg_execute_server_program to anon", 'granting role "pg_execute_server_program"'),
        ("grant supabase_admin to migrator", 'granting role "supabase_admin" ' + SANDBOX + ": it is a superuser"),
        (
            "create role r_new in role pg_execute_server_program",
            'granting (CREATE ROLE ... IN ROLE) role "pg_execute_server_program"',
        ),
        ("create group r_new in group pg_write_server_files", 'role "pg_write_server_files"'),
        ("create role r_new in role supabase_admin", 'role "supabase_admin"'),
        ("create role r_new role supabase_admin", 'naming (CREATE ROLE ... ROLE/ADMIN) role "supabase_admin"'),
        ("create role r_new admin supabase_admin", 'naming (CREATE ROLE ... ROLE/ADMIN) role "supabase_admin"'),
        ("alter group pg_execute_server_program add user migrator", 'altering role "pg_execute_server_program"'),
        ("alter role pg_read_server_files login password 'x'", 'altering role "pg_read_server_files"'),
        ("alter role supabase_admin password 'x'", 'altering role "supabase_admin"'),
        ("alter role supabase_admin nosuperuser", 'altering role "supabase_admin"'),
        ("alter role supabase_admin set search_path = public", 'altering role "supabase_admin"'),
        ("alter role supabase_admin rename to someone", 'renaming role "supabase_admin"'),
        ("drop role supabase_admin", 'dropping role "supabase_admin"'),
        ("drop role if exists nobody_here, supabase_admin", 'dropping role "supabase_admin"'),
        ("drop owned by supabase_admin", 'dropping objects owned by role "supabase_admin"'),
        ("reassign owned by supabase_admin to migrator", 'reassigning objects owned by role "supabase_admin"'),
        ("reassign owned by migrator to supabase_admin", 'reassigning objects to role "supabase_admin"'),
    ],
)
def test_direct_attempts_are_refused(migrator: Conn, sql: str, message: str) -> None:
    assert message in refused(migrator, sql)
    assert migrator.execute("select count(*) from pg_roles where rolname = 'r_new'").fetchone() == (0,)
    cannot_run_programs(migrator)


# --- indirect attempts ------------------------------------------------------------------------


def test_grant_inside_do_execute_and_functions_is_refused(migrator: Conn) -> None:
    refused(migrator, "do $$ begin execute 'grant pg_execute_server_program to migrator'; end $$")
    refused(migrator, "do $$ begin grant pg_read_server_files to migrator; end $$")
    migrator.execute(
        "create function sql_grant() returns void language sql as $$ grant pg_write_server_files to migrator $$"
    )
    refused(migrator, "select sql_grant()")
    migrator.execute(
        "create function definer_grant() returns void language plpgsql security definer"
        " as $$ begin execute format('grant %I to migrator', 'pg_execute_server_program'); end $$"
    )
    refused(migrator, "select definer_grant()")
    refused(migrator, "do $$ begin execute 'create role r_do in role pg_execute_server_program'; end $$")
    cannot_run_programs(migrator)


def test_superuser_code_run_for_the_migrator_is_limited_too(
    guard_server: LocalPostgres, superuser: Conn, migrator: Conn
) -> None:
    """A superuser session that SET ROLEs to the migrator, and a superuser's SECURITY DEFINER helper
    with an injection bug called by the migrator: both limited."""
    superuser.execute("set role migrator")
    refused(superuser, "grant pg_execute_server_program to anon")
    superuser.execute("reset role")
    with psycopg.connect(guard_server.conninfo(dbname=migrator.info.dbname), autocommit=True) as admin:
        admin.execute(
            "create function public.run_as_admin(sql text) returns void language plpgsql security definer"
            " set search_path = pg_catalog as $$ begin execute sql; end $$"
        )
        try:
            refused(migrator, "select public.run_as_admin('grant pg_execute_server_program to migrator')")
            refused(migrator, "select public.run_as_admin($q$alter role supabase_admin password 'x'$q$)")
            migrator.execute("select public.run_as_admin('create role helper_made_role in role anon')")
            migrator.execute("drop role helper_made_role")
        finally:
            admin.execute("drop function public.run_as_admin(text)")
    cannot_run_programs(migrator)


def test_set_role_to_a_createrole_helper_is_refused(migrator: Conn) -> None:
    helper = fresh("helper")
    migrator.execute(f"create role {helper} createrole")
    migrator.execute(f"grant {helper} to migrator")
    migrator.execute(f"set role {helper}")
    refused(migrator, f"grant pg_execute_server_program to {helper}")
    refused(migrator, "grant pg_execute_server_program to migrator")
    refused(migrator, f"create role {helper}_2 in role pg_read_server_files")
    cannot_run_programs(migrator)


def test_granting_to_a_role_the_migrator_holds_is_refused(migrator: Conn) -> None:
    """GRANT pg_execute_server_program TO x, where x is granted to the migrator."""
    holder = fresh("holder")
    migrator.execute(f"create role {holder}")
    migrator.execute(f"grant {holder} to migrator")
    refused(migrator, f"grant pg_execute_server_program to {holder}")
    refused(migrator, f"alter group pg_execute_server_program add user {holder}")
    cannot_run_programs(migrator)


def test_role_chains_to_a_reserved_role_are_refused(superuser: Conn, migrator: Conn) -> None:
    """A role made a member of pg_execute_server_program (or of a superuser) by someone else is as
    dangerous as the reserved role itself: granting, altering or dropping it is refused too."""
    outer, inner, via_super, root = fresh("outer"), fresh("inner"), fresh("via_super"), fresh("root")
    superuser.execute(f"create role {inner} in role pg_execute_server_program")
    superuser.execute(f"create role {outer} in role {inner}")
    superuser.execute(f"create role {root} superuser")  # a superuser that is not in reserved_roles
    superuser.execute(f"create role {via_super} in role {root}")
    try:
        # PostgreSQL 15 lets CREATEROLE grant any non-superuser role: without the guard this works.
        message = refused(migrator, f"grant {outer} to anon")
        assert (
            f'granting role "{outer}" {SANDBOX}: it is a member of reserved role "pg_execute_server_program"' in message
        )
        assert f'member of superuser role "{root}"' in refused(migrator, f"grant {via_super} to anon")
        refused(migrator, f"create role {fresh('chain')} in role {outer}")
        refused(migrator, f"alter role {inner} login")
        refused(migrator, f"drop role {outer}")
        refused(migrator, f"alter role {outer} rename to {outer}_x")
    finally:
        superuser.execute(f"drop role {outer}, {inner}, {via_super}, {root}")


def test_reserved_roles_setting_cannot_be_changed_by_a_session(migrator: Conn) -> None:
    assert migrator.execute("show mg_guard.reserved_roles").fetchone() == ("supabase_admin",)
    with pytest.raises(psycopg.errors.CantChangeRuntimeParam):
        migrator.execute("set mg_guard.reserved_roles = ''")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        migrator.execute("alter system set mg_guard.reserved_roles = ''")
