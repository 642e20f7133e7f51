"""The lint JSON report is exactly ``LintResult.to_json()`` (the contract), however it is produced."""

from __future__ import annotations

import json
from pathlib import Path

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions
from migration_guard.report import lint_json

SQL = """-- intent: report
-- migration-guard: allow drop-column -- unused since v2
ALTER TABLE accounts DROP COLUMN legacy;
ALTER TABLE accounts DROP COLUMN "naïve";
-- migration-guard: allow set-not-null
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
"""


def test_report_is_to_json_exactly() -> None:
    result = lint([parse_migration(Path("20240101000000_report.sql"), SQL.encode())], LintOptions())
    assert {f.suppressed for f in result.findings} == {True, False}  # reasons: a text, and None
    assert lint_json._NATIVE  # the findings are written as they are (no dict per finding)
    text = lint_json.render_json(result)
    assert text == json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    assert lint_json.render_json_bytes(result) == text.encode()
