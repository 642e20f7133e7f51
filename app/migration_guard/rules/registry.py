"""All rules, in a stable order (the order of the issue's table; docs and `rules` list them so)."""

from __future__ import annotations

from functools import cache

from migration_guard.rules import destructive, files, suppressions, transactions
from migration_guard.rules.base import Rule


@cache
def _rules() -> tuple[Rule, ...]:
    rules = (
        *destructive.RULES,
        *transactions.RULES,
        *files.RULES,
        *suppressions.RULES,
    )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):  # a programming error, caught by the first test run
        raise RuntimeError(f"duplicate rule ids: {sorted(i for i in ids if ids.count(i) > 1)}")
    return rules


@cache
def _by_id() -> dict[str, Rule]:
    return {r.id: r for r in _rules()}


def all_rules() -> list[Rule]:
    return list(_rules())


def get_rule(rule_id: str) -> Rule | None:
    return _by_id().get(rule_id)
