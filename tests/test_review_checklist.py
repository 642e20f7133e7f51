"""AI-authored migrations get a reviewer checklist: found from real git trailers and the file itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

from migration_guard.migrations.loader import load_migration, parse_migration
from migration_guard.plan_model import AffectedObject, Lock, MigrationRun, StatementTrace
from migration_guard.review_checklist import (
    assistant_coauthors,
    checklist,
    commit_messages,
    new_tables_rls,
    why_review,
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_assistant_trailers_are_found_in_real_commits(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "dev@example.com")
    _git(tmp_path, "config", "user.name", "Dev")
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_base.sql").write_text("-- intent: base\ncreate table t (id int primary key);\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    new = folder / "20240102000000_drop.sql"
    new.write_text("alter table t drop column id;\n")
    other = folder / "20240103000000_human.sql"
    other.write_text("-- intent: a human wrote this\nselect 1;\n")
    _git(tmp_path, "add", str(new))
    trailers = "Co-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Ann <a@x>"
    _git(tmp_path, "commit", "-qm", f"drop id\n\n{trailers}")
    _git(tmp_path, "add", str(other))
    _git(tmp_path, "commit", "-qm", "human\n\nCo-authored-by: Ann <a@x>")

    ai = assistant_coauthors(commit_messages(tmp_path, "main~2", None, new))
    assert ai == ["Claude <noreply@anthropic.com>"]
    assert assistant_coauthors(commit_messages(tmp_path, "main~2", None, other)) == []
    assert commit_messages(tmp_path, None, None, new) == ""  # no base: nothing to read

    who = why_review(load_migration(new), ai)
    assert who is not None
    assert who.reasons == ("co-authored by Claude <noreply@anthropic.com>", "no `-- intent:` line says what it is for")
    assert why_review(load_migration(other), []) is None


def test_mcp_written_files_are_flagged_even_with_an_intent() -> None:
    m = parse_migration(
        Path("20240101000000_x.sql"),
        b"-- intent: add a column\n-- authored-by: an AI assistant (migration-guard mcp); review before merging\n"
        b"alter table t add column c int;\n",
    )
    who = why_review(m)
    assert who is not None and who.reasons == ("written by an AI assistant through migration-guard mcp",)


def test_checklist_names_locks_rewrites_drops_and_new_tables_rls() -> None:
    m = parse_migration(
        Path("20240101000000_x.sql"),
        b"create table public.notes (id int primary key);\ncreate table private.logs (id int);\n"
        b"alter table private.logs enable row level security;\nalter table public.todos drop column done;\n",
    )
    run = MigrationRun(
        m.display_path, "20240101000000", True, "applied",
        statements=(
            StatementTrace(4, "AlterTableStmt", "alter table ...", 1.0, 0,
                           (Lock("public", "todos", "AccessExclusiveLock"), Lock("public", "todos", "ShareLock")),
                           ("public.todos",)),
        ),
    )  # fmt: skip
    affected = [AffectedObject("column", "public.todos.done", "dropped")]
    text = checklist(why_review(m) or _fail(), m, run, affected)
    assert "`public.todos` AccessExclusiveLock" in text and "ShareLock" not in text
    assert "rewrites: `public.todos`" in text
    assert "drops: column `public.todos.done`" in text
    assert "`public.notes` RLS **off**" in text and "`private.logs` RLS on" in text
    assert "a human approves" in text
    assert new_tables_rls(m) == (["public.notes", "private.logs"], {"private.logs"})


def _fail() -> object:
    raise AssertionError("a file without an intent must be flagged")
