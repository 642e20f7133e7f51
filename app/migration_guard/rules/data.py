"""Data changes in migrations: whole-table UPDATE/DELETE, and backfills mixed with schema changes."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Migration, Severity
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context, cte_writes
from migration_guard.rules.nodes import Node, display, location, table_key


def _whole_table(node: Node, ctx: Context, verb: str) -> Iterator[Hit]:
    if node.get("whereClause") is not None:
        return
    rel = node.get("relation")
    key = table_key(rel)
    if key is None or ctx.is_new(key):
        return  # a table created in this file holds only what this file put there
    yield ctx.hit(f"{verb} without WHERE changes every row of {display(key)}", location(rel))


def _with_ctes(node: Node, ctx: Context, kind: str, verb: str) -> Iterator[Hit]:
    """The statement itself, then the same verb hidden in its WITH clause (data-modifying CTEs)."""
    if ctx.kind == kind:
        yield from _whole_table(node, ctx, verb)
    if "withClause" in node:
        for sub_kind, sub in cte_writes(node):
            if sub_kind == kind:
                yield from _whole_table(sub, ctx, verb)


def check_delete_without_where(node: Node, ctx: Context) -> Iterator[Hit]:
    yield from _with_ctes(node, ctx, "DeleteStmt", "DELETE")


def check_update_without_where(node: Node, ctx: Context) -> Iterator[Hit]:
    yield from _with_ctes(node, ctx, "UpdateStmt", "UPDATE")


_WITH_KINDS = frozenset({"DeleteStmt", "UpdateStmt", "InsertStmt", "SelectStmt"})


DELETE_WITHOUT_WHERE = Rule(
    id="delete-without-where",
    severity=Severity.ERROR,
    summary="DELETE without WHERE on an existing table",
    why=(
        "A DELETE with no WHERE clause (also inside a WITH clause) removes every row of the table, row "
        "by row under row locks, "
        "firing triggers and cascades; it is almost always a truncated or mistaken statement, and the "
        "rows are only recoverable from a backup."
    ),
    fix=(
        "-- State which rows go, and delete in batches:\n"
        "DELETE FROM sessions WHERE id IN (\n"
        "  SELECT id FROM sessions WHERE expires_at < now() LIMIT 10000);"
    ),
    example="DELETE FROM sessions;",
    check=check_delete_without_where,
    kinds=_WITH_KINDS,
)

UPDATE_WITHOUT_WHERE = Rule(
    id="update-without-where",
    severity=Severity.ERROR,
    summary="UPDATE without WHERE on an existing table",
    why=(
        "An UPDATE with no WHERE clause rewrites every row of the table in one transaction: it "
        "overwrites all existing values (the old ones are lost), locks every row against concurrent "
        "writes until the migration commits, and doubles the table's size until vacuum."
    ),
    fix=(
        "-- Limit it to the rows that need it, in batches, in a separate data migration:\n"
        "UPDATE accounts SET plan = 'free'\n"
        "WHERE id IN (SELECT id FROM accounts WHERE plan IS NULL LIMIT 10000);"
    ),
    example="UPDATE accounts SET plan = 'free';",
    check=check_update_without_where,
    kinds=_WITH_KINDS,
)


def check_mixed_schema_and_data(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not ctx.has_ddl or not ctx.data_writes or migration.header.data_migration is True:
        return
    for line, column, what in ctx.data_writes:
        yield Hit(
            f"{what} on existing data in a migration that also changes the schema; "
            "move the backfill to its own data migration",
            line,
            column,
        )


MIXED_SCHEMA_AND_DATA = Rule(
    id="mixed-schema-and-data",
    severity=Severity.WARNING,
    summary="data backfill in the same migration as schema changes",
    why=(
        "In one transaction, the schema change's locks (often ACCESS EXCLUSIVE) are held for as long "
        "as the backfill runs, so a long UPDATE turns a brief lock into an outage; and if the "
        "backfill fails the schema change is rolled back with it. Data migrations are reviewed, "
        "batched and re-run differently from schema migrations."
    ),
    fix=(
        "-- Migration 1 (schema):\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "-- Migration 2 (data), with the header `-- data-migration: yes`:\n"
        "UPDATE accounts SET plan = 'free' WHERE id IN (\n"
        "  SELECT id FROM accounts WHERE plan IS NULL LIMIT 10000);"
    ),
    example="ALTER TABLE accounts ADD COLUMN plan text;\nUPDATE accounts SET plan = 'free' WHERE plan IS NULL;",
    check=check_mixed_schema_and_data,
)

RULES = (DELETE_WITHOUT_WHERE, UPDATE_WITHOUT_WHERE, MIXED_SCHEMA_AND_DATA)
