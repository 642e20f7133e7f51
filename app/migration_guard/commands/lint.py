"""`migration-guard lint`: static safety checks on migration files, in run order, with context.

I/O lives here (files, git, the terminal); the checks are ``linter.lint`` and the output is one of
the pure renderers in ``report/``. Heavy imports (the parser, the rules) happen inside ``run`` so
that ``--help`` and other commands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.errors import UserError
from migration_guard.model import LintOptions, LintResult, Migration

if TYPE_CHECKING:
    from migration_guard.rule_config import RuleConfig
    from migration_guard.settings import ProjectSettings

HELP = "check migration files for dangerous operations (locks, rewrites, data loss, missing RLS)"
DESCRIPTION = (
    "Lint migration SQL with PostgreSQL's own parser. Files are read in the order their runner "
    "applies them, and each file's rules see what earlier files created (a table created in the "
    "same file is new and empty; one created earlier holds data). Every finding says why it is "
    "dangerous and shows the safe alternative as SQL. Suppress one with a reason: "
    "`-- migration-guard: allow <rule-id> -- <reason>` on the line above the statement. "
    "--fix rewrites what is mechanical and safe; --diff shows it without writing. "
    "Exit status: 0 no unsuppressed errors, 1 errors found (with --diff: also something to change), "
    "2 usage error or unreadable input (with --fix / --diff: a file that does not parse; nothing is written)."
)

DEFAULT_DIR = "supabase/migrations"
FORMATS = ("text", "json", "sarif", "github")
# GitHub shows at most 10 error and 10 warning annotations per step (FACTS.md).
GITHUB_ANNOTATION_LIMIT = 10
TOO_DEEP = "an expression is nested too deeply to check (hundreds of levels); split it up"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=(
            "migration files or folders to lint (default: --dir). A file named on its own is still "
            "checked in the context of the earlier files of its folder; only it is reported."
        ),
    )
    parser.add_argument(
        "--dir",
        metavar="DIR",
        help=(
            f"the migrations folder, used when no PATH is given (default: {DEFAULT_DIR}, or migrations-dir "
            "from migration-guard.toml / MIGRATION_GUARD_MIGRATIONS_DIR, under the project root found by "
            "walking up from the current folder)"
        ),
    )
    parser.add_argument(
        "--base",
        metavar="GIT_REF",
        help=(
            "report only migration files added or changed since GIT_REF (e.g. origin/main), and "
            "check their versions against the files on GIT_REF (out-of-order, duplicate-version)"
        ),
    )
    parser.add_argument(
        "--supabase",
        choices=("auto", "on", "off"),
        help=(
            "Supabase rules (row level security on API-exposed schemas). auto (default, or the project's "
            "supabase setting): on when a supabase/config.toml is above the folder or the SQL references "
            "Supabase roles or the auth/storage schemas"
        ),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help=(
            "text (default): compiler-style lines with why and fix, coloured on a terminal (NO_COLOR "
            "respected); json: machine-readable findings; sarif: SARIF 2.1.0 for GitHub code scanning; "
            "github: workflow-command annotations"
        ),
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help=(
            "rewrite in place what is mechanical and safe, then report what is left (its exit status is "
            "lint's): CREATE/DROP INDEX and REINDEX get CONCURRENTLY and the runner's no-transaction directive "
            "(only in a file holding nothing else); a named FOREIGN KEY or CHECK gets NOT VALID and a new "
            "migration file right after it VALIDATEs it; SET NOT NULL becomes a CHECK (col IS NOT NULL) "
            "NOT VALID with VALIDATE, SET NOT NULL and DROP CONSTRAINT in a new file. Only the files "
            "being changed are edited (named files, --base, else the newest file of the folder). One "
            "line per fix applied or skipped (and why)"
        ),
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help=(
            "show what --fix would change as a unified diff on stdout (the fix lines on stderr) and "
            "write nothing; exit status 1 when there is something to change or a blocking finding "
            "would be left, else 0"
        ),
    )


@dataclass
class Selection:
    """What to load (in run order, for context) and which of those files to report."""

    load: list[Path] = field(default_factory=list)
    report: set[Path] = field(default_factory=set)  # resolved paths
    folders: list[Path] = field(default_factory=list)  # the folders the files come from


def _key(path: Path) -> Path:
    return path.resolve()


def select(paths: list[Path]) -> Selection:
    """Group the PATHs by folder; a named file brings the earlier files of its folder as context."""
    from migration_guard.migrations.naming import discover

    groups: dict[Path, tuple[Path, list[Path] | None]] = {}  # folder key → (folder, named files or None=all)
    for p in paths:
        if p.is_dir():
            folder, named = p, None
        elif p.is_file():
            folder, named = p.parent, [p]
        elif p.exists():
            raise UserError(f"{p}: not a regular file or folder")
        else:
            raise UserError(f"{p}: no such file or directory")
        key = _key(folder)
        if key not in groups:
            groups[key] = (folder, named)
        else:
            prev = groups[key][1]
            groups[key] = (groups[key][0], None if prev is None or named is None else prev + named)

    sel = Selection()
    seen: set[Path] = set()
    for folder, named in groups.values():
        try:
            files = discover(folder)
        except OSError as exc:
            raise UserError(f"{folder}: cannot list folder: {exc.strerror}") from None
        sel.folders.append(folder)
        if named is None:
            if not files:
                raise UserError(f"{folder}: no .sql migration files in this folder")
            chosen, extra = files, []
        else:
            keys = [_key(f) for f in files]
            wanted = {_key(n) for n in named}
            positions = [i for i, k in enumerate(keys) if k in wanted]
            # Load the folder up to the last named file: later files cannot change earlier findings.
            chosen = files[: max(positions) + 1] if positions else []
            in_folder = {keys[i] for i in positions}
            extra = [n for n in named if _key(n) not in in_folder]  # e.g. seed.sql, a .txt: linted alone
        report_all = named is None
        wanted_keys = {_key(n) for n in named} if named is not None else set()
        for f in [*chosen, *extra]:
            k = _key(f)
            if k in seen:
                continue
            seen.add(k)
            sel.load.append(f)
            if report_all or k in wanted_keys:
                sel.report.add(k)
    return sel


def restrict_to_changes(sel: Selection, base: str) -> tuple[str, ...]:
    """Keep only files changed since ``base`` in the report; return the versions present on ``base``."""
    from migration_guard import gitdiff
    from migration_guard.migrations.naming import parse_name

    changed: set[Path] = set()
    versions: list[str] = []
    for folder in sel.folders:
        changed.update(_key(p) for p in gitdiff.changed_files(folder, base))
        versions.extend(v for v in (parse_name(n).version for n in gitdiff.files_at(folder, base)) if v)
    sel.report &= changed
    return tuple(dict.fromkeys(versions))


def load(sel: Selection) -> tuple[list[Migration], list[str]]:
    """Read every selected file. A reported file that cannot be read or decoded is a usage error;
    a context-only file that cannot be is skipped with a note."""
    from migration_guard.migrations.loader import load_migration

    migrations: list[Migration] = []
    notes: list[str] = []
    for path in sel.load:
        reported = _key(path) in sel.report
        try:
            m = load_migration(path)
        except UserError as exc:
            if reported:
                raise
            notes.append(f"skipped {exc.message} (later files may miss what it creates)")
            continue
        # Not UTF-8, a NUL byte (the parser would stop there), a tree too deep: the loader says so.
        if m.error is not None and m.error.kind != "syntax":
            where = f"{m.display_path}:{m.error.line}: {m.error.message}"
            if reported:
                raise UserError(where)
            notes.append(f"skipped {where} (later files may miss what it creates)")
            continue
        if m.error is not None and not reported:
            notes.append(
                f"{m.display_path}:{m.error.line}: does not parse, so what it creates is unknown to later files"
            )
        if reported and m.error is None and not m.statements and not m.meta_commands:
            what = "empty file" if not m.text.strip() else "no SQL statements, only comments"
            notes.append(f"{m.display_path}: {what}; nothing to check")
        migrations.append(m)
    return migrations, notes


def _project() -> tuple[ProjectSettings | None, str]:
    """The project's settings, read once per run (None when there is nothing to read: no config file
    and no MIGRATION_GUARD_* variable, so pydantic is not even imported), and where they came from."""
    from migration_guard.local.project import find_root, has_settings

    root = find_root()
    if not has_settings(root):
        return None, ""
    from migration_guard.settings import find_config_file, load_project_settings

    found = find_config_file(root or Path.cwd())
    return load_project_settings(root), found[0].name if found else "MIGRATION_GUARD_* environment"


def _defaults(args: argparse.Namespace, project: ProjectSettings | None) -> tuple[Path, str]:
    """(migrations folder, supabase mode): flags win over the project settings, which win over
    defaults; the folder is under the project root found from the current folder."""
    from migration_guard.local.project import migrations_dir

    directory: str | None = getattr(args, "dir", None)
    mode: str | None = getattr(args, "supabase", None)
    if mode is None and project is not None:
        mode = project.supabase
    return migrations_dir(directory), mode or "auto"


def lint_paths(args: argparse.Namespace) -> tuple[LintResult, list[Migration], list[str]]:
    result, migrations, notes, _report = lint_selection(args)
    return result, migrations, notes


def lint_selection(args: argparse.Namespace) -> tuple[LintResult, list[Migration], list[str], frozenset[str] | None]:
    """``lint_paths`` plus the display paths of the files reported (``LintOptions.report_paths``)."""
    from migration_guard import supabase
    from migration_guard.linter import lint

    project, origin = _project()
    default_dir, supabase_mode = _defaults(args, project)
    if args.paths:
        paths = [Path(p) for p in args.paths]
    else:
        from migration_guard.local.project import require_folder

        paths = [require_folder(default_dir)]
    sel = select(paths)
    base_versions: tuple[str, ...] = ()
    if args.base:
        base_versions = restrict_to_changes(sel, args.base)
    migrations, notes = load(sel)
    if args.base and not sel.report:
        notes.append(f"no migration file changed since {args.base}; nothing to report")
    start = sel.folders[0] if sel.folders else Path(".")
    options = LintOptions(
        supabase=supabase.resolve_supabase(supabase_mode, start, migrations),
        exposed_schemas=supabase.exposed_schemas(supabase.find_config(start)),
        report_paths=frozenset(m.display_path for m in migrations if _key(m.path) in sel.report),
        base_versions=base_versions,
        pg_version=project.pg_version if project is not None else None,
    )
    try:
        result = lint(migrations, options)
    except RecursionError:
        names = ", ".join(m.display_path for m in migrations if _key(m.path) in sel.report)
        raise UserError(f"{names}: {TOO_DEEP}") from None
    rules = project_rule_config(project, origin)
    if rules.active:
        result = LintResult(rules.apply(result.findings), result.files, result.statements)
    return result, migrations, notes, options.report_paths


def project_rule_config(project: ProjectSettings | None, origin: str) -> RuleConfig:
    """``disable`` / ``severity`` / ``exclude`` from the project settings (none: nothing to apply)."""
    from migration_guard.rule_config import RuleConfig

    if project is None:
        return RuleConfig()
    return RuleConfig.build(project.disable, project.severity, project.exclude, origin=origin)


def project_rules() -> RuleConfig:
    """The project's rule configuration, validated (`plan` and `check` apply it as lint does, to the
    dry run's advisories too); read before any server starts, so a typo costs no dry run."""
    return project_rule_config(*_project())


