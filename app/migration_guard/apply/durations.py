"""Durations written like PostgreSQL settings: ``3s``, ``500ms``, ``2min``, ``0`` (off)."""

from __future__ import annotations

import re

from migration_guard.errors import UserError

_UNITS = {"ms": 1, "s": 1000, "min": 60_000, "m": 60_000, "h": 3_600_000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?\s*$")


def parse_ms(text: str, what: str) -> int:
    """Milliseconds from ``3s`` / ``500ms`` / ``1min`` / a bare number of milliseconds."""
    m = _DURATION.match(text or "")
    if not m:
        raise UserError(f"{what}: {text!r} is not a duration (use e.g. 500ms, 3s, 1min)")
    return int(float(m.group(1)) * _UNITS[m.group(2) or "ms"])
