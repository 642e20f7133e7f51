"""Indexes: building and dropping them on existing tables, and foreign keys left without one."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Migration, Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, display, location, qualified, table_key


def check_index_not_concurrent(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("concurrent"):
        return
    rel = node.get("relation") or {}
    key = table_key(rel)
    if key is None or ctx.is_new(key) or not rel.get("inh"):
        return  # CREATE INDEX ON ONLY a partitioned parent builds nothing
    name = f" {node['idxname']}" if node.get("idxname") else ""
    yield ctx.hit(
        f"CREATE INDEX{name} on {display(key)} without CONCURRENTLY blocks writes to the table while it builds",
        location(rel),
        fixes.concurrent_index(ctx),
    )


INDEX_NOT_CONCURRENT = Rule(
    id="index-not-concurrent",
    severity=Severity.ERROR,
    summary="CREATE INDEX on an existing table without CONCURRENTLY",
    why=(
        "CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the "
        "table waits, for minutes on a large table, and requests pile up behind it. CONCURRENTLY "
        "builds the index while writes continue (it must run outside a transaction)."
    ),
    fix=(
        "-- In its own migration file, outside a transaction:\n"
        "-- migration-guard: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);\n"
        "-- if it fails it leaves an INVALID index: DROP INDEX CONCURRENTLY orders_customer_id_idx; and retry"
    ),
    example="CREATE INDEX orders_customer_id_idx ON orders (customer_id);",
    check=check_index_not_concurrent,
    kinds=frozenset({"IndexStmt"}),
)


def check_drop_index_not_concurrent(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("removeType") != "OBJECT_INDEX" or node.get("concurrent"):
        return
    for obj in node.get("objects") or ():
        key = qualified(obj.get("List", {}).get("items") or [])
        if key is None:
            continue
        index = ctx.indexes.get(key)
        if index is not None and (index.file == ctx.file_index or ctx.is_new(index.table)):
            continue  # created in this file: nothing uses it yet
        yield ctx.hit(
            f"DROP INDEX {display(key)} without CONCURRENTLY blocks all access to its table",
            fix=fixes.NO_TRANSACTION + f"DROP INDEX CONCURRENTLY IF EXISTS {fixes.qualified(key)};",
        )


DROP_INDEX_NOT_CONCURRENT = Rule(
    id="drop-index-not-concurrent",
    severity=Severity.WARNING,
    summary="DROP INDEX without CONCURRENTLY",
    why=(
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: short, but it waits behind "
        "any long query on the table and every new query queues behind it meanwhile. CONCURRENTLY "
        "waits for running transactions without blocking new ones."
    ),
    fix=(
        "-- In its own migration file, outside a transaction:\n"
        "-- migration-guard: no-transaction\n"
        "DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;"
    ),
    example="DROP INDEX orders_old_idx;",
    check=check_drop_index_not_concurrent,
    kinds=frozenset({"DropStmt"}),
)


def check_fk_without_index(migration: Migration, ctx: Context) -> Iterator[Hit]:
    for fk in ctx.pending_fks:
        table = ctx.tables.get(fk.table)
        if table is None:
            continue  # dropped later in the file
        n = len(fk.columns)
        if n == 1:  # most keys: no set per index to compare
            col = fk.columns[0]
            if any(lead and lead[0] == col for lead in table.leads):
                continue
        else:
            wanted = set(fk.columns)
            if any(len(lead) >= n and set(lead[:n]) == wanted for lead in table.leads):
                continue
        cols = ", ".join(fk.columns)
        line, column = ctx.resolve(fk)
        new_table = table.file == ctx.file_index
        yield Hit(
            f"foreign key ({cols}) on {display(fk.table)} has no index starting with these columns: "
            "deletes and updates of the referenced rows scan the table",
            line,
            column,
            fixes.index_for_fk(fk.table, fk.columns, new_table),
        )


FOREIGN_KEY_WITHOUT_INDEX = Rule(
    id="foreign-key-without-index",
    severity=Severity.WARNING,
    summary="foreign key columns are not the leading columns of any index",
    why=(
        "PostgreSQL does not index the referencing side of a foreign key. Every DELETE or key UPDATE "
        "on the referenced table (and ON DELETE CASCADE) must find the referencing rows with a "
        "sequential scan, holding row locks meanwhile; joins on the key are slow too."
    ),
    fix=(
        "-- Same migration when the table is new; otherwise its own no-transaction migration:\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);"
    ),
    example="CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));",
    check=check_fk_without_index,
)

RULES = (INDEX_NOT_CONCURRENT, DROP_INDEX_NOT_CONCURRENT, FOREIGN_KEY_WITHOUT_INDEX)
