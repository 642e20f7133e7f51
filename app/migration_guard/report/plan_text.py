"""The plan for a terminal: what ran, what each new statement locked and rewrote, what changed."""

from __future__ import annotations

from migration_guard.dryrun.locks import (
    BLOCKING,
    SLOW,
    LockSpan,
    Work,
    effect,
    lock_spans,
    long_hold_text,
    moment,
    run_work,
    span_text,
)
from migration_guard.dryrun.renames import merge_renames
from migration_guard.plan_model import MigrationRun, PlanResult, StatementTrace

SQL_WIDTH = 70


def _one_line(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= SQL_WIDTH else flat[: SQL_WIDTH - 1] + "…"


def _statement(t: StatementTrace, work: Work, held: list[LockSpan]) -> list[str]:
    """The statement, the locks it takes (and what it does under them), and the blocking locks
    taken earlier in the file that it runs under when it is slow work."""
    rows = "" if t.rows is None else f", {t.rows} row{'s' if t.rows != 1 else ''}"
    out = [f"    line {t.line}: {_one_line(t.sql)}  ({t.duration_ms:.1f} ms{rows})"]
    for lk in t.locks:
        mark = f"  ⚠ {moment(lk.mode, work)}" if lk.mode in BLOCKING else ""
        out.append(f"      lock {lk.mode} on {lk.schema}.{lk.relation}{mark}")
    if work.kind in SLOW:
        for span in held:
            out.append(
                f"      held {span.mode} on {span.relation} (since line {span.line})  "
                f"⚠ {effect(span.mode)} through this {work.kind}: {work.label}"
            )
    for name in t.rewrites:
        out.append(f"      rewrite {name} (the whole table/index is copied)")
    return out


def _migration(run: MigrationRun) -> list[str]:
    tag = {"applied": "ok", "failed": "FAILED", "skipped": "skipped"}.get(run.status, run.status)
    out = [f"  {'new ' if run.new else ''}{run.path}: {tag}"]
    if run.error is not None:
        e = run.error
        out.append(f"    {run.path}:{e.line}:{e.column}: error{f' [{e.sqlstate}]' if e.sqlstate else ''}: {e.message}")
        if e.hint:
            out.append(f"    hint: {e.hint}")
    spans = lock_spans(run) if run.new else ()
    works = run_work(run)
    for t, work in zip(run.statements, works, strict=True):
        held = [s for s in spans if s.until_commit and s.line < t.line]
        out.extend(_statement(t, work, held))
    if spans:
        out.append("    lock spans (a lock is held from the statement that takes it until the file commits):")
        for span in spans:
            out.append(f"      {span.mode} on {span.relation} ({effect(span.mode)}): {span_text(span)}")
            hold = long_hold_text(span)
            if hold:
                out.append(f"        ⚠ {hold}")
    return out


def render_text(result: PlanResult) -> str:
    lines = [f"Dry run on PostgreSQL {result.postgres_version} ({result.provider})", ""]
    if result.version_note:  # the first thing to know: what this dry run could not see
        lines.insert(0, f"⚠ {result.version_note}")
    new = [r for r in result.migrations if r.new]
    old = [r for r in result.migrations if not r.new]
    applied = sum(1 for r in old if r.status == "applied")
    lines.append(f"Baseline: {applied}/{len(old)} earlier migrations replayed")
    for r in old:
        if r.status == "failed":
            lines.extend(_migration(r))
    skipped_old = sum(1 for r in old if r.status == "skipped")
    if skipped_old:
        lines.append(f"  {skipped_old} skipped after the failure above (not run)")
    lines.append("")
    lines.append(f"New migrations: {len(new)}" if new else "New migrations: none")
    for r in new:
        lines.extend(_migration(r))
    affected = merge_renames(result)
    if affected:
        lines += ["", "Affected objects:"]
        for a in affected:
            detail = f": {a.detail}" if a.detail else ""
            stats = result.table_stats.get(".".join(a.name.split(" ", 1)[-1].split(".")[:2]))
            size = f"  [~{stats['rows']} rows, {stats['bytes'] // 1024} kB in production]" if stats else ""
            lines.append(f"  {a.change} {a.kind} {a.name}{detail}{size}")
            for d in a.dependents:
                lines.append(f"      depended on by {d}")
    if result.advisories:
        lines += ["", "Advisories (new in these migrations):"]
        for adv in result.advisories:
            where = f"{adv.location}: " if adv.location else ""
            sup = f" (suppressed: {adv.reason or 'no reason given'})" if adv.suppressed else ""
            lines.append(f"  {where}{adv.severity.value} [{adv.rule}]{sup}: {adv.message}")
    if result.findings:
        lines += ["", "Lint findings:"]
        for f in result.findings:
            sup = " (suppressed)" if f.suppressed else ""
            lines.append(f"  {f.path}:{f.line}:{f.column}: {f.severity.value} [{f.rule}]{sup}: {f.message}")
    if result.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  {w}" for w in result.warnings]
    lines += ["", "Result: every migration applied" if result.ok else "Result: FAILED (see the error above)"]
    return "\n".join(lines) + "\n"
