"""`lint --fix` / `lint --diff`: lint, plan the fixes, then show them or write them and lint again."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from migration_guard.autofix.files import changes, unified_diff, write
from migration_guard.autofix.plan import plan
from migration_guard.errors import UserError
from migration_guard.linter import change_of
from migration_guard.model import Migration


def _folders(migrations: Sequence[Migration]) -> dict[Path, list[str]]:
    folders: dict[Path, list[str]] = {}
    for m in migrations:
        folder = m.path.parent
        if folder not in folders:
            try:
                folders[folder] = sorted(p.name for p in folder.iterdir())
            except OSError as exc:
                raise UserError(f"{folder}: cannot list folder: {exc.strerror}") from None
    return folders


def run_fix(args: argparse.Namespace) -> int:
    from migration_guard.commands import lint

    result, migrations, _notes, report = lint.lint_selection(args)
    broken = next((m for m in migrations if m.error is not None and (report is None or m.display_path in report)), None)
    if broken is not None and broken.error is not None:
        raise UserError(
            f"{broken.display_path}:{broken.error.line}: {broken.error.message}; nothing was fixed "
            "(a file that does not parse cannot be rewritten safely)"
        )
    fixable = frozenset(migrations[i].display_path for i in change_of(migrations, report))
    project, _origin = lint._project()  # the project settings again, for pg-version
    pg_version = project.pg_version if project is not None else None
    fixes = plan(result, migrations, fixable, _folders(migrations), pg_version)
    planned = changes(fixes.edits, fixes.new_files)
    say = sys.stdout if args.format == "text" and not args.diff else sys.stderr
    if not args.diff:
        write(planned)
    for line in fixes.lines or ["nothing to fix"]:
        print(line, file=say)
    if args.diff:
        sys.stdout.write(unified_diff(planned))
        left = [f for f in result.blocking if (f.rule, f.path, f.line, f.column) not in fixes.fixed]
        return 1 if planned or left else 0
    if args.paths:
        # Named files: the new follow-up files are part of what was asked about.
        args = argparse.Namespace(**{**vars(args), "paths": [*args.paths, *(str(n.path) for n in fixes.new_files)]})
    result, migrations, notes = lint.lint_paths(args)
    if args.format != "text":
        for note in notes:
            print(f"migration-guard: note: {note}", file=sys.stderr)
    sys.stdout.write(lint.render(args.format, result, migrations, notes))
    sys.stdout.flush()
    return 1 if result.blocking else 0
