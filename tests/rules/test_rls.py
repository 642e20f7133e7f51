"""table-without-rls, rls-enabled-no-policy, policy-without-rls; Supabase idioms never trigger."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]
Lint = Callable[..., list]

SUPABASE_TABLE = """-- intent: notes
create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text,
  created_at timestamptz not null default timezone('utc', now())
);
create index notes_user_id_idx on public.notes (user_id);
alter table public.notes enable row level security;
create policy "owners read" on public.notes for select to authenticated using ((select auth.uid()) = user_id);
create policy "owners write" on public.notes for insert to authenticated with check (auth.uid() = user_id);
"""


def test_idiomatic_supabase_table_has_no_findings_at_all(lint_sql: Lint) -> None:
    assert lint_sql(("20240101000000_notes.sql", SUPABASE_TABLE), supabase=True) == []


def test_table_without_rls_only_in_supabase_and_exposed_schemas(hits: Hits) -> None:
    sql = "CREATE TABLE public.a (id bigint PRIMARY KEY);\n  CREATE TABLE private.b (id bigint PRIMARY KEY);"
    assert hits("table-without-rls", sql, supabase=True) == [(1, 1)]
    assert hits("table-without-rls", sql, supabase=False) == []
    assert hits("table-without-rls", sql, supabase=True, exposed=("public", "private")) == [(1, 1), (2, 3)]


def test_rls_enabled_later_in_same_file_counts_temp_tables_ignored(hits: Hits) -> None:
    sql = (
        "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE POLICY p ON a USING (true);\n"
        "ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;\nCREATE TEMP TABLE scratch (id int);"
    )
    assert hits("table-without-rls", sql, supabase=True) == []


def test_rls_enabled_in_a_later_file_counts_only_when_it_ships_along(hits: Hits) -> None:
    first = "CREATE TABLE a (id bigint PRIMARY KEY);"
    second = "ALTER TABLE a ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON a USING (true);"
    # The change is only the first file: it ships an open table (the fix comes in a later change).
    alone = frozenset({"20240101000000_m0.sql"})
    assert hits("table-without-rls", first, second, supabase=True, report=alone) == [(1, 1)]
    # Both files in the change, or a whole history where the later file secured it: nothing to report.
    both = frozenset({"20240101000000_m0.sql", "20240101000001_m1.sql"})
    assert hits("table-without-rls", first, second, supabase=True, report=both) == []
    assert hits("table-without-rls", first, second, supabase=True) == []
    assert hits("table-without-rls", first, "SELECT 1;", supabase=True) == [(1, 1)]


def test_rls_enabled_no_policy(hits: Hits) -> None:
    sql = (
        "CREATE TABLE a (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\n"
        "CREATE TABLE b (id int);\nALTER TABLE b ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON b USING (true);"
    )
    assert hits("rls-enabled-no-policy", sql) == [(1, 1)]


def test_policy_without_rls_when_rls_known_off(hits: Hits) -> None:
    first = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nALTER TABLE b ENABLE ROW LEVEL SECURITY;"
    second = (
        "CREATE POLICY pa ON a USING (true);\nCREATE POLICY pb ON b USING (true);\n"
        "CREATE POLICY pc ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'avatars');"
    )
    assert hits("policy-without-rls", first, second) == [(1, 1)]


def test_policy_without_rls_disabled_explicitly(hits: Hits) -> None:
    sql = "ALTER TABLE profiles DISABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON profiles USING (true);"
    assert hits("policy-without-rls", sql) == [(2, 1)]


def test_search_path_decides_where_unqualified_tables_go(hits: Hits) -> None:
    sql = (
        "SET search_path = private, public;\nCREATE TABLE a (id bigint PRIMARY KEY);\n"
        "RESET search_path;\nCREATE TABLE b (id bigint PRIMARY KEY);"
    )
    assert hits("table-without-rls", sql, supabase=True) == [(4, 1)]


def test_set_local_search_path_ends_with_the_file(hits: Hits) -> None:
    first = 'SET LOCAL search_path TO "$user", internal;\nCREATE TABLE a (id bigint PRIMARY KEY);'
    second = "CREATE TABLE b (id bigint PRIMARY KEY);\nALTER TABLE internal.a ENABLE ROW LEVEL SECURITY;"
    assert hits("table-without-rls", first, second, supabase=True) == [(1, 1)]
    # internal.a was created by the first file: the second one refers to it by its qualified name.
    assert hits("policy-without-rls", first, second + "\nCREATE POLICY p ON internal.a USING (true);") == []
