"""Constraints added to existing tables: validated in one blocking step unless NOT VALID / USING INDEX."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import EXISTING, Context
from migration_guard.rules.nodes import (
    Node,
    alter_cmds,
    column_constraints,
    default_expr,
    display,
    location,
    strings,
    table_key,
)

_existing_memo: list[Any] = [None, None]  # [node, answer]: the constraint rules of one statement share it


def _existing(node: Node, ctx: Context) -> tuple[str, str] | None:
    """The ALTER TABLE's table when it existed before this change (None for a new one)."""
    if _existing_memo[0] is node:  # the memo holds the node, so an equal id is the same statement
        found: tuple[str, str] | None = _existing_memo[1]
        return found
    found = None
    if node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
        key = table_key(node.get("relation"))
        found = None if key is None or ctx.is_new(key) else key
    _existing_memo[0], _existing_memo[1] = node, found
    return found


def _added_constraints(node: Node, ctx: Context) -> Iterator[tuple[Node, tuple[str, str]]]:
    key = _existing(node, ctx)
    if key is None:
        return
    for cmd in alter_cmds(node).get("AT_AddConstraint", ()):
        con = (cmd.get("def") or {}).get("Constraint")
        if con:
            yield con, key


def _inline_constraints(node: Node, ctx: Context) -> Iterator[tuple[Node, Node, tuple[str, str]]]:
    """(constraint, column definition, table) for constraints written inline in ADD COLUMN."""
    key = _existing(node, ctx)
    if key is None:
        return
    for cmd in alter_cmds(node).get("AT_AddColumn", ()):
        coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
        for con in column_constraints(coldef):
            yield con, coldef, key


def _has_default(coldef: Node) -> bool:
    expr = default_expr(coldef)
    if expr is None:
        return any(c.get("contype") in ("CONSTR_IDENTITY", "CONSTR_GENERATED") for c in column_constraints(coldef))
    const = expr.get("A_Const") or {}
    return not const.get("isnull")  # DEFAULT NULL fills nothing in: every row passes the check


def _name(con: Node) -> str:
    return f" {con['conname']}" if con.get("conname") else ""


def check_fk_not_valid(node: Node, ctx: Context) -> Iterator[Hit]:
    for con, key in _added_constraints(node, ctx):
        if con.get("contype") == "CONSTR_FOREIGN" and not con.get("skip_validation"):
            ref = table_key(con.get("pktable"))
            other = display(ref) if ref else "the referenced table"
            yield ctx.hit(
                f"FOREIGN KEY{_name(con)} on {display(key)} is validated at once, locking "
                f"{display(key)} and {other} against writes; add it NOT VALID",
                location(con),
                fixes.not_valid_constraints(ctx, key),
            )
    for con, coldef, key in _inline_constraints(node, ctx):
        if con.get("contype") == "CONSTR_FOREIGN" and _has_default(coldef):
            col = coldef.get("colname", "")
            yield ctx.hit(
                f"ADD COLUMN {col} … REFERENCES with a default on {display(key)} checks the default of every "
                "existing row against the referenced table while both are locked against writes; add the column, "
                "then the foreign key NOT VALID",
                location(con),
                fixes.inline_constraint(ctx, key, coldef.get("colname", ""), con.get("contype", "")),
            )


