"""Transactions: CONCURRENTLY inside one, BEGIN/COMMIT in a wrapped file, new enum values used too early."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from migration_guard.migrations.naming import parse_name
from migration_guard.model import Migration, Severity, Statement
from migration_guard.rules import fixes
from migration_guard.rules.base import ExampleSetup, Hit, Rule
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


# What the Supabase CLI runs on its own, outside its per-file batch (pipeline-incompatible statements,
# CLI v2.109+; DROP INDEX CONCURRENTLY since supabase/cli#6276). DETACH PARTITION CONCURRENTLY is not
# in its list: the batch's implicit transaction still rejects it.
SUPABASE_CLI_STANDALONE = frozenset({"CREATE INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY", "REINDEX CONCURRENTLY"})


def supabase_cli_runs(ctx: Context) -> bool:
    """Does the Supabase CLI run this statement's file, in its batch (not in BEGIN … COMMIT or DO)?"""
    migration = ctx.migration
    assert migration is not None
    if not ctx.options.supabase or migration.no_transaction or ctx.in_do or ctx.in_block:
        return False
    return parse_name(migration.path.name).supabase


def check_concurrent_in_transaction(node: Node, ctx: Context) -> Iterator[Hit]:
    what = _concurrent(node, ctx.kind)
    if what is None or not ctx.transactional:
        return
    if what in SUPABASE_CLI_STANDALONE and supabase_cli_runs(ctx):
        return  # the CLI runs it outside its batch: concurrent-splits-migration says what that costs
    if ctx.in_do:
        where = "inside a DO block"
    elif ctx.in_block:
        where = "inside BEGIN … COMMIT"
    else:
        where = "in a file the runner wraps in a transaction"
    fix = None
    if not ctx.in_do and not ctx.in_block:
        statement = fixes.as_written(ctx)
        fix = fixes.NO_TRANSACTION + statement if statement else None
    yield ctx.hit(f"{what} cannot run {where}: PostgreSQL rejects it and the migration fails", fix=fix)


_CONCURRENT_KINDS = ("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")


