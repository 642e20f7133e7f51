"""All rules, in a stable order (the order of the issue's table; `rules` and the docs list them so)."""

from __future__ import annotations

from functools import cache

from migration_guard.rules import (
    blocking,
    columns,
    constraints,
    data,
    database,
    destructive,
    files,
    indexes,
    maintenance,
    names,
    prefer_types,
    renames,
    rls,
    security,
    suppressions,
    tables,
    transactions,
)
from migration_guard.rules.base import Rule

ORDER = (
    "drop-table",
    "drop-column",
    "drop-schema",
    "drop-database",
    "truncate",
    "column-type-change",
    "rename-table",
    "rename-column",
    "rename-enum-value",
    "rename-schema",
    "add-column-volatile-default",
    "add-not-null-column-without-default",
    "set-not-null",
    "drop-not-null",
    "foreign-key-not-valid",
    "check-constraint-not-valid",
    "unique-constraint-without-index",
    "validate-in-same-transaction",
    "primary-key-on-nullable-columns",
    "exclusion-constraint",
    "domain-add-constraint",
    "index-not-concurrent",
    "drop-index-not-concurrent",
    "reindex-not-concurrent",
    "detach-partition-not-concurrent",
    "refresh-matview-not-concurrent",
    "lock-table",
    "set-logged-unlogged",
    "concurrent-in-transaction",
    "concurrent-splits-migration",
    "enum-add-value-in-transaction",
    "foreign-key-without-index",
    "table-without-rls",
    "rls-enabled-no-policy",
    "policy-without-rls",
    "disable-row-level-security",
    "grant-write-to-anon",
    "permissive-write-policy",
    "view-without-security-invoker",
    "materialized-view-in-exposed-schema",
    "security-definer-search-path",
    "missing-primary-key",
    "prefer-bigint",
    "prefer-identity",
    "prefer-text",
    "prefer-timestamptz",
    "prefer-jsonb",
    "identifier-too-long",
    "mixed-schema-and-data",
    "delete-without-where",
    "update-without-where",
    "vacuum-full-or-cluster",
    "syntax-error",
    "migration-file-name",
    "duplicate-version",
    "out-of-order",
    "missing-intent",
    "transaction-control",
    "transaction-wrapper",
    "unbalanced-transaction",
    "psql-meta-command",
    "suppression-without-reason",
    "unknown-rule-in-suppression",
    # Checked by the dry run on the database it built (rules/database.py); need PostgreSQL.
    "unindexed-foreign-key",
    "function-search-path-mutable",
    "rls-disabled-in-exposed-schema",
    "security-definer-view",
    "materialized-view-in-api",
)

_MODULES = (
    destructive,
    columns,
    renames,
    constraints,
    indexes,
    blocking,
    transactions,
    rls,
    security,
    tables,
    prefer_types,
    names,
    data,
    maintenance,
    files,
    suppressions,
    database,
)


@cache
def _by_id() -> dict[str, Rule]:
    declared = [rule for module in _MODULES for rule in module.RULES]
    by_id = {rule.id: rule for rule in declared}
    # Programming errors, caught by the first test run: every rule declared once and listed in ORDER.
    if len(by_id) != len(declared) or set(by_id) != set(ORDER):
        raise RuntimeError(f"rule registry out of sync: {sorted(set(by_id) ^ set(ORDER))}")
    return {rule_id: by_id[rule_id] for rule_id in ORDER}


def all_rules() -> list[Rule]:
    return list(_by_id().values())


def lint_rules() -> list[Rule]:
    """The rules the lint engine runs (not the dry-run-only ones, which need a database)."""
    return [rule for rule in _by_id().values() if rule.linted]


def dry_run_rules() -> list[Rule]:
    """The rules the dry run reports from the database it built (``dryrun/advisories.py``)."""
    return [rule for rule in _by_id().values() if rule.dry_run]


def get_rule(rule_id: str) -> Rule | None:
    return _by_id().get(rule_id)


def similar_ids(rule_id: str, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Known rule ids close to a mistyped one (for "did you mean …" hints)."""
    import difflib

    return difflib.get_close_matches(rule_id, list(_by_id()), n=n, cutoff=cutoff)
