"""Unit tests of the local workflow's pure parts: locality, CHECK parsing, what reset drops, seed order."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.local.checks import parse_checks
from migration_guard.local.cleanup import PlatformObject, platform_objects, project_schemas
from migration_guard.local.seeds import seed_files
from migration_guard.local.target import is_local, require_local
from migration_guard.migrations import load_migration


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:pw@localhost:54322/postgres",
        "postgresql://postgres@127.0.0.1/db",
        "postgresql://postgres@[::1]:5432/db",
        "postgresql://postgres@/db?host=%2Ftmp%2Fsock",
        "host=/var/run/postgresql dbname=app",
        "dbname=app",
        "postgresql:///app",
    ],
)
def test_local_urls(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGHOSTADDR", raising=False)
    assert is_local(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:pw@db.abcd.supabase.co:5432/postgres",
        "postgresql://u@10.0.0.5/db",
        "host=localhost,db.example.com dbname=app",
        "postgresql://u@localhost.evil.com/db",
    ],
)
def test_remote_urls(url: str) -> None:
    assert not is_local(url)
    with pytest.raises(UserError, match="not a local database"):
        require_local(url, force_remote=False)
    require_local(url, force_remote=True)


def test_pghost_counts_when_the_url_has_no_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "prod.example.com")
    assert not is_local("dbname=app")


def test_parse_checks() -> None:
    limits = parse_checks(
        [
            "CHECK (((priority >= 1) AND (priority <= 5)))",
            "CHECK ((status = ANY (ARRAY['open'::text, 'done'::text])))",
            "CHECK ((char_length(title) <= 80))",
            "CHECK ((price > (0)::numeric))",
            "CHECK ((age BETWEEN 13 AND 120))",
            "CHECK ((starts_at < ends_at))",  # not understood: left to retries
            "CHECK ((0 < qty)) NOT VALID",
        ]
    )
    assert (limits["priority"].low, limits["priority"].high) == (1, 5)
    assert limits["status"].choices == ["open", "done"]
    assert limits["title"].max_length == 80
    assert limits["price"].low == 0 and limits["price"].strict_low
    assert (limits["age"].low, limits["age"].high) == (13, 120)
    assert limits["qty"].low == 0 and limits["qty"].strict_low
    assert "starts_at" not in limits and "ends_at" not in limits


def test_what_reset_drops(tmp_path: Path) -> None:
    f = tmp_path / "20240101000000_x.sql"
    f.write_text(
        "create schema app;\ncreate schema if not exists extensions;\ncreate table public.t (id int);\n"
        "create function auth.is_admin() returns boolean language sql as 'select false';\n"
        "create trigger on_signup after insert on auth.users for each row execute function public.f();\n"
        "create policy \"read own\" on storage.objects for select using (true);\n"
        "create index users_email_idx on auth.users (email);\n"
    )
    m = load_migration(f)
    assert project_schemas([m]) == ["public", "app"]
    assert platform_objects([m]) == [
        PlatformObject("index", "auth", "users_email_idx"),
        PlatformObject("policy", "storage", "read own", "storage.objects"),
        PlatformObject("trigger", "auth", "on_signup", "auth.users"),
        PlatformObject("function", "auth", "is_admin"),
    ]


def test_seed_files_order(tmp_path: Path) -> None:
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (tmp_path / "supabase" / "seed.sql").write_text("")
    for seed_set in ("dev", "test"):
        (tmp_path / "supabase" / "seeds" / seed_set).mkdir(parents=True)
        for name in ("02_b.sql", "01_a.sql", "notes.txt"):
            (tmp_path / "supabase" / "seeds" / seed_set / name).write_text("")
    dev = [p.relative_to(tmp_path / "supabase").as_posix() for p in seed_files(migrations, "dev")]
    assert dev == ["seed.sql", "seeds/dev/01_a.sql", "seeds/dev/02_b.sql"]
    assert seed_files(migrations, "test")[1].parent.name == "test"
    assert seed_files(migrations, None) == []
