"""`migration-guard seed --synthetic`, run as the real CLI on a real PostgreSQL database."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import psycopg
import pytest

from migration_guard.dryrun.bootstrap import apply_bootstrap

SCHEMA = """
create type public.mood as enum ('happy', 'ok', 'grumpy');
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text not null unique check (char_length(username) >= 3),
  full_name text,
  website text,
  age integer check (age between 13 and 120),
  mood public.mood not null default 'ok'
);
create table public.categories (
  id bigint generated always as identity primary key,
  name text not null unique,
  color text
);
create table public.todos (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null references public.profiles (id) on delete cascade,
  category_id bigint references public.categories (id),
  parent_id uuid references public.todos (id),
  title text not null check (char_length(title) <= 80),
  status text not null default 'open' check (status in ('open', 'done', 'archived')),
  priority integer not null check (priority >= 1 and priority <= 5),
  price numeric(8, 2) check (price > 0),
  due date,
  tags text[],
  created_at timestamptz not null default now(),
  unique (owner, title)
);
create table public.comments (
  id bigint generated always as identity primary key,
  todo_id uuid not null references public.todos (id) on delete cascade,
  author_email text not null,
  body text not null,
  created_at timestamptz not null default now()
);
create table public.events (
  id serial primary key,
  name text not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  check (starts_at < ends_at)
);
"""

TABLES = ["auth.users", "public.profiles", "public.categories", "public.todos", "public.comments", "public.events"]


@pytest.fixture
def db(pg_url: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_bootstrap(conn)
        conn.execute(SCHEMA.encode())
    return pg_url


def seed(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "seed", "--database-url", url, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def q(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


def test_fills_every_table_parents_first_within_constraints(db: str) -> None:
    proc = seed(db, "--synthetic", "40", "--seed-value", "7")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    order = [line.split(":")[0] for line in lines[:-1]]
    # foreign keys in dependency order: auth.users (referenced, created too) → profiles → todos → comments
    assert order.index("auth.users") < order.index("public.profiles") < order.index("public.todos")
    assert order.index("public.categories") < order.index("public.todos") < order.index("public.comments")
    assert "auth.users: 40 row(s) (referenced by public.profiles)" in lines
    for table in TABLES:
        assert q(db, f"select count(*) from {table}") == [(40,)], table
    # constraints hold (PostgreSQL enforced them; these are the realistic shapes we promise)
    assert q(db, "select count(*) from public.todos where status not in ('open', 'done', 'archived')") == [(0,)]
    assert q(db, "select min(priority) >= 1 and max(priority) <= 5 from public.todos") == [(True,)]
    assert q(db, "select count(*) from public.profiles where age is not null and age not between 13 and 120") == [(0,)]
    assert q(db, "select count(distinct mood) > 1 from public.profiles") == [(True,)]
    assert q(db, "select bool_and(author_email like '%_@_%.__%') from public.comments") == [(True,)]
    assert q(db, "select bool_and(email like '%@example.com') from auth.users") == [(True,)]
    assert q(db, "select count(*) from public.profiles where website is not null and website not like 'http%'") == [
        (0,)
    ]
    assert q(db, "select bool_and(starts_at < ends_at) from public.events") == [(True,)]
    assert q(db, "select count(*) from public.todos where parent_id is not null") != [(0,)]  # self-references
    assert q(db, "select count(*) from public.todos where tags is not null") != [(0,)]
    # profiles.id is 1:1 with auth.users: every profile has its own user
    assert q(db, "select count(distinct id) from public.profiles") == [(40,)]


def test_deterministic_with_the_same_seed_value(pg_server: Any, db: str, pg_url: str) -> None:
    other_name = "seed_twin"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"drop database if exists {other_name}")
        conn.execute(f"create database {other_name}")
    twin = pg_server.url(other_name)
    try:
        with psycopg.connect(twin, autocommit=True) as conn:
            apply_bootstrap(conn)
            conn.execute(SCHEMA.encode())
        assert seed(db, "--synthetic", "15", "--seed-value", "42").returncode == 0
        assert seed(twin, "--synthetic", "15", "--seed-value", "42").returncode == 0
        for table in TABLES:
            query = f"select * from {table} t order by t::text"
            assert q(db, query) == q(twin, query), table
        # a different seed value gives different rows
        with psycopg.connect(twin, autocommit=True) as conn:
            conn.execute("delete from auth.users")
            conn.execute("delete from public.categories")
            conn.execute("delete from public.events")
        assert seed(twin, "--synthetic", "15", "--seed-value", "43").returncode == 0
        assert q(db, "select username from public.profiles order by 1") != q(
            twin, "select username from public.profiles order by 1"
        )
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(f"drop database if exists {other_name} with (force)")


def test_one_table_brings_its_empty_parents(db: str) -> None:
    proc = seed(db, "--synthetic", "5", "--table", "comments", "--seed-value", "1")
    assert proc.returncode == 0, proc.stderr
    assert "public.todos: 5 row(s) (referenced by public.comments)" in proc.stdout
    assert q(db, "select count(*) from public.comments") == [(5,)]
    assert q(db, "select count(*) from public.events") == [(0,)]  # not asked for, not referenced
    # a second run reuses the parents that now have rows, and keeps UNIQUE columns unique
    proc = seed(db, "--synthetic", "5", "--table", "public.comments", "public.categories", "--seed-value", "1")
    assert proc.returncode == 0, proc.stderr
    assert q(db, "select count(*) from public.todos") == [(5,)]
    assert q(db, "select count(*) from public.comments") == [(10,)]
    assert q(db, "select count(*), count(distinct name) from public.categories") == [(10, 10)]


def test_unsupported_not_null_column_is_a_clear_error(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "create table public.places (id bigint generated always as identity primary key, at point not null)"
        )
    proc = seed(db, "--synthetic", "3", "--table", "places")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "migration-guard: error: public.places.at: cannot generate values of type point; give the column a default, "
        "or leave the table out (--table)"
    )


def test_unknown_table_and_remote_host(db: str) -> None:
    proc = seed(db, "--synthetic", "3", "--table", "nope")
    assert proc.returncode == 2 and "no table public.nope" in proc.stderr
    proc = seed("postgresql://u:topsecret@db.example.com/app", "--synthetic", "3")
    assert proc.returncode == 2
    assert "refusing to seed db.example.com/app: not a local database" in proc.stderr
    assert "topsecret" not in proc.stderr


def test_profiles_made_by_a_signup_trigger(pg_url: str) -> None:
    """The usual Supabase set-up: a trigger on auth.users creates each profile."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_bootstrap(conn)
        conn.execute(
            b"""
            create table public.profiles (
              id uuid primary key references auth.users on delete cascade, username text unique, bio text);
            create function public.handle_new_user() returns trigger language plpgsql security definer
            set search_path = '' as $$
            begin
              insert into public.profiles (id, username) values (new.id, split_part(new.email, '@', 1));
              return new;
            end $$;
            create trigger on_auth_user_created after insert on auth.users
              for each row execute function public.handle_new_user();
            create table public.notes (
              id bigint generated always as identity primary key,
              profile_id uuid not null references public.profiles, body text not null);
            """
        )
    proc = seed(pg_url, "--synthetic", "10", "--seed-value", "5")
    assert proc.returncode == 0, proc.stderr
    assert "public.profiles: 0 row(s) (every auth.users row already has one (10 present))" in proc.stdout
    assert q(pg_url, "select count(*) from public.profiles") == [(10,)]
    assert q(pg_url, "select count(*), count(distinct profile_id) > 1 from public.notes") == [(10, True)]


def test_without_faker_seed_says_which_extra_to_install(pg_url: str) -> None:
    """Faker is the `seed` extra (the action's image leaves it out): its absence is one clear line.
    The real CLI in a subprocess, with `faker` made unimportable (None in sys.modules) as if absent."""
    code = "import sys; sys.modules['faker'] = None; from migration_guard.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "seed", "--database-url", pg_url, "--synthetic", "5"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "migration-guard: error: seed --synthetic needs Faker: pip install 'migration-guard[seed]'"
    ]
    help_proc = subprocess.run(
        [sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert help_proc.returncode == 0 and "seed" in help_proc.stdout  # every other command still loads
