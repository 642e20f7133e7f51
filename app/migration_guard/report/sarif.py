"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

Fingerprints: ``partialFingerprints["migrationGuard/v1"]`` is a sha256 of the rule id, the file's
path and the *normalized text of the statement* the finding points at (whitespace collapsed,
lower-cased), plus an occurrence counter when the same statement appears twice in one file. Line
numbers are deliberately left out, so adding lines above a statement (or moving it) keeps the
fingerprint and code scanning keeps the alert's history and its dismissals. Findings that point at
no statement (file-level rules, syntax errors) hash their message instead.
"""

from __future__ import annotations

import hashlib
import json
import os
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from migration_guard import __version__
from migration_guard.model import Finding, LintResult, Migration, Severity
from migration_guard.report.text import rule_url
from migration_guard.rules.base import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "migrationGuard/v1"

Location = tuple[str, int, int]  # (path, line, column) as a Finding carries them


def normalize_sql(sql: str) -> str:
    return " ".join(sql.split()).lower()


def statement_texts(migrations: Iterable[Migration], findings: Iterable[Finding]) -> dict[Location, str]:
    """For each finding, the text of the statement it points at (absent when it points at none)."""
    wanted: dict[str, list[Finding]] = {}
    for f in findings:
        wanted.setdefault(f.path, []).append(f)
    out: dict[Location, str] = {}
    for m in migrations:
        found = wanted.get(m.display_path)
        if not found or not m.statements:
            continue
        line_starts = [0]
        pos = m.text.find("\n")
        while pos != -1:
            line_starts.append(pos + 1)
            pos = m.text.find("\n", pos + 1)
        starts = [s.start for s in m.statements]
        for f in found:
            if not 1 <= f.line <= len(line_starts):
                continue
            offset = line_starts[f.line - 1] + max(f.column, 1) - 1
            i = bisect_right(starts, offset) - 1
            # Only a finding inside a statement (up to its ';') belongs to it.
            if i >= 0 and offset <= m.statements[i].end:
                out[(f.path, f.line, f.column)] = m.statements[i].sql
    return out


def _uri(path: str) -> str:
    """Repository-relative POSIX path when the file is under the working directory."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path(os.getcwd()).resolve())
        except ValueError:
            return p.as_uri()
    # A URI reference: percent-encode what RFC 3986 does not allow in a path (spaces, %, #, ?).
    return quote(str(PurePosixPath(*p.parts)), safe="/@:+,;=!$&'()*~")


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    help_md = (
        f"**{rule.summary}**\n\n{rule.why.strip()}\n\n"
        f"Example:\n\n```sql\n{rule.example.strip()}\n```\n\n"
        f"Use instead:\n\n```sql\n{rule.fix.strip()}\n```\n\n"
        f"Suppress with a reason: `-- migration-guard: allow {rule.id} -- <reason>` on the line above."
    )
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "helpUri": rule_url(rule.id),
        "fullDescription": {"text": rule.why.strip() or rule.summary},
        "help": {"text": f"{rule.why.strip()}\n\nUse instead:\n{rule.fix.strip()}", "markdown": help_md},
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {"tags": ["migration", "postgresql"]},
    }


def fingerprint(rule: str, path: str, text: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{rule}\0{path}\0{normalize_sql(text)}".encode()).hexdigest()
    return f"{digest}:{occurrence}"


def render_sarif(
    result: LintResult,
    rules: Sequence[Rule],
    statements: Mapping[Location, str] | None = None,
) -> str:
    statements = statements or {}
    index = {r.id: i for i, r in enumerate(rules)}
    seen: dict[tuple[str, str, str], int] = {}
    results: list[dict[str, Any]] = []
    for f in result.findings:
        uri = _uri(f.path)
        text = statements.get((f.path, f.line, f.column)) or f.message
        key = (f.rule, uri, normalize_sql(text))
        occurrence = seen.get(key, 0) + 1
        seen[key] = occurrence
        message = f.message if not f.fix.strip() else f"{f.message}\n\nUse instead:\n{f.fix.strip()}"
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _level(f.severity),
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f.rule, uri, text, occurrence)},
        }
        if f.rule in index:
            entry["ruleIndex"] = index[f.rule]
        if f.suppressed:
            entry["suppressions"] = [{"kind": "inSource", "justification": f.reason or ""}]
        results.append(entry)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "migration-guard",
                        "version": __version__,
                        "rules": [rule_descriptor(r) for r in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
