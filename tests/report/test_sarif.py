"""SARIF 2.1.0: rule metadata from the registry, results, suppressions, and fingerprints that survive
moving code (the real loader and linter, in process; the CLI path is covered in tests/commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions, Migration
from migration_guard.report.sarif import FINGERPRINT_KEY, render_sarif, statement_texts
from migration_guard.rules.registry import all_rules

INIT = "-- intent: users\ncreate table public.users (id bigint primary key, email text, name text);\n"


def migrations(second: str) -> list[Migration]:
    return [
        parse_migration(Path("m/20240101000000_users.sql"), INIT.encode()),
        parse_migration(Path("m/20240102000000_change.sql"), second.encode()),
    ]


def sarif(second: str) -> dict[str, Any]:
    ms = migrations(second)
    result = lint(ms, LintOptions())
    doc: dict[str, Any] = json.loads(render_sarif(result, all_rules(), statement_texts(ms, result.findings)))
    return doc


def results(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [r for r in doc["runs"][0]["results"] if r["ruleId"] == rule]


def test_document_shape_and_rule_metadata() -> None:
    doc = sarif("-- intent: x\nalter table public.users drop column email;\n")
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "migration-guard"
    by_id = {r["id"]: r for r in driver["rules"]}
    assert set(by_id) == {r.id for r in all_rules()}
    for rule in all_rules():
        meta = by_id[rule.id]
        assert meta["shortDescription"]["text"] == rule.summary
        assert meta["fullDescription"]["text"] == rule.why.strip()
        assert meta["defaultConfiguration"]["level"] == rule.severity.value
        assert rule.fix.strip() in meta["help"]["markdown"]
        assert f"allow {rule.id} -- <reason>" in meta["help"]["markdown"]
    (drop,) = results(doc, "drop-column")
    region = drop["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 1}
    assert drop["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "m/20240102000000_change.sql"


def test_fingerprint_ignores_line_numbers_but_not_the_statement() -> None:
    before = sarif("-- intent: x\nalter table public.users drop column email;\n")
    after = sarif("-- intent: x\n-- a comment\n\nselect 1;\n\nALTER TABLE public.users\n  DROP COLUMN email;\n")
    (a,) = results(before, "drop-column")
    (b,) = results(after, "drop-column")
    assert a["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert b["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert a["partialFingerprints"][FINGERPRINT_KEY] == b["partialFingerprints"][FINGERPRINT_KEY]

    other = sarif("-- intent: x\nalter table public.users drop column name;\n")
    (c,) = results(other, "drop-column")
    assert c["partialFingerprints"][FINGERPRINT_KEY] != a["partialFingerprints"][FINGERPRINT_KEY]


def test_same_statement_twice_gets_two_fingerprints() -> None:
    doc = sarif(
        "-- intent: x\nalter table public.users drop column email;\n"
        "alter table public.users add column email text;\nalter table public.users drop column email;\n"
    )
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results(doc, "drop-column")]
    assert len(prints) == 2 and len(set(prints)) == 2


def test_suppressed_finding_carries_an_in_source_suppression() -> None:
    doc = sarif(
        "-- intent: x\n-- migration-guard: allow drop-column -- moved to profiles in #7\n"
        "alter table public.users drop column email;\n"
    )
    (drop,) = results(doc, "drop-column")
    assert drop["suppressions"] == [{"kind": "inSource", "justification": "moved to profiles in #7"}]


def test_file_level_findings_have_fingerprints_too() -> None:
    doc = sarif("alter table public.users add column bio text;\n")  # no intent line
    (missing,) = results(doc, "missing-intent")
    assert missing["level"] == "warning"
    assert missing["partialFingerprints"][FINGERPRINT_KEY]


def test_uri_is_relative_and_percent_encoded() -> None:
    ms = [parse_migration(Path("my migrations/20240101000000_a#1.sql"), b"drop table public.x;\n")]
    result = lint(ms, LintOptions())
    doc = json.loads(render_sarif(result, all_rules(), statement_texts(ms, result.findings)))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"my%20migrations/20240101000000_a%231.sql"}
