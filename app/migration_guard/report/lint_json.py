"""JSON report: ``LintResult.to_json()`` exactly (its keys are a contract other tools read)."""

from __future__ import annotations

import json

from migration_guard.model import LintResult


def render_json(result: LintResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
