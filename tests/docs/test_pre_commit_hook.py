"""The pre-commit hook in .pre-commit-hooks.yaml: run exactly as pre-commit runs it.

pre-commit itself is not a dependency; the test reads the hook definition and does what pre-commit
does with it: select the staged files matching `files`, then run `entry` with them as arguments.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "supabase-project" / "supabase"


def hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in hooks if h["id"] == "migration-guard-lint"]
    return dict(found)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def run_hook(repo: Path) -> subprocess.CompletedProcess[str]:
    h = hook()
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").split()
    files = [f for f in staged if re.search(str(h["files"]), f)]
    entry = shlex.split(str(h["entry"]))
    assert entry[0] == "migration-guard"
    command = [sys.executable, "-m", "migration_guard", *entry[1:], *(files if h.get("pass_filenames", True) else [])]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)


def test_hook_definition() -> None:
    h = hook()
    assert h["entry"] == "migration-guard lint"
    assert h["language"] == "python"
    pattern = re.compile(str(h["files"]))
    assert pattern.search("supabase/migrations/20240101000000_init.sql")
    assert not pattern.search("supabase/seed.sql")
    assert not pattern.search("docs/patterns/indexes.sql")


def test_hook_blocks_a_staged_unsafe_migration_and_passes_a_safe_one(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    shutil.copytree(EXAMPLE, repo / "supabase")
    newest = repo / "supabase" / "migrations" / "20240610120000_todos_due_date_and_search.sql"
    newest.unlink()
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=a@b.c", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=a@b.c", "-c", "user.name=t", "commit", "-q", "-m", "base")

    # Staging the unsafe migration: the hook fails and names the rule; earlier files give context.
    shutil.copy(EXAMPLE / "migrations" / newest.name, newest)
    git(repo, "add", str(newest))
    proc = run_hook(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{newest.name}:14:42: error[index-not-concurrent]" in proc.stdout

    # The safe version: the index moves to its own no-transaction migration with CONCURRENTLY.
    newest.write_text(
        "-- intent: due dates on todos\nalter table public.todos add column due_on date;\n"
    )
    safe_index = repo / "supabase" / "migrations" / "20240610120100_todos_due_index.sql"
    safe_index.write_text(
        "-- migration-guard: no-transaction\n-- intent: index open todos by due date without blocking writes\n"
        "create index concurrently if not exists todos_owner_open_due_idx\n"
        "  on public.todos (owner_id, due_on) where done = false;\n"
    )
    git(repo, "add", ".")
    proc = run_hook(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
