"""What `migration-guard check` checks on a laptop: the migrations a branch changes.

Default: every migration added or modified since the merge-base with the default branch
(``origin/HEAD``, else ``main``, else ``master``), plus uncommitted and untracked files — what the
pull request will contain. ``--base REF`` uses the merge-base with REF instead; ``--all`` checks
every file. Outside a git repository, with no default branch or no common history, every file is
checked and the report says why. ``Scope.line`` is the report's first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migration_guard import gitdiff
from migration_guard.errors import UserError
from migration_guard.migrations.naming import parse_name


@dataclass(frozen=True)
class Scope:
    changed: tuple[Path, ...]  # the files to check, as found in the folder listing
    line: str  # names the base used, or why there is none
    base: str | None = None  # the ref the user or the default named (the report's `base`)
    commit: str | None = None  # the merge-base commit compared with
    base_versions: tuple[str, ...] = ()  # versions present at the base (out-of-order checks)


def _every(paths: list[Path], why: str) -> Scope:
    return Scope(tuple(paths), f"Base: none ({why}): checking every migration")


def _short(sha: str) -> str:
    return sha[:10]


def resolve(directory: Path, paths: list[Path], base: str | None, check_all: bool) -> Scope:
    """The files to check and the sentence naming where they come from."""
    if check_all:
        return _every(paths, "--all")
    top = gitdiff.find_worktree(directory)
    if top is None:
        if base:
            raise UserError(f"--base {base}: {directory} is not in a git repository")
        return _every(paths, "not a git repository")
    if gitdiff.head_commit(top) is None:
        if base:
            raise UserError(f"--base {base}: the repository has no commit yet")
        return _every(paths, "the repository has no commit yet")
    ref = base or gitdiff.default_branch(top)
    if ref is None:
        return _every(paths, "no default branch: none of origin/HEAD, main or master exists")
    if base:
        gitdiff.verify_ref(top, base)  # unknown ref: one line with the fetch hint (exit 2)
    commit = gitdiff.merge_base(top, ref)
    if commit is None:
        hint = f"; in a shallow checkout: {gitdiff.fetch_hint(ref)} --unshallow" if gitdiff.is_shallow(top) else ""
        if base:
            raise UserError(f"--base {base}: no common history with HEAD{hint}")
        return _every(paths, f"no common history with {ref}{hint}")
    found = {p.resolve() for p in gitdiff.changed_since(top, directory, commit)}
    changed = tuple(p for p in paths if p.resolve() in found)
    versions = tuple(v for v in (parse_name(n).version for n in gitdiff.names_at(top, directory, commit)) if v)
    flag = "--base " if base else ""
    line = (
        f"Base: {flag}{ref} (merge-base {_short(commit)}): migrations added or changed since then, "
        "plus uncommitted and untracked files"
    )
    return Scope(changed, line, ref, commit, versions)


def named(directory: Path, paths: list[Path], files: list[Path]) -> Scope:
    """Migration files named on the command line are the change; they must be in one folder."""
    listed = {p.resolve(): p for p in paths}
    chosen: list[Path] = []
    for f in files:
        if not f.is_file():
            raise UserError(f"{f}: no such file")
        if f.resolve().parent != directory.resolve():
            raise UserError(f"{f}: not in {directory}; name migration files of one folder")
        if f.resolve() not in listed:
            raise UserError(f"{f}: not a migration file of {directory} (a .sql file)")
        chosen.append(listed[f.resolve()])
    order = {p: i for i, p in enumerate(paths)}
    changed = tuple(sorted(dict.fromkeys(chosen), key=lambda p: order[p]))
    names = ", ".join(p.name for p in changed)
    return Scope(changed, f"Base: none (named on the command line): checking {names}")
