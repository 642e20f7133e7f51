"""The check pipeline: changed migrations → lint (earlier files as context) + dry run → one report.

Shared by `migration-guard check` (a laptop) and the action's `command: check` (a pull request).
Which files changed is decided by the caller (git diff in either case); this module only loads,
lints, plans and counts, and returns plain data (``CheckReport``) for the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from migration_guard.errors import UserError
from migration_guard.model import Finding, LintOptions, LintResult, Migration, PlanResult, Severity

FAIL_ON = ("error", "warning", "never")


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


@dataclass(frozen=True)
class CheckReport:
    migrations_dir: str
    changed: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    plan: PlanResult | None = None
    plan_error: str | None = None  # the dry run could not run (e.g. a missing extension), one line
    verdict: str = "pass"  # pass | fail, after fail-on
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

    @property
    def lint_result(self) -> LintResult:
        return LintResult(self.findings, self.files, self.statements)

    @property
    def exit_code(self) -> int:
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
            "run_url": self.run_url or None,
        }


def _plan_json(plan: PlanResult) -> dict[str, Any]:
    """The dry run's JSON contract (issue 3)."""
    from migration_guard.report.plan_json import plan_to_json

    return plan_to_json(plan)


def verdict_for(blocking: int, warnings: int, fail_on: str) -> str:
    """``fail`` when what ``fail-on`` names is present (``never`` still reports fail, exits 0)."""
    if blocking:
        return "fail"
    if fail_on == "warning" and warnings:
        return "fail"
    return "pass"


def _finding_key(f: Finding) -> tuple[str, str, int, int]:
    return (f.rule, str(Path(f.path)), f.line, f.column)


def _merge(lint_findings: tuple[Finding, ...], plan: PlanResult | None) -> tuple[Finding, ...]:
    """Lint findings plus those only the dry run produced (the plan may include lint's own)."""
    out = list(lint_findings)
    seen = {_finding_key(f) for f in out}
    for f in plan.findings if plan is not None else ():
        if _finding_key(f) not in seen:
            seen.add(_finding_key(f))
            out.append(f)
    return tuple(out)


def refused_report(opts: CheckOptions, reason: str) -> CheckReport:
    return CheckReport(
        migrations_dir=str(opts.migrations_dir), changed=tuple(str(p) for p in opts.changed), verdict="fail",
        blocking_count=1, fail_on=opts.fail_on, refused=reason, run_url=opts.run_url, base=opts.base, head=opts.head,
    )


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
    if opts.fail_on not in FAIL_ON:
        raise UserError(f"fail-on must be one of {', '.join(FAIL_ON)}, not {opts.fail_on!r}")
    paths = discover_migrations(opts.migrations_dir)
    wanted = {p.resolve() for p in opts.changed}
    changed = [p for p in paths if p.resolve() in wanted]
    base = CheckReport(
        migrations_dir=str(opts.migrations_dir), changed=(), fail_on=opts.fail_on, run_url=opts.run_url,
        base=opts.base, head=opts.head,
    )
    if not changed:
        return base

    from migration_guard.linter import lint
    from migration_guard.migrations import load_migrations
    from migration_guard.supabase import exposed_schemas, find_config, resolve_supabase

    # Files after the last changed one cannot change its findings or its dry run: leave them out.
    last = max(paths.index(p) for p in changed)
    migrations = load_migrations(paths[: last + 1])
    is_supabase = resolve_supabase(opts.supabase, opts.migrations_dir, migrations)
    options = LintOptions(
        supabase=is_supabase,
        exposed_schemas=exposed_schemas(find_config(opts.migrations_dir)),
        report_paths=frozenset(str(p) for p in changed),
        base_versions=opts.base_versions,
    )
    result = lint(migrations, options)

    plan: PlanResult | None = None
    plan_error: str | None = None
    notes: list[str] = []
    if opts.dry_run:
        plan, plan_error = _dry_run(opts, paths[: last + 1], changed, is_supabase)
    else:
        notes.append("Dry run skipped: only the static checks ran.")

    if plan is not None:
        notes.extend(plan.warnings)
    findings = _merge(result.findings, plan)
    blocking = sum(1 for f in findings if f.blocking)
    if plan is not None:
        blocking += sum(1 for m in plan.migrations if m.new and m.status == "failed")
    if plan_error:
        blocking += 1
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING and not f.suppressed)
    if plan is not None:
        warnings += len(plan.advisories)
    return CheckReport(
        migrations_dir=str(opts.migrations_dir),
        changed=tuple(str(p) for p in changed),
        findings=findings,
        plan=plan,
        plan_error=plan_error,
        verdict=verdict_for(blocking, warnings, opts.fail_on),
        blocking_count=blocking,
        warning_count=warnings,
        fail_on=opts.fail_on,
        notes=tuple(notes),
        run_url=opts.run_url,
        base=opts.base,
        head=opts.head,
        files=result.files,
        statements=result.statements,
        migrations=tuple(migrations),
    )


def _dry_run(
    opts: CheckOptions, paths: list[Path], changed: list[Path], is_supabase: bool
) -> tuple[PlanResult | None, str | None]:
    """Run the plan; a failure to even start (missing extension, no Postgres) is one reported line."""
    from migration_guard.dryrun.plan import PlanOptions, run_plan

    del paths  # the plan discovers the folder itself; `new` marks what this change adds
    options = PlanOptions(
        migrations_dir=opts.migrations_dir,
        new=list(changed),
        supabase="on" if is_supabase else "off",
        postgres=None if opts.postgres == "auto" else opts.postgres,
        postgres_url=opts.postgres_url,
        stub_extensions=tuple(opts.stub_extensions),
        stats_url=opts.stats_url,
        statement_timeout=opts.statement_timeout,
        time_budget=opts.time_budget,
        disk_limit=opts.disk_limit,
        strict_extensions=opts.strict_extensions,
        pg_version=opts.pg_version,
        baseline=opts.baseline,
    )
    try:
        return run_plan(options), None
    except UserError as exc:
        return None, exc.message
    except (psycopg.Error, OSError) as exc:
        # The server broke under us (disk full, killed): report it as a blocking line, keep the lint report.
        from migration_guard.redact import redact

        first = (str(exc).strip().splitlines() or [""])[0]
        secrets = tuple(s for s in (opts.postgres_url, opts.stats_url) if s)
        return None, redact(f"stopped: {type(exc).__name__}: {first}", secrets)
