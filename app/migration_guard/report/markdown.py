"""The check report as GitHub Markdown: the sticky PR comment and the step summary.

Pure: a ``CheckReport`` in, a string out. Everything that comes from the pull request goes through
``report.escape``. The output is kept under a size limit (65,536 characters for a comment) by
cutting whole items from the end of each section and saying where the rest is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from migration_guard.checkrun import CheckReport
from migration_guard.github.comment import marker
from migration_guard.model import Finding
from migration_guard.plan_model import Advisory, AffectedObject, Lock, MigrationRun, PlanResult
from migration_guard.report import escape as esc

COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1_000_000  # bytes; GitHub's step summary limit is 1 MiB

# pg_locks modes from weakest to strongest (the conflict table in the PostgreSQL docs).
LOCK_ORDER = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
# Locks that block reads or writes of the table for as long as the migration's transaction lasts.
BLOCKING_LOCKS = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})

_KIND_TITLES = {
    "schema": "Schemas", "table": "Tables", "column": "Columns", "index": "Indexes",
    "constraint": "Constraints", "policy": "Policies", "rls": "Row level security",
    "function": "Functions", "view": "Views", "trigger": "Triggers", "type": "Types",
    "extension": "Extensions", "sequence": "Sequences", "grant": "Grants",
}
_CHANGE_ICON = {"created": "➕", "dropped": "➖", "altered": "✏️", "renamed": "🔁"}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _duration(ms: float) -> str:
    if ms < 1:
        return "<1 ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def strongest_locks(run: MigrationRun) -> list[tuple[str, str]]:
    """(relation, strongest mode) per table the migration locked, strongest first."""
    best: dict[str, str] = {}
    for st in run.statements:
        for lock in st.locks:
            name = _lock_name(lock)
            current = best.get(name)
            if current is None or _rank(lock.mode) > _rank(current):
                best[name] = lock.mode
    return sorted(best.items(), key=lambda kv: (-_rank(kv[1]), kv[0]))


def _lock_name(lock: Lock) -> str:
    return f"{lock.schema}.{lock.relation}" if lock.schema else lock.relation


def _rank(mode: str) -> int:
    return LOCK_ORDER.index(mode) if mode in LOCK_ORDER else -1


def _mode(mode: str) -> str:
    """``AccessExclusive``; bold when it blocks reads or writes of the table."""
    short = esc.cell(mode.removesuffix("Lock"))
    return f"**{short}**" if mode in BLOCKING_LOCKS else short


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


# --- sections: each returns (head, items, tail) so truncation can drop whole items -------------------


@dataclass
class Section:
    head: str
    items: list[str] = field(default_factory=list)
    tail: str = ""
    joiner: str = "\n"
    what: str = "items"  # named in the "N more" note


def _verdict_line(r: CheckReport) -> str:
    where = esc.code(r.migrations_dir)
    if r.verdict == "cancelled":
        return f"## ⏹️ Migration Guard: the check of {where} was cancelled"
    if r.refused:
        return f"## ⛔ Migration Guard did not run the check for {where}"
    if not r.changed:
        return f"## ✅ Migration Guard: no migration changes in {where}"
    counts = f"{_plural(r.blocking_count, 'blocking issue')}, {_plural(r.warning_count, 'warning')}"
    if r.verdict == "fail":
        return f"## ❌ Migration Guard: {counts} in {where}"
    if r.blocking_count == 0 and r.warning_count == 0:
        return f"## ✅ Migration Guard: all clear in {where}"
    return f"## ✅ Migration Guard: {counts} in {where}"


def _intro(r: CheckReport) -> str:
    lines: list[str] = []
    if r.plan is not None and r.plan.version_note:  # first: what this dry run could not see
        lines += [f"> ⚠️ {esc.text(r.plan.version_note, one_line=True)}", ""]
    if r.refused:
        lines.append(esc.text(r.refused))
    elif not r.changed:
        lines.append("This pull request changes no migration file in this folder: nothing to check.")
    else:
        files = _plural(len(r.changed), "changed migration")
        bits = [files]
        if r.plan is not None:
            bits.append(f"dry run on PostgreSQL {esc.text(r.plan.postgres_version)} ({esc.text(r.plan.provider)})")
        elif r.plan_error:
            bits.append("dry run not completed")
        if r.base and r.head:
            bits.append(f"{esc.code(r.base[:7])}…{esc.code(r.head[:7])}")
        lines.append(" · ".join(bits))
        if r.blocking_count == 0 and r.warning_count == 0 and (r.plan is None or r.plan.ok) and not r.plan_error:
            applied = "every new migration applied cleanly in the dry run" if r.plan else "no findings"
            lines.append("")
            lines.append(f"**All clear:** {applied}, no blocking findings and no warnings.")
        elif r.verdict == "fail":
            lines.append("")
            lines.append(f"This check fails (`fail-on: {r.fail_on}`). Fix the findings below or suppress one with a "
                         "reason: `-- migration-guard: allow <rule> -- <why it is safe>` on the line above it.")
    for note in r.notes:
        lines.append("")
        lines.append(f"> {esc.text(note, one_line=True)}")
    if r.plan_error:
        lines.append("")
        lines.append(f"> ⚠️ Dry run: {esc.text(r.plan_error, one_line=True)}")
    return "\n".join(lines)


def _migration_rows(plan: PlanResult) -> Section:
    head = (
        "### Migrations\n\n"
        "| Migration | Status | Duration | Locks (strongest per table) | Rewrites | Rows |\n"
        "|---|---|---:|---|---|---:|"
    )
    from migration_guard.dryrun.locks import lock_spans, long_hold_text, moment_detail

    sec = Section(head, what="migrations")
    icons = {"applied": "✅ applied", "failed": "❌ failed", "skipped": "⏭️ skipped"}
    holds: list[str] = []
    for run in plan.migrations:
        if not run.new:
            continue
        spans = {s.relation: s for s in lock_spans(run)}
        locks = strongest_locks(run)
        shown = []
        for name, mode in locks[:5]:
            span = spans.get(name)
            when = ""
            if span is not None:
                end = "commit" if span.until_commit else f"end of line {span.line}"
                when = f"line {span.line}→{end}" + (" ⚠️" if span.long_hold else "")
            shown.append(f"{esc.code_cell(name)} {_mode(mode)}" + (f" {esc.cell(when)}" if when else ""))
        if len(locks) > 5:
            shown.append(f"+{len(locks) - 5} more")
        rewrites = sorted({r for st in run.statements for r in st.rewrites})
        rw = ", ".join(esc.code_cell(x) for x in rewrites[:5]) + (f" +{len(rewrites) - 5}" if len(rewrites) > 5 else "")
        counts = [st.rows for st in run.statements if st.rows is not None]
        rows = f"{sum(counts):,}" if counts else "—"
        for span in spans.values():
            where = esc.code(f"{_basename(run.path)}:{span.line}")
            hold = long_hold_text(span)
            if hold:
                holds.append(f"⚠️ {where}: {esc.text(hold, one_line=True)}")
            elif span.work.kind == "metadata":
                holds.append(
                    f"ℹ️ {where}: {esc.code(span.relation)} {esc.text(span.mode.removesuffix('Lock'))} taken "
                    f"{esc.text(moment_detail(span.work), one_line=True)}"
                )
        sec.items.append(
            f"| {esc.code_cell(_basename(run.path))} | {icons.get(run.status, esc.cell(run.status))} | "
            f"{_duration(run.duration_ms) if run.status != 'skipped' else '—'} | {'<br>'.join(shown) or '—'} | "
            f"{rw or '—'} | {rows} |"
        )
    errors = []
    for run in plan.migrations:
        if run.error is not None:
            e = run.error
            state = f" (SQLSTATE {esc.code(e.sqlstate)})" if e.sqlstate else ""
            where = esc.text(f"{_basename(run.path)}:{e.line}:{e.column}")
            msg = f"**{where}** failed{state}: {esc.text(e.message, one_line=True)}"
            if e.hint:
                msg += f"  \nHint: {esc.text(e.hint, one_line=True)}"
            errors.append(msg)
    notes = []
    if any(mode in BLOCKING_LOCKS for run in plan.migrations if run.new for _, mode in strongest_locks(run)):
        notes.append("<sub>**Bold** locks block writes (AccessExclusive: reads too) from the line that takes "
                     "them until the migration commits.</sub>")
    notes.extend(holds)
    if errors or notes:
        sec.tail = "\n\n" + "\n\n".join(notes + errors)
    return sec


def _changed_rows(r: CheckReport) -> Section:
    sec = Section("### Migrations\n\n| Migration | Status |\n|---|---|", what="migrations")
    for path in r.changed:
        sec.items.append(f"| {esc.code_cell(_basename(path))} | not run |")
    return sec


def _finding_block(f: Finding) -> str:
    icon = "❌" if f.blocking else "⚠️"
    label = "error" if f.blocking else "warning"
    where = f"{_basename(f.path)}:{f.line}"
    message = f.message if len(f.message) <= 1000 else f.message[:1000] + "…"
    summary = (
        f"{icon} <b>{esc.html_text(f.rule)}</b> ({label}) · <code>{esc.html_text(where)}</code> — "
        f"{esc.html_text(message)}"
    )
    body = [f"<details><summary>{summary}</summary>", ""]
    if f.why.strip():
        body.append(f"**Why:** {esc.text(f.why.strip())}")
        body.append("")
    if f.fix.strip():
        body.append("**Safe alternative:**")
        body.append("")
        body.append(esc.code_block(f.fix.strip(), "sql"))
        body.append("")
    body.append(f"File: {esc.code(f'{f.path}:{f.line}:{f.column}')}")
    body.append("")
    body.append("</details>")
    block = "\n".join(body)
    if len(block) > 8000:  # one runaway finding must not eat the whole comment
        block = "\n".join([body[0], "", "_(details cut: see the step summary)_", "", "</details>"])
    return block


def _findings(findings: Iterable[Finding]) -> Section:
    active = sorted((f for f in findings if not f.suppressed), key=lambda f: (not f.blocking, f.path, f.line))
    return Section("### Findings\n", [_finding_block(f) for f in active], joiner="\n\n", what="findings")


def _suppressions(findings: Iterable[Finding]) -> Section:
    items = [
        f"- {esc.code(f.rule)} at {esc.code(f'{_basename(f.path)}:{f.line}')}: "
        + (esc.text(f.reason, one_line=True) if f.reason else "**no reason given**")
        for f in findings
        if f.suppressed
    ]
    return Section("### Suppressed findings\n", items, what="suppressions")


def _affected(objects: Iterable[AffectedObject]) -> Section:
    by_kind: dict[str, list[AffectedObject]] = defaultdict(list)
    for obj in objects:
        by_kind[obj.kind].append(obj)
    items = []
    for kind in sorted(by_kind, key=lambda k: (list(_KIND_TITLES).index(k) if k in _KIND_TITLES else 99, k)):
        title = _KIND_TITLES.get(kind, kind.capitalize())
        lines = [f"**{esc.text(title)}** ({len(by_kind[kind])})", ""]
        for obj in by_kind[kind]:
            line = f"- {_CHANGE_ICON.get(obj.change, '•')} {esc.code(obj.name)} {esc.text(obj.change)}"
            if obj.detail:
                line += f": {esc.text(obj.detail, one_line=True)}"
            if obj.dependents:
                deps = ", ".join(esc.code(d) for d in obj.dependents[:10])
                more = f" +{len(obj.dependents) - 10} more" if len(obj.dependents) > 10 else ""
                line += f"  \n  depended on by {deps}{more}"
            lines.append(line)
        items.append("\n".join(lines))
    return Section("### Affected objects\n", items, joiner="\n\n", what="object groups")


def _advisory(a: Advisory) -> str:
    icon = "🔇" if a.suppressed else "❌" if a.blocking else "⚠️"
    where = f" at {esc.code(a.location)}" if a.location else ""
    line = f"- {icon} {esc.code(a.rule)} on {esc.code(a.object)}{where}: {esc.text(a.message, one_line=True)}"
    if a.suppressed:
        line += f" (suppressed: {esc.text(a.reason or 'no reason given', one_line=True)})"
    return line


def _advisories(advisories: Iterable[Advisory]) -> Section:
    items = [_advisory(a) for a in sorted(advisories, key=lambda a: (a.suppressed, not a.blocking))]
    return Section("### New database advisories\n", items, what="advisories")


def _footer(r: CheckReport) -> str:
    parts = ["<sub>Migration Guard"]
    pins = ""
    if r.pins is not None:  # hidden: what the deploy checks its pending files against
        from migration_guard.pinning import Pins

        loaded = Pins.from_json(r.pins)
        pins = "\n" + loaded.marker() if loaded is not None else ""
    if r.run_url:
        parts.append(f"[workflow run]({r.run_url})")
    parts.append("full JSON report and audit log in the run's artifacts")
    parts.append(f"fail-on: {esc.text(r.fail_on)}</sub>")
    return "---\n" + " · ".join(parts) + pins


def _sections(r: CheckReport) -> list[Section]:
    out: list[Section] = []
    if not r.changed or r.refused:
        return out
    out.append(_migration_rows(r.plan) if r.plan is not None else _changed_rows(r))
    findings = list(r.findings)
    if any(not f.suppressed for f in findings):
        out.append(_findings(findings))
    if any(f.suppressed for f in findings):
        out.append(_suppressions(findings))
    if r.plan is not None and r.plan.affected:
        from migration_guard.dryrun.renames import merge_renames

        out.append(_affected(merge_renames(r.plan)))
    if r.plan is not None and r.plan.advisories:
        out.append(_advisories(r.plan.advisories))
    if r.checklists:
        out.insert(0, Section("### Review carefully\n", list(r.checklists), joiner="\n\n", what="checklists"))
    return out


def render_markdown(
    report: CheckReport,
    limit: int = COMMENT_LIMIT,
    measure: Callable[[str], int] | None = None,
    where_rest: str = "the step summary and the JSON report artifact",
) -> str:
    """The report, at most ``limit`` long (``measure``: len by default; bytes for the summary)."""
    size = measure or len
    top = "\n\n".join([marker(report.migrations_dir), _verdict_line(report), _intro(report)])
    bottom = _footer(report)
    budget = limit - size(top) - size(bottom) - 600  # room for joiners and cut notes
    parts = [top]
    cut_any = False
    for sec in _sections(report):
        head_cost = size(sec.head) + size(sec.tail) + 4
        if budget < head_cost + 200:
            cut_any = True
            parts.append(f"_{esc.text(sec.head.splitlines()[0].lstrip('# '))}: left out for size; see {where_rest}._")
            budget -= 200
            continue
        budget -= head_cost
        kept: list[str] = []
        for item in sec.items:
            cost = size(item) + size(sec.joiner)
            if cost > budget - 200:
                break
            kept.append(item)
            budget -= cost
        # Table heads end at the |---| row (rows follow directly); list heads end with "\n" (a blank line).
        body = sec.head + "\n" + sec.joiner.join(kept) if kept else sec.head
        if len(kept) < len(sec.items):
            cut_any = True
            body += f"\n\n_…and {len(sec.items) - len(kept)} more {sec.what}: see {where_rest}._"
            budget -= 200
        parts.append(body + sec.tail)
    if cut_any:
        parts.append(f"> ✂️ This report is cut to fit GitHub's size limit. The full report is in {where_rest}.")
    parts.append(bottom)
    out = "\n\n".join(parts) + "\n"
    if size(out) > limit:  # belt and braces: never hand GitHub a body it rejects
        out = out[: max(0, limit - 200)] + "\n\n_(cut to fit the size limit)_\n"
    return out


def render_summary(report: CheckReport) -> str:
    """The step summary: the same report, with the much larger 1 MiB budget measured in bytes."""
    return render_markdown(
        report, limit=SUMMARY_LIMIT, measure=lambda s: len(s.encode("utf-8")), where_rest="the JSON report artifact"
    )
