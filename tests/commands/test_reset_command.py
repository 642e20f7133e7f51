"""`migration-guard reset`, run as the real CLI on a real PostgreSQL database."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

MIGRATIONS = {
    "20240101000000_profiles.sql": """
        -- intent: profiles for signed-up users
        create table public.profiles (
          id uuid primary key references auth.users (id) on delete cascade,
          username text not null unique
        );
        alter table public.profiles enable row level security;
        create policy "own profile" on public.profiles for select to authenticated using (id = auth.uid());
    """,
    "20240102000000_todos.sql": """
        -- intent: todos owned by a profile
        create table public.todos (
          id bigint generated always as identity primary key,
          owner uuid not null references public.profiles (id) on delete cascade,
          title text not null,
          priority integer not null default 0
        );
        create index todos_owner_idx on public.todos (owner);
        alter table public.todos enable row level security;
        create policy "own todos" on public.todos for all to authenticated using (owner = auth.uid());
    """,
    "20240103000000_app_schema.sql": """
        -- intent: private settings schema
        create schema app;
        create table app.settings (key text primary key, value text not null);
        create function auth.is_staff() returns boolean language sql stable as 'select false';
    """,
    "20240104000000_todos_title_index.sql": """
        -- migration-guard: no-transaction
        -- intent: search todos by title without blocking writes
        create index concurrently if not exists todos_title_idx on public.todos (title);
    """,
}

SEED = """
insert into auth.users (id, email) values ('00000000-0000-0000-0000-00000000000a', 'a@example.com')
  on conflict do nothing;
insert into public.profiles (id, username) values ('00000000-0000-0000-0000-00000000000a', 'alice')
  on conflict do nothing;
