"""The PR comment / step summary renderer: content, escaping of everything from the pull request, size caps."""

from __future__ import annotations

import re

from migration_guard.checkrun import CheckReport
from migration_guard.model import Finding, Severity
from migration_guard.plan_model import (
    Advisory,
    AffectedObject,
    Lock,
    MigrationRun,
    PlanResult,
    StatementError,
    StatementTrace,
)
from migration_guard.report import escape as esc
from migration_guard.report.markdown import COMMENT_LIMIT, render_markdown, render_summary, strongest_locks

EVIL = "@octocat <img src=x onerror=alert(1)> </details><script>x</script> [click](https://evil.example) | `tick` & co"


def finding(rule: str = "drop-column", severity: Severity = Severity.ERROR, message: str = "drops data",
            path: str = "supabase/migrations/20240201000000_x.sql", line: int = 3, **kw: object) -> Finding:
    return Finding(rule, severity, path, line, 1, message, "It takes an ACCESS EXCLUSIVE lock.",
                   "ALTER TABLE t DROP COLUMN c;", **kw)  # type: ignore[arg-type]


def run(path: str = "supabase/migrations/20240201000000_x.sql", status: str = "applied", **kw: object) -> MigrationRun:
    return MigrationRun(path, "20240201000000", True, status, **kw)  # type: ignore[arg-type]


def report(findings: tuple[Finding, ...] = (), plan: PlanResult | None = None, **kw: object) -> CheckReport:
    blocking = sum(1 for f in findings if f.blocking)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING and not f.suppressed)
    defaults: dict[str, object] = dict(
        migrations_dir="supabase/migrations", changed=("supabase/migrations/20240201000000_x.sql",),
        findings=findings, plan=plan, verdict="fail" if blocking else "pass", blocking_count=blocking,
        warning_count=warnings, run_url="https://github.example/acme/app/actions/runs/1",
    )
    defaults.update(kw)
    return CheckReport(**defaults)  # type: ignore[arg-type]


