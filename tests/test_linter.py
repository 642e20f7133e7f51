"""The lint engine: suppressions, what is executed (DO blocks) and what is not, context across files."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import Finding, LintOptions, Migration, Severity


def mig(name: str, sql: str) -> Migration:
    return parse_migration(Path(name), sql.encode())


def run(*migrations: Migration, **options: object) -> list[Finding]:
    return list(lint(list(migrations), LintOptions(**options)).findings)  # type: ignore[arg-type]


def rules(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in findings]


# -- suppressions --------------------------------------------------------------------------------


def test_suppression_with_reason_keeps_finding_marked() -> None:
    sql = (
        "-- intent: x\n-- migration-guard: allow drop-column -- unused since v2, archived\nALTER TABLE a DROP COLUMN b;"
    )
    (f,) = run(mig("20240101000000_a.sql", sql))
    assert (f.rule, f.suppressed, f.reason, f.blocking) == ("drop-column", True, "unused since v2, archived", False)


def test_suppression_applies_only_to_the_next_statement() -> None:
    sql = (
        "-- intent: x\n-- migration-guard: allow drop-column -- ok\nALTER TABLE a DROP COLUMN b;\n"
        "ALTER TABLE a DROP COLUMN c;"
    )
    found = run(mig("20240101000000_a.sql", sql))
    assert [(f.line, f.suppressed) for f in found] == [(3, True), (4, False)]


def test_multiple_ids_in_one_suppression() -> None:
    sql = (
        "-- intent: x\n-- migration-guard: allow drop-column, set-not-null -- verified on prod\n"
        "ALTER TABLE a DROP COLUMN b, ALTER COLUMN c SET NOT NULL;"
    )
    found = run(mig("20240101000000_a.sql", sql))
    assert sorted(f.rule for f in found) == ["drop-column", "set-not-null"]
    assert all(f.suppressed and f.reason == "verified on prod" for f in found)


def test_error_suppressed_without_reason_is_itself_an_error() -> None:
    sql = "-- intent: x\n-- migration-guard: allow drop-column\nALTER TABLE a DROP COLUMN b;"
    found = run(mig("20240101000000_a.sql", sql))
    assert rules(found) == [("suppression-without-reason", 2, 1), ("drop-column", 3, 1)]
    meta, dropped = found
    assert meta.blocking and meta.severity is Severity.ERROR
    assert dropped.suppressed and dropped.reason is None


def test_warning_suppressed_without_reason_is_fine() -> None:
    sql = "-- intent: x\n-- migration-guard: allow drop-not-null\nALTER TABLE a ALTER b DROP NOT NULL;"
    (f,) = run(mig("20240101000000_a.sql", sql))
    assert (f.rule, f.suppressed) == ("drop-not-null", True)


def test_allow_file_covers_the_whole_file_and_unknown_ids_warn() -> None:
    sql = (
        "-- intent: cleanup\n-- migration-guard: allow-file drop-table, drop-tabel -- legacy tables, backed up\n"
        "DROP TABLE a;\nDROP TABLE b;"
    )
    found = run(mig("20240101000000_a.sql", sql))
    assert rules(found) == [("unknown-rule-in-suppression", 2, 1), ("drop-table", 3, 1), ("drop-table", 4, 1)]
    assert found[0].severity is Severity.WARNING and not found[0].suppressed
    assert all(f.suppressed and f.reason == "legacy tables, backed up" for f in found[1:])


def test_suppression_in_a_string_or_function_body_does_nothing() -> None:
    sql = (
        "-- intent: x\nSELECT '-- migration-guard: allow drop-column -- no';\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$\n"
        "-- migration-guard: allow drop-column -- no\n"
        "SELECT 1 $$;\n"
        "ALTER TABLE a DROP COLUMN b;"
    )
    found = run(mig("20240101000000_a.sql", sql))
    assert [(f.rule, f.suppressed) for f in found] == [("drop-column", False)]


def test_suppression_covers_findings_reported_at_end_of_file() -> None:
    sql = (
        "-- intent: x\n-- migration-guard: allow missing-primary-key -- append-only log\n"
        "CREATE TABLE log (at timestamptz);"
    )
    (f,) = run(mig("20240101000000_a.sql", sql))
    assert (f.rule, f.suppressed) == ("missing-primary-key", True)


# -- what is executed ----------------------------------------------------------------------------


def test_do_block_statements_are_checked_at_their_own_position() -> None:
    sql = "-- intent: x\nDO $$\nBEGIN\n  ALTER TABLE t DROP COLUMN c;\nEND $$;"
    assert rules(run(mig("20240101000000_a.sql", sql))) == [("drop-column", 4, 3)]


def test_do_block_nested_if_execute_literal_and_language_clause() -> None:
    sql = (
        "-- intent: x\n"
        "DO LANGUAGE plpgsql $do$\nDECLARE n int;\nBEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'x') THEN\n"
        "    EXECUTE 'DROP TABLE legacy';\n"
        "    UPDATE accounts SET plan = 'free';\n"
        "  END IF;\nEND $do$;"
    )
    assert rules(run(mig("20240101000000_a.sql", sql))) == [
        ("drop-table", 6, 14),
        ("mixed-schema-and-data", 7, 5),
        ("update-without-where", 7, 12),
    ]


def test_do_block_creating_a_table_counts_as_new() -> None:
    sql = (
        "-- intent: x\nDO $$ BEGIN CREATE TABLE t (id bigint PRIMARY KEY, a int); END $$;\n"
        "CREATE INDEX ON t (a);\nALTER TABLE t DROP COLUMN a;"
    )
    assert rules(run(mig("20240101000000_a.sql", sql))) == []


def test_function_bodies_strings_and_comments_are_not_executed() -> None:
    sql = (
        "-- intent: x\n-- DROP TABLE a;\n/* ALTER TABLE a DROP COLUMN b; */\n"
        "SELECT 'DROP TABLE a';\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE a; DELETE FROM b; END $$;\n"
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM b; END;"
    )
    assert run(mig("20240101000000_a.sql", sql)) == []


def test_do_block_in_another_language_is_not_parsed_as_plpgsql() -> None:
    sql = "-- intent: x\nDO LANGUAGE plv8 $$ plv8.execute('DROP TABLE a') $$;"
    assert run(mig("20240101000000_a.sql", sql)) == []


def test_positions_after_multibyte_text() -> None:
    sql = (
        "-- intent: ünïcode ✓\n"
        "COMMENT ON TABLE a IS 'ça va 😀';\n"
        "ALTER TABLE a ALTER COLUMN b TYPE bigint USING b::bigint;"
    )
    assert rules(run(mig("20240101000000_a.sql", sql))) == [("column-type-change", 3, 28)]
    sql_do = "-- intent: 😀\nDO $$ BEGIN RAISE NOTICE 'é'; ALTER TABLE t DROP COLUMN c; END $$;"
    assert rules(run(mig("20240101000000_b.sql", sql_do))) == [("drop-column", 2, 31)]


# -- context across files, reporting ---------------------------------------------------------------


def test_table_from_earlier_file_exists_with_data() -> None:
    first = mig("20240101000000_a.sql", "-- intent: a\nCREATE TABLE t (id bigint PRIMARY KEY, a int);")
    same = mig("20240102000000_b.sql", "-- intent: b\nCREATE TABLE u (id bigint PRIMARY KEY);\nCREATE INDEX ON u (id);")
    later = mig("20240103000000_c.sql", "-- intent: c\nCREATE INDEX ON t (a);")
    assert rules(run(first, same, later)) == [("index-not-concurrent", 2, 17)]


def test_only_report_paths_are_reported_earlier_files_give_context() -> None:
    first = mig("20240101000000_a.sql", "CREATE TABLE t (a int);")  # has findings itself
    second = mig("20240102000000_b.sql", "-- intent: b\nALTER TABLE t ALTER COLUMN a TYPE bigint;")
    result = lint([first, second], LintOptions(report_paths=frozenset({"20240102000000_b.sql"})))
    assert {f.path for f in result.findings} == {"20240102000000_b.sql"}
    assert "from int4 to int8" in result.findings[0].message
    assert (result.files, result.statements) == (1, 1)


def test_findings_sorted_by_file_order_then_position() -> None:
    a = mig("20240102000000_a.sql", "DROP TABLE x; DROP TABLE y;\nTRUNCATE z;")
    b = mig("20240101000000_b.sql", "DROP TABLE w;")
    found = run(a, b)
    assert [(f.path, f.line, f.column) for f in found] == sorted(
        [(f.path, f.line, f.column) for f in found], key=lambda t: (t[0] != a.display_path, t[1], t[2])
    )
    # a runs first here, so it is old history: no missing-intent (only b, the newest, is asked).
    assert [f.rule for f in found if f.path == a.display_path] == ["drop-table", "drop-table", "truncate"]


def test_json_contract_keys() -> None:
    result = lint([mig("20240101000000_a.sql", "-- intent: x\nDROP TABLE t;")], LintOptions())
    assert list(result.to_json()) == ["findings", "files", "statements"]
    assert list(result.to_json()["findings"][0]) == [
        "rule", "severity", "path", "line", "column", "message", "why", "fix", "suppressed", "reason",
    ]  # fmt: skip


def test_empty_and_comment_only_files() -> None:
    assert rules(run(mig("20240101000000_a.sql", ""))) == [("missing-intent", 1, 1)]
    assert run(mig("20240101000000_a.sql", "-- intent: nothing yet\n")) == []


def test_suppression_above_a_do_block_covers_what_it_runs() -> None:
    sql = (
        "-- intent: x\n-- migration-guard: allow drop-column -- column unused since v3\n"
        "DO $$\nBEGIN\n  ALTER TABLE t DROP COLUMN c;\nEND $$;"
    )
    (f,) = run(mig("20240101000000_a.sql", sql))
    assert (f.rule, f.line, f.suppressed, f.reason) == ("drop-column", 5, True, "column unused since v3")


def test_idiomatic_supabase_migration_is_clean() -> None:
    sql = (
        "-- intent: profiles\n"
        "create table public.profiles (\n"
        "  id uuid not null references auth.users on delete cascade primary key,\n"
        "  updated_at timestamptz default timezone('utc'::text, now()) not null,\n"
        "  username text unique\n);\n"
        "alter table public.profiles enable row level security;\n"
        'create policy "own" on public.profiles for select to authenticated using ((select auth.uid()) = id);\n'
        "create function public.handle_new_user() returns trigger language plpgsql security definer\n"
        "set search_path = '' as $$ begin insert into public.profiles (id) values (new.id); return new; end $$;\n"
        "create trigger on_auth_user_created after insert on auth.users\n"
        "  for each row execute procedure public.handle_new_user();\n"
        "insert into storage.buckets (id, name) values ('avatars', 'avatars');\n"
        "create policy \"read avatars\" on storage.objects for select using (bucket_id = 'avatars');\n"
        "alter publication supabase_realtime add table public.profiles;"
    )
    assert run(mig("20240101000000_a.sql", sql), supabase=True) == []


# -- robustness ------------------------------------------------------------------------------------

FRAGMENTS = [
    "CREATE TABLE t (id int PRIMARY KEY, a varchar(5), b timestamp, c_id int REFERENCES u (id));",
    "ALTER TABLE t ADD COLUMN d uuid DEFAULT gen_random_uuid() NOT NULL;",
    "ALTER TABLE t ALTER COLUMN a TYPE text, ALTER COLUMN b SET NOT NULL, DROP COLUMN c_id;",
    "CREATE INDEX CONCURRENTLY i ON t (a);",
    "DROP INDEX i;",
    "DO $$ BEGIN ALTER TABLE t DROP COLUMN a; EXECUTE 'DROP TABLE x'; END $$;",
    "DO $$ BEGIN RAISE NOTICE 'ü😀'; UPDATE t SET a = 'é'; END $$;",
    "DO $do$ DECLARE r record; BEGIN FOR r IN SELECT 1 LOOP DELETE FROM t; END LOOP; END $do$;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
    "ALTER TYPE e ADD VALUE 'v';",
    "UPDATE t SET a = 'v';",
    "-- migration-guard: allow drop-column -- ok",
    "-- migration-guard: allow drop-table",
    "-- migration-guard: allow-file nope -- x",
    "BEGIN;",
    "COMMIT;",
    "\\set x 1",
    "SELECT 'ñ';",
    "/* ✓ */",
    "CREATE POLICY p ON t USING (auth.uid() = id);",
    "ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
    "TRUNCATE t;",
    "VACUUM FULL t;",
    "SELEC broken",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12), st.booleans())
def test_any_mix_of_statements_lints_with_positions_inside_the_file(parts: list[str], supabase: bool) -> None:
    sql = "\n".join(parts)
    migration = mig("20240101000000_a.sql", sql)
    lines = sql.split("\n")
    for f in run(migration, supabase=supabase):
        assert 1 <= f.line <= max(len(lines), 1), f
        assert 1 <= f.column <= len(lines[f.line - 1]) + 1 if lines else f.column == 1, f
        assert f.rule and f.message and f.why and f.fix


def test_do_block_branches_are_checked_in_text_order_at_their_positions() -> None:
    sql = (
        "-- intent: x\nDO $$\nBEGIN\n  IF true THEN\n    ALTER TABLE t DROP COLUMN a;\n"
        "  ELSE\n    ALTER TABLE t DROP COLUMN b;\n  END IF;\nEND $$;"
    )
    assert rules(run(mig("20240101000000_a.sql", sql))) == [("drop-column", 5, 5), ("drop-column", 7, 5)]


# -- the change being checked ---------------------------------------------------------------------


def test_missing_intent_only_on_the_files_of_the_change() -> None:
    old = mig("20240101000000_old.sql", "CREATE TABLE a (id bigint PRIMARY KEY);")
    new = mig("20240102000000_new.sql", "CREATE TABLE b (id bigint PRIMARY KEY);")
    newer = mig("20240103000000_newer.sql", "-- intent: c\nCREATE TABLE c (id bigint PRIMARY KEY);")
    # A whole history linted: only the newest file is asked (and it has an intent).
    assert [f.path for f in run(old, new, newer) if f.rule == "missing-intent"] == []
    assert [f.path for f in run(old, new) if f.rule == "missing-intent"] == [new.display_path]
    # A change (--base, check, named files): exactly its files.
    change = frozenset({old.display_path, new.display_path})
    assert [f.path for f in run(old, new, newer, report_paths=change) if f.rule == "missing-intent"] == [
        old.display_path,
        new.display_path,
    ]


def test_later_file_of_the_same_change_secures_the_table() -> None:
    create = mig(
        "20240101000000_create.sql",
        "-- intent: x\nCREATE TABLE public.notes (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
    )
    secure = mig(
        "20240101000001_secure.sql",
        "-- intent: y\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (true);\n"
        "CREATE INDEX notes_user_id_idx ON public.notes (user_id);",
    )
    unrelated = mig("20240101000002_other.sql", "-- intent: z\nSELECT 1;")
    both = frozenset({create.display_path, secure.display_path})
    found = rules(run(create, secure, unrelated, supabase=True, report_paths=both))
    assert found == []
    # Shipped alone (the securing file is not part of the change), the CREATE is flagged.
    alone = rules(run(create, secure, supabase=True, report_paths=frozenset({create.display_path})))
    assert alone == [("table-without-rls", 2, 1), ("foreign-key-without-index", 2, 66)]
    # Whole-history lint: files shipped one at a time, each judged at its own end (and the table
    # holds data by the time the second file indexes it).
    history = [r for r, *_ in rules(run(create, secure, unrelated, supabase=True))]
    assert history == ["table-without-rls", "foreign-key-without-index", "index-not-concurrent"]
