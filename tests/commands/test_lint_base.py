"""`migration-guard lint --base REF` in a real temporary git repository (real git, real CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MIGRATIONS = "supabase/migrations"


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def lint(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def write(repo: Path, name: str, sql: str) -> None:
    (repo / MIGRATIONS / name).write_text(sql, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: two migrations (the second has no intent line, so it would warn if it were reported)."""
    (tmp_path / MIGRATIONS).mkdir(parents=True)
    git(tmp_path, "init", "-q", "-b", "main")
    write(
        tmp_path,
        "20240101000000_users.sql",
        "-- intent: users\ncreate table public.users (id bigint generated always as identity primary key, "
        "email text);\nalter table public.users enable row level security;\n",
    )
    write(tmp_path, "20240103000000_orgs.sql", "create table public.orgs (id bigint primary key);\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert "Traceback" not in proc.stderr, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return list(data["findings"])


def test_only_changed_files_are_reported_and_ordering_is_checked_against_base(repo: Path) -> None:
    write(repo, "20240102000000_late.sql", "-- intent: written before orgs was merged\nselect 1;\n")
    write(repo, "20240103000000_profiles.sql", "-- intent: same version as orgs\nselect 2;\n")
    write(repo, "add_profiles.sql", "-- intent: misnamed\nselect 3;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "feature work")
    write(repo, "20240104000000_wip.sql", "-- intent: not committed yet\nselect 4;\n")  # untracked counts too

    proc = lint(repo, "--base", "main", "--format", "json")
    found = findings(proc)
    by_rule = {(f["rule"], Path(f["path"]).name) for f in found}
    assert ("out-of-order", "20240102000000_late.sql") in by_rule
    assert ("duplicate-version", "20240103000000_profiles.sql") in by_rule
    assert ("migration-file-name", "add_profiles.sql") in by_rule
    reported = {Path(f["path"]).name for f in found}
    assert "20240103000000_orgs.sql" not in reported  # unchanged since main: its missing intent is not ours
    assert "20240101000000_users.sql" not in reported
    assert ("out-of-order", "20240104000000_wip.sql") not in by_rule  # newer than everything on main
    assert json.loads(proc.stdout)["files"] == 4
    assert proc.returncode == 1


def test_duplicate_version_is_reported_on_the_new_file_even_when_it_sorts_first(repo: Path) -> None:
    write(repo, "20240103000000_accounts.sql", "-- intent: same version as orgs\nselect 2;\n")
    found = findings(lint(repo, "--base", "main", "--format", "json"))
    assert ("duplicate-version", "20240103000000_accounts.sql") in {(f["rule"], Path(f["path"]).name) for f in found}


def test_without_base_the_whole_history_is_reported(repo: Path) -> None:
    write(repo, "20240102000000_late.sql", "-- intent: late\nselect 1;\n")
    found = findings(lint(repo, "--format", "json"))
    names = {Path(f["path"]).name for f in found}
    assert "20240103000000_orgs.sql" in names  # missing-intent on the old file now shows
    assert "out-of-order" not in {f["rule"] for f in found}  # nothing to compare against


def test_modified_file_is_reported_with_context_from_earlier_files(repo: Path) -> None:
    path = repo / MIGRATIONS / "20240103000000_orgs.sql"
    path.write_text("-- intent: orgs\ncreate table public.orgs (id bigint primary key);\n"
                    "alter table public.users drop column email;\n", encoding="utf-8")
    found = findings(lint(repo, "--base", "main", "--format", "json"))
    assert {(f["rule"], Path(f["path"]).name) for f in found} == {("drop-column", "20240103000000_orgs.sql")}


def test_no_change_since_base_reports_nothing(repo: Path) -> None:
    proc = lint(repo, "--base", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no migration file changed since main" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("0 errors, 0 warnings, 0 suppressed (0 files")


def test_unknown_ref_is_one_line_usage_error(repo: Path) -> None:
    proc = lint(repo, "--base", "origin/nope")
    assert proc.returncode == 2
    assert proc.stderr.startswith("migration-guard: error: unknown git ref 'origin/nope'")
    assert len(proc.stderr.splitlines()) == 1


def test_base_outside_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / MIGRATIONS).mkdir(parents=True)
    write(tmp_path, "20240101000000_a.sql", "-- intent: a\nselect 1;\n")
    proc = lint(tmp_path, "--base", "main")
    assert proc.returncode == 2
    assert proc.stderr.startswith("migration-guard: error: git ")
    assert "Traceback" not in proc.stderr


def test_base_means_since_the_branch_left_it_not_what_moved_on_there(repo: Path) -> None:
    """main edits a file after the branch left it: `--base main` must not report it as the branch's
    change (before, `git diff main` listed every file that differs from main's tip, so main's own
    edit counted as one)."""
    write(repo, "20240105000000_mine.sql", "-- intent: mine\nalter table public.users drop column email;\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "mine")
    git(repo, "checkout", "-q", "main")
    write(repo, "20240103000000_orgs.sql", "-- intent: orgs\ncreate table public.orgs (id bigint primary key);\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "theirs")
    git(repo, "checkout", "-q", "feature")
    proc = lint(repo, "--base", "main", "--format", "json", MIGRATIONS)
    paths = {Path(f["path"]).name for f in json.loads(proc.stdout)["findings"]}
    assert "20240105000000_mine.sql" in paths
    assert "20240103000000_orgs.sql" not in paths  # main's edit, not the branch's (its missing intent)
