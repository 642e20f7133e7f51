"""`migration-guard new`, run as the real CLI in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.local.newfile import new_migration_path, snake_name
from migration_guard.migrations import load_migration


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_creates_timestamped_file_with_header(tmp_path: Path) -> None:
    before = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    proc = cli("new", "Add todos priority!", cwd=tmp_path)
    after = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert path.parent == Path("supabase/migrations")
    assert "created folder supabase/migrations" in proc.stderr
    m = re.fullmatch(r"(\d{14})_add_todos_priority\.sql", path.name)
    assert m and before <= m.group(1) <= after
    text = (tmp_path / path).read_text()
    assert text.startswith("-- intent:\n-- depends-on:\n-- data-migration: no\n")
    assert "CONCURRENTLY" in text and "NOT VALID" in text
    # The loader reads the header: data-migration is parsed, intent is still to be filled in.
    migration = load_migration(tmp_path / path)
    assert migration.header.data_migration is False
    assert migration.header.intent is None
    # the reminder's example directive is quoted: it never turns the file into a no-transaction one
    assert migration.header.no_transaction is False and migration.suppressions == ()
    assert migration.version == m.group(1)


def test_custom_dir_and_second_file_sorts_after(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "20200101000000_init.sql").write_text("select 1;\n")
    proc = cli("new", "second", "--dir", "db", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "created folder" not in proc.stderr
    name = Path(proc.stdout.strip()).name
    assert name > "20200101000000_init.sql"
    assert name.endswith("_second.sql")


def test_refuses_when_newest_version_is_in_the_future(tmp_path: Path) -> None:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    (d / "29991231235959_from_the_future.sql").write_text("select 1;\n")
    proc = cli("new", "later", cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "29991231235959_from_the_future.sql" in err and "clock skew" in err
    assert sorted(p.name for p in d.iterdir()) == ["29991231235959_from_the_future.sql"]


@pytest.mark.parametrize("bad", ["", "   ", "!!!", "--__--"])
def test_refuses_names_without_letters(tmp_path: Path, bad: str) -> None:
    proc = cli("new", "--", bad, cwd=tmp_path) if bad.startswith("-") else cli("new", bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("migration-guard: error: migration name")
    assert not (tmp_path / "supabase").exists()


def test_collision_with_same_version(tmp_path: Path) -> None:
    now = datetime(2026, 11, 22, 4, 40, 5, tzinfo=UTC)
    (tmp_path / "20261122044005_other.sql").write_text("select 1;\n")
    with pytest.raises(UserError, match="already uses version 20261122044005"):
        new_migration_path(tmp_path, "mine", now)
    # one second later is fine
    later = datetime(2026, 11, 22, 4, 40, 6, tzinfo=UTC)
    assert new_migration_path(tmp_path, "mine", later).name == "20261122044006_mine.sql"


def test_snake_name() -> None:
    assert snake_name("  Add Profiles.Avatar URL ") == "add_profiles_avatar_url"
    assert snake_name("create-todos") == "create_todos"


def test_dir_from_project_settings(tmp_path: Path) -> None:
    (tmp_path / "migration-guard.toml").write_text('migrations-dir = "db/migrations"\n')
    proc = cli("new", "from settings", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).parent == Path("db/migrations")
    # the flag still wins
    proc = cli("new", "from flag", "--dir", "other", cwd=tmp_path)
    assert Path(proc.stdout.strip()).parent == Path("other")


def test_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "migrations").write_text("")
    proc = cli("new", "x", "--dir", "migrations", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "migration-guard: error: migrations: not a folder (--dir must name the migrations folder)"
    )
