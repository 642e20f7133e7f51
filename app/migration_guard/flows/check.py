"""The check's steps, each returning plain data for ``checkrun.run_check`` to assemble.

select (which files) → lint (earlier files as context) → dry run → verdict. A statement nested
too deeply to analyse (hundreds of levels: ``NodeTooDeep``) is one line naming its file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from migration_guard.errors import UserError
from migration_guard.model import Finding, LintOptions, Migration, Severity
from migration_guard.plan_model import PlanResult

if TYPE_CHECKING:
    from migration_guard.checkrun import CheckOptions
    from migration_guard.rule_config import RuleConfig

TOO_DEEP = "nested too deeply to analyse (hundreds of levels); split the expression up"


@dataclass(frozen=True)
class Selection:
    paths: tuple[Path, ...]  # the folder's files up to the last changed one (later ones cannot matter)
    changed: tuple[Path, ...]


@dataclass(frozen=True)
class LintStep:
    migrations: tuple[Migration, ...]
    findings: tuple[Finding, ...]
    files: int
    statements: int
    supabase: bool


@dataclass(frozen=True)
class DryRunStep:
    plan: PlanResult | None
    error: str | None  # the dry run could not run (one line)
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]
    blocking: int
    warnings: int
    verdict: str  # pass | fail


def too_deep_error(migrations: Sequence[Migration]) -> UserError:
    """``path:line: nested too deeply …`` for the first statement whose tree cannot be decoded."""
    from migration_guard.model import NodeTooDeep

    for m in migrations:
        for st in m.statements:
            try:
                st.node  # noqa: B018 - decoding is the test
            except NodeTooDeep:
                return UserError(f"{m.display_path}:{st.line}: statement {TOO_DEEP}")
    names = ", ".join(m.display_path for m in migrations) or "a migration"
    return UserError(f"{names}: an expression is {TOO_DEEP}")


def select_step(paths: list[Path], changed: tuple[Path, ...]) -> Selection:
    wanted = {p.resolve() for p in changed}
    picked = [p for p in paths if p.resolve() in wanted]
    if not picked:
        return Selection((), ())
    last = max(paths.index(p) for p in picked)
    return Selection(tuple(paths[: last + 1]), tuple(picked))


def lint_step(opts: CheckOptions, selection: Selection) -> LintStep:
    from migration_guard.linter import lint
    from migration_guard.migrations import load_migrations
    from migration_guard.supabase import exposed_schemas_since, resolve_supabase

    migrations = load_migrations(list(selection.paths))
    is_supabase = resolve_supabase(opts.supabase, opts.migrations_dir, migrations, opts.base)
    options = LintOptions(
        supabase=is_supabase,
        exposed_schemas=exposed_schemas_since(opts.migrations_dir, opts.base),
        report_paths=frozenset(str(p) for p in selection.changed),
        base_versions=opts.base_versions,
    )
    try:
        result = lint(migrations, options)
    except RecursionError:  # NodeTooDeep is one
        raise too_deep_error(migrations) from None
    return LintStep(tuple(migrations), result.findings, result.files, result.statements, is_supabase)


def dry_run_step(opts: CheckOptions, selection: Selection, is_supabase: bool) -> DryRunStep:
    """Run the plan; a failure to even start (missing extension, no Postgres) is one reported line."""
    if not opts.dry_run:
        return DryRunStep(None, None, ("Dry run skipped: only the static checks ran.",))
    from migration_guard.dryrun.plan import PlanOptions, run_plan

    options = PlanOptions(
        migrations_dir=opts.migrations_dir,
        new=list(selection.changed),
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
        session_settings=opts.session_settings,
        base=opts.base,  # `new` picks the files; the base's config.toml still counts (exposed schemas)
    )
    try:
        plan = run_plan(options)
    except UserError as exc:
        return DryRunStep(None, exc.message, ())
    except (psycopg.Error, OSError) as exc:
        # The server broke under us (disk full, killed): report it as a blocking line, keep the lint report.
        from migration_guard.redact import redact

        first = (str(exc).strip().splitlines() or [""])[0]
        secrets = tuple(s for s in (opts.postgres_url, opts.stats_url) if s)
        return DryRunStep(None, redact(f"stopped: {type(exc).__name__}: {first}", secrets), ())
    return DryRunStep(plan, None, tuple(plan.warnings))


def _finding_key(f: Finding) -> tuple[str, str, int, int]:
    return (f.rule, str(Path(f.path)), f.line, f.column)


def merge_findings(lint_findings: tuple[Finding, ...], plan: PlanResult | None) -> tuple[Finding, ...]:
    """Lint findings plus those only the dry run produced (the plan may include lint's own)."""
    out = list(lint_findings)
    seen = {_finding_key(f) for f in out}
    for f in plan.findings if plan is not None else ():
        if _finding_key(f) not in seen:
            seen.add(_finding_key(f))
            out.append(f)
    return tuple(out)


def verdict_for(blocking: int, warnings: int, fail_on: str) -> str:
    """``fail`` when what ``fail-on`` names is present (``never`` still reports fail, exits 0)."""
    if blocking:
        return "fail"
    if fail_on == "warning" and warnings:
        return "fail"
    return "pass"


def _lint_names_drop(findings: tuple[Finding, ...], table: tuple[str, str], column: str | None) -> bool:
    """A drop-table / drop-column / drop-schema finding (suppressed or not) about exactly this object."""
    from migration_guard.rules.nodes import display

    shown = display(table)
    for f in findings:
        if f.rule == "drop-schema" and f.message.startswith(f"DROP SCHEMA {table[0]} "):
            return True
        if column is None and f.rule == "drop-table" and f.message.startswith(f"DROP TABLE {shown} deletes"):
            return True
        if column is not None and f.rule == "drop-column" and f.message.startswith(f"DROP COLUMN {column} on {shown} "):
            return True
    return False


def drops_step(lint: LintStep, dry: DryRunStep) -> DryRunStep:
    """Tables and columns the new migrations dropped that no lint finding names (dynamic SQL, e.g.
    ``EXECUTE format('drop table %I', …)``, which lint cannot read) become the dry run's blocking
    drop-table / drop-column findings: otherwise the data loss was only listed under affected objects
    and the check passed. Located and suppressed like every advisory."""
    if dry.plan is None or not any(a.change == "dropped" for a in dry.plan.affected):
        return dry
    from dataclasses import replace

    from migration_guard.dryrun.locate import locate
    from migration_guard.dryrun.renames import merge_renames
    from migration_guard.plan_model import Advisory

    affected = merge_renames(dry.plan)
    dropped_tables = {a.name for a in affected if a.kind == "table" and a.change == "dropped"}
    found: list[Advisory] = []
    for a in affected:
        if a.change != "dropped" or a.kind not in ("table", "column"):
            continue
        schema, _, rest = a.name.partition(".")
        if a.kind == "table":
            if not _lint_names_drop(lint.findings, (schema, rest), None):
                found.append(Advisory("drop-table", a.name, f"{a.name} was dropped, with all its rows, by SQL "
                                      "that lint cannot read (dynamic SQL)", Severity.ERROR))
            continue
        table, _, column = rest.rpartition(".")
        if f"{schema}.{table}" in dropped_tables or _lint_names_drop(lint.findings, (schema, table), column):
            continue
        found.append(Advisory("drop-column", f"{schema}.{table} ({column})", f"column {column} of {schema}.{table} "
                              "was dropped, with its data, by SQL that lint cannot read (dynamic SQL)", Severity.ERROR))
    if not found:
        return dry
    new = {Path(r.path).resolve() for r in dry.plan.migrations if r.new}
    first = next((i for i, m in enumerate(lint.migrations) if m.path.resolve() in new), len(lint.migrations))
    located = locate(found, lint.migrations[first:])
    return replace(dry, plan=replace(dry.plan, advisories=(*dry.plan.advisories, *located)))


def dedupe_step(lint: LintStep, dry: DryRunStep, rules: RuleConfig | None = None) -> DryRunStep:
    """One finding per problem: a database advisory a lint finding already reports is dropped (lint's
    finding has the line and the fix). Then the project's configuration applies to the advisories as
    to the findings: a lint rule disabled there does not hide the dry run's advisory, which has its
    own id (disable both to silence both)."""
    if dry.plan is None or not dry.plan.advisories:
        return dry
    from dataclasses import replace

    from migration_guard.dryrun.advisories import without_lint_duplicates

    findings = merge_findings(lint.findings, dry.plan)
    active = rules if rules is not None and rules.active else None
    if active is not None:
        findings = active.apply(findings)
    kept = tuple(without_lint_duplicates(dry.plan.advisories, findings))
    if active is not None:
        kept = active.apply_advisories(kept)
    return replace(dry, plan=replace(dry.plan, advisories=kept))


def verdict_step(lint: LintStep, dry: DryRunStep, fail_on: str, rules: RuleConfig | None = None) -> Verdict:
    """Blocking: unsuppressed errors (findings and advisories alike), failed new migrations, a dry run
    that could not run. Advisories arrive already configured (``dedupe_step``)."""
    findings = merge_findings(lint.findings, dry.plan)
    if rules is not None and rules.active:  # the project's disable / severity / exclude (rule_config.py)
        findings = rules.apply(findings)
    blocking = sum(1 for f in findings if f.blocking)
    if dry.plan is not None:
        blocking += sum(1 for m in dry.plan.migrations if m.new and m.status == "failed")
        blocking += sum(1 for a in dry.plan.advisories if a.blocking)
    if dry.error:
        blocking += 1
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING and not f.suppressed)
    if dry.plan is not None:
        warnings += sum(1 for a in dry.plan.advisories if a.severity is Severity.WARNING and not a.suppressed)
    return Verdict(findings, blocking, warnings, verdict_for(blocking, warnings, fail_on))


def failure_reason(exc: Exception, secrets: tuple[str, ...]) -> tuple[str, int]:
    """One redacted line and the exit code for a check that could not finish."""
    from migration_guard.redact import redact

    if isinstance(exc, UserError):
        return redact(exc.message, secrets), exc.exit_code
    first = (str(exc).strip().splitlines() or [""])[0]
    return redact(f"internal error: {type(exc).__name__}: {first}".rstrip(": "), secrets), 1
