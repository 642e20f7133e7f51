"""What a branch changes: migration files added or modified since a base ref (real git)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from migration_guard.errors import UserError

# The checkout may belong to another user than us: in a Docker action we are root and the
# workspace is the runner's (uid 1001). git then refuses every command ("dubious ownership")
# unless the folder is a safe.directory. `*` on the command line trusts it for this call only:
# nothing is written to any git config, and users are never told to change theirs.
TRUST = ("-c", "safe.directory=*")


def git_argv(*args: str) -> list[str]:
    """The argv of one git command, trusting the checkout whoever owns it (every git call uses this)."""
    return ["git", *TRUST, *args]


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``cwd`` and return the result whatever the exit code (the caller decides)."""
    try:
        return subprocess.run(git_argv(*args), cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UserError("git is not installed; it is needed to compare commits") from None


def _git(cwd: Path, *args: str) -> str:
    proc = run_git(cwd, *args)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        msg = lines[-1].strip() if lines else f"exit {proc.returncode}"
        raise UserError(f"git {' '.join(args[:2])} failed: {msg}")
    return proc.stdout


def repo_root(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    return Path(_git(folder, "rev-parse", "--show-toplevel").strip())


def verify_ref(root: Path, ref: str) -> str:
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except UserError:
        raise UserError(
            f"unknown git ref {ref!r} (in a shallow checkout, fetch it first: git fetch origin {ref})"
        ) from None


def changed_files(directory: Path, base: str, head: str | None = None) -> list[Path]:
    """Files under ``directory`` added or modified between ``base`` and head (or the work tree)."""
    root = repo_root(directory)
    verify_ref(root, base)
    rel = directory.resolve().relative_to(root.resolve())
    args = ["diff", "--name-only", "--diff-filter=AMR", "--no-renames", f"{base}...{head}" if head else base]
    out = _git(root, *args, "--", str(rel) if str(rel) != "." else ".")
    files = [root / line for line in out.splitlines() if line.endswith(".sql")]
    if head is None:
        # Untracked files are new too (a migration written but not yet committed).
        extra = _git(root, "ls-files", "--others", "--exclude-standard", "--", str(rel))
        files.extend(root / line for line in extra.splitlines() if line.endswith(".sql"))
    return sorted({f for f in files if f.exists()})


def files_at(directory: Path, ref: str) -> list[str]:
    """Names of the .sql files directly in ``directory`` at ``ref``."""
    root = repo_root(directory)
    verify_ref(root, ref)
    rel = directory.resolve().relative_to(root.resolve())
    out = _git(root, "ls-tree", "--name-only", ref, f"{rel}/" if str(rel) != "." else ".")
    return [Path(line).name for line in out.splitlines() if line.endswith(".sql")]