def outside_code(markdown: str) -> str:
    """What GitHub would treat as text: fenced blocks, <code> elements and code spans removed."""
    text = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", markdown, flags=re.S)
    text = re.sub(r"<code>.*?</code>", "", text, flags=re.S)
    return re.sub(r"(?<!\\)(`+)(?!`).+?(?<!`)\1(?!`)", "", text)


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| `")]


def test_plan_table_verdict_and_run_link() -> None:
    trace = StatementTrace(2, "AlterTableStmt", "alter table users drop column c", 12.0, None,
                           (Lock("public", "users", "RowExclusiveLock"), Lock("public", "users", "AccessExclusiveLock"),
                            Lock("public", "orders", "ShareLock")), ("public.users",))
    update = StatementTrace(5, "UpdateStmt", "update users set a = 1", 30.0, 1500)
    plan = PlanResult(True, "15.18", "local", (run(statements=(trace, update), duration_ms=42.0),),
                      affected=(AffectedObject("column", "public.users.c", "dropped", "text",
                                               ("public.user_view",)),),
                      advisories=(Advisory("rls-disabled", "public.orders", "RLS is off"),))
    body = render_markdown(report((finding(),), plan))
    assert body.startswith("<!-- migration-guard:supabase/migrations -->\n")
    assert "## ❌ Migration Guard: 1 blocking issue, 0 warnings in `supabase/migrations`" in body
    row = table_rows(body)[0]
    assert "✅ applied" in row and "42 ms" in row and "1,500" in row
    # strongest mode per table, strongest table first
    assert row.index("`public.users` **AccessExclusive**") < row.index("`public.orders` **Share**")
    assert "RowExclusive" not in row
    assert "<details><summary>❌ <b>drop-column</b>" in body
    assert "**Safe alternative:**" in body and "```sql\nALTER TABLE t DROP COLUMN c;\n```" in body
    assert "### Affected objects" in body and "`public.user_view`" in body
    assert "### New database advisories" in body and "`rls-disabled`" in body
    assert "[workflow run](https://github.example/acme/app/actions/runs/1)" in body


def test_strongest_lock_per_table() -> None:
    r = run(statements=(StatementTrace(1, "x", "", 1, None, (Lock("s", "t", "ShareUpdateExclusiveLock"),)),
                        StatementTrace(2, "x", "", 1, None, (Lock("s", "t", "ShareLock"),)),
                        StatementTrace(3, "x", "", 1, None, (Lock("s", "t", "AccessShareLock"),))))
    assert strongest_locks(r) == [("s.t", "ShareLock")]


def test_all_clear_and_no_changes_wording() -> None:
    plan = PlanResult(True, "15.18", "local", (run(duration_ms=3.0),))
    clean = render_markdown(report((), plan))
    assert "## ✅ Migration Guard: all clear" in clean
    assert "**All clear:**" in clean
    none = render_markdown(report(changed=()))
    assert "no migration changes" in none and "### Migrations" not in none


def test_suppressions_show_their_reason() -> None:
    f = finding(suppressed=True, reason="table has 12 rows, checked on prod")
    body = render_markdown(report((f,)))
    assert "### Suppressed findings" in body
    assert "table has 12 rows, checked on prod" in body
    assert "<details>" not in body  # a suppressed finding is not listed as a problem


def test_user_controlled_text_cannot_mention_inject_html_or_links() -> None:
    f = finding(message=EVIL, path=f"supabase/migrations/20240201000000_{EVIL}.sql")
    s = finding(rule="x", suppressed=True, reason=EVIL)
    plan = PlanResult(
        False, "15.18", "local",
        (run(path=f"supabase/migrations/{EVIL}.sql", status="failed",
             error=StatementError(4, 2, "42P01", EVIL, hint=EVIL),
             statements=(StatementTrace(1, "x", EVIL, 1, 1, (Lock("public", EVIL, "ShareLock"),), (EVIL,)),)),),
        affected=(AffectedObject("table", EVIL, "altered", EVIL, (EVIL,)),),
        advisories=(Advisory(EVIL, EVIL, EVIL),),
    )
    body = render_markdown(report((f, s), plan, notes=(EVIL,), plan_error=EVIL))
    text = outside_code(body)
    assert "@octocat" not in text  # a zero-width joiner follows every @ outside code
    assert "@\u200doctocat" in body
    for raw in ("<img", "<script", "</script"):
        assert raw not in text.lower()  # inside code spans it is shown as text, elsewhere it is escaped
    assert text.count("<details>") == text.count("</details>") == 1  # only ours (the others are in code)
    assert "](https://evil.example)" not in text.replace("\\]", "")
    assert "[click]" not in text  # brackets escaped: no link
    for row in table_rows(body):
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row  # 6 columns: user pipes cannot add cells


def test_code_spans_survive_backticks_and_newlines() -> None:
    assert esc.code("a`b") == "`` a`b ``"  # GFM strips one space each side
    assert esc.code("``x``") == "``` ``x`` ```"
    assert "\n" not in esc.code_cell("a\nb|c") and "\\|" in esc.code_cell("a\nb|c")
    assert esc.text("drop `users.email` now") == "drop `users.email` now"  # the message's own code spans
    # a backslash before a backtick would let GitHub see text where we saw code: escape everything then
    assert "<" not in esc.text("\\`<b>`")
    block = esc.code_block("select 1;\n```\n</details>")
    assert block.splitlines()[0] == "````" and block.splitlines()[-1] == "````"


def test_table_cells_stay_on_one_line() -> None:
    plan = PlanResult(True, "15", "local", (run(path="supabase/migrations/20240201000000_a\nb.sql"),))
    body = render_markdown(report((), plan))
    rows = table_rows(body)
    assert len(rows) == 1 and "a b.sql" in rows[0]


def test_huge_report_is_cut_under_the_comment_limit_with_a_pointer() -> None:
    findings = tuple(finding(line=i, message="x" * 400 + f" #{i}") for i in range(3000))
    affected = tuple(AffectedObject("column", f"public.t{i}.c", "dropped", "y" * 100) for i in range(3000))
    plan = PlanResult(True, "15", "local", tuple(run(path=f"supabase/migrations/{i:014d}_m.sql")
                                                  for i in range(2000)), affected=affected)
    rep = report(findings, plan)
    body = render_markdown(rep)
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith("<!-- migration-guard:")
    assert "more" in body and "step summary" in body  # says where the rest is
    assert body.rstrip().endswith("</sub>")  # the footer survives the cut
    assert body.count("<details>") == body.count("</details>")  # never cut inside a block
    summary = render_summary(rep)
    assert len(summary.encode()) <= 1_000_000
    assert len(summary) > len(body)


def test_one_runaway_finding_does_not_eat_the_comment() -> None:
    body = render_markdown(report((finding(message="m" * 200_000), finding(rule="other", line=9))))
    assert len(body) <= COMMENT_LIMIT
    assert "<b>other</b>" in body
