"""GitHub workflow commands (``::error file=…::…``) that show findings as annotations on the diff.

GitHub shows at most 10 error and 10 warning annotations per step (FACTS.md); with
``limit_per_severity`` the first N of each level are emitted and one ``::notice::`` says how many
more there are, so nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from migration_guard.model import Finding, Severity

if TYPE_CHECKING:  # a type only: every command's start-up reads this module, lint never builds a plan
    from migration_guard.plan_model import MigrationRun


def escape_data(text: str) -> str:
    """Escape a workflow command's message (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``escapeProperty``): ``:`` and ``,`` would end the value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(path: str) -> str:
    """GitHub attaches annotations to paths relative to the workspace (the working directory)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path(os.getcwd()).resolve())
        except ValueError:
            return path
    return str(PurePosixPath(*p.parts))


def _level(finding: Finding) -> str:
    # A suppressed finding is kept visible but must not look like a failure.
    if finding.suppressed:
        return "notice"
    return "error" if finding.severity is Severity.ERROR else "warning"


def _message(finding: Finding) -> str:
    if finding.suppressed:
        return f"{finding.message}\nsuppressed: {finding.reason or 'no reason given'}"
    parts = [finding.message]
    if finding.why.strip():
        parts.append(f"Why: {finding.why.strip()}")
    if finding.fix.strip():
        parts.append(f"Fix:\n{finding.fix.strip()}")
    return "\n\n".join(parts)


def annotation(finding: Finding) -> str:
    level = _level(finding)
    title = f"{finding.rule}" + (" (suppressed)" if finding.suppressed else "")
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (
            ("file", workspace_path(finding.path)),
            ("line", finding.line),
            ("col", finding.column),
            ("title", f"migration-guard {title}"),
        )
    )
    return f"::{level} {props}::{escape_data(_message(finding))}"


def render_annotations(findings: Iterable[Finding], limit_per_severity: int | None = None) -> str:
    """One workflow command per finding; with a limit, the first N per level and a notice of the rest."""
    lines: list[str] = []
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for finding in findings:
        level = _level(finding)
        if limit_per_severity is not None and shown.get(level, 0) >= limit_per_severity:
            hidden[level] = hidden.get(level, 0) + 1
            continue
        shown[level] = shown.get(level, 0) + 1
        lines.append(annotation(finding))
    if hidden:
        names = {"error": "error", "warning": "warning", "notice": "suppressed finding"}
        parts = [
            f"{n} more {names[level]}{'' if n == 1 else 's'}"
            for level in ("error", "warning", "notice")
            if (n := hidden.get(level, 0))
        ]
        lines.append(
            "::notice::"
            + escape_data(
                f"migration-guard: {', '.join(parts)} not shown as annotations "
                f"(GitHub shows at most {limit_per_severity} per level); see the full report in the log"
            )
        )
    return "".join(f"{line}\n" for line in lines)


def failure_annotation(run: MigrationRun) -> str:
    """``::error`` at the statement a migration failed on in the dry run (a refusal, a limit, a plain
    error). On a fork's pull request the token cannot comment: without it, the diff would not show
    why the check failed."""
    err = run.error
    line, column = (err.line, err.column) if err is not None else (1, 1)
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (
            ("file", workspace_path(run.path)),
            ("line", line),
            ("col", column),
            ("title", "migration-guard dry run failed"),
        )
    )
    message = "the dry run failed here"
    if err is not None:
        message = f"{err.message} (SQLSTATE {err.sqlstate})" if err.sqlstate else err.message
        if err.hint:
            message += f"\n\nHint: {err.hint}"
    return f"::error {props}::{escape_data(message)}"
