"""The workspace's git history, as the deploy gates need it (compare trees, check ancestry).

The review gate compares the migration files of the reviewed commit with those of the deployed
commit, and checks that a pull request's merge commit is an ancestor of what is deployed. Both
need the history in the checkout: a shallow clone (``actions/checkout`` without ``fetch-depth: 0``)
lacks it, and the gate refuses rather than guess.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

FETCH_HINT = "check out the full history: `actions/checkout` with `fetch-depth: 0`"


class HistoryMissing(Exception):
    """A commit (or the ancestry between two) is not in the checkout."""


@dataclass(frozen=True)
class History:
    root: Path  # the git work tree (the workspace)
    fetch: bool = True  # try `git fetch origin <sha>` once for a missing commit (a squash-merged PR's head)

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        # The container's root user runs git in a workspace owned by the runner: gitdiff trusts it.
        from migration_guard.gitdiff import run_git

        return run_git(self.root, *args)

    def is_repository(self) -> bool:
        return self.root.is_dir() and self._git("rev-parse", "--git-dir").returncode == 0

    def is_shallow(self) -> bool:
        return self._git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"

    def has_commit(self, sha: str) -> bool:
        return self._git("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0

    def require(self, sha: str, what: str) -> None:
        """Make ``sha`` available (one fetch attempt) or raise ``HistoryMissing`` naming ``what``."""
        if not self.is_repository():
            raise HistoryMissing(f"{self.root} is not a git checkout, so {what} cannot be compared; {FETCH_HINT}")
        if self.has_commit(sha):
            return
        if self.fetch:
            self._git("fetch", "--no-tags", "--quiet", "origin", sha)
        if not self.has_commit(sha):
            raise HistoryMissing(f"{what} ({sha[:12]}) is not in the checkout; {FETCH_HINT}")

    def is_ancestor(self, older: str, newer: str) -> bool:
        """``older`` is ``newer`` or one of its ancestors; a shallow checkout cannot say: refused."""
        if older == newer:
            return True
        self.require(older, "the merge commit")
        self.require(newer, "the deployed commit")
        if self.is_shallow():
            raise HistoryMissing(
                f"the checkout is shallow, so ancestry of {older[:12]} cannot be checked; {FETCH_HINT}"
            )
        return self._git("merge-base", "--is-ancestor", older, newer).returncode == 0

    def changed(self, old: str, new: str, folder: str) -> list[str]:
        """Paths under ``folder`` that differ between two commits (added, removed or edited)."""
        self.require(old, "the reviewed commit")
        self.require(new, "the deployed commit")
        proc = self._git("diff", "--no-renames", "--name-only", old, new, "--", folder)
        if proc.returncode != 0:
            first = (proc.stderr.strip().splitlines() or ["git diff failed"])[0]
            raise HistoryMissing(f"cannot compare {old[:12]} with {new[:12]}: {first}; {FETCH_HINT}")
        return [line for line in proc.stdout.splitlines() if line]
