"""Dry-run advisories: materialized views are not called security-definer views, and an advisory
that a lint finding already reports about the same object is dropped (one finding per problem)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from migration_guard.dryrun.advisories import collect, without_lint_duplicates
from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions

SQL = """-- intent: advisories
create table public.parents (id int primary key);
create table public.kids (id int primary key, parent_id int references public.parents (id));
alter table public.parents enable row level security;
alter table public.kids enable row level security;
create view public.kid_names as select id from public.kids;
create materialized view public.kid_count as select count(*) from public.kids;
grant select on public.kid_names, public.kid_count to anon;
"""


def _roles(conn: psycopg.Connection) -> None:
    for role in ("anon", "authenticated"):  # cluster-wide: another test may have made them already
        conn.execute(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )


def test_materialized_view_has_its_own_advisory(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _roles(conn)
        conn.execute(SQL)
        found = {(a.rule, a.object) for a in collect(conn, ("public",), supabase=True)}
    assert ("security-definer-view", "public.kid_names") in found
    assert ("materialized-view-in-api", "public.kid_count") in found
    assert ("security-definer-view", "public.kid_count") not in found


def test_advisories_that_lint_already_reports_are_dropped(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _roles(conn)
        conn.execute(SQL)
        conn.execute("create table public.other (id int primary key, kid_id int references public.kids (id))")
        advisories = collect(conn, ("public",), supabase=True)
    migration = parse_migration(Path("20240101000000_a.sql"), SQL.encode())
    findings = lint([migration], LintOptions(supabase=True)).findings
    assert {"foreign-key-without-index", "view-without-security-invoker"} <= {f.rule for f in findings}
    kept = {(a.rule, a.object) for a in without_lint_duplicates(advisories, findings)}
    dropped = {(a.rule, a.object) for a in advisories} - kept
    assert dropped == {
        ("unindexed-foreign-key", "public.kids (kids_parent_id_fkey)"),
        ("security-definer-view", "public.kid_names"),
        ("materialized-view-in-api", "public.kid_count"),
        ("rls-enabled-no-policy", "public.parents"),
        ("rls-enabled-no-policy", "public.kids"),
    }
    # The table lint never saw keeps its advisory: only the dry run knows about it.
    assert ("unindexed-foreign-key", "public.other (other_kid_id_fkey)") in kept
