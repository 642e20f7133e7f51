"""Shared by the sandbox attack tests: write a Supabase project, run the real plan pipeline on a real
local server, and look for evidence that PR SQL escaped (a marker file written by a shell command,
rows in a `loot` table raised back into the report, a superuser role)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dryrun_servers import server_reachable_folder
from migration_guard.dryrun.plan import PlanOptions, plan_to_json, run_plan
from migration_guard.plan_model import PlanResult

# A function PR SQL can reach with our rights on today's main: `public.=` on text, picked by our
# own SECURITY DEFINER event trigger once the migration sets search_path = public, pg_catalog. With
# superuser rights it runs ATTACK (SQL), records what it got in public.loot, then compares honestly.
HIJACK = """
create table if not exists public.loot (what text, data text);
create or replace function public.mg_hijack(a text, b text) returns boolean language plpgsql as $f$
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname operator(pg_catalog.=) current_user) then
    begin
      ATTACK
    exception when others then
      insert into public.loot values ('error', sqlerrm);
    end;
  end if;
  return a operator(pg_catalog.=) b;
end $f$;
create operator public.= (leftarg = text, rightarg = text, function = public.mg_hijack);
set search_path = public, pg_catalog;
create extension if not exists pgcrypto;
create extension if not exists hstore;
reset search_path;
"""

# Last statement of an attack migration: whatever landed in public.loot fails the plan with it.
REPORT_LOOT = """
do $r$ begin
  if exists (select from public.loot where what <> 'error') then
    raise exception 'LOOT: %', (select string_agg(what || '=' || left(data, 300), ' | ') from public.loot);
  end if;
end $r$;
"""


def hijack(attack_sql: str) -> str:
    return HIJACK.replace("ATTACK", attack_sql)


def attempt(what: str, sql_expr: str) -> str:
    """A direct try, as the migration role: its result lands in public.loot when it works."""
    return f"""
do $a$ begin
  insert into public.loot select '{what}', ({sql_expr})::text;
exception when others then null;
end $a$;
"""


def shared_folder() -> Iterator[Path]:
    """A folder the server's unprivileged user can write (marker files of shell commands land here);
    test modules wrap it as the ``shared_tmp`` fixture."""
    with server_reachable_folder("mg-sandbox-", 0o777) as d:
        yield d


def project(root: Path, files: dict[str, str]) -> Path:
    d = root / "supabase" / "migrations"
    d.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (d / name).write_text(sql)
    return d


def plan(root: Path, files: dict[str, str], **options: Any) -> PlanResult:
    """The real plan pipeline (local provider unless ``postgres=`` says otherwise), Supabase on."""
    opts: dict[str, Any] = {"supabase": "on", "postgres": "local", **options}
    return run_plan(PlanOptions(migrations_dir=project(root, files), **opts))


def errors(result: PlanResult) -> list[str]:
    return [r.error.message for r in result.migrations if r.error is not None]


def as_json(result: PlanResult) -> str:
    return json.dumps(plan_to_json(result))
