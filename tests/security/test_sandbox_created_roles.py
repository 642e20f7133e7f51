"""Roles a migration creates (issue 12, supabase/storage): `postgres` becomes a member of each role
it creates (mg_privileged, PostgreSQL 16's createrole_self_grant), so it can own objects as them.
Through the real plan pipeline on a real local server, with and without the Supabase bootstrap:
such a role is no way to superuser, to server programs or files, or into supabase_admin or the
other reserved roles; and a role `postgres` did not create and is not a member of still cannot own
its objects. Whatever an attempt obtains lands in `public.loot` and fails the plan with `LOOT: ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import REPORT_LOOT, errors, plan, shared_folder

from migration_guard.dryrun.local import find_bin_dir
from migration_guard.dryrun.providers import guard_available, privileged_available

pytestmark = pytest.mark.skipif(
    not (guard_available(find_bin_dir()) and privileged_available(find_bin_dir())),
    reason="mg_guard / mg_privileged not installed (make -C pgext install)",
)

PROTECTED = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files", "supabase_admin")


@pytest.fixture(name="shared_tmp")
def _shared_tmp() -> Iterator[Path]:
    yield from shared_folder()


def _try(sql: str) -> str:
    """One attempt as the migration role; an error is the expected outcome (the role is reset after)."""
    return f"do $t$ begin {sql} exception when others then null; end $t$;\nreset role;\n"


def _escalation_attempts(marker: Path) -> str:
    attempts = [
        *(f"grant {r} to mg_mine;" for r in PROTECTED),
        "alter role mg_mine superuser;",
        "alter group pg_execute_server_program add user mg_mine;",
        "create role mg_in_program in role pg_execute_server_program;",
        "create role mg_in_files in role pg_read_server_files;",
        "create role mg_in_admin in role supabase_admin;",
        # as the created role (postgres may SET ROLE to it now)
        "set role mg_mine; grant pg_execute_server_program to mg_mine;",
        "set role mg_mine; create role mg_sub in role pg_read_server_files;",
        "set role mg_mine; create role mg_sub_super superuser;",
        f"set role mg_mine; copy (select 1) to program 'touch {marker}';",
        "set role mg_mine; insert into public.loot select 'file', pg_read_file('/etc/passwd');",
        "set role mg_mine; execute format('alter role %I superuser', session_user);",
    ]
    return "".join(_try(a) for a in attempts)


# Any role reaching superuser, a server-access role or supabase_admin: loot.
CHECK = """
insert into public.loot
  select 'escalated', r.rolname || ' -> ' || p.name
  from pg_catalog.pg_roles r, unnest(array[{protected}]) as p(name)
  where r.rolname in (session_user, 'mg_mine', 'mg_quote" to postgres; grant pg_execute_server_program to postgres; --')
    and (r.rolsuper or (to_regrole(p.name) is not null and pg_catalog.pg_has_role(r.oid, p.name, 'MEMBER')));
insert into public.loot select 'superuser', rolname from pg_catalog.pg_roles
  where rolsuper and rolname not in ('supabase_admin', 'postgres');
"""


@pytest.mark.parametrize("supabase", ["on", "off"])
def test_a_role_postgres_created_and_belongs_to_is_no_way_to_superuser_or_server_access(
    tmp_path: Path, shared_tmp: Path, supabase: str
) -> None:
    marker = shared_tmp / "via-created-role"
    protected = ", ".join(f"'{r}'" for r in PROTECTED)
    sql = (
        "create table if not exists public.loot (what text, data text);\n"
        "create role mg_mine createrole login;\n"
        # the role name reaches our elevated GRANT ... TO ... GRANTED BY: quoted, never SQL
        """create role "mg_quote"" to postgres; grant pg_execute_server_program to postgres; --";\n"""
        "do $m$ begin if not pg_has_role(session_user, 'mg_mine', 'MEMBER') then "
        "raise exception 'postgres is not a member of the role it created'; end if; end $m$;\n"
        + _escalation_attempts(marker)
        + CHECK.format(protected=protected)
        + REPORT_LOOT
    )
    result = plan(tmp_path, {"20240101000000_roles.sql": sql}, supabase=supabase)
    assert not marker.exists()
    assert result.ok, errors(result)


def test_owner_to_a_role_postgres_did_not_create_and_is_not_a_member_of_still_fails(tmp_path: Path) -> None:
    """The platform's pgbouncer and dashboard_user, and the superuser supabase_admin: as on PostgreSQL 15."""
    owners = "".join(
        f"do $o$ begin alter table public.t owner to {r}; insert into public.loot values ('owner', '{r}'); "
        "exception when insufficient_privilege then null; end $o$;\n"
        for r in ("pgbouncer", "dashboard_user", "supabase_admin")
    )
    sql = (
        "create table public.loot (what text, data text);\ncreate table public.t (id int);\n"
        + owners
        + REPORT_LOOT
        + "alter table public.t owner to pgbouncer;\n"
    )
    result = plan(tmp_path, {"20240101000000_owner.sql": sql})
    [run] = result.migrations
    assert run.error is not None and run.error.message == 'must be member of role "pgbouncer"', errors(result)
