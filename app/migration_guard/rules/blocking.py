"""Statements that block a table for as long as they run: the missing-CONCURRENTLY forms, explicit
LOCK TABLE, SET LOGGED / UNLOGGED rewrites, and domain constraints that scan every column using them."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, alter_cmds, def_options, display, location, qualified, table_key


def check_reindex(node: Node, ctx: Context) -> Iterator[Hit]:
    if "concurrently" in def_options(node.get("params")):
        return
    kind = node.get("kind", "")
    rel = node.get("relation")
    key = table_key(rel)
    if kind in ("REINDEX_OBJECT_TABLE", "REINDEX_OBJECT_INDEX") and key is not None:
        index = ctx.indexes.get(key) if kind == "REINDEX_OBJECT_INDEX" else None
        table = index.table if index is not None else key if kind == "REINDEX_OBJECT_TABLE" else None
        if table is not None and ctx.is_new(table):
            return  # built in this file: empty
        what = "index" if kind == "REINDEX_OBJECT_INDEX" else "table"
        target = f"{what} {display(key)}"
    else:
        target = "every index of the " + ("schema" if kind == "REINDEX_OBJECT_SCHEMA" else "database")
    statement = fixes.rewrite(ctx, _concurrently)
    fix = fixes.NO_TRANSACTION + statement if statement else None
    yield ctx.hit(
        f"REINDEX {target} without CONCURRENTLY blocks writes to the table (and reads that use the index) "
        "until every index is rebuilt",
        location(rel),
        fix,
    )


def _concurrently(node: object) -> None:
    from pglast import ast

    params = list(getattr(node, "params", None) or ())
    params.append(ast.DefElem(defname="concurrently"))
    node.params = tuple(params)  # type: ignore[attr-defined]


REINDEX_NOT_CONCURRENT = Rule(
    id="reindex-not-concurrent",
    severity=Severity.ERROR,
    summary="REINDEX without CONCURRENTLY",
    why=(
        "REINDEX takes a SHARE lock on the table (every INSERT, UPDATE and DELETE waits) and an ACCESS "
        "EXCLUSIVE lock on each index being rebuilt (queries that would use it wait too) for the whole "
        "rebuild. REINDEX CONCURRENTLY (PostgreSQL 12+) rebuilds beside the old index while writes "
        "continue; it must run outside a transaction."
    ),
    fix=(
        "-- In its own migration file, outside a transaction:\n"
        "-- migration-guard: no-transaction\n"
        "REINDEX INDEX CONCURRENTLY orders_customer_id_idx;"
    ),
    example="REINDEX INDEX orders_customer_id_idx;",
    check=check_reindex,
    kinds=frozenset({"ReindexStmt"}),
)


def check_detach_partition(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    if key is None or ctx.is_new(key):
        return
    for cmd in alter_cmds(node).get("AT_DetachPartition", ()):
        part = (cmd.get("def") or {}).get("PartitionCmd") or {}
        if part.get("concurrent"):
            continue
        child = table_key(part.get("name"))
        name = display(child) if child else "a partition"
        yield ctx.hit(
            f"DETACH PARTITION {name} from {display(key)} without CONCURRENTLY takes ACCESS EXCLUSIVE on the "
            "partitioned table: every query on any partition waits",
            location(part.get("name")),
            fixes.NO_TRANSACTION
            + f"ALTER TABLE {fixes.qualified(key)} DETACH PARTITION {fixes.qualified(child)} CONCURRENTLY;"
            if child
            else None,
        )


DETACH_PARTITION_NOT_CONCURRENT = Rule(
    id="detach-partition-not-concurrent",
    severity=Severity.ERROR,
    summary="DETACH PARTITION without CONCURRENTLY",
    why=(
        "ALTER TABLE … DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned parent: every "
        "read and write of every partition waits, and the DETACH itself waits behind any running query. "
        "DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) needs only SHARE UPDATE EXCLUSIVE on the parent; "
        "it cannot run inside a transaction."
    ),
    fix=(
        "-- In its own migration file, outside a transaction:\n"
        "-- migration-guard: no-transaction\n"
        "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;"
    ),
    example="ALTER TABLE measurements DETACH PARTITION measurements_2023;",
    check=check_detach_partition,
    subtypes=frozenset({"AT_DetachPartition"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_refresh_matview(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("concurrent") or node.get("skipData"):
        return  # WITH NO DATA only empties it: quick
    rel = node.get("relation")
    key = table_key(rel)
    if key is None or key in ctx.matviews_created:
        return
    yield ctx.hit(
        f"REFRESH MATERIALIZED VIEW {display(key)} without CONCURRENTLY blocks every read of the view "
        "until the query has re-run",
        location(rel),
        f"-- needs a UNIQUE index on the view (without a WHERE clause); runs inside a transaction:\n"
        f"REFRESH MATERIALIZED VIEW CONCURRENTLY {fixes.qualified(key)};",
    )


REFRESH_MATVIEW_NOT_CONCURRENT = Rule(
    id="refresh-matview-not-concurrent",
    severity=Severity.ERROR,
    summary="REFRESH MATERIALIZED VIEW without CONCURRENTLY",
    why=(
        "A plain REFRESH MATERIALIZED VIEW holds an ACCESS EXCLUSIVE lock on the view while its query "
        "re-runs: every SELECT of the view waits, for as long as the (often expensive) query takes. "
        "CONCURRENTLY builds the new contents beside the old and swaps the differences in, so reads "
        "continue; it needs a unique index on the view."
    ),
    fix=(
        "CREATE UNIQUE INDEX IF NOT EXISTS daily_sales_day_key ON daily_sales (day);  -- once\n"
        "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;"
    ),
    example="REFRESH MATERIALIZED VIEW daily_sales;",
    check=check_refresh_matview,
    kinds=frozenset({"RefreshMatViewStmt"}),
)

# LOCK TABLE modes (lockdefs.h): 5 SHARE and above block writes; 8 ACCESS EXCLUSIVE blocks reads too.
_MODES = {
    1: "ACCESS SHARE", 2: "ROW SHARE", 3: "ROW EXCLUSIVE", 4: "SHARE UPDATE EXCLUSIVE", 5: "SHARE",
    6: "SHARE ROW EXCLUSIVE", 7: "EXCLUSIVE", 8: "ACCESS EXCLUSIVE",
}  # fmt: skip


def check_lock_table(node: Node, ctx: Context) -> Iterator[Hit]:
    mode = int(node.get("mode", 8))
    if not ctx.transactional:
        yield ctx.hit("LOCK TABLE outside a transaction block: PostgreSQL rejects it and the migration fails")
        return
    if mode < 5:
        return  # weaker modes block no one's reads or writes
    for rel in node.get("relations") or ():
        rangevar = rel.get("RangeVar")
        key = table_key(rangevar)
        if key is None or ctx.is_new(key):
            continue
        blocks = "every read and write" if mode == 8 else "every write"
        yield ctx.hit(
            f"LOCK TABLE {display(key)} IN {_MODES.get(mode, 'ACCESS EXCLUSIVE')} MODE blocks {blocks} of the "
            "table until the migration commits",
            location(rangevar),
        )


LOCK_TABLE = Rule(
    id="lock-table",
    severity=Severity.ERROR,
    summary="LOCK TABLE in a migration",
    why=(
        "An explicit LOCK TABLE (ACCESS EXCLUSIVE by default) is held until the migration's transaction "
        "ends: every later statement of the file runs while the application waits, and the LOCK itself "
        "queues behind any long query, with every new query queueing behind it. The statements that "
        "need a lock take the one they need, for as short as possible. In a no-transaction file, outside "
        "BEGIN … COMMIT, LOCK TABLE is an error and the migration fails."
    ),
    fix=(
        "-- Drop the LOCK TABLE; bound how long each statement may wait for its own lock instead:\n"
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD COLUMN note text;"
    ),
    example="LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;",
    check=check_lock_table,
    kinds=frozenset({"LockStmt"}),
)


def check_set_logged(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    if key is None or ctx.is_new(key) or node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    groups = alter_cmds(node)
    for subtype, what in (("AT_SetLogged", "SET LOGGED"), ("AT_SetUnLogged", "SET UNLOGGED")):
        if subtype in groups:
            extra = " and writes all of it to the WAL" if subtype == "AT_SetLogged" else ""
            yield ctx.hit(
                f"{what} rewrites {display(key)} under ACCESS EXCLUSIVE{extra}: all reads and writes wait",
                location(node.get("relation")),
            )


SET_LOGGED_UNLOGGED = Rule(
    id="set-logged-unlogged",
    severity=Severity.ERROR,
    summary="ALTER TABLE … SET LOGGED / SET UNLOGGED rewrites the table",
    why=(
        "Switching a table between logged and unlogged copies it into a new file (and, for SET LOGGED, "
        "writes the whole copy to the WAL, flooding replicas) while holding an ACCESS EXCLUSIVE lock: "
        "every read and write waits for the copy. An unlogged table is also emptied after a crash and "
        "is not replicated."
    ),
    fix=(
        "-- Decide persistence when the table is created; for an existing big table, build a new one and\n"
        "-- switch over (copy in batches, then rename in one short migration):\n"
        "CREATE TABLE events_logged (LIKE events INCLUDING ALL);"
    ),
    example="ALTER TABLE events SET LOGGED;",
    check=check_set_logged,
    subtypes=frozenset({"AT_SetLogged", "AT_SetUnLogged"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_domain_constraint(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("subtype") != "C":  # C: ADD CONSTRAINT
        return
    con = (node.get("def") or {}).get("Constraint") or {}
    key = qualified(node.get("typeName") or [])
    if con.get("skip_validation") or con.get("contype") not in ("CONSTR_CHECK", "CONSTR_NOTNULL"):
        return
    if key is None or key in ctx.domains_created:
        return
    name = f" {con['conname']}" if con.get("conname") else ""
    yield ctx.hit(
        f"ALTER DOMAIN {display(key)} ADD CONSTRAINT{name} checks every column of every table using the domain, "
        "each under a lock that blocks writes",
        location(con),
        fixes.domain_not_valid(ctx, key) if con.get("contype") == "CONSTR_CHECK" else None,
    )


DOMAIN_ADD_CONSTRAINT = Rule(
    id="domain-add-constraint",
    severity=Severity.ERROR,
    summary="ALTER DOMAIN … ADD CONSTRAINT without NOT VALID",
    why=(
        "Adding a constraint to a domain checks every value of every column, in every table, whose type "
        "is the domain: each table is scanned under a SHARE lock that blocks its writes, and one "
        "non-conforming row anywhere aborts the migration. A CHECK added NOT VALID applies to new "
        "values at once; ALTER DOMAIN … VALIDATE CONSTRAINT checks the old ones later without "
        "blocking writes."
    ),
    fix=(
        "ALTER DOMAIN email_address ADD CONSTRAINT email_address_check CHECK (VALUE ~ '@') NOT VALID;\n"
        "-- in the next migration file:\n"
        "ALTER DOMAIN email_address VALIDATE CONSTRAINT email_address_check;"
    ),
    example="ALTER DOMAIN email_address ADD CONSTRAINT email_address_check CHECK (VALUE ~ '@');",
    check=check_domain_constraint,
    kinds=frozenset({"AlterDomainStmt"}),
)

RULES = (
    REINDEX_NOT_CONCURRENT,
    DETACH_PARTITION_NOT_CONCURRENT,
    REFRESH_MATVIEW_NOT_CONCURRENT,
    LOCK_TABLE,
    SET_LOGGED_UNLOGGED,
    DOMAIN_ADD_CONSTRAINT,
)
