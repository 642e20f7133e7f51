"""Meta rules about the suppression comments themselves (checked by the linter, not per statement)."""

from __future__ import annotations

from migration_guard.model import Severity
from migration_guard.rules.base import Rule

SUPPRESSION_WITHOUT_REASON = Rule(
    id="suppression-without-reason",
    severity=Severity.ERROR,
    summary="an error-level rule is suppressed without a reason",
    why=(
        "A suppression turns off a blocking check. Without a reason, reviewers cannot tell a deliberate, "
        "verified exception (the table is empty, the column was unused for a release) from a silenced "
        "warning, and the audit log records nothing useful. This finding itself cannot be suppressed."
    ),
    fix=(
        "-- Say why the statement is safe after ` -- `:\n"
        "-- migration-guard: allow drop-column -- column unused since v2.3, data archived in accounts_legacy\n"
        "ALTER TABLE accounts DROP COLUMN legacy;"
    ),
    example="-- migration-guard: allow drop-column\nALTER TABLE accounts DROP COLUMN legacy;",
)

UNKNOWN_RULE_IN_SUPPRESSION = Rule(
    id="unknown-rule-in-suppression",
    severity=Severity.WARNING,
    summary="a suppression names a rule id that does not exist",
    why=(
        "A misspelled rule id suppresses nothing: the finding it was meant to cover still appears (or "
        "a later rename leaves the comment stale). `migration-guard rules` lists the valid ids."
    ),
    fix=(
        "-- Use the exact id from `migration-guard rules`:\n"
        "-- migration-guard: allow drop-column -- column unused since v2.3\n"
        "ALTER TABLE accounts DROP COLUMN legacy;"
    ),
    example="-- migration-guard: allow drop-colum -- typo\nALTER TABLE accounts ADD COLUMN plan text;",
)

RULES = (SUPPRESSION_WITHOUT_REASON, UNKNOWN_RULE_IN_SUPPRESSION)