FOREIGN_KEY_NOT_VALID = Rule(
    id="foreign-key-not-valid",
    severity=Severity.ERROR,
    summary="foreign key added to an existing table without NOT VALID",
    why=(
        "ADD FOREIGN KEY (or ADD COLUMN … REFERENCES with a default) checks every existing row while "
        "holding a SHARE ROW EXCLUSIVE lock on both the table and the referenced table: inserts, "
        "updates and deletes on both wait for the whole scan. Added NOT VALID, the constraint applies "
        "to new rows at once and the check of old rows (VALIDATE CONSTRAINT, in a later migration) only "
        "takes locks that let writes continue."
    ),
    fix=(
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "-- in the next migration (or after the first commits):\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;"
    ),
    example=(
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id);"
    ),
    check=check_fk_not_valid,
    subtypes=frozenset({"AT_AddConstraint", "AT_AddColumn"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_check_not_valid(node: Node, ctx: Context) -> Iterator[Hit]:
    for con, key in _added_constraints(node, ctx):
        if con.get("contype") == "CONSTR_CHECK" and not con.get("skip_validation"):
            yield ctx.hit(
                f"CHECK{_name(con)} on {display(key)} scans the whole table under ACCESS EXCLUSIVE; add it NOT VALID",
                location(con),
                fixes.not_valid_constraints(ctx, key),
            )
    for con, coldef, key in _inline_constraints(node, ctx):
        if con.get("contype") == "CONSTR_CHECK":
            col = coldef.get("colname", "")
            yield ctx.hit(
                f"ADD COLUMN {col} … CHECK on {display(key)} scans the whole table under ACCESS EXCLUSIVE; "
                "add the column, then the CHECK NOT VALID",
                location(con),
                fixes.inline_constraint(ctx, key, coldef.get("colname", ""), con.get("contype", "")),
            )


CHECK_CONSTRAINT_NOT_VALID = Rule(
    id="check-constraint-not-valid",
    severity=Severity.ERROR,
    summary="CHECK constraint added to an existing table without NOT VALID",
    why=(
        "ADD CONSTRAINT … CHECK (also inline in ADD COLUMN) scans every row while holding an ACCESS "
        "EXCLUSIVE lock: all reads and writes of the table wait until the scan ends. NOT VALID "
        "enforces it for new rows at once; VALIDATE CONSTRAINT, in a later migration, then checks old "
        "rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue."
    ),
    fix=(
        "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\n"
        "-- in the next migration (VALIDATE in the same transaction would scan under the ADD's lock):\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;"
    ),
    example="ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);",
    check=check_check_not_valid,
    subtypes=frozenset({"AT_AddConstraint", "AT_AddColumn"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_unique_without_index(node: Node, ctx: Context) -> Iterator[Hit]:
    for con, key in _added_constraints(node, ctx):
        contype = con.get("contype")
        if contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not con.get("indexname"):
            what = "PRIMARY KEY" if contype == "CONSTR_PRIMARY" else "UNIQUE"
            yield ctx.hit(
                f"{what}{_name(con)} on {display(key)} builds its index under ACCESS EXCLUSIVE; "
                "build it CONCURRENTLY and add the constraint USING INDEX",
                location(con),
                fixes.unique_using_index(key, con.get("conname"), strings(con.get("keys")), contype == "CONSTR_PRIMARY")
                if con.get("keys")
                else None,
            )
    for con, coldef, key in _inline_constraints(node, ctx):
        contype = con.get("contype")
        if contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY"):
            what = "PRIMARY KEY" if contype == "CONSTR_PRIMARY" else "UNIQUE"
            col = coldef.get("colname", "")
            yield ctx.hit(
                f"ADD COLUMN {col} … {what} on {display(key)} builds a unique index under ACCESS EXCLUSIVE; "
                "add the column, build the index CONCURRENTLY, then add the constraint USING INDEX",
                location(con),
                fixes.inline_constraint(ctx, key, coldef.get("colname", ""), con.get("contype", "")),
            )


UNIQUE_CONSTRAINT_WITHOUT_INDEX = Rule(
    id="unique-constraint-without-index",
    severity=Severity.ERROR,
    summary="ADD UNIQUE / PRIMARY KEY on an existing table builds its index while blocking",
    why=(
        "Adding a UNIQUE or PRIMARY KEY constraint (also inline in ADD COLUMN) builds a unique index "
        "while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits for the whole "
        "build. Building the index CONCURRENTLY first and attaching it with USING INDEX only needs a "
        "brief lock. For a PRIMARY KEY, USING INDEX is only instant when the key columns are already "
        "NOT NULL; otherwise it scans the table to set NOT NULL (see primary-key-on-nullable-columns)."
    ),
    fix=(
        "-- migration 1 (-- migration-guard: no-transaction):\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email);\n"
        "-- migration 2:\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;"
    ),
    example="ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
    check=check_unique_without_index,
    subtypes=frozenset({"AT_AddConstraint", "AT_AddColumn"}),
    kinds=frozenset({"AlterTableStmt"}),
)



def check_validate_same_transaction(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    if key is None or not ctx.not_valid_open or not ctx.transactional:
        return
    for cmd in alter_cmds(node).get("AT_ValidateConstraint", ()):
        name = cmd.get("name", "")
        if (key, name) in ctx.not_valid_open or (key, "") in ctx.not_valid_open:
            yield ctx.hit(
                f"VALIDATE CONSTRAINT {name} on {display(key)} runs in the transaction that added it NOT VALID: "
                "the scan runs while the ADD's lock is still held, so NOT VALID gained nothing",
                fix=(
                    f"-- Commit the ADD … NOT VALID first; in the next migration file:\n"
                    f"ALTER TABLE {fixes.qualified(key)} VALIDATE CONSTRAINT {fixes.ident(name)};"
                ),
            )


VALIDATE_IN_SAME_TRANSACTION = Rule(
    id="validate-in-same-transaction",
    severity=Severity.ERROR,
    summary="VALIDATE CONSTRAINT in the same transaction as its ADD … NOT VALID",
    why=(
        "ADD CONSTRAINT … NOT VALID takes its lock (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on "
        "both tables for a foreign key) and keeps it until the transaction commits. A VALIDATE in the "
        "same migration file therefore scans every row while that lock is still held: reads or writes "
        "wait for the whole scan, exactly as without NOT VALID. Only a VALIDATE in a later transaction "
        "runs under the weaker SHARE UPDATE EXCLUSIVE lock."
    ),
    fix=(
        "-- migration 1:\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "-- migration 2 (a later file, its own transaction):\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;"
    ),
    example=(
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;"
    ),
    check=check_validate_same_transaction,
    subtypes=frozenset({"AT_ValidateConstraint"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def _pk_columns(con: Node, ctx: Context, key: tuple[str, str]) -> tuple[str, ...]:
    keys = tuple(strings(con.get("keys")))
    if not keys and con.get("indexname"):
        index = ctx.indexes.get((key[0], con["indexname"]))
        keys = index.columns if index else ()
    return keys


def check_primary_key_nullable(node: Node, ctx: Context) -> Iterator[Hit]:
    for con, key in _added_constraints(node, ctx):
        if con.get("contype") != "CONSTR_PRIMARY":
            continue
        table = ctx.table(key)
        if table is None or table.file == EXISTING:
            # Columns never seen: only USING INDEX is worth a word (its whole point is to be instant).
            if con.get("indexname"):
                yield ctx.hit(
                    f"PRIMARY KEY USING INDEX {con['indexname']} on {display(key)} is instant only if the key "
                    "columns are already NOT NULL; otherwise it scans the table under ACCESS EXCLUSIVE",
                    location(con),
                )
            continue
        cols = _pk_columns(con, ctx, key)
        nullable = [c for c in cols if c not in table.not_null and c not in table.validated_not_null]
        if not nullable:
            continue
        how = f" USING INDEX {con['indexname']}" if con.get("indexname") else ""
        yield ctx.hit(
            f"PRIMARY KEY{how} on {display(key)} makes {', '.join(nullable)} NOT NULL: a full scan under "
            "ACCESS EXCLUSIVE, even with an index built CONCURRENTLY beforehand",
            location(con),
            fixes.primary_key_after_not_null(key, nullable, con.get("indexname") or None),
        )


PRIMARY_KEY_ON_NULLABLE_COLUMNS = Rule(
    id="primary-key-on-nullable-columns",
    severity=Severity.ERROR,
    summary="ADD PRIMARY KEY (also USING INDEX) on columns that may hold NULL",
    why=(
        "A primary key implies NOT NULL. When a key column is nullable, ADD PRIMARY KEY, even USING "
        "INDEX with an index built CONCURRENTLY, first sets NOT NULL, which scans every row under the "
        "ACCESS EXCLUSIVE lock of the ALTER TABLE. USING INDEX is instant only when every key column is "
        "already NOT NULL (or a validated CHECK (col IS NOT NULL) proves it, PostgreSQL 12+). UNIQUE "
        "USING INDEX needs no NOT NULL and is always instant."
    ),
    fix=(
        "-- migration 1: prove the column has no NULLs without blocking writes\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_id_not_null CHECK (id IS NOT NULL) NOT VALID;\n"
        "-- migration 2:\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_id_not_null;\n"
        "ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;  -- instant: uses the validated check\n"
        "-- migration 3 (index built CONCURRENTLY in its own no-transaction file before):\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey;"
    ),
    example="ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_id_idx;",
    check=check_primary_key_nullable,
    subtypes=frozenset({"AT_AddConstraint"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_exclusion_constraint(node: Node, ctx: Context) -> Iterator[Hit]:
    for con, key in _added_constraints(node, ctx):
        if con.get("contype") == "CONSTR_EXCLUSION":
            yield ctx.hit(
                f"EXCLUDE constraint{_name(con)} on {display(key)} builds its index and checks every row under "
                "ACCESS EXCLUSIVE; there is no NOT VALID or USING INDEX form",
                location(con),
            )


EXCLUSION_CONSTRAINT = Rule(
    id="exclusion-constraint",
    severity=Severity.ERROR,
    summary="ADD … EXCLUDE on an existing table",
    why=(
        "An exclusion constraint builds its index (usually GiST) and checks every existing row against "
        "every other while holding an ACCESS EXCLUSIVE lock: all reads and writes wait for the whole "
        "build. Unlike UNIQUE and FOREIGN KEY there is no NOT VALID or USING INDEX form to split it up."
    ),
    fix=(
        "-- Add it while the table is new and empty (in the migration that creates it), or accept the\n"
        "-- lock in a maintenance window with a short lock_timeout and a reasoned suppression:\n"
        "SET lock_timeout = '2s';\n"
        "-- migration-guard: allow exclusion-constraint -- table has 2k rows, built in < 1 s\n"
        "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);"
    ),
    example="ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&);",
    check=check_exclusion_constraint,
    subtypes=frozenset({"AT_AddConstraint"}),
    kinds=frozenset({"AlterTableStmt"}),
)

RULES = (
    FOREIGN_KEY_NOT_VALID,
    CHECK_CONSTRAINT_NOT_VALID,
    UNIQUE_CONSTRAINT_WITHOUT_INDEX,
    VALIDATE_IN_SAME_TRANSACTION,
    PRIMARY_KEY_ON_NULLABLE_COLUMNS,
    EXCLUSION_CONSTRAINT,
)
