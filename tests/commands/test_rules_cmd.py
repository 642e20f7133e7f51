"""`migration-guard rules [ID]` through the real CLI: list, explain, unknown id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from migration_guard.rules.registry import all_rules, get_rule

# The ids other tools and scripts key on (issue 2's table); they must all exist.
CONTRACT_IDS = " ".join("""
drop-table drop-column drop-schema drop-database truncate column-type-change rename-table rename-column
add-column-volatile-default add-not-null-column-without-default set-not-null drop-not-null
foreign-key-not-valid check-constraint-not-valid unique-constraint-without-index index-not-concurrent
drop-index-not-concurrent concurrent-in-transaction enum-add-value-in-transaction foreign-key-without-index
table-without-rls rls-enabled-no-policy policy-without-rls missing-primary-key prefer-bigint prefer-identity
prefer-text prefer-timestamptz mixed-schema-and-data delete-without-where update-without-where
vacuum-full-or-cluster syntax-error migration-file-name duplicate-version out-of-order missing-intent
transaction-control psql-meta-command
""".splitlines()).split()


def rules_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "rules", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        timeout=60,
    )


def test_list_shows_every_rule_with_severity_and_summary() -> None:
    proc = rules_cli()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for rule in all_rules():
        row = next(line for line in lines if line.split()[0] == rule.id)
        assert row.split()[1] == rule.severity.value
        assert row.endswith(rule.summary)
    assert "migration-guard rules ID" in proc.stdout


def test_explain_one_rule() -> None:
    rule = get_rule("drop-column")
    assert rule is not None
    proc = rules_cli("drop-column")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("drop-column (error)\n")
    assert rule.summary in out
    for title in ("Why:", "Example:", "Use instead:", "Suppress (with a reason):"):
        assert f"\n{title}\n" in out
    # Every line of the fix and the example is shown, indented, ready to paste.
    for line in [*rule.fix.strip().splitlines(), *rule.example.strip().splitlines()]:
        assert f"    {line}".rstrip() in out
    assert "-- migration-guard: allow drop-column -- <reason>" in out


def test_unknown_id_suggests_close_ids() -> None:
    proc = rules_cli("drop-colum")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("migration-guard: error: unknown rule 'drop-colum'; did you mean drop-column")
    assert len(proc.stderr.splitlines()) == 1
    far = rules_cli("zzzz")
    assert far.returncode == 2
    assert "migration-guard rules" in far.stderr


def test_contract_ids_all_exist() -> None:
    known = {r.id for r in all_rules()}
    assert sorted(set(CONTRACT_IDS) - known) == []


def test_rules_about_suppressions_say_they_cannot_be_suppressed() -> None:
    proc = rules_cli("suppression-without-reason")
    assert proc.returncode == 0
    assert "Cannot be suppressed" in proc.stdout
    assert "allow suppression-without-reason" not in proc.stdout


def test_explain_a_fixable_rule_says_what_lint_fix_does() -> None:
    fixable = rules_cli("set-not-null")
    assert fixable.returncode == 0, fixable.stderr
    assert "Fix automatically (lint --fix, or --diff to preview):" in fixable.stdout
    assert "CHECK (column IS NOT NULL) NOT VALID" in fixable.stdout
    plain = rules_cli("drop-column")
    assert plain.returncode == 0 and "Fix automatically" not in plain.stdout
