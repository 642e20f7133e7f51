"""The check report for a terminal: what changed, the findings (lint's text), the dry run per migration.

Pure: a ``CheckReport`` in, a string out; colour only when the caller asks (a TTY without NO_COLOR).
"""

from __future__ import annotations

from migration_guard.checkrun import CheckReport
from migration_guard.model import MigrationRun
from migration_guard.report.markdown import BLOCKING_LOCKS, strongest_locks
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


def _run_lines(run: MigrationRun, color: bool) -> list[str]:
    icon = {"applied": _paint("ok", "ok", color), "failed": _paint("FAILED", "bad", color),
            "skipped": _paint("skipped", "dim", color)}.get(run.status, run.status)
    head = f"  {run.path}  {icon}"
    if run.status != "skipped":
        head += f"  {_duration(run.duration_ms)}"
    counts = [st.rows for st in run.statements if st.rows is not None]
    if counts and sum(counts):
        head += f"  {sum(counts):,} rows"
    lines = [head]
    for name, mode in strongest_locks(run):
        style = "bad" if mode == "AccessExclusiveLock" else ("warn" if mode in BLOCKING_LOCKS else "dim")
        effect = LOCK_EFFECT.get(mode, "")
        lines.append(f"      lock     {_paint(mode, style, color)} on {name}" + (f"  ({effect})" if effect else ""))
    for rewritten in sorted({r for st in run.statements for r in st.rewrites}):
        lines.append(f"      rewrite  {_paint(rewritten, 'warn', color)} (every row copied under the lock)")
    if run.error is not None:
        e = run.error
        state = f" [{e.sqlstate}]" if e.sqlstate else ""
        lines.append(f"      {_paint('error', 'bad', color)}    {run.path}:{e.line}:{e.column}{state}: {e.message}")
        if e.hint:
            lines.append(f"      hint     {e.hint}")
    return lines


def render_check_text(report: CheckReport, color: bool = False) -> str:
    out: list[str] = []
    where = report.migrations_dir
    if report.refused:
        return f"{_paint('refused', 'bad', color)}: {report.refused}\n"
    if not report.changed:
        return f"{_paint('ok', 'ok', color)}: no migration changes in {where}: nothing to check\n"

    if report.plan is not None and report.plan.version_note:
        out.append(_paint(f"⚠ {report.plan.version_note}", "warn", color))
    since = f" since {report.base}" if report.base else ""
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
                out.extend(_run_lines(run, color))
        if plan.affected:
            out.append("")
            out.append(_paint("Affected objects", "bold", color))
            for obj in plan.affected:
                detail = f": {obj.detail}" if obj.detail else ""
                out.append(f"  {obj.change:<8} {obj.kind} {obj.name}{detail}")
                if obj.dependents:
                    out.append(f"           depended on by {', '.join(obj.dependents)}")
        if plan.advisories:
            out.append("")
            out.append(_paint("New database advisories", "bold", color))
            for adv in plan.advisories:
                out.append(f"  {_paint('warning', 'warn', color)}[{adv.rule}] {adv.object}: {adv.message}")
        out.append("")
    elif report.plan_error:
        out.append(f"{_paint('dry run', 'bad', color)}: {report.plan_error}")
        out.append("")
    for note in report.notes:
        out.append(f"note: {note}")

    suppressed = sum(1 for f in report.findings if f.suppressed)
    counts = (f"{_plural(report.blocking_count, 'blocking issue')}, {_plural(report.warning_count, 'warning')}, "
              f"{suppressed} suppressed")
    if report.verdict == "fail":
        out.append(f"{_paint('FAIL', 'bad', color)}: {counts}")
    elif report.blocking_count or report.warning_count:
        out.append(f"{_paint('PASS', 'warn', color)}: {counts}")
    else:
        out.append(f"{_paint('PASS', 'ok', color)}: all clear ({counts})")
    return "\n".join(out) + "\n"