def _use_color() -> bool:
    # https://no-color.org: any non-empty NO_COLOR disables colour.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def render(fmt: str, result: LintResult, migrations: list[Migration], notes: list[str]) -> str:
    if fmt == "json":
        from migration_guard.report.lint_json import render_json

        return render_json(result)
    if fmt == "sarif":
        from migration_guard.report.sarif import render_sarif, statement_texts
        from migration_guard.rules.registry import all_rules

        return render_sarif(result, list(all_rules()), statement_texts(migrations, result.findings))
    if fmt == "github":
        from migration_guard.report.annotations import render_annotations
        from migration_guard.report.text import summary_line

        return render_annotations(result.findings, GITHUB_ANNOTATION_LIMIT) + summary_line(result) + "\n"
    from migration_guard.report.text import render_text

    return render_text(result, color=_use_color(), notes=notes, sources={m.display_path: m.text for m in migrations})


def run(args: argparse.Namespace) -> int:
    if getattr(args, "fix", False) or getattr(args, "diff", False):
        from migration_guard.autofix.command import run_fix

        return run_fix(args)
    from migration_guard.pglast_deferred import defer_ast

    defer_ast()  # lint reads the parser's JSON: pglast's AST classes load only if a fix deparses
    # Loading allocates ~20 objects per statement and frees none until the end (no cycles either):
    # the cyclic GC would only re-scan them (measured: ~1.3% of a 20,000-statement lint).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if enabled:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    result, migrations, notes = lint_paths(args)
    if args.format != "text":
        # Keep stdout machine-readable: notes go to stderr.
        for note in notes:
            print(f"migration-guard: note: {note}", file=sys.stderr)
    if args.format == "json" and _plain_utf8_stdout():
        from migration_guard.report.lint_json import render_json_bytes

        sys.stdout.flush()
        sys.stdout.buffer.write(render_json_bytes(result))  # the same bytes, without a decode and re-encode
    else:
        sys.stdout.write(render(args.format, result, migrations, notes))
    sys.stdout.flush()
    # Keep the parse trees referenced so the process can exit without freeing them one by one
    # (cli.main exits fast for lint; freeing ~450k dicts of a 20k-statement file takes ~0.2 s).
    KEEP_ALIVE.append((result, migrations))
    return 1 if result.blocking else 0


KEEP_ALIVE: list[object] = []


def _plain_utf8_stdout() -> bool:
    """Is stdout the interpreter's own UTF-8 text stream, without newline translation (so writing UTF-8
    bytes to its buffer is exactly what writing the text would do) and without a wrapper that must
    see the text?"""
    out = sys.stdout
    return type(out) is io.TextIOWrapper and out.encoding.lower() in ("utf-8", "utf8") and os.linesep == "\n"
