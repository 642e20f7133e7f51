"""The registry: exact ids and severities from issue 2, complete declarations, examples that trigger."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import parser

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions, Severity
from migration_guard.rules.base import ExampleSetup, Rule
from migration_guard.rules.registry import all_rules, get_rule, lint_rules

E, W = Severity.ERROR, Severity.WARNING
EXPECTED = {
    "drop-table": E, "drop-column": E, "drop-schema": E, "drop-database": E, "truncate": E,
    "column-type-change": E, "rename-table": E, "rename-column": E, "rename-enum-value": E, "rename-schema": E,
    "add-column-volatile-default": E, "add-not-null-column-without-default": E,
    "set-not-null": E, "drop-not-null": W,
    "foreign-key-not-valid": E, "check-constraint-not-valid": E, "unique-constraint-without-index": E,
    "validate-in-same-transaction": E, "primary-key-on-nullable-columns": E, "exclusion-constraint": E,
    "domain-add-constraint": E,
    "index-not-concurrent": E, "drop-index-not-concurrent": W, "reindex-not-concurrent": E,
    "detach-partition-not-concurrent": E, "refresh-matview-not-concurrent": E, "lock-table": E,
    "set-logged-unlogged": E, "concurrent-in-transaction": E, "concurrent-splits-migration": W,
    "enum-add-value-in-transaction": W, "foreign-key-without-index": W,
    "table-without-rls": E, "rls-enabled-no-policy": W, "policy-without-rls": E,
    "disable-row-level-security": E, "grant-write-to-anon": E, "permissive-write-policy": E,
    "view-without-security-invoker": E, "materialized-view-in-exposed-schema": W,
    "security-definer-search-path": E,
    "missing-primary-key": W,
    "prefer-bigint": W, "prefer-identity": W, "prefer-text": W, "prefer-timestamptz": W, "prefer-jsonb": W,
    "identifier-too-long": W,
    "mixed-schema-and-data": W, "delete-without-where": E, "update-without-where": E,
    "vacuum-full-or-cluster": E, "syntax-error": E,
    "migration-file-name": E, "duplicate-version": E, "out-of-order": E,
    "missing-intent": W, "transaction-control": E, "transaction-wrapper": W, "unbalanced-transaction": E,
    "psql-meta-command": E,
    "suppression-without-reason": E, "unknown-rule-in-suppression": W,
    # the dry run's advisories (rules/database.py): checked on the database, not by lint
    "unindexed-foreign-key": W, "function-search-path-mutable": W, "rls-disabled-in-exposed-schema": W,
    "security-definer-view": W, "materialized-view-in-api": W,
}  # fmt: skip


def test_ids_and_severities_are_exactly_the_issues_table() -> None:
    assert {r.id: r.severity for r in all_rules()} == EXPECTED


def test_order_is_stable_and_lookup_works() -> None:
    ids = [r.id for r in all_rules()]
    assert ids == list(EXPECTED)  # the issue's table order
    assert ids == [r.id for r in all_rules()]
    assert get_rule("drop-column") is all_rules()[1]
    assert get_rule("no-such-rule") is None


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_declaration_is_complete(rule: Rule) -> None:
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.why) > 80, "why must name the lock, what breaks, what is lost"
    assert rule.fix.strip() and rule.example.strip()
    # The fix is SQL steps: it contains at least one SQL statement or a SQL comment per line.
    assert all(line.strip() for line in rule.fix.splitlines())


@pytest.mark.parametrize("rule", lint_rules(), ids=lambda r: r.id)
def test_example_triggers_its_rule(rule: Rule) -> None:
    setup = rule.extra if isinstance(rule.extra, ExampleSetup) else ExampleSetup()
    migrations = [parse_migration(Path(p), rule.example.encode()) for p in setup.paths]
    options = LintOptions(supabase=setup.supabase, base_versions=setup.base_versions)
    found = [f for f in lint(migrations, options).findings if f.rule == rule.id]
    assert found, f"{rule.id}: its example does not trigger it"
    assert all(f.severity is rule.severity and f.why == rule.why for f in found)
    for f in found:  # the rule's generic fix, or one written for this statement: pasteable SQL either way
        parser.parse_sql_json(f.fix)


def test_why_names_locks_for_locking_rules() -> None:
    for rule_id in ("set-not-null", "index-not-concurrent", "check-constraint-not-valid", "column-type-change"):
        rule = get_rule(rule_id)
        assert rule is not None and ("ACCESS EXCLUSIVE" in rule.why or "SHARE" in rule.why)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_fix_is_pasteable_sql(rule: Rule) -> None:
    parser.parse_sql_json(rule.fix)  # raises ParseError when a step is not valid SQL
