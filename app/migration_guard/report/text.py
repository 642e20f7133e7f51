"""Terminal report: compiler-style lines, then why and the fix, and a summary line.

Pure: plain data in, a string out. The caller decides whether to colour (a TTY, no NO_COLOR).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

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


# Where each rule's page lives (docs/rules.md, one `## rule-id` heading per rule).
RULES_DOCS = "https://github.com/migration-guard/migration-guard/blob/main/docs/rules.md"
MAX_SOURCE = 160  # longer source lines are cut around the column


def rule_url(rule_id: str) -> str:
    return f"{RULES_DOCS}#{rule_id}"


def source_excerpt(text: str | None, line: int, column: int) -> list[str]:
    """The offending line with a caret under the column, as ruff and squawk show it ([] if unknown)."""
    if not text or line < 1:
        return []
    lines = text.splitlines()
    if line > len(lines):
        return []
    src = lines[line - 1].replace("\t", " ")
    col = max(column, 1) - 1
    if len(src) > MAX_SOURCE:  # keep the caret's surroundings of a very long line
        start = max(0, min(col - MAX_SOURCE // 2, len(src) - MAX_SOURCE))
        src, col = ("…" if start else "") + src[start : start + MAX_SOURCE] + "…", col - start + (1 if start else 0)
    gutter = " " * len(str(line))
    return [f" {gutter} |", f" {line} | {src.rstrip()}", f" {gutter} | {' ' * min(col, len(src))}^"]


def render_finding(finding: Finding, color: bool = False, source: str | None = None) -> str:
    """One finding; ``source`` is the file's text (for the line and caret), when the caller has it."""
    location = _paint(f"{finding.path}:{finding.line}:{finding.column}:", "location", color)
    level = finding.severity.value
    head_style = "suppressed" if finding.suppressed else level
    head = f"{location} {_paint(f'{level}[{finding.rule}]', head_style, color)} {one_line(finding.message)}"
    parts = [head]
    if finding.suppressed:
        reason = finding.reason or "no reason given"
        parts.append(_paint(f"    suppressed: {reason}", "suppressed", color))
        return "\n".join(parts)
    parts.extend(source_excerpt(source, finding.line, finding.column))
    if finding.why.strip():
        parts.append(f"  {_paint('why:', 'label', color)}")
        parts.append(_indent(wrap_prose(finding.why)))
    if finding.fix.strip():
        parts.append(f"  {_paint('fix:', 'label', color)}")
        parts.append(_indent(finding.fix))
    if finding.rule != "syntax-error":
        parts.append(f"  {_paint('docs:', 'label', color)} {rule_url(finding.rule)}")
    return "\n".join(parts)


def summary_line(result: LintResult, color: bool = False) -> str:
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR and not f.suppressed)
    warnings = sum(1 for f in result.findings if f.severity is Severity.WARNING and not f.suppressed)
    suppressed = sum(1 for f in result.findings if f.suppressed)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}, {suppressed} suppressed"
    scope = f"{_plural(result.files, 'file')}, {_plural(result.statements, 'statement')}"
    style = "error" if errors else ("warning" if warnings else "ok")
    return f"{_paint(counts, style, color)} ({scope})"


def render_text(
    result: LintResult, color: bool = False, notes: Iterable[str] = (), sources: Mapping[str, str] | None = None
) -> str:
    """The whole report; ``notes`` are extra lines shown before the summary (e.g. empty files);
    ``sources`` maps a finding's path to its file's text, for the source line under each finding."""
    texts = sources or {}
    blocks = [render_finding(f, color, texts.get(f.path)) for f in result.findings]
    blocks.extend(f"note: {n}" for n in notes)
    blocks.append(summary_line(result, color))
    return "\n\n".join(blocks[:-1]) + ("\n\n" if len(blocks) > 1 else "") + blocks[-1] + "\n"
