"""`migration-guard check` on a laptop: the PR check's pipeline on a real git repository, as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

INIT = """\
-- intent: accounts
create table public.accounts (id bigint generated always as identity primary key, email text not null, legacy text);
alter table public.accounts enable row level security;
insert into public.accounts (email) select 'a' || g || '@example.org' from generate_series(1, 200) g;
"""
RISKY = """\
-- intent: clean up
alter table public.accounts drop column legacy;
update public.accounts set email = lower(email);
"""
SAFE = """\
-- intent: remember the plan
-- data-migration: no
alter table public.accounts add column plan text;
"""


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.org"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (tmp_path / "supabase" / "config.toml").write_text("")
    (mig / "20240101000000_init.sql").write_text(INIT)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "migration_guard", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_text_report_lint_and_dry_run(project: Path) -> None:
    (project / "supabase/migrations/20240201000000_cleanup.sql").write_text(RISKY)  # untracked: still new
    result = check(project, "--base", "main")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert out.startswith("Base: --base main (merge-base ")
    assert "Checking 1 migration in supabase/migrations\n" in out
    assert "supabase/migrations/20240201000000_cleanup.sql:2:1: error[drop-column]" in out
    assert "Dry run on PostgreSQL" in out and "1 earlier migration replayed as the baseline" in out
    assert "lock     AccessExclusiveLock on public.accounts  (blocks reads and writes)" in out
    assert "200 rows" in out  # the UPDATE touched every row
    assert "dropped  column public.accounts.legacy" in out
    assert "error[update-without-where]" in out
    assert out.rstrip().splitlines()[-1].startswith("FAIL: 2 blocking issues")


def test_json_and_markdown_formats(project: Path) -> None:
    (project / "supabase/migrations/20240201000000_plan.sql").write_text(SAFE)
    data = json.loads(check(project, "--base", "main", "--format", "json").stdout)
    assert data["verdict"] == "pass" and data["changed"] == ["supabase/migrations/20240201000000_plan.sql"]
    assert data["plan"]["migrations"][-1]["status"] == "applied"
    assert data["plan"]["postgres"]["provider"]
    md = check(project, "--base", "main", "--format", "markdown")
    assert md.returncode == 0
    assert md.stdout.startswith("<!-- migration-guard:supabase/migrations -->")
    assert "all clear" in md.stdout


def test_without_base_checks_the_branch_and_fail_on(project: Path) -> None:
    (project / "supabase/migrations/20240201000000_cleanup.sql").write_text(RISKY)
    result = check(project, "--no-dry-run", "--fail-on", "never")
    assert result.returncode == 0
    assert "drop-column" in result.stdout and "Dry run skipped" in result.stdout
    none = check(project, "--base", "HEAD", "--dir", "supabase/migrations")
    assert "20240201000000_cleanup.sql" in none.stdout  # untracked files count as changes
    (project / "supabase/migrations/20240201000000_cleanup.sql").unlink()
    clean = check(project, "--base", "HEAD")
    assert clean.returncode == 0 and "no migration changes" in clean.stdout


def test_config_file_sets_the_folder(project: Path) -> None:
    (project / "migration-guard.toml").write_text('migrations-dir = "supabase/migrations"\nfail-on = "warning"\n')
    (project / "supabase/migrations/20240201000000_v.sql").write_text(
        "-- intent: x\n-- data-migration: no\nalter table public.accounts add column nick varchar(20);\n")
    result = check(project, "--base", "main", "--no-dry-run")
    assert result.returncode == 1  # fail-on warning, from the config file
    assert "prefer-text" in result.stdout


def test_usage_errors_are_one_line(project: Path) -> None:
    missing = check(project, "--dir", "nope")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nope" in missing.stderr
    bad_ref = check(project, "--base", "no-such-ref")
    assert bad_ref.returncode == 2 and "no-such-ref" in bad_ref.stderr and "Traceback" not in bad_ref.stderr
