"""Renaming tables and columns breaks the application that is running during and after deploy."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, display, location, qualified, table_key

_TABLE_LIKE = ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE")


def check_rename_table(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("renameType") != "OBJECT_TABLE":
        return
    key = table_key(node.get("relation"))
    if key and not ctx.is_new(key):
        yield ctx.hit(
            f"renaming table {display(key)} to {node.get('newname')} breaks every query still using the old name",
            location(node.get("relation")),
        )


RENAME_TABLE = Rule(
    id="rename-table",
    severity=Severity.ERROR,
    summary="renaming an existing table breaks the running application",
    why=(
        "ALTER TABLE … RENAME TO is instant (a short ACCESS EXCLUSIVE lock), but the application "
        "servers still running the previous release query the old name and fail from the moment the "
        "migration commits until every instance is redeployed; Supabase client code and RLS-aware "
        "views using the old name break too."
    ),
    fix=(
        "-- 1. Create the new name as a view over the old table (or the reverse), so both work:\n"
        "ALTER TABLE accounts RENAME TO customers;\n"
        "CREATE VIEW accounts WITH (security_invoker = true) AS SELECT * FROM customers;\n"
        "-- (both statements in the same migration: old code keeps using the view)\n"
        "-- 2. Deploy code that uses the new name.\n"
        "-- 3. In a later migration: DROP VIEW accounts;"
    ),
    example="ALTER TABLE accounts RENAME TO customers;",
    check=check_rename_table,
    kinds=frozenset({"RenameStmt"}),
)


def check_rename_column(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("renameType") != "OBJECT_COLUMN" or node.get("relationType") not in _TABLE_LIKE:
        return
    key = table_key(node.get("relation"))
    if key and not ctx.is_new(key):
        old, new = node.get("subname", ""), node.get("newname", "")
        table = ctx.table(key)
        column = table.columns.get(old) if table else None
        type_ = None
        if column is not None and column.type:
            type_ = f"{column.type}({', '.join(map(str, column.mods))})" if column.mods else column.type
        yield ctx.hit(
            f"renaming column {display(key)}.{old} to {new} breaks every query still using the old name",
            location(node.get("relation")),
            fixes.rename_column(key, old, new, type_, table.pk if table else ()),
        )


RENAME_COLUMN = Rule(
    id="rename-column",
    severity=Severity.ERROR,
    summary="renaming a column of an existing table breaks the running application",
    why=(
        "ALTER TABLE … RENAME COLUMN is instant, but code deployed before the migration (every running "
        "instance during a rolling deploy) still reads and writes the old column name and fails with "
        "'column does not exist' until it is replaced."
    ),
    fix=(
        "-- Expand / contract in steps, each its own migration and deploy:\n"
        "ALTER TABLE accounts ADD COLUMN full_name text;\n"
        "-- deploy code that writes both columns, then backfill in batches:\n"
        "UPDATE accounts SET full_name = name WHERE id BETWEEN 1 AND 10000 AND full_name IS NULL;\n"
        "-- deploy code that reads full_name only, then:\n"
        "ALTER TABLE accounts DROP COLUMN name;"
    ),
    example="ALTER TABLE accounts RENAME COLUMN name TO full_name;",
    check=check_rename_column,
    kinds=frozenset({"RenameStmt"}),
)



def check_rename_enum_value(node: Node, ctx: Context) -> Iterator[Hit]:
    old, new = node.get("oldVal"), node.get("newVal")
    key = qualified(node.get("typeName") or [])
    if not old or not new or key is None or key in ctx.enums_created:
        return
    yield ctx.hit(
        f"renaming value '{old}' of {display(key)} to '{new}' breaks every query, client and stored "
        f"literal still using '{old}'"
    )


RENAME_ENUM_VALUE = Rule(
    id="rename-enum-value",
    severity=Severity.ERROR,
    summary="ALTER TYPE … RENAME VALUE breaks code using the old value",
    why=(
        "Renaming an enum value is instant, but every running application instance, typed client "
        "generated from the schema, function body, policy and view text that still says the old value "
        "fails with 'invalid input value for enum' from the moment the migration commits; nothing "
        "maps the old spelling to the new one."
    ),
    fix=(
        "-- Expand / contract: add the new value, migrate, and only then stop using the old one.\n"
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'cancelled';\n"
        "-- later migration (after the ADD VALUE committed), in batches:\n"
        "UPDATE orders SET status = 'cancelled' WHERE id IN (\n"
        "  SELECT id FROM orders WHERE status = 'canceled' LIMIT 10000);"
    ),
    example="ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
    check=check_rename_enum_value,
    kinds=frozenset({"AlterEnumStmt"}),
)


def check_rename_schema(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("renameType") != "OBJECT_SCHEMA":
        return
    old = node.get("subname", "")
    if old in ctx.schemas_created:
        return
    yield ctx.hit(
        f"renaming schema {old} to {node.get('newname')} breaks every qualified name, search_path and "
        "grant-aware client that uses it"
    )


RENAME_SCHEMA = Rule(
    id="rename-schema",
    severity=Severity.ERROR,
    summary="ALTER SCHEMA … RENAME breaks everything that names the schema",
    why=(
        "Renaming a schema is instant, but every query, function body (bodies are stored as text), "
        "search_path setting, API exposure setting (Supabase's exposed schemas) and client that names "
        "the old schema fails at once; a rename cannot be rolled out gradually."
    ),
    fix=(
        "-- Create the new schema and move objects one by one, keeping the old names working meanwhile:\n"
        "CREATE SCHEMA IF NOT EXISTS billing;\n"
        "ALTER TABLE payments.invoices SET SCHEMA billing;\n"
        "CREATE VIEW payments.invoices WITH (security_invoker = true) AS SELECT * FROM billing.invoices;"
    ),
    example="ALTER SCHEMA payments RENAME TO billing;",
    check=check_rename_schema,
    kinds=frozenset({"RenameStmt"}),
)

RULES = (RENAME_TABLE, RENAME_COLUMN, RENAME_ENUM_VALUE, RENAME_SCHEMA)
