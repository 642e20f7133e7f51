from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.gitdiff import changed_files, files_at


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_a.sql").write_text("create table a (id bigint primary key);\n")
    (tmp_path / "README").write_text("x\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_changed_files_lists_added_modified_and_untracked_migrations_only(repo: Path) -> None:
    mig = repo / "supabase" / "migrations"
    git(repo, "checkout", "-qb", "feature")
    (mig / "20240102000000_b.sql").write_text("create table b (id bigint primary key);\n")
    (repo / "README").write_text("changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b")
    (mig / "20240103000000_c.sql").write_text("select 1;\n")  # untracked, not committed
    head = git(repo, "rev-parse", "HEAD").strip()
    assert [p.name for p in changed_files(mig, "main")] == ["20240102000000_b.sql", "20240103000000_c.sql"]
    assert [p.name for p in changed_files(mig, "main", head)] == ["20240102000000_b.sql"]
    assert files_at(mig, "main") == ["20240101000000_a.sql"]


def test_unknown_ref_is_one_clear_error(repo: Path) -> None:
    with pytest.raises(UserError, match="unknown git ref 'nope'"):
        changed_files(repo / "supabase" / "migrations", "nope")
