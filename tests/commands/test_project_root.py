"""Every command finds the project from any folder inside it, as the Supabase CLI does (real CLI).

The root is the nearest folder (up to the git work tree's top) holding supabase/config.toml,
migration-guard.toml or a pyproject.toml with [tool.migration-guard]; defaults are under it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
ENV.pop("DATABASE_URL", None)
ENV["NO_COLOR"] = "1"
DROP = "-- intent: drop\n-- data-migration: no\nalter table public.a drop column b;\n"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migration_guard", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.org"}
    return subprocess.run(["git", "-c", "safe.directory=*", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env=env).stdout


@pytest.fixture
def supabase_project(tmp_path: Path) -> Path:
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (tmp_path / "supabase" / "config.toml").write_text('project_id = "demo"\n')
    (mig / "20240101000000_a.sql").write_text("-- intent: a\ncreate table public.a (id int primary key, b text);\n"
                                              "alter table public.a enable row level security;\n")
    (mig / "20240102000000_drop.sql").write_text(DROP)
    return tmp_path


def test_new_inside_the_migrations_folder_writes_there(supabase_project: Path) -> None:
    mig = supabase_project / "supabase" / "migrations"
    result = cli(mig, "new", "add things")
    assert result.returncode == 0, result.stderr
    created = Path(result.stdout.strip())
    assert (mig / created).resolve().parent == mig.resolve()
    assert not (mig / "supabase").exists()
    assert result.stderr == ""  # no "created folder": the folder was there


def test_new_and_lint_from_a_deeper_folder_and_without_config_toml(supabase_project: Path) -> None:
    deep = supabase_project / "src" / "components"
    deep.mkdir(parents=True)
    lint = cli(deep, "lint")
    assert lint.returncode == 1
    assert "../../supabase/migrations/20240102000000_drop.sql:3:1: error[drop-column]" in lint.stdout
    (supabase_project / "supabase" / "config.toml").unlink()  # a bare supabase/migrations folder
    mig = supabase_project / "supabase" / "migrations"
    new = cli(mig, "new", "x")
    assert new.returncode == 0 and not (mig / "supabase").exists()


def test_lint_inside_the_migrations_folder(supabase_project: Path) -> None:
    result = cli(supabase_project / "supabase" / "migrations", "lint")
    assert result.returncode == 1, result.stderr
    assert "20240102000000_drop.sql:3:1: error[drop-column]" in result.stdout


def test_migration_guard_toml_and_pyproject_mark_the_root(tmp_path: Path) -> None:
    (tmp_path / "migration-guard.toml").write_text('migrations-dir = "db/migrations"\n')
    mig = tmp_path / "db" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_a.sql").write_text("-- intent: a\ncreate table a (id int primary key, b text);\n")
    (mig / "20240102000000_drop.sql").write_text(DROP.replace("public.a", "a"))
    new = cli(mig, "new", "from_inside")
    assert new.returncode == 0 and (mig / new.stdout.strip()).is_file(), new.stderr
    elsewhere = tmp_path / "lib"
    elsewhere.mkdir()
    assert "db/migrations/20240102000000_drop.sql:3:1: error[drop-column]" in cli(elsewhere, "lint").stdout

    (tmp_path / "migration-guard.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.migration-guard]\n'
                                             'migrations-dir = "db/migrations"\n')
    assert cli(elsewhere, "lint").returncode == 1


def test_the_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "config.toml").write_text("")  # above the repository: someone else's
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    result = cli(repo, "lint")
    assert result.returncode == 2
    assert result.stderr.startswith("migration-guard: error: supabase/migrations: no such migrations folder;")


def test_one_wording_for_a_missing_folder(tmp_path: Path) -> None:
    for command in (["lint"], ["check", "--no-dry-run"], ["plan"], ["apply", "--dry-run"], ["status"],
                    ["reset", "--yes"]):
        result = cli(tmp_path, *command, "--dir", "nope", "--database-url", "postgresql://localhost/x") \
            if command[0] in ("apply", "status", "reset") else cli(tmp_path, *command, "--dir", "nope")
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.startswith("migration-guard: error: nope: no such migrations folder; run inside a "
                                        "project"), (command, result.stderr)


def test_apply_and_status_from_a_subfolder_use_the_root(supabase_project: Path, pg_url: str) -> None:
    git(supabase_project, "init", "-q")
    git(supabase_project, "add", "-A")
    git(supabase_project, "commit", "-qm", "init")
    sub = supabase_project / "supabase"
    (supabase_project / "supabase/migrations/20240102000000_drop.sql").unlink()
    applied = cli(sub, "apply", "--database-url", pg_url, "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    audit = list((supabase_project / ".migration-guard" / "audit").glob("*.jsonl"))
    assert len(audit) == 1 and f"audit: ../.migration-guard/audit/{audit[0].name}" in applied.stdout
    # Audit records never reach a commit: the tool's folder ignores itself.
    assert (supabase_project / ".migration-guard" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert git(supabase_project, "status", "--porcelain", "--untracked-files=all") == \
        " D supabase/migrations/20240102000000_drop.sql\n"
    assert not (supabase_project / "migration-guard-audit").exists()
    status = cli(sub / "migrations", "status", "--database-url", pg_url)
    assert status.returncode == 0 and "1 applied, 0 pending" in status.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone() == (1,)
