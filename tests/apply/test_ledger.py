"""The ledger we write is the Supabase CLI's ledger: same DDL, same rows, same statement split."""

from __future__ import annotations

from pathlib import Path

from apply_helpers import Folder, RunMG, apply_now, query, table_exists

from migration_guard.apply.ledger import SELECT_VERSION_TABLE
from migration_guard.apply.split import split_statements

FIRST = """-- intent: a table of profiles
create table public.profiles (
  id uuid primary key,
  bio text default 'a; b'  -- not a separator
);

alter table public.profiles enable row level security;
create function public.hello() returns text language plpgsql as $$
begin
  return 'hi;';
end;
$$;
"""


def test_rows_read_back_as_the_supabase_cli_reads_them(folder: Folder, mg: RunMG, pg_url: str) -> None:
    path = folder.add("20240101120000", "profiles", FIRST)
    folder.add("20240102120000", "empty", "-- nothing here yet\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0, proc.stderr + proc.stdout

    rows = query(pg_url, SELECT_VERSION_TABLE + " ORDER BY version")
    # The CLI's own query and ordering: version, name, statements (its SplitAndTrim of the file).
    assert [(v, n) for v, n, _ in rows] == [("20240101120000", "profiles"), ("20240102120000", "empty")]
    stored = rows[0][2]
    assert stored == split_statements(path.read_text())
    assert stored == [
        "-- intent: a table of profiles\ncreate table public.profiles (\n  id uuid primary key,\n"
        "  bio text default 'a; b'  -- not a separator\n)",
        "alter table public.profiles enable row level security",
        "create function public.hello() returns text language plpgsql as $$\nbegin\n  return 'hi;';\nend;\n$$",
    ]
    assert rows[1][2] == ["-- nothing here yet"]
    # The CLI's `migration list` query.
    assert query(pg_url, "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version") == [
        ("20240101120000",),
        ("20240102120000",),
    ]


def test_ledger_table_has_the_cli_shape(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101120000", "t", "create table t (id int);")
    apply_now(pg_url, folder.path)
    cols = query(
        pg_url,
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'supabase_migrations' AND table_name = 'schema_migrations' ORDER BY ordinal_position",
    )
    assert cols == [("version", "text", "NO"), ("statements", "ARRAY", "YES"), ("name", "text", "YES")]
    pk = query(
        pg_url,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'supabase_migrations.schema_migrations'::regclass "
        "AND i.indisprimary",
    )
    assert pk == [("version",)]
    # Our own facts live in our schema, never in the CLI's table.
    side = query(
        pg_url, "SELECT version, name, length(checksum), duration_ms >= 0, tool_version FROM migration_guard.applied"
    )
    assert side == [("20240101120000", "t", 64, True, "0.1.0")]


def test_works_with_extra_hosted_columns(folder: Folder, mg: RunMG, pg_url: str) -> None:
    query(
        pg_url,
        "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
        "(version text NOT NULL PRIMARY KEY, statements text[], name text, created_by text, "
        "idempotency_key text, rollback text[])",
    )
    query(
        pg_url,
        "INSERT INTO supabase_migrations.schema_migrations (version, name, statements, created_by) "
        "VALUES ('20230101000000', 'init', ARRAY['create table base (id int)'], 'dashboard')",
    )
    query(pg_url, "create table base (id int)")
    folder.add("20230101000000", "init", "create table base (id int);\n")
    folder.add("20240101000000", "more", "alter table base add column note text;\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert query(
        pg_url,
        "SELECT version, name, statements, created_by, idempotency_key, rollback "
        "FROM supabase_migrations.schema_migrations ORDER BY version",
    ) == [
        ("20230101000000", "init", ["create table base (id int)"], "dashboard", None, None),
        ("20240101000000", "more", ["alter table base add column note text"], None, None, None),
    ]


def test_rerun_is_a_no_op(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "a", "create table a (id int);")
    apply_now(pg_url, folder.path)
    again = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert again.returncode == 0
    assert "up to date" in again.stdout
    assert query(pg_url, "SELECT count(*) FROM supabase_migrations.schema_migrations") == [(1,)]
    assert query(pg_url, "SELECT count(*) FROM migration_guard.applied") == [(1,)]


def test_file_with_no_statements_stores_null_like_the_cli(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "blank", "\n\n")
    apply_now(pg_url, folder.path)
    assert query(pg_url, "SELECT statements FROM supabase_migrations.schema_migrations") == [(None,)]


def test_files_the_cli_skips_are_skipped(folder: Folder, mg: RunMG, pg_url: str, tmp_path: Path) -> None:
    folder.add("20240101000000", "a", "create table a (id int);")
    (folder.path / "notes.sql").write_text("drop table a;")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0
    assert "skipping notes.sql" in proc.stdout
    assert table_exists(pg_url, "a")


def test_an_older_ledger_is_completed_with_the_cli_statements(folder: Folder, mg: RunMG, pg_url: str) -> None:
    # Ledgers made by old CLI versions have only `version`; the CLI adds the columns, so do we.
    query(
        pg_url,
        "CREATE SCHEMA supabase_migrations; "
        "CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY); "
        "INSERT INTO supabase_migrations.schema_migrations VALUES ('20230101000000'); "
        "CREATE TABLE old (id int)",
    )
    folder.add("20230101000000", "old", "create table old (id int);\n")
    folder.add("20240101000000", "new", "create table new (id int);\n")
    status = mg("status", "--database-url", pg_url, "--dir", folder.path)
    assert "no statements recorded (older CLI); not compared" in status.stdout
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert query(pg_url, SELECT_VERSION_TABLE + " ORDER BY version") == [
        ("20230101000000", "", None),
        ("20240101000000", "new", ["create table new (id int)"]),
    ]
