"""Transactions: CONCURRENTLY inside one, BEGIN/COMMIT in a wrapped file, new enum values used too early."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import orjson

from migration_guard.model import Severity, Statement
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, alter_cmds, def_options, walk


def _concurrent(kind_node: Node, kind: str) -> str | None:
    if kind == "IndexStmt" and kind_node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and kind_node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and "concurrently" in def_options(kind_node.get("params")):
        return "REINDEX CONCURRENTLY"
    if kind == "AlterTableStmt":
        for cmd in alter_cmds(kind_node).get("AT_DetachPartition", ()):
            part = (cmd.get("def") or {}).get("PartitionCmd") or {}
            if part.get("concurrent"):
                return "DETACH PARTITION CONCURRENTLY"
    return None


def check_concurrent_in_transaction(node: Node, ctx: Context) -> Iterator[Hit]:
    what = _concurrent(node, ctx.kind)
    if what is None or not ctx.transactional:
        return
    if ctx.in_do:
        where = "inside a DO block"
    elif ctx.in_block:
        where = "inside BEGIN … COMMIT"
    else:
        where = "in a file the runner wraps in a transaction"
    fix = None
    if not ctx.in_do and not ctx.in_block and ctx.stmt is not None:
        # The statement is right as written, only misplaced: its own text (no deparse: it cost
        # ~0.25 ms a finding, most of lint's time on a file with thousands of them).
        fix = fixes.NO_TRANSACTION + ctx.stmt.sql.rstrip().rstrip(";") + ";"
    yield ctx.hit(f"{what} cannot run {where}: PostgreSQL rejects it and the migration fails", fix=fix)


_CONCURRENT_KINDS = ("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")


CONCURRENT_IN_TRANSACTION = Rule(
    id="concurrent-in-transaction",
    severity=Severity.ERROR,
    summary="CONCURRENTLY in a migration that runs inside a transaction",
    why=(
        "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot "
        "run inside a transaction block: PostgreSQL raises an error and the deploy fails. Migration "
        "runners (the Supabase CLI, Migration Guard) wrap each file in a transaction unless told not to."
    ),
    fix=(
        "-- Put the statement in its own migration file that the runner does not wrap:\n"
        "-- migration-guard: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);"
    ),
    example="CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);",
    check=check_concurrent_in_transaction,
    subtypes=frozenset({"AT_DetachPartition"}),
    kinds=frozenset(_CONCURRENT_KINDS),
)

_CONTROL = {
    "TRANS_STMT_BEGIN": "BEGIN",
    "TRANS_STMT_START": "START TRANSACTION",
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}


def check_transaction_control(node: Node, ctx: Context) -> Iterator[Hit]:
    what = _CONTROL.get(node.get("kind", ""))
    assert ctx.migration is not None
    if what and not ctx.migration.no_transaction:
        yield ctx.hit(f"{what} inside a migration the runner already wraps in a transaction")


TRANSACTION_CONTROL = Rule(
    id="transaction-control",
    severity=Severity.ERROR,
    summary="BEGIN / COMMIT / ROLLBACK inside a file the runner wraps in a transaction",
    why=(
        "The runner already opens a transaction per file and records the migration in its ledger in "
        "that same transaction. A COMMIT in the file ends it early: the statements before it stay "
        "applied even if a later one fails, the ledger row is written separately (or not at all), "
        "and the file can no longer be retried cleanly. BEGIN only produces a warning and nests nothing."
    ),
    fix=(
        "-- Remove BEGIN/COMMIT: the runner's transaction already makes the file atomic.\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "-- If the file really must manage transactions itself, say so in its header:\n"
        "-- migration-guard: no-transaction"
    ),
    example="BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;",
    check=check_transaction_control,
    kinds=frozenset({"TransactionStmt"}),
)


# A string constant in pglast's JSON: {"sval":"refunded"} (identifiers too: a superset is fine here).
_SVAL = re.compile(r'"sval":"((?:[^"\\]|\\.)*)"')


def _may_use(stmt: Statement, pending: Mapping[str, str]) -> bool:
    """Can the statement mention a pending enum value? One pass over its JSON, not one search per
    pending value (a long file that adds many values made that quadratic). DO blocks keep their body
    as text, so for them the body is searched."""
    if stmt.kind == "DoStmt":
        return any(value in stmt.sql for value in pending)
    found = {orjson.loads(f'"{m}"') if "\\" in m else m for m in _SVAL.findall(stmt.node_json)}
    return not found.isdisjoint(pending)


def check_enum_value_used(node: Node, ctx: Context) -> Iterator[Hit]:
    pending = ctx.new_enum_values
    if not pending or "newVal" in node:
        return
    stmt = ctx.stmt
    assert stmt is not None
    if not _may_use(stmt, pending):  # cheap test before walking the tree
        return
    for kind, value in walk(node):
        if kind == "A_Const" and "sval" in value:
            text = value["sval"].get("sval", "")
            if text in pending:
                yield ctx.hit(
                    f"enum value '{text}' added to {pending[text]} is used in the same transaction: "
                    "PostgreSQL raises 'unsafe use of new value'",
                    value.get("location"),
                )
                return


ENUM_ADD_VALUE_IN_TRANSACTION = Rule(
    id="enum-add-value-in-transaction",
    severity=Severity.WARNING,
    summary="new enum value used in the same transaction that adds it",
    why=(
        "ALTER TYPE … ADD VALUE can run in a transaction since PostgreSQL 12, but the new value cannot "
        "be used until that transaction commits: an INSERT, UPDATE, DEFAULT or index predicate using "
        "it fails with 'unsafe use of new value', and the whole migration rolls back."
    ),
    fix=(
        "-- Migration 1 (committed on its own):\n"
        "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';\n"
        "-- Migration 2 (a later file):\n"
        "UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;"
    ),
    example=(
        "ALTER TYPE order_status ADD VALUE 'refunded';\n"
        "UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;"
    ),
    check=check_enum_value_used,
    kinds=frozenset({"*"}),
)

RULES = (CONCURRENT_IN_TRANSACTION, TRANSACTION_CONTROL, ENUM_ADD_VALUE_IN_TRANSACTION)