"""
DEV_SEED = "insert into public.todos (owner, title) values ('00000000-0000-0000-0000-00000000000a', 'dev todo');"
TEST_SEED = "insert into public.todos (owner, title) values ('00000000-0000-0000-0000-00000000000a', 'test todo');"


def make_project(root: Path) -> Path:
    supabase = root / "supabase"
    migrations = supabase / "migrations"
    migrations.mkdir(parents=True)
    (supabase / "config.toml").write_text('project_id = "demo"\n[api]\nschemas = ["public", "graphql_public"]\n')
    for name, sql in MIGRATIONS.items():
        (migrations / name).write_text(textwrap.dedent(sql).lstrip())
    (supabase / "seed.sql").write_text(SEED)
    for seed_set, text in (("dev", DEV_SEED), ("test", TEST_SEED)):
        (supabase / "seeds" / seed_set).mkdir(parents=True)
        (supabase / "seeds" / seed_set / "01_todos.sql").write_text(text)
    return migrations


def reset(url: str, directory: Path, *extra: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "reset", "--database-url", url, "--dir", str(directory), *extra],
        capture_output=True,
        text=True,
        check=False,
        input=stdin,
    )


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def test_replays_migrations_and_loads_dev_seeds(pg_url: str, project: Path) -> None:
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "4 migration(s), 2 seed file(s)" in proc.stdout
    # the no-transaction file ran outside a transaction (CONCURRENTLY) and built a valid index
    assert rows(pg_url, "select indisvalid from pg_index where indexrelid = 'public.todos_title_idx'::regclass") == [
        (True,)
    ]
    assert rows(pg_url, "select title from public.todos") == [("dev todo",)]
    assert rows(pg_url, "select version, name from supabase_migrations.schema_migrations order by 1") == [
        ("20240101000000", "profiles"),
        ("20240102000000", "todos"),
        ("20240103000000", "app_schema"),
        ("20240104000000", "todos_title_index"),
    ]
    # Ledger statements are split like the Supabase CLI (comments kept, trailing ';' trimmed).
    (statements,) = rows(pg_url, "select statements from supabase_migrations.schema_migrations limit 1")[0]
    assert isinstance(statements, list) and statements[0].startswith("-- intent: profiles")

    # Local changes vanish on the next reset; the database comes back exactly as the files say.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("insert into app.settings values ('theme', 'dark')")
        conn.execute("create table public.scratch (id int)")
        conn.execute("insert into auth.users (id, email) values (gen_random_uuid(), 'b@example.com')")
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "dropped schemas: public, app" in proc.stderr
    assert rows(pg_url, "select count(*) from app.settings") == [(0,)]
    assert rows(pg_url, "select to_regclass('public.scratch')") == [(None,)]
    assert rows(pg_url, "select email from auth.users") == [("a@example.com",)]
    assert rows(pg_url, "select count(*) from supabase_migrations.schema_migrations") == [(4,)]
    # the function a migration created in the platform schema auth was dropped and recreated
    assert rows(pg_url, "select count(*) from pg_proc where proname = 'is_staff'") == [(1,)]
    # RLS and policies came back too
    assert rows(pg_url, "select count(*) from pg_policy") == [(2,)]


def test_test_seeds_and_no_seeds(pg_url: str, project: Path) -> None:
    proc = reset(pg_url, project, "--yes", "--seed", "test")
    assert proc.returncode == 0, proc.stderr
    assert rows(pg_url, "select title from public.todos") == [("test todo",)]
    proc = reset(pg_url, project, "--yes", "--seed", "NONE")
    assert proc.returncode == 0, proc.stderr
    assert rows(pg_url, "select count(*) from public.todos") == [(0,)]
    assert rows(pg_url, "select count(*) from auth.users") == [(0,)]


def test_keep_data_survives_reset(pg_url: str, project: Path) -> None:
    assert reset(pg_url, project, "--yes").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("insert into auth.users (id, email) values ('00000000-0000-0000-0000-00000000000b', 'b@x.io')")
        conn.execute("insert into public.profiles values ('00000000-0000-0000-0000-00000000000b', 'bob')")
        conn.execute(
            "insert into public.todos (owner, title, priority) values "
            "('00000000-0000-0000-0000-00000000000b', 'bob''s todo', 3), "
            "('00000000-0000-0000-0000-00000000000b', E'multi\\nline\\ttab', 1)"
        )
        conn.execute("insert into app.settings values ('theme', 'dark')")
    proc = reset(pg_url, project, "--yes", "--keep-data", "todos", "auth.users", "public.profiles", "app.settings")
    assert proc.returncode == 0, proc.stderr
    assert "saved 3 row(s) of public.todos" in proc.stderr
    # alice's user and profile were in the dump and are recreated by seed.sql: skipped, not duplicated
    assert "restored 1 row(s) of auth.users (1 already present after the seeds)" in proc.stderr
    assert sorted(rows(pg_url, "select title, priority from public.todos")) == [
        ("bob's todo", 3),
        ("dev todo", 0),
        ("multi\nline\ttab", 1),
    ]
    assert rows(pg_url, "select value from app.settings") == [("dark",)]
    assert sorted(r[0] for r in rows(pg_url, "select username from public.profiles")) == ["alice", "bob"]
    # the identity sequence moved past the restored ids: a new row does not collide
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("insert into public.todos (owner, title) values ('00000000-0000-0000-0000-00000000000b', 'new')")


def test_keep_data_misfit_names_table_and_column(pg_url: str, project: Path) -> None:
    assert reset(pg_url, project, "--yes").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("update public.todos set priority = 7")
    # The new schema makes priority a text enum: 7 no longer fits.
    (project / "20240105000000_priority_enum.sql").write_text(
        "create type public.priority as enum ('low', 'high');\n"
        "alter table public.todos alter column priority drop default;\n"
        "alter table public.todos alter column priority type public.priority using 'low';\n"
        "alter table public.todos alter column priority set default 'low';\n"
    )
    proc = reset(pg_url, project, "--yes", "--keep-data", "public.todos")
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith("migration-guard: error: --keep-data public.todos, column priority: ")
    assert "no longer fit" in err and "saved in" in err
    saved = Path(err.split("saved in ")[1].split(" ")[0])
    assert (saved / "public.todos.copy").read_text().count("\n") == 1
    shutil.rmtree(saved)  # the user's copy; the test cleans up after itself
    # The reset itself is done (the new schema is there), the seed rows are there, the misfit rows are not.
    assert rows(pg_url, "select title, priority::text from public.todos") == [("dev todo", "low")]

    # A dropped column is named too.
    (project / "20240106000000_drop_priority.sql").write_text("alter table public.todos drop column priority;\n")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("update public.todos set title = 'mine'")
    proc = reset(pg_url, project, "--yes", "--keep-data", "public.todos")
    assert proc.returncode == 1
    assert "--keep-data public.todos, column priority: the column no longer exists" in proc.stderr
    shutil.rmtree(Path(proc.stderr.split("saved in ")[1].split()[0]))


def test_keep_data_unknown_table_changes_nothing(pg_url: str, project: Path) -> None:
    assert reset(pg_url, project, "--yes").returncode == 0
    proc = reset(pg_url, project, "--yes", "--keep-data", "public.nope")
    assert proc.returncode == 2
    assert "no table public.nope" in proc.stderr
    assert rows(pg_url, "select title from public.todos") == [("dev todo",)]


def test_refuses_remote_host(project: Path) -> None:
    proc = reset("postgresql://postgres:s3cret-pw@db.example.supabase.co:5432/postgres", project, "--yes")
    assert proc.returncode == 2
    assert "refusing to reset db.example.supabase.co:5432/postgres: not a local database" in proc.stderr
    assert "s3cret-pw" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_force_remote_lets_a_non_local_url_through(project: Path) -> None:
    # The host does not resolve, so the connection fails: proof that the locality check was passed.
    proc = reset("postgresql://u:pw@nonexistent.invalid:5432/db?connect_timeout=2", project, "--yes", "--force-remote")
    assert proc.returncode == 2
    assert "cannot connect to nonexistent.invalid:5432/db: " in proc.stderr and "pw" not in proc.stderr
    assert "refusing" not in proc.stderr


def test_refuses_without_yes_on_non_tty(pg_url: str, project: Path) -> None:
    proc = reset(pg_url, project, stdin="y\n")
    assert proc.returncode == 2
    assert "stdin is not a terminal (pass --yes)" in proc.stderr
    # nothing was done
    assert rows(pg_url, "select to_regclass('public.todos')") == [(None,)]


def test_failing_migration_names_file_and_line(pg_url: str, project: Path) -> None:
    (project / "20240109000000_broken.sql").write_text("select 1;\n\nalter table public.nope add column x int;\n")
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 1
    assert "20240109000000_broken.sql:3: migration failed during reset" in proc.stderr
    assert 'relation "public.nope" does not exist' in proc.stderr


def test_database_error_while_clearing_is_one_line_and_changes_nothing(pg_url: str, project: Path) -> None:
    assert reset(pg_url, project, "--yes").returncode == 0
    # Something outside the project (not created by a migration) still references a user.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("create table storage.uploads (owner uuid references auth.users (id))")
        conn.execute("insert into storage.uploads values ('00000000-0000-0000-0000-00000000000a')")
        conn.execute("insert into app.settings values ('kept', 'yes')")
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("migration-guard: error: reset failed: update or delete on table \"users\" violates")
    assert "Traceback" not in proc.stderr
    # the clearing ran in one transaction: nothing was dropped
    assert rows(pg_url, "select value from app.settings") == [("yes",)]
    assert rows(pg_url, "select title from public.todos") == [("dev todo",)]


def _reset_on_a_terminal(url: str, directory: Path, answer: str) -> subprocess.CompletedProcess[str]:
    """Run reset with a pseudo-terminal as stdin (so it asks), typing ``answer``."""
    import os
    import pty

    main, secondary = pty.openpty()
    try:
        os.write(main, answer.encode())
        return subprocess.run(
            [sys.executable, "-m", "migration_guard", "reset", "--database-url", url, "--dir", str(directory)],
            stdin=secondary,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(main)
        os.close(secondary)


def test_asks_on_a_terminal(pg_url: str, project: Path) -> None:
    proc = _reset_on_a_terminal(pg_url, project, "n\n")
    assert proc.returncode == 1
    assert "replays 4 migration(s)" in proc.stderr
    assert "reset cancelled, nothing was changed" in proc.stderr
    assert rows(pg_url, "select to_regclass('public.todos')") == [(None,)]
    proc = _reset_on_a_terminal(pg_url, project, "y\n")
    assert proc.returncode == 0, proc.stderr
    assert rows(pg_url, "select title from public.todos") == [("dev todo",)]


def test_db_seed_sql_paths_globs_in_order_and_enabled_false(pg_url: str, project: Path) -> None:
    supabase = project.parent
    (supabase / "seed.sql").unlink()
    (supabase / "data").mkdir()
    (supabase / "data" / "02_todos.sql").write_text(
        "insert into public.todos (owner, title) values ('00000000-0000-0000-0000-00000000000a', 'glob b');")
    (supabase / "data" / "01_todos.sql").write_text(
        "insert into public.todos (owner, title) values ('00000000-0000-0000-0000-00000000000a', 'glob a');")
    (supabase / "users.sql").write_text(SEED)
    config = supabase / "config.toml"
    base = config.read_text()
    # Listed order wins over names (users before the todos that reference them); a glob's matches
    # load in name order; a file matched twice loads once; a pattern matching nothing is a warning.
    config.write_text(base + '[db.seed]\nenabled = true\nsql_paths = ["./users.sql", "./data/*.sql", '
                      '"./data/01_todos.sql", "./missing/*.sql"]\n')
    proc = reset(pg_url, project, "--yes", "--seed", "NONE")
    assert proc.returncode == 0 and rows(pg_url, "select count(*) from public.todos") == [(0,)]
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "4 seed file(s)" in proc.stdout  # users, data/01, data/02, then seeds/dev
    assert "[db.seed] sql_paths './missing/*.sql' matches no file" in proc.stderr
    assert rows(pg_url, "select title from public.todos order by id") == [("glob a",), ("glob b",), ("dev todo",)]

    config.write_text(base + "[db.seed]\nenabled = false\n")
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 0 and "0 seed file(s)" in proc.stdout
    assert rows(pg_url, "select count(*) from auth.users") == [(0,)]
    # A seed set named explicitly still loads (the project's own convention, not the CLI's).
    (supabase / "seeds" / "test" / "01_todos.sql").write_text(SEED)
    proc = reset(pg_url, project, "--yes", "--seed", "test")
    assert proc.returncode == 0 and "1 seed file(s)" in proc.stdout, proc.stderr
    assert rows(pg_url, "select count(*) from auth.users") == [(1,)]
    config.write_text(base + '[db.seed]\nsql_paths = ["./users.sql"]\n')  # enabled defaults to true
    proc = reset(pg_url, project, "--yes", "--seed", "NONE")
    assert proc.returncode == 0 and "0 seed file(s)" in proc.stdout


def test_db_seed_bad_value_is_one_line(pg_url: str, project: Path) -> None:
    config = project.parent / "config.toml"
    config.write_text(config.read_text() + '[db.seed]\nsql_paths = "./seed.sql"\n')
    proc = reset(pg_url, project, "--yes")
    assert proc.returncode == 2
    message = f"{config}: [db.seed] sql_paths must be a list of paths or globs"
    assert proc.stderr.strip() == f"migration-guard: error: {message}"


def test_reset_from_inside_the_project(pg_url: str, project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "migration_guard", "reset", "--database-url", pg_url, "--yes"],
                          cwd=project, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "4 migration(s), 2 seed file(s)" in proc.stdout
