"""Local `apply` lints what it is about to run, as the deploy does, and refuses blocking findings.

The pending files are linted with every earlier local file as context (a table created earlier
holds data). A blocking finding refuses the apply unless ``--override-reason TEXT`` says why
(at least 15 characters, as the action's ``override-reason``); the reason and the findings it
overrides are recorded in the audit log and in the sidecar row of each migration applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migration_guard.apply.files import LocalFiles, LocalMigration
from migration_guard.errors import UserError
from migration_guard.model import Finding, LintOptions

MIN_REASON = 15  # the action's rule for `override-reason`


@dataclass(frozen=True)
class Gate:
    findings: tuple[Finding, ...]  # unsuppressed findings in the pending files, blocking first
    blocking: tuple[str, ...]  # "rule@path:line" of each blocking finding (the audit's format)

    @property
    def passed(self) -> bool:
        return not self.blocking


def check_reason(reason: str | None) -> str | None:
    """``--override-reason``: None, or a reason long enough to mean something (else exit 2)."""
    if reason is None:
        return None
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise UserError(
            f"--override-reason must say why in at least {MIN_REASON} characters (it is recorded in the audit log)"
        )
    return text


def lint_pending(files: LocalFiles, pending: tuple[LocalMigration, ...], supabase_mode: str, start: Path) -> Gate:
    from migration_guard import supabase
    from migration_guard.linter import lint

    if not pending:
        return Gate((), ())
    last = max(files.migrations.index(m) for m in pending)
    migrations = [m.migration for m in files.migrations[: last + 1]]
    options = LintOptions(
        supabase=supabase.resolve_supabase(supabase_mode, start, migrations),
        exposed_schemas=supabase.exposed_schemas(supabase.find_config(start)),
        report_paths=frozenset(m.migration.display_path for m in pending),
    )
    result = lint(migrations, options)
    shown = sorted((f for f in result.findings if not f.suppressed), key=lambda f: (not f.blocking, f.path, f.line))
    blocking = tuple(f"{f.rule}@{f.path}:{f.line}" for f in shown if f.blocking)
    return Gate(tuple(shown), blocking)


def finding_line(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.severity.value}[{f.rule}] {f.message}"
