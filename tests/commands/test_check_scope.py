"""`migration-guard check` without flags checks what the branch changes (real git, real CLI).

The default base is the merge-base with the default branch (origin/HEAD, else main, else master);
every migration added or modified since then is checked, plus uncommitted and untracked files, and
the report's first line names the base. Repositories are also handed to another user (as a
container's mounted workspace is), which git refuses unless told the folder is safe.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DROP = "-- intent: drop legacy\n-- data-migration: no\nalter table public.accounts drop column legacy;\n"
HARMLESS = (
    "-- intent: notes\n-- data-migration: no\ncreate table public.notes (id bigint primary key);\n"
    "alter table public.notes enable row level security;\n"
)
INIT = "-- intent: accounts\ncreate table public.accounts (id bigint primary key, legacy text);\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.org"}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-c", "safe.directory=*", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env=env).stdout


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "migration_guard", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def give_away(path: Path) -> None:
    """Hand the tree to another user (nobody), as a CI container sees its mounted checkout."""
    if os.geteuid() != 0:
        return  # pragma: no cover - the suite runs as root here; as a user the repo is simply ours
    for p in [path, *path.rglob("*")]:
        os.lchown(p, 65534, 65534)


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    """main has the first migration; branch `feature` commits an earlier-versioned DROP COLUMN file
    and a newer harmless one."""
    repo = tmp_path / "app"
    mig = repo / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (repo / "supabase" / "config.toml").write_text("")
    (mig / "20240101000000_init.sql").write_text(INIT)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    git(repo, "checkout", "-qb", "feature")
    (mig / "20240201000000_drop_legacy.sql").write_text(DROP)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "drop")
    (mig / "20240301000000_notes.sql").write_text(HARMLESS)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    return repo


def test_plain_check_covers_every_file_the_branch_adds_not_just_the_newest(branch: Path) -> None:
    give_away(branch)
    result = cli(branch, "check", "--no-dry-run")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    base = git(branch, "merge-base", "main", "HEAD").strip()
    assert lines[0].startswith(f"Base: main (merge-base {base[:10]})")
    assert "Checking 2 migrations" in result.stdout
    assert "20240201000000_drop_legacy.sql:3:1: error[drop-column]" in result.stdout
    assert lines[-1].startswith("FAIL: 1 blocking issue")


def test_uncommitted_and_untracked_files_are_checked_and_main_moving_on_is_not(branch: Path) -> None:
    mig = branch / "supabase" / "migrations"
    # main moves on after the branch left it: its new file is not the branch's change.
    git(branch, "checkout", "-q", "main")
    (mig / "20240150000000_on_main.sql").write_text("-- intent: x\nalter table public.accounts drop column legacy;\n")
    git(branch, "add", "-A")
    git(branch, "commit", "-qm", "main moves")
    git(branch, "checkout", "-q", "feature")
    git(branch, "reset", "-q", "--hard", "HEAD~1")  # drop the notes commit: only drop_legacy committed
    (mig / "20240101000000_init.sql").write_text(INIT + "-- edited, not committed\n")
    (mig / "20240401000000_untracked.sql").write_text(HARMLESS.replace("notes", "tags"))
    data = json.loads(cli(branch, "check", "--no-dry-run", "--format", "json").stdout)
    assert [Path(p).name for p in data["changed"]] == [
        "20240101000000_init.sql", "20240201000000_drop_legacy.sql", "20240401000000_untracked.sql"]
    assert data["scope"].startswith("Base: main (merge-base") and data["base"] == "main"


def test_origin_head_is_the_default_branch_of_a_clone(branch: Path, tmp_path: Path) -> None:
    git(branch, "branch", "-q", "-m", "main", "trunk")  # the remote's default is not called main
    git(branch, "checkout", "-q", "trunk")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(branch), str(clone))
    git(clone, "checkout", "-q", "-b", "mine", "origin/feature")
    git(clone, "branch", "-q", "main", "origin/feature")  # a local `main` that is not the default branch
    give_away(clone)
    result = cli(clone / "supabase" / "migrations", "check", "--no-dry-run")  # from a subfolder
    assert result.stdout.splitlines()[0].startswith("Base: origin/trunk (merge-base"), result.stdout + result.stderr
    assert "Checking 2 migrations" in result.stdout  # against `main` it would be none


def test_outside_git_every_file_is_checked_and_the_report_says_why(branch: Path) -> None:
    shutil.rmtree(branch / ".git")
    result = cli(branch, "check", "--no-dry-run")
    assert result.stdout.splitlines()[0] == "Base: none (not a git repository): checking every migration"
    assert "Checking 3 migrations" in result.stdout and result.returncode == 1


def test_no_default_branch_checks_every_file(branch: Path) -> None:
    git(branch, "branch", "-q", "-D", "main")
    give_away(branch)
    result = cli(branch, "check", "--no-dry-run")
    assert result.stdout.splitlines()[0] == (
        "Base: none (no default branch: none of origin/HEAD, main or master exists): checking every migration")
    assert "Checking 3 migrations" in result.stdout


def test_base_and_all_stay(branch: Path) -> None:
    head = cli(branch, "check", "--no-dry-run", "--base", "HEAD~1")
    assert head.stdout.splitlines()[0].startswith("Base: --base HEAD~1 (merge-base")
    assert "Checking 1 migration" in head.stdout and head.returncode == 0
    every = cli(branch, "check", "--no-dry-run", "--all")
    assert every.stdout.splitlines()[0] == "Base: none (--all): checking every migration"
    both = cli(branch, "check", "--all", "--base", "main")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_unknown_base_names_the_fetch_to_run(branch: Path) -> None:
    result = cli(branch, "check", "--no-dry-run", "--base", "origin/main")
    assert result.returncode == 2 and result.stdout == ""
    assert "git fetch origin main)" in result.stderr and "origin origin/main" not in result.stderr


def test_check_speaks_lint_formats(branch: Path) -> None:
    sarif = json.loads(cli(branch, "check", "--no-dry-run", "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "drop-column" for r in results)
    github = cli(branch, "check", "--no-dry-run", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::notice::Base: main (merge-base")
    assert "::error file=supabase/migrations/20240201000000_drop_legacy.sql,line=3" in github.stdout
    assert github.stdout.rstrip().splitlines()[-1].startswith("FAIL: 1 blocking issue")


def test_named_files_are_the_change(branch: Path) -> None:
    mig = branch / "supabase" / "migrations"
    result = cli(branch, "check", "--no-dry-run", str(mig / "20240201000000_drop_legacy.sql"))
    assert result.stdout.splitlines()[0] == (
        "Base: none (named on the command line): checking 20240201000000_drop_legacy.sql")
    assert "Checking 1 migration" in result.stdout and result.returncode == 1
    mixed = cli(branch, "check", "--all", str(mig / "20240201000000_drop_legacy.sql"))
    assert mixed.returncode == 2 and "not both" in mixed.stderr
    elsewhere = cli(branch, "check", str(branch / "supabase" / "config.toml"))
    assert elsewhere.returncode == 2 and "not a migration file" in elsewhere.stderr


def test_a_repository_without_commits_checks_every_file(tmp_path: Path) -> None:
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_init.sql").write_text(INIT)
    git(tmp_path, "init", "-q", "-b", "main")
    result = cli(tmp_path, "check", "--no-dry-run")
    assert result.stdout.splitlines()[0] == "Base: none (the repository has no commit yet): checking every migration"
    assert "Checking 1 migration" in result.stdout


def test_nothing_changed_says_so_and_points_at_all(branch: Path) -> None:
    git(branch, "checkout", "-q", "main")
    result = cli(branch, "check", "--no-dry-run")
    assert result.returncode == 0
    assert result.stdout.splitlines()[1] == (
        "ok: no migration changes in supabase/migrations: nothing to check (--all checks every migration)")


def test_github_format_annotates_a_failed_dry_run_at_its_statement(branch: Path) -> None:
    mig = branch / "supabase" / "migrations"
    (mig / "20240301000000_notes.sql").write_text(HARMLESS + "insert into public.nowhere values (1);\n")
    github = cli(branch, "check", "--format", "github", "--supabase", "off")
    assert github.returncode == 1, github.stderr
    assert ("::error file=supabase/migrations/20240301000000_notes.sql,line=5,col=13,"
            'title=migration-guard dry run failed::relation "public.nowhere" does not exist (SQLSTATE 42P01)'
            ) in github.stdout.splitlines()
