"""The check pipeline: changed migrations → lint (earlier files as context) + dry run → one report.

Shared by `migration-guard check` (a laptop) and the action's `command: check` (a pull request).
Which files changed is decided by the caller (git diff in either case). This module orchestrates
the steps in ``migration_guard.flows.check`` (each returns plain data) and assembles the
``CheckReport`` the renderers and the action's audit record read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from migration_guard.errors import UserError
from migration_guard.flows.check import verdict_for
from migration_guard.model import Finding, LintResult, Migration
from migration_guard.plan_model import PlanResult

FAIL_ON = ("error", "warning", "never")
__all__ = [
    "CANCELLED", "FAIL_ON", "CheckOptions", "CheckReport", "cancelled_report", "discover_migrations", "refused_report",
    "run_check", "verdict_for",
]


@dataclass(frozen=True)
class CheckOptions:
    migrations_dir: Path  # as the user gave it (relative paths keep annotations repo-relative)
    changed: tuple[Path, ...]  # the migration files this change adds or edits
    supabase: str = "auto"
    postgres: str = "auto"
    postgres_url: str | None = None
    stub_extensions: tuple[str, ...] = ()
    stats_url: str | None = None
    fail_on: str = "error"
    dry_run: bool = True
    base_versions: tuple[str, ...] = ()  # versions on the base ref (out-of-order checks)
    base: str | None = None
    head: str | None = None
    run_url: str = ""
    # The dry run's limits and fidelity (issues 10, 12): passed through to the plan as they are.
    statement_timeout: str | None = None
    time_budget: str | None = None
    disk_limit: str | None = None
    strict_extensions: bool = False
    pg_version: int | None = None
    baseline: tuple[Path, ...] = ()
    session_settings: tuple[tuple[str, str], ...] = ()  # the migration runner's session settings
    rules: Any = None  # rule_config.RuleConfig: the project's disable / severity / exclude


@dataclass(frozen=True)
class CheckReport:
    migrations_dir: str
    changed: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    plan: PlanResult | None = None
    plan_error: str | None = None  # the dry run could not run (e.g. a missing extension), one line
    verdict: str = "pass"  # pass | fail, after fail-on; cancelled: the runner stopped it (no verdict)
    blocking_count: int = 0
    warning_count: int = 0
    fail_on: str = "error"
    notes: tuple[str, ...] = ()
    refused: str | None = None  # why the check did not run the SQL at all
    run_url: str = ""
    base: str | None = None
    head: str | None = None
    files: int = 0
    statements: int = 0
    migrations: tuple[Migration, ...] = field(default=(), repr=False)  # loaded files (for SARIF snippets)
    # What a deploy checks against (pinning.py): the changed files' digests and this verdict.
    pins: dict[str, Any] | None = None
    # Reviewer checklists for AI-authored or unexplained files (review_checklist.py), markdown.
    checklists: tuple[str, ...] = ()

    @property
    def located_findings(self) -> tuple[Finding, ...]:
        """The findings, then the dry run's advisories that have a file:line (annotations, SARIF)."""
        if self.plan is None or not self.plan.advisories:
            return self.findings
        from migration_guard.dryrun.advisories import as_findings

        return self.findings + as_findings(self.plan.advisories)

    @property
    def lint_result(self) -> LintResult:
        """What SARIF renders: every located finding, advisories included."""
        return LintResult(self.located_findings, self.files, self.statements)

    @property
    def exit_code(self) -> int:
        if self.verdict == "cancelled":
            return 130  # as for Ctrl-C: the job was stopped, it did not pass
        return 1 if self.verdict == "fail" and self.fail_on != "never" else 0

    def to_json(self) -> dict[str, Any]:
        plan: dict[str, Any] | None = None
        if self.plan is not None:
            plan = _plan_json(self.plan)
        return {
            "verdict": self.verdict,
            "blocking_count": self.blocking_count,
            "warning_count": self.warning_count,
            "fail_on": self.fail_on,
            "migrations_dir": self.migrations_dir,
            "changed": list(self.changed),
            "base": self.base,
            "head": self.head,
            "refused": self.refused,
            "notes": list(self.notes),
            "findings": [f.to_json() for f in self.findings],
            "plan": plan,
            "plan_error": self.plan_error,
            "pins": self.pins,
            "run_url": self.run_url or None,
        }


def _plan_json(plan: PlanResult) -> dict[str, Any]:
    """The dry run's JSON contract (issue 3)."""
    from migration_guard.report.plan_json import plan_to_json

    return plan_to_json(plan)


def refused_report(opts: CheckOptions, reason: str) -> CheckReport:
    """A failing report that ran nothing: a refusal, or a check that could not finish (the action
    still writes its summary, outputs and audit record from it)."""
    return CheckReport(
        migrations_dir=str(opts.migrations_dir), changed=tuple(str(p) for p in opts.changed), verdict="fail",
        blocking_count=1, fail_on=opts.fail_on, refused=reason, run_url=opts.run_url, base=opts.base, head=opts.head,
    )


CANCELLED = (
    "cancelled: the runner stopped the job before the check finished (the dry-run server was torn down); "
    "no verdict was reached and nothing was applied. Re-run the job for a verdict."
)


def cancelled_report(opts: CheckOptions) -> CheckReport:
    """The report of a check the runner cancelled (SIGTERM) or a user interrupted: no verdict, so it
    never counts as passing, and the summary, outputs and audit record still say what happened."""
    return replace(refused_report(opts, CANCELLED), verdict="cancelled", blocking_count=0)


def discover_migrations(directory: Path) -> list[Path]:
    from migration_guard.migrations.naming import discover

    if not directory.is_dir():
        raise UserError(f"{directory}: migrations folder not found (set --dir / the `migrations-dir` input)")
    try:
        return discover(directory)
    except OSError as exc:
        raise UserError(f"{directory}: cannot list folder: {exc.strerror}") from None


def run_check(opts: CheckOptions) -> CheckReport:
    """Lint the changed migrations in context and dry-run them on top of the unchanged ones."""
    from migration_guard.flows.check import (
        dedupe_step,
        drops_step,
        dry_run_step,
        lint_step,
        select_step,
        verdict_step,
    )

    if opts.fail_on not in FAIL_ON:
        raise UserError(f"fail-on must be one of {', '.join(FAIL_ON)}, not {opts.fail_on!r}")
    selection = select_step(discover_migrations(opts.migrations_dir), opts.changed)
    if not selection.changed:
        return CheckReport(
            migrations_dir=str(opts.migrations_dir), changed=(), fail_on=opts.fail_on, run_url=opts.run_url,
            base=opts.base, head=opts.head,
        )
    linted = lint_step(opts, selection)
    dry = dedupe_step(linted, drops_step(linted, dry_run_step(opts, selection, linted.supabase)), opts.rules)
    verdict = verdict_step(linted, dry, opts.fail_on, opts.rules)
    return CheckReport(
        migrations_dir=str(opts.migrations_dir),
        changed=tuple(str(p) for p in selection.changed),
        findings=verdict.findings,
        plan=dry.plan,
        plan_error=dry.error,
        verdict=verdict.verdict,
        blocking_count=verdict.blocking,
        warning_count=verdict.warnings,
        fail_on=opts.fail_on,
        notes=dry.notes,
        run_url=opts.run_url,
        base=opts.base,
        head=opts.head,
        files=linted.files,
        statements=linted.statements,
        migrations=linted.migrations,
    )
