"""GitHub workflow-command annotations: escaping, levels, and the per-severity cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.model import Finding, Severity
from migration_guard.report.annotations import escape_data, escape_property, render_annotations


def finding(rule: str = "drop-column", severity: Severity = Severity.ERROR, **kw: object) -> Finding:
    values: dict[str, object] = {
        "rule": rule,
        "severity": severity,
        "path": "supabase/migrations/20240101000000_x.sql",
        "line": 3,
        "column": 5,
        "message": "DROP COLUMN destroys data",
        "why": "The column's data is lost.",
        "fix": "-- step 1\nALTER TABLE t DROP COLUMN c;",
    }
    values.update(kw)
    return Finding(**values)  # type: ignore[arg-type]


def test_escaping_matches_actions_toolkit() -> None:
    assert escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # Data keeps ':' and ',' (only properties must escape them).
    assert escape_data("a:b,c") == "a:b,c"


def test_one_command_per_finding_with_location_and_escaped_message() -> None:
    out = render_annotations([finding(path="dir,x/1:2.sql", message="50% of rows\nlost")])
    lines = out.splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("::error file=dir%2Cx/1%3A2.sql,line=3,col=5,title=migration-guard drop-column::")
    message = line.split("::", 2)[2]
    assert "\n" not in message
    assert message.startswith("50%25 of rows%0Alost%0A%0AWhy: The column's data is lost.")
    assert "Fix:%0A-- step 1%0AALTER TABLE t DROP COLUMN c;" in message


def test_levels_warning_and_suppressed_notice() -> None:
    out = render_annotations(
        [
            finding("prefer-text", Severity.WARNING),
            finding("drop-table", Severity.ERROR, suppressed=True, reason="table unused since v2"),
        ]
    ).splitlines()
    assert out[0].startswith("::warning file=")
    assert "title=migration-guard prefer-text::" in out[0]
    assert out[1].startswith("::notice file=")
    assert "title=migration-guard drop-table (suppressed)::" in out[1]
    assert out[1].endswith("%0Asuppressed: table unused since v2")


def test_cap_per_severity_emits_first_n_and_a_notice_of_the_rest() -> None:
    findings = [finding(line=i) for i in range(1, 14)] + [
        finding("prefer-text", Severity.WARNING, line=100 + i) for i in range(4)
    ]
    lines = render_annotations(findings, limit_per_severity=10).splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    warnings = [x for x in lines if x.startswith("::warning ")]
    assert [e.split(",")[1] for e in errors] == [f"line={i}" for i in range(1, 11)]
    assert len(warnings) == 4
    assert lines[-1].startswith("::notice::")
    assert "3 more errors not shown" in lines[-1]
    assert "warning" not in lines[-1].split("not shown")[0]


def test_no_cap_no_notice_and_empty_input() -> None:
    findings = [finding(line=i) for i in range(1, 30)]
    lines = render_annotations(findings).splitlines()
    assert len(lines) == 29
    assert not any(x.startswith("::notice::") for x in lines)
    assert render_annotations([]) == ""


def test_absolute_paths_become_workspace_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    inside = str(tmp_path.resolve() / "supabase" / "migrations" / "1_a.sql")
    assert render_annotations([finding(path=inside)]).startswith("::error file=supabase/migrations/1_a.sql,line=3")
    outside = "/elsewhere/1_a.sql"
    assert render_annotations([finding(path=outside)]).startswith("::error file=/elsewhere/1_a.sql,")
