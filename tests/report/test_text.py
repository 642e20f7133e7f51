"""The terminal renderer: compiler-style lines, why/fix, suppressed findings, summary, colour."""

from __future__ import annotations

from migration_guard.model import Finding, LintResult, Severity
from migration_guard.report.text import render_text, rule_url, summary_line

ERR = Finding(
    "drop-column",
    Severity.ERROR,
    "m/20240101000000_a.sql",
    4,
    1,
    "ALTER TABLE users DROP COLUMN email destroys data",
    "Dropping a column deletes its data for good.\nThe running app may still read it.",
    "-- 1. stop reading the column\n-- 2. then drop it in a later migration",
)
WARN = Finding("prefer-text", Severity.WARNING, "m/20240101000000_a.sql", 9, 12, "varchar(20) column", "w", "f")
SUPP = Finding(
    "drop-table", Severity.ERROR, "m/20240102000000_b.sql", 2, 1, "DROP TABLE old", "why", "fix", True, "unused in v2"
)


def test_compiler_style_head_then_indented_why_and_fix() -> None:
    out = render_text(LintResult((ERR,), 1, 3))
    lines = out.splitlines()
    head = "m/20240101000000_a.sql:4:1: error[drop-column] ALTER TABLE users DROP COLUMN email destroys data"
    assert lines[0] == head
    assert lines[1] == "  why:"
    assert lines[2] == "    Dropping a column deletes its data for good."
    assert lines[3] == "    The running app may still read it."
    assert lines[4] == "  fix:"
    assert lines[5] == "    -- 1. stop reading the column"
    assert lines[-1] == "1 error, 0 warnings, 0 suppressed (1 file, 3 statements)"
    assert "\033[" not in out


def test_suppressed_findings_are_shown_marked_with_their_reason() -> None:
    out = render_text(LintResult((WARN, SUPP), 2, 10))
    assert "m/20240102000000_b.sql:2:1: error[drop-table] DROP TABLE old\n    suppressed: unused in v2" in out
    assert "m/20240101000000_a.sql:9:12: warning[prefer-text] varchar(20) column" in out
    assert out.rstrip().endswith("0 errors, 1 warning, 1 suppressed (2 files, 10 statements)")


def test_clean_result_and_notes() -> None:
    out = render_text(LintResult((), 1, 0), notes=["x.sql: empty file; nothing to check"])
    summary = "0 errors, 0 warnings, 0 suppressed (1 file, 0 statements)"
    assert out == f"note: x.sql: empty file; nothing to check\n\n{summary}\n"


def test_colour_only_when_asked() -> None:
    coloured = render_text(LintResult((ERR, SUPP), 2, 3), color=True)
    assert "\033[1;31merror[drop-column]\033[0m" in coloured
    assert "\033[" in summary_line(LintResult((ERR,), 1, 1), color=True)
    assert "\033[" not in summary_line(LintResult((ERR,), 1, 1), color=False)


def test_multiline_parser_message_stays_on_the_head_line() -> None:
    long = 'unterminated dollar-quoted string at or near "$$ begin\n' + "select 1;\n" * 100 + '"'
    syntax = Finding("syntax-error", Severity.ERROR, "a.sql", 6, 4, long, "why", "fix")
    head = render_text(LintResult((syntax,), 1, 0)).splitlines()[0]
    assert head.startswith("a.sql:6:4: error[syntax-error] unterminated dollar-quoted string")
    assert ' at or near "$$ begin select 1; select 1;' in head
    assert head.endswith("…") and len(head) < 260


def test_the_source_line_is_shown_with_a_caret_under_the_column_and_the_docs_link() -> None:
    source = "-- intent: x\nselect 1;\n\nalter table users\n           drop column email;\n"
    finding = Finding("drop-column", Severity.ERROR, "m/a.sql", 5, 12, "drop", "why", "fix")
    out = render_text(LintResult((finding,), 1, 2), sources={"m/a.sql": source})
    lines = out.splitlines()
    assert lines[1:4] == ["   |", " 5 |            drop column email;", "   |            ^"]
    assert lines[3].index("^") == lines[2].index("d")  # the caret sits under the column reported
    assert f"  docs: {rule_url('drop-column')}" in lines
    assert rule_url("drop-column").endswith("docs/rules.md#drop-column")


def test_no_source_line_when_the_text_is_unknown_or_the_line_is_out_of_range() -> None:
    finding = Finding("drop-column", Severity.ERROR, "m/a.sql", 40, 1, "drop", "why", "fix")
    assert " | " not in render_text(LintResult((finding,), 1, 1), sources={"m/a.sql": "select 1;\n"})
    assert " | " not in render_text(LintResult((finding,), 1, 1))


def test_a_very_long_line_is_cut_around_the_caret() -> None:
    long_line = "select " + ", ".join(f"c{i}" for i in range(200)) + " from t;"
    col = long_line.index("c150") + 1
    finding = Finding("prefer-text", Severity.WARNING, "m/a.sql", 1, col, "x", "w", "f")
    lines = render_text(LintResult((finding,), 1, 1), sources={"m/a.sql": long_line}).splitlines()
    src, caret = lines[2], lines[3]
    assert len(src) < 200 and src.count("…") == 2
    assert src[caret.index("^") : caret.index("^") + 4] == "c150"
