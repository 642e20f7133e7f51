"""Terminal report: compiler-style lines, then why and the fix, and a summary line.

Pure: plain data in, a string out. The caller decides whether to colour (a TTY, no NO_COLOR).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from migration_guard.model import Finding, LintResult, Severity

_RESET = "\033[0m"
_STYLES = {
    "error": "\033[1;31m",
    "warning": "\033[1;33m",
    "suppressed": "\033[2m",
    "location": "\033[1m",
    "label": "\033[36m",
    "ok": "\033[1;32m",
}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLES[style]}{text}{_RESET}" if color else text


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(f"{prefix}{line}" if line.strip() else "" for line in text.strip("\n").splitlines())


def wrap_prose(text: str, width: int = 96) -> str:
    """Wrap explanations for a terminal, paragraph by paragraph (SQL fixes are never wrapped)."""
    return "\n".join(textwrap.fill(line, width) if line.strip() else "" for line in text.strip().splitlines())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


MAX_MESSAGE = 200


def one_line(message: str) -> str:
    """A message on one line, shortened: parser errors can quote the whole rest of the file."""
    flat = " ".join(message.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"


def render_finding(finding: Finding, color: bool = False) -> str:
    location = _paint(f"{finding.path}:{finding.line}:{finding.column}:", "location", color)
    level = finding.severity.value
    head_style = "suppressed" if finding.suppressed else level
    head = f"{location} {_paint(f'{level}[{finding.rule}]', head_style, color)} {one_line(finding.message)}"
    parts = [head]
    if finding.suppressed:
        reason = finding.reason or "no reason given"
        parts.append(_paint(f"    suppressed: {reason}", "suppressed", color))
        return "\n".join(parts)
    if finding.why.strip():
        parts.append(f"  {_paint('why:', 'label', color)}")
        parts.append(_indent(wrap_prose(finding.why)))
    if finding.fix.strip():
        parts.append(f"  {_paint('fix:', 'label', color)}")
        parts.append(_indent(finding.fix))
    return "\n".join(parts)


def summary_line(result: LintResult, color: bool = False) -> str:
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR and not f.suppressed)
    warnings = sum(1 for f in result.findings if f.severity is Severity.WARNING and not f.suppressed)
    suppressed = sum(1 for f in result.findings if f.suppressed)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}, {suppressed} suppressed"
    scope = f"{_plural(result.files, 'file')}, {_plural(result.statements, 'statement')}"
    style = "error" if errors else ("warning" if warnings else "ok")
    return f"{_paint(counts, style, color)} ({scope})"


def render_text(result: LintResult, color: bool = False, notes: Iterable[str] = ()) -> str:
    """The whole report; ``notes`` are extra lines shown before the summary (e.g. empty files)."""
    blocks = [render_finding(f, color) for f in result.findings]
    blocks.extend(f"note: {n}" for n in notes)
    blocks.append(summary_line(result, color))
    return "\n\n".join(blocks[:-1]) + ("\n\n" if len(blocks) > 1 else "") + blocks[-1] + "\n"