CONCURRENT_IN_TRANSACTION = Rule(
    id="concurrent-in-transaction",
    severity=Severity.ERROR,
    summary="CONCURRENTLY in a migration that runs inside a transaction",
    why=(
        "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot "
        "run inside a transaction block: PostgreSQL raises an error and the deploy fails. Most runners "
        "(goose, Flyway, sqlx, Migration Guard's apply) wrap each file in a transaction unless told not "
        "to. The Supabase CLI (v2.109+) instead runs CREATE INDEX, REINDEX and (since supabase/cli#6276) "
        "DROP INDEX CONCURRENTLY on their own, outside its batch, so in a Supabase project those are "
        "reported by concurrent-splits-migration; inside BEGIN … COMMIT or a DO block, and DETACH "
        "PARTITION CONCURRENTLY anywhere, they still fail."
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


def _splits_from(stmt: Statement) -> bool:
    """Would this statement lose its atomicity next to a standalone one? SET / RESET lines do not
    matter, and the other concurrent statements run standalone themselves."""
    if stmt.kind in ("VariableSetStmt", "VariableShowStmt"):
        return False
    if stmt.kind in _CONCURRENT_KINDS and stmt.kind != "AlterTableStmt":
        return _concurrent(stmt.node, stmt.kind) not in SUPABASE_CLI_STANDALONE
    return True


def check_concurrent_splits(node: Node, ctx: Context) -> Iterator[Hit]:
    what = _concurrent(node, ctx.kind)
    if what not in SUPABASE_CLI_STANDALONE or not supabase_cli_runs(ctx):
        return
    migration = ctx.migration
    assert migration is not None
    if not any(_splits_from(st) for st in migration.statements):
        return  # alone in its file (with SET lines or other such statements): nothing to split from
    statement = fixes.as_written(ctx)
    yield ctx.hit(
        f"the Supabase CLI runs {what} on its own, outside the file's transaction: the statements before it "
        "are committed first and stay applied if anything after it fails, so the file is no longer atomic",
        fix=fixes.NO_TRANSACTION + statement if statement else None,
    )


CONCURRENT_SPLITS_MIGRATION = Rule(
    id="concurrent-splits-migration",
    severity=Severity.WARNING,
    summary="CONCURRENTLY mixed with other statements in a Supabase CLI migration",
    why=(
        "The Supabase CLI (v2.109+) runs CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DROP INDEX "
        "CONCURRENTLY (since supabase/cli#6276; older CLIs reject it) outside its per-file batch: it "
        "commits the statements before, runs the concurrent one alone, then goes on. If a later "
        "statement fails, the earlier ones stay applied while the migration is not recorded, and a "
        "failed concurrent build leaves an INVALID index behind; re-running the file then fails on what "
        "already exists."
    ),
    fix=(
        "-- Give the concurrent statement a file of its own (idempotent, so a retry is safe):\n"
        "-- migration-guard: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);"
    ),
    example=(
        "ALTER TABLE orders ADD COLUMN customer_id bigint;\n"
        "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);"
    ),
    check=check_concurrent_splits,
    subtypes=frozenset({"AT_DetachPartition"}),
    kinds=frozenset(_CONCURRENT_KINDS),
    extra=ExampleSetup(supabase=True),
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


_BEGINS = frozenset({"TRANS_STMT_BEGIN", "TRANS_STMT_START"})
_ENDS = frozenset({"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"})
_wrapped_memo: list[Any] = [None, False]  # [migration, wrapped?]: asked once per BEGIN, per file


def wrapped_whole(migration: Migration) -> bool:
    """Is the file exactly ``BEGIN; … COMMIT;`` (one block around everything, nothing else ending it)?"""
    if _wrapped_memo[0] is migration:
        return bool(_wrapped_memo[1])
    stmts = migration.statements
    result = False
    if len(stmts) >= 2 and stmts[0].kind == stmts[-1].kind == "TransactionStmt":
        first, last = stmts[0].node.get("kind"), stmts[-1].node.get("kind")
        inner = [s.node.get("kind") for s in stmts[1:-1] if s.kind == "TransactionStmt"]
        result = first in _BEGINS and last == "TRANS_STMT_COMMIT" and not any(
            k in _BEGINS or k in _ENDS for k in inner
        )
    _wrapped_memo[0], _wrapped_memo[1] = migration, result
    return result


def check_transaction_control(node: Node, ctx: Context) -> Iterator[Hit]:
    what = _CONTROL.get(node.get("kind", ""))
    assert ctx.migration is not None
    if what and not ctx.migration.no_transaction and not ctx.in_do and not wrapped_whole(ctx.migration):
        yield ctx.hit(f"{what} inside a migration the runner already wraps in a transaction")


TRANSACTION_CONTROL = Rule(
    id="transaction-control",
    severity=Severity.ERROR,
    summary="BEGIN / COMMIT / ROLLBACK inside a file the runner wraps in a transaction",
    why=(
        "The runner already opens a transaction per file and records the migration in its ledger in "
        "that same transaction. A COMMIT in the file ends it early: the statements before it stay "
        "applied even if a later one fails, the ledger row is written separately (or not at all), "
        "and the file can no longer be retried cleanly. BEGIN only produces a warning and nests nothing. "
        "(A file wrapped whole in one BEGIN … COMMIT is reported by transaction-wrapper instead.)"
    ),
    fix=(
        "-- Remove BEGIN/COMMIT: the runner's transaction already makes the file atomic.\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "-- If the file really must manage transactions itself, say so in its header:\n"
        "-- migration-guard: no-transaction"
    ),
    example="ALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\nALTER TABLE accounts ADD COLUMN tier text;",
    check=check_transaction_control,
    kinds=frozenset({"TransactionStmt"}),
)


# A string constant in pglast's JSON: {"A_Const":{"sval":{"sval":"refunded"},…}} ("sval" is always
# A_Const's first key when present; JSON escapes every quote inside a string, so this never matches
# inside one). These are exactly the values the rule's tree walk compares.
_SVAL = re.compile(r'"A_Const":\{"sval":\{"sval":"((?:[^"\\]|\\.)*)"')
_SVAL_KEY = '"A_Const":{"sval":{"sval":"'


def string_constants(tree: str) -> list[str]:
    """The values of the string constants (A_Const sval) in a statement's JSON, in order."""
    if "\\" in tree:  # an escaped quote ends no string: the regex knows escapes
        return [orjson.loads(f'"{m}"') if "\\" in m else m for m in _SVAL.findall(tree)]
    found: list[str] = []  # without a backslash, each string ends at the next quote: plain searches
    at = tree.find(_SVAL_KEY)
    while at != -1:
        start = at + len(_SVAL_KEY)
        end = tree.find('"', start)
        found.append(tree[start:end])
        at = tree.find(_SVAL_KEY, end)
    return found


_do_memo: list[Any] = [None, (), False]  # [DO statement, pending values tested, may use?]


def _may_use(stmt: Statement, pending: Mapping[str, str]) -> bool:
    """Can the statement use a pending enum value? One pass over its JSON, not one search per pending
    value (a long file that adds many values made that quadratic). DO blocks keep their body as text,
    so for them the body is searched."""
    if stmt.kind == "DoStmt":
        # The statements a DO block runs are tested against the DO's text: once per block, again only
        # when the pending values changed meanwhile (the tuple compare is cheaper than the searches).
        keys = tuple(pending)
        if _do_memo[0] is not stmt or _do_memo[1] != keys:
            _do_memo[0], _do_memo[1] = stmt, keys
            _do_memo[2] = any(map(stmt.sql.__contains__, pending))  # in C: a file may have hundreds pending
        return bool(_do_memo[2])
    tree = stmt.node_json
    if _SVAL_KEY not in tree:  # most statements hold no string constant: a plain search says so
        return False
    found = string_constants(tree)
    # The keys view tests each found string against the pending values (a set's isdisjoint would walk
    # every pending value for every statement: quadratic in a file that adds hundreds of values).
    return not pending.keys().isdisjoint(found)


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
    idle=lambda ctx: (
        not ctx.new_enum_values
        # A DO statement's own tree holds its body as a String, never an A_Const: only the statements
        # it runs (checked with their own kind) can use a value.
        or ctx.kind == "DoStmt"
        or ctx.stmt is None
        or not _may_use(ctx.stmt, ctx.new_enum_values)
    ),
)



def check_transaction_wrapper(node: Node, ctx: Context) -> Iterator[Hit]:
    assert ctx.migration is not None
    begin = node.get("kind") in _BEGINS and not ctx.migration.no_transaction and not ctx.in_do
    if begin and wrapped_whole(ctx.migration) and ctx.stmt is ctx.migration.statements[0]:
        yield ctx.hit(
            "the file is wrapped whole in BEGIN … COMMIT inside the runner's own transaction: the "
            "statements stay atomic, but the COMMIT ends the runner's transaction before it records the "
            "migration, so the ledger row is written on its own"
        )


TRANSACTION_WRAPPER = Rule(
    id="transaction-wrapper",
    severity=Severity.WARNING,
    summary="a wrapped migration file is itself wrapped whole in BEGIN … COMMIT",
    why=(
        "The runner already opens a transaction per file. An extra BEGIN at the top only draws a "
        "warning and the statements between BEGIN and the final COMMIT still apply all or nothing, but "
        "that COMMIT ends the runner's transaction: the runner then records the migration in its "
        "ledger (supabase_migrations.schema_migrations) separately. If that insert fails or the "
        "connection drops in between, the schema change is applied but not recorded, and the next "
        "deploy runs the file again."
    ),
    fix=(
        "-- Remove the outer BEGIN; and COMMIT;: the runner's transaction covers the file and its ledger row.\n"
        "ALTER TABLE accounts ADD COLUMN plan text;"
    ),
    example="BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;",
    check=check_transaction_wrapper,
    kinds=frozenset({"TransactionStmt"}),
)


def check_unbalanced_transaction(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not migration.no_transaction:
        return  # in a wrapped file every BEGIN / COMMIT is transaction-control's business
    for line, column in ctx.nested_begins:
        yield Hit(
            "BEGIN inside a transaction that is already open: PostgreSQL ignores it with a warning, and the "
            "first COMMIT ends both",
            line,
            column,
        )
    begins = [(line, column) for kind, line, column in ctx.transactions if kind in _BEGINS]
    if ctx.in_block and begins:
        line, column = begins[-1]
        yield Hit(
            "BEGIN without a matching COMMIT before the end of the file: the runner's session ends with the "
            "transaction open and everything after this BEGIN is rolled back (or committed by a later file)",
            line,
            column,
        )


UNBALANCED_TRANSACTION = Rule(
    id="unbalanced-transaction",
    severity=Severity.ERROR,
    summary="BEGIN without COMMIT, or a nested BEGIN, in a no-transaction file",
    why=(
        "In a file the runner does not wrap, the file manages its own transactions. A BEGIN that is "
        "never committed leaves the transaction open when the file ends: depending on the runner its "
        "statements are rolled back silently when the connection closes, or committed by whatever runs "
        "next. A second BEGIN inside an open one is ignored by PostgreSQL (with a warning), so the first "
        "COMMIT ends both and the statements meant to be atomic together are not."
    ),
    fix=(
        "-- migration-guard: no-transaction\n"
        "BEGIN;\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "COMMIT;\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_plan_idx ON accounts (plan);"
    ),
    example="-- migration-guard: no-transaction\nBEGIN;\nALTER TABLE accounts ADD COLUMN plan text;",
    check=check_unbalanced_transaction,
)

RULES = (
    CONCURRENT_IN_TRANSACTION,
    CONCURRENT_SPLITS_MIGRATION,
    TRANSACTION_CONTROL,
    TRANSACTION_WRAPPER,
    UNBALANCED_TRANSACTION,
    ENUM_ADD_VALUE_IN_TRANSACTION,
)
