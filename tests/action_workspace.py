"""The workspace repository that tests run the action (or the CLI) in, shared by tests/commands,
tests/security and tests/container: git with a fixed identity, and a Supabase project committed on
`main` for a pull request to branch from, and the fake GitHub serving its repository (import the
`github` fixture into a test module to use it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from fake_github import FakeGitHub, fake_github_server

__all__ = ["INIT", "INIT_MIGRATION", "REPO", "git", "github", "init_workspace"]

REPO = "acme/app"  # the GitHub repository the workspace is a checkout of

INIT_MIGRATION = "supabase/migrations/20240101000000_init.sql"
# The app's first migration: the users table the pull requests in these tests change.
INIT = """\
-- intent: users of the app
create table public.users (
  id bigint generated always as identity primary key,
  email text not null,
  nickname text
);
alter table public.users enable row level security;
create policy users_self on public.users for select to authenticated using (true);
"""


def git(cwd: Path, *args: str) -> str:
    """Runs `git args` in `cwd` (raising on failure) and returns its stdout, stripped. A fixed
    identity, so commits work on any machine and the environment never decides who committed."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The fake GitHub API (tests/fake_github.py), serving REPO."""
    with fake_github_server() as fake:
        fake.add_repo(REPO)
        yield fake


def init_workspace(
    root: Path, init: str = INIT, extra: Mapping[str, str] | None = None, run_git: Callable[..., str] = git
) -> str:
    """A Supabase project at `root` (supabase/config.toml, `init` as its first migration, and the
    `extra` files), committed on `main` with `run_git`; returns that commit."""
    files = {"supabase/config.toml": '[api]\nschemas = ["public"]\n', INIT_MIGRATION: init, **(extra or {})}
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "init")
    return run_git(root, "rev-parse", "HEAD")
