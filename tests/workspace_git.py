"""git for tests that build a workspace repository: a fixed identity, so commits work on any
machine (no user.name/user.email needed) and the environment never decides who committed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["git"]


def git(cwd: Path, *args: str) -> str:
    """Runs `git args` in `cwd` (raising on failure) and returns its stdout, stripped."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout.strip()
