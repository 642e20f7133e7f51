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


# Checkouts a `git fetch` wrote into during this process: the action hands their new (root-owned)
# objects to the workspace's owner at the end (ownership.hand_over).
FETCHED: list[Path] = []


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``cwd`` and return the result whatever the exit code (the caller decides)."""
    if args and args[0] == "fetch":
        FETCHED.append(cwd)
    try:
        return subprocess.run(
            git_argv(*args), cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
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
            f"unknown git ref {ref!r} (in a shallow checkout, fetch it first: {fetch_hint(ref)})"
        ) from None


def changed_files(directory: Path, base: str, head: str | None = None) -> list[Path]:
    """Files under ``directory`` added or modified between ``base`` and head (or the work tree)."""
    root = repo_root(directory)
    verify_ref(root, base)
    rel = directory.resolve().relative_to(root.resolve())
    # Against the work tree, from where the branch left `base` (as `check` does): what moved on
    # `base` since is not this branch's change.
    since = base if head else (merge_base(root, base) or base)
    # -z: names as they are. Without it git quotes any name with a non-ASCII or odd byte
    # ("…caf\303\251.sql"), which matched no file: a PR's `…_café.sql` went unchecked.
    args = ["diff", "-z", "--name-only", "--diff-filter=AMR", "--no-renames", f"{base}...{head}" if head else since]
    out = _git(root, *args, "--", str(rel) if str(rel) != "." else ".")
    files = [root / name for name in out.split("\0") if name.endswith(".sql")]
    if head is None:
        # Untracked files are new too (a migration written but not yet committed).
        extra = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", str(rel))
        files.extend(root / name for name in extra.split("\0") if name.endswith(".sql"))
    files.extend(_links_to_changed(root, directory, args, untracked=head is None))
    return sorted({f for f in files if f.exists()})


def _links_to_changed(root: Path, directory: Path, diff_args: list[str], untracked: bool) -> list[Path]:
    """Migrations that are symlinks to a file elsewhere in the repository which changed: the link
    itself did not, but what the migration runs did (a PR must not edit a migration unchecked)."""
    links = [p for p in directory.rglob("*.sql") if p.is_symlink()] if directory.is_dir() else []
    if not links:
        return []
    names = _git(root, *diff_args).split("\0")
    if untracked:
        names += _git(root, "ls-files", "-z", "--others", "--exclude-standard").split("\0")
    changed = {(root / name).resolve() for name in names if name}
    return [p for p in links if p.resolve() in changed]


def files_at(directory: Path, ref: str) -> list[str]:
    """Names of the .sql files directly in ``directory`` at ``ref``."""
    root = repo_root(directory)
    verify_ref(root, ref)
    rel = directory.resolve().relative_to(root.resolve())
    out = _git(root, "ls-tree", "-z", "--name-only", ref, f"{rel}/" if str(rel) != "." else ".")
    return [Path(name).name for name in out.split("\0") if name.endswith(".sql")]


# -- the branch's base, found from anywhere in the work tree ------------------------------------------
# These run git at the work tree's top so that `safe.directory=<top>` covers a checkout owned by
# another user (a container's mounted workspace): git matches safe.directory against the top, not
# against the folder it was started in.


def fetch_hint(ref: str) -> str:
    """``origin/main`` → ``git fetch origin main`` (a remote-tracking ref is fetched by its branch name)."""
    remote, _, branch = ref.partition("/")
    if branch and remote == "origin":
        return f"git fetch origin {branch}"
    return f"git fetch origin {ref}"


def find_worktree(start: Path) -> Path | None:
    """The top of the git work tree holding ``start`` (the nearest folder with a ``.git``), without git."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _names_commit(top: Path, ref: str) -> str | None:
    try:
        sha = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except UserError:
        return None
    return sha or None


def default_branch(top: Path) -> str | None:
    """The branch a feature branch is compared with: ``origin/HEAD``, else ``main``, else ``master``."""
    try:
        origin_head = _git(top, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD").strip()
    except UserError:
        origin_head = ""
    for ref in (origin_head, "main", "master"):
        if ref and _names_commit(top, ref):
            return ref
    return None


def head_commit(top: Path) -> str | None:
    """HEAD's commit; None in a repository with no commit yet."""
    return _names_commit(top, "HEAD")


def merge_base(top: Path, ref: str) -> str | None:
    """The commit where HEAD's branch left ``ref``; None without common history (or a shallow clone)."""
    try:
        return _git(top, "merge-base", ref, "HEAD").strip() or None
    except UserError:
        return None


def is_shallow(top: Path) -> bool:
    try:
        return _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"
    except UserError:
        return False


def changed_since(top: Path, directory: Path, base: str) -> list[Path]:
    """``.sql`` files under ``directory`` added or modified since commit ``base``: committed,
    uncommitted and untracked (the work tree against ``base``)."""
    rel = directory.resolve().relative_to(top.resolve())
    spec = str(rel) if str(rel) != "." else "."
    # -z: names as they are (no quoting of non-ASCII or odd characters).
    out = _git(top, "diff", "-z", "--name-only", "--diff-filter=AM", "--no-renames", base, "--", spec)
    extra = _git(top, "ls-files", "-z", "--others", "--exclude-standard", "--", spec)
    files = [top / name for name in (out + extra).split("\0") if name.endswith(".sql")]
    diff = ["diff", "-z", "--name-only", "--diff-filter=AM", "--no-renames", base]
    files.extend(_links_to_changed(top, directory, diff, untracked=True))
    return sorted({f for f in files if f.exists()})


def names_at(top: Path, directory: Path, ref: str) -> list[str]:
    """Names of the .sql files directly in ``directory`` at ``ref`` (run from the work tree's top)."""
    rel = directory.resolve().relative_to(top.resolve())
    out = _git(top, "ls-tree", "-z", "--name-only", ref, f"{rel}/" if str(rel) != "." else ".")
    return [Path(name).name for name in out.split("\0") if name.endswith(".sql")]
