"""The check report for a terminal: what changed, the findings (lint's text), the dry run per migration.

Pure: a ``CheckReport`` in, a string out; colour only when the caller asks (a TTY without NO_COLOR).
"""

from __future__ import annotations

from migration_guard.checkrun import CheckReport
from migration_guard.dryrun.locks import BLOCKING, lock_spans, long_hold_text, moment_detail, span_text
from migration_guard.dryrun.renames import merge_renames
from migration_guard.plan_model import MigrationRun
from migration_guard.report.markdown import strongest_locks
from migration_guard.report.text import render_finding

# What each lock mode means for the application while the migration's transaction is open.
LOCK_EFFECT = {
    "AccessExclusiveLock": "blocks reads and writes",
    "ExclusiveLock": "blocks writes",
    "ShareRowExclusiveLock": "blocks writes",
    "ShareLock": "blocks writes",
    "ShareUpdateExclusiveLock": "reads and writes continue",
    "RowExclusiveLock": "reads and writes continue",
    "RowShareLock": "reads and writes continue",
    "AccessShareLock": "reads and writes continue",
}
_RESET = "\033[0m"
_STYLE = {"bad": "\033[1;31m", "warn": "\033[1;33m", "ok": "\033[1;32m", "dim": "\033[2m", "bold": "\033[1m"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _run_lines(run: MigrationRun, color: bool, transactional: bool | None = None) -> list[str]:
    icon = {"applied": _paint("ok", "ok", color), "failed": _paint("FAILED", "bad", color),
            "skipped": _paint("skipped", "dim", color)}.get(run.status, run.status)
    head = f"  {run.path}  {icon}"
    if run.status != "skipped":
        head += f"  {_duration(run.duration_ms)}"
    counts = [st.rows for st in run.statements if st.rows is not None]
    if counts and sum(counts):
        head += f"  {sum(counts):,} rows"
    lines = [head]
    spans = lock_spans(run, transactional)
    pad = " " * 15
    for span in spans:
        style = "bad" if span.mode == "AccessExclusiveLock" else "warn"
        lines.append(f"      lock     {_paint(span.mode, style, color)} on {span.relation}  ({LOCK_EFFECT[span.mode]})")
        lines.append(f"{pad}taken at line {span.line} {moment_detail(span.work)}")
        lines.append(f"{pad}{span_text(span)}")
        hold = long_hold_text(span)
        if hold:
            lines.append(f"{pad}{_paint('⚠ ' + hold, 'bad', color)}")
    spanned = {s.relation for s in spans}
    for name, mode in strongest_locks(run):
        if name in spanned or mode in BLOCKING:
            continue
        lines.append(f"      lock     {_paint(mode, 'dim', color)} on {name}  ({LOCK_EFFECT.get(mode, '')})")
    for rewritten in sorted({r for st in run.statements for r in st.rewrites}):
        lines.append(f"      rewrite  {_paint(rewritten, 'warn', color)} (every row copied under the lock)")
    if run.error is not None:
        e = run.error
        state = f" [{e.sqlstate}]" if e.sqlstate else ""
        lines.append(f"      {_paint('error', 'bad', color)}    {run.path}:{e.line}:{e.column}{state}: {e.message}")
        if e.hint:
            lines.append(f"      hint     {e.hint}")
    return lines


def render_check_text(report: CheckReport, color: bool = False, scope_line: str | None = None) -> str:
    """The report; ``scope_line`` (which base the changed files come from) is its first line."""
    out: list[str] = [scope_line] if scope_line else []
    where = report.migrations_dir
    if report.refused:
        return "\n".join([*out, f"{_paint('refused', 'bad', color)}: {report.refused}"]) + "\n"
    if not report.changed:
        nothing = f"{_paint('ok', 'ok', color)}: no migration changes in {where}: nothing to check"
        if scope_line and scope_line.startswith("Base: ") and not scope_line.startswith("Base: none"):
            nothing += " (--all checks every migration)"
        return "\n".join([*out, nothing]) + "\n"

    if report.plan is not None and report.plan.version_note:
        out.append(_paint(f"⚠ {report.plan.version_note}", "warn", color))
    since = f" since {report.base}" if report.base and not scope_line else ""
    out.append(_paint(f"Checking {_plural(len(report.changed), 'migration')} in {where}{since}", "bold", color))
    out.extend(f"  {p}" for p in report.changed)
    out.append("")

    if report.findings:
        out.append(_paint("Findings", "bold", color))
        out.append("")
        for f in sorted(report.findings, key=lambda f: (f.suppressed, not f.blocking, f.path, f.line)):
            out.append(render_finding(f, color))
            out.append("")

    plan = report.plan
    if plan is not None:
        out.append(_paint(f"Dry run on PostgreSQL {plan.postgres_version} ({plan.provider})", "bold", color))
        baseline = sum(1 for m in plan.migrations if not m.new)
        if baseline:
            out.append(f"  {_plural(baseline, 'earlier migration')} replayed as the baseline")
        for run in plan.migrations:
            if run.new:
                out.extend(_run_lines(run, color, _transactional(report, run)))
        affected = merge_renames(plan)
        if affected:
            out.append("")
            out.append(_paint("Affected objects", "bold", color))
            for obj in affected:
                detail = f": {obj.detail}" if obj.detail else ""
                out.append(f"  {obj.change:<8} {obj.kind} {obj.name}{detail}")
                if obj.dependents:
                    out.append(f"           depended on by {', '.join(obj.dependents)}")
        if plan.advisories:
            out.append("")
            out.append(_paint("New database advisories", "bold", color))
            for adv in sorted(plan.advisories, key=lambda a: (a.suppressed, not a.blocking)):
                level = adv.severity.value
                tone = "dim" if adv.suppressed else "bad" if adv.blocking else "warn"
                where = f"{adv.location}: " if adv.location else ""
                sup = f" (suppressed: {adv.reason or 'no reason given'})" if adv.suppressed else ""
                out.append(f"  {where}{_paint(level, tone, color)}[{adv.rule}]{sup} {adv.object}: {adv.message}")
        out.append("")
    elif report.plan_error:
        out.append(f"{_paint('dry run', 'bad', color)}: {report.plan_error}")
        out.append("")
    for note in report.notes:
        out.append(f"note: {note}")

    out.append(verdict_line(report, color))
    return "\n".join(out) + "\n"


def verdict_line(report: CheckReport, color: bool = False) -> str:
    """``FAIL: 2 blocking issues, 0 warnings, 0 suppressed`` (the report's last line)."""
    if report.refused:
        return f"{_paint('refused', 'bad', color)}: {report.refused}"
    if not report.changed:
        return f"{_paint('PASS', 'ok', color)}: no migration changes in {report.migrations_dir}"
    suppressed = sum(1 for f in report.findings if f.suppressed)
    suppressed += sum(1 for a in report.plan.advisories if a.suppressed) if report.plan is not None else 0
    counts = (f"{_plural(report.blocking_count, 'blocking issue')}, {_plural(report.warning_count, 'warning')}, "
              f"{suppressed} suppressed")
    if report.verdict == "fail":
        return f"{_paint('FAIL', 'bad', color)}: {counts}"
    if report.blocking_count or report.warning_count:
        return f"{_paint('PASS', 'warn', color)}: {counts}"
    return f"{_paint('PASS', 'ok', color)}: all clear ({counts})"


def _transactional(report: CheckReport, run: MigrationRun) -> bool | None:
    """Did this file run in one transaction (its locks held to the end)? None when unknown."""
    from migration_guard.dryrun.trace import outside_transaction

    m = next((m for m in report.migrations if m.display_path == run.path), None)
    return None if m is None else not outside_transaction(m)
