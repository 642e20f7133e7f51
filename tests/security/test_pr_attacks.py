"""Attacks by a fork's pull request on the PR check itself (not the sandbox): hostile file names,
SQL text, object names and comments that would hide a finding, forge what the check recorded, or
talk to the runner. One test per attack; each failed before its fix (the docstring says how). The
real action entrypoint as a subprocess, a real git workspace, the real dry run, and the real
PyGithub against tests/fake_github.py."""

from __future__ import annotations

from pathlib import Path

from pr_check_harness import DROP_COLUMN, MIGRATIONS, PR, REPO, open_pull, run_check

from fake_github import FakeGitHub, fake_github

__all__ = ["fake_github"]


def test_a_migration_with_a_non_ascii_name_is_still_checked(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: `git diff --name-only` quotes names with non-ASCII bytes ("…caf\\303\\251.sql"), so
    the quoted line matched no file and the check said "no migration changes" and passed, while the
    Supabase CLI applies `20240201000000_café.sql` like any other migration."""
    name = f"{MIGRATIONS}/20240201000000_café.sql"
    pull = open_pull(tmp_path, fake_github, {name: DROP_COLUMN})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert check.outputs["verdict"] == "fail"
    assert f"::error file={name},line=2" in check.stdout
    assert "drop-column" in fake_github.comments(REPO, PR)[0]["body"]


def test_a_file_name_cannot_inject_workflow_commands_through_the_error_line(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Before: an error naming a path (here a dangling symlink, which git commits as it is) was
    printed raw as `migration-guard: error: …` on stderr, which the runner reads for workflow
    commands too: the file name's newline put `::stop-commands::` at the start of a line, and the
    runner would then ignore our annotations (and the next lines forged an error annotation)."""
    name = f"{MIGRATIONS}/20240201000000_x\n::stop-commands::pwned\n::error file=README.md::forged\n.sql"
    pull = open_pull(tmp_path, fake_github, {}, symlinks={name: "/nonexistent/target.sql"})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 2, check.stdout + check.stderr
    assert check.outputs["verdict"] == "fail"
    commands = check.commands()
    assert not [c for c in commands if c.startswith(("::stop-commands", "::error file=README"))], commands
    assert len(check.stderr.strip().splitlines()) == 1, check.stderr  # one line, as every error
    assert "symlink to a missing file" in check.stderr


def test_a_pull_request_cannot_unexpose_a_schema_to_hide_a_table_without_rls(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Before: the check read `[api] schemas` from the pull request's own supabase/config.toml, so a
    PR that also set `schemas = ["graphql_public"]` made its table without row level security in
    `public` pass (table-without-rls only looks at exposed schemas). The exposed schemas are now those
    of the base and the head together: a PR can add exposure to its own check, never remove it."""
    table = "-- intent: keys\ncreate table public.api_keys (id bigint primary key, k text);\n"
    pull = open_pull(tmp_path, fake_github, {
        f"{MIGRATIONS}/20240201000000_keys.sql": table,
        "supabase/config.toml": '[api]\nschemas = ["graphql_public"]\n',
    })
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"::error file={MIGRATIONS}/20240201000000_keys.sql,line=2,col=1,title=migration-guard table-without-rls::" \
        in check.stdout
