"""Statements that destroy data: DROP TABLE / COLUMN / SCHEMA / DATABASE, TRUNCATE."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, alter_cmds, display, location, qualified, strings, table_key


def check_drop_table(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("removeType") != "OBJECT_TABLE":
        return
    for obj in node.get("objects") or ():
        key = qualified(obj.get("List", {}).get("items") or [])
        if key and not ctx.is_new(key):
            yield ctx.hit(f"DROP TABLE {display(key)} deletes the table and all its rows")


DROP_TABLE = Rule(
    id="drop-table",
    severity=Severity.ERROR,
    summary="DROP TABLE on an existing table destroys its data",
    why=(
        "DROP TABLE takes an ACCESS EXCLUSIVE lock and deletes every row of the table (and with "
        "CASCADE, dependent views and foreign keys). The running application still queries it and "
        "starts failing the moment the migration commits; the data is only recoverable from a backup."
    ),
    fix=(
        "-- 1. Deploy application code that no longer reads or writes the table.\n"
        "-- 2. Keep the data reachable for a while instead of dropping it:\n"
        "ALTER TABLE old_table RENAME TO old_table_deprecated;  -- or take a backup first\n"
        "-- 3. In a later migration, once nothing uses it:\n"
        "-- migration-guard: allow drop-table -- unused since <release>, backup in <place>\n"
        "DROP TABLE old_table_deprecated;"
    ),
    example="DROP TABLE accounts;",
    check=check_drop_table,
    kinds=frozenset({"DropStmt"}),
)


def check_drop_column(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    if key is None or ctx.is_new(key) or node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    table = ctx.table(key)
    for cmd in alter_cmds(node).get("AT_DropColumn", ()):
        name = cmd.get("name", "")
        yield ctx.hit(
            f"DROP COLUMN {name} on {display(key)} deletes the column's data",
            fix=fixes.drop_column(key, name, table.pk if table else ()),
        )


DROP_COLUMN = Rule(
    id="drop-column",
    severity=Severity.ERROR,
    summary="DROP COLUMN on an existing table destroys its data",
    why=(
        "ALTER TABLE … DROP COLUMN takes an ACCESS EXCLUSIVE lock on the table and the column's "
        "values are gone. Application code still selecting or inserting the column fails as soon "
        "as the migration commits (ORMs that list every column break even on reads)."
    ),
    fix=(
        "-- 1. Deploy application code that ignores the column (stop reading and writing it).\n"
        "-- 2. Optionally keep a copy of the data:\n"
        "CREATE TABLE accounts_legacy_column AS SELECT id, legacy FROM accounts;\n"
        "-- 3. In a later migration, drop it with a short lock timeout:\n"
        "SET lock_timeout = '2s';\n"
        "-- migration-guard: allow drop-column -- unused since <release>\n"
        "ALTER TABLE accounts DROP COLUMN legacy;"
    ),
    example="ALTER TABLE accounts DROP COLUMN legacy;",
    check=check_drop_column,
    subtypes=frozenset({'AT_DropColumn'}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_drop_schema(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("removeType") != "OBJECT_SCHEMA":
        return
    for name in strings(node.get("objects")):
        if name and name not in ctx.schemas_created:
            yield ctx.hit(f"DROP SCHEMA {name} deletes every object in the schema")


DROP_SCHEMA = Rule(
    id="drop-schema",
    severity=Severity.ERROR,
    summary="DROP SCHEMA destroys every table and object in it",
    why=(
        "DROP SCHEMA (with CASCADE) drops every table, view, function and type in the schema, with "
        "their data, under ACCESS EXCLUSIVE locks; everything that uses them breaks at once."
    ),
    fix=(
        "-- 1. Move or back up what must survive:\n"
        "ALTER TABLE old_schema.keep_me SET SCHEMA public;\n"
        "-- 2. Drop the remaining objects one by one, each reviewed, in later migrations:\n"
        "-- migration-guard: allow drop-schema -- empty since <release>\n"
        "DROP SCHEMA old_schema;  -- without CASCADE: fails if anything is left"
    ),
    example="DROP SCHEMA reporting CASCADE;",
    check=check_drop_schema,
    kinds=frozenset({"DropStmt"}),
)


def check_drop_database(node: Node, ctx: Context) -> Iterator[Hit]:
    yield ctx.hit(f"DROP DATABASE {node.get('dbname', '')} deletes a whole database")


DROP_DATABASE = Rule(
    id="drop-database",
    severity=Severity.ERROR,
    summary="DROP DATABASE in a migration",
    why=(
        "DROP DATABASE deletes an entire database with all its data; it cannot even run inside the "
        "transaction a migration runner opens. It never belongs in an application migration."
    ),
    fix=(
        "-- Remove the statement from the migration. Drop databases by hand, after a backup:\n"
        "-- pg_dump --format=custom --file=old_db.dump old_db\n"
        "-- DROP DATABASE old_db;"
    ),
    example="DROP DATABASE analytics;",
    check=check_drop_database,
    kinds=frozenset({"DropdbStmt"}),
)


def check_truncate(node: Node, ctx: Context) -> Iterator[Hit]:
    for rel in node.get("relations") or ():
        rangevar = rel.get("RangeVar")
        key = table_key(rangevar)
        if key and not ctx.is_new(key):
            cascade = ""
            if node.get("behavior") == "DROP_CASCADE":
                cascade = " (and, with CASCADE, every table referencing it)"
            yield ctx.hit(f"TRUNCATE {display(key)} deletes all its rows{cascade}", location(rangevar))


TRUNCATE = Rule(
    id="truncate",
    severity=Severity.ERROR,
    summary="TRUNCATE deletes every row of an existing table",
    why=(
        "TRUNCATE takes an ACCESS EXCLUSIVE lock and removes every row at once (CASCADE also empties "
        "every table with a foreign key to it). The rows are only recoverable from a backup."
    ),
    fix=(
        "-- If the rows are really unwanted, delete them in batches with a condition you can review:\n"
        "DELETE FROM events WHERE id IN (\n"
        "  SELECT id FROM events WHERE created_at < now() - interval '90 days' LIMIT 10000);\n"
        "-- repeat until no rows are deleted; or keep the TRUNCATE with a reasoned suppression:\n"
        "-- migration-guard: allow truncate -- scratch table, holds no user data"
    ),
    example="TRUNCATE TABLE events CASCADE;",
    check=check_truncate,
    kinds=frozenset({"TruncateStmt"}),
)

RULES = (DROP_TABLE, DROP_COLUMN, DROP_SCHEMA, DROP_DATABASE, TRUNCATE)
