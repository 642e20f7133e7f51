"""Role fidelity: what `supabase db dump` output and real Supabase migrations do with roles works in
the dry run as on Supabase, through the real plan pipeline on a real local server. On main the first
test stops at `ALTER ... OWNER TO postgres` (must be member of role "postgres")."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import errors, plan

from migration_guard.dryrun.local import find_bin_dir
from migration_guard.dryrun.providers import guard_available

DUMP_STYLE = """
create table public.profiles (id uuid primary key, name text);
alter table public.profiles owner to "postgres";
alter schema public owner to "postgres";
create function public.touch() returns trigger language plpgsql set search_path = '' as $$
begin return new; end $$;
alter function public.touch() owner to "postgres";
grant all on table public.profiles to "anon";
grant all on table public.profiles to "authenticated";
grant all on table public.profiles to "service_role";
grant usage on schema public to "anon";
alter default privileges for role "postgres" in schema public grant all on tables to "anon";
create schema if not exists private authorization postgres;
alter table public.profiles enable row level security;
create policy read_own on public.profiles for select to authenticated using (id = auth.uid());
set role authenticated;
select count(*) from public.profiles;
reset role;
set role service_role;
select count(*) from public.profiles;
reset role;
"""


def test_dump_style_ownership_grants_and_set_role_work_as_on_supabase(tmp_path: Path) -> None:
    result = plan(tmp_path, {"20240101000000_dump.sql": DUMP_STYLE})
    assert result.ok, errors(result)


@pytest.mark.skipif(not guard_available(find_bin_dir()), reason="mg_guard not installed (make -C pgext install)")
def test_create_role_in_a_migration_works_with_mg_guard_and_cannot_reach_server_roles(tmp_path: Path) -> None:
    """With mg_guard preloaded `postgres` has CREATEROLE (as on Supabase): CREATE ROLE, GRANT of the
    new role and to it work; granting it pg_execute_server_program fails at its line."""
    sql = (
        "create role app_reader nologin;\n"
        "grant usage on schema public to app_reader;\n"
        "grant app_reader to authenticator;\n"
        "grant pg_execute_server_program to app_reader;\n"
    )
    result = plan(tmp_path, {"20240101000000_roles.sql": sql})
    [run] = result.migrations
    assert run.error is not None, "granting pg_execute_server_program must fail"
    assert run.error.line == 4, errors(result)
