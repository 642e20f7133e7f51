"""Constraints added to existing tables: validated in one blocking step unless NOT VALID / USING INDEX."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, alter_cmds, display, location, strings, table_key


def _added_constraints(node: Node, ctx: Context) -> Iterator[tuple[Node, tuple[str, str]]]:
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    key = table_key(node.get("relation"))
    if key is None or ctx.is_new(key):
        return
    for cmd in alter_cmds(node).get("AT_AddConstraint", ()):
        con = (cmd.get("def") or {}).get("Constraint")
        if con:
            yield con, key


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


FOREIGN_KEY_NOT_VALID = Rule(
    id="foreign-key-not-valid",
    severity=Severity.ERROR,
    summary="foreign key added to an existing table without NOT VALID",
    why=(
        "ADD FOREIGN KEY checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both "
        "the table and the referenced table: inserts, updates and deletes on both wait for the whole "
        "scan. Added NOT VALID, the constraint applies to new rows at once and the check of old rows "
        "(VALIDATE CONSTRAINT) only takes locks that let writes continue."
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
    subtypes=frozenset({"AT_AddConstraint"}),
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


CHECK_CONSTRAINT_NOT_VALID = Rule(
    id="check-constraint-not-valid",
    severity=Severity.ERROR,
    summary="CHECK constraint added to an existing table without NOT VALID",
    why=(
        "ADD CONSTRAINT … CHECK scans every row while holding an ACCESS EXCLUSIVE lock: all reads "
        "and writes of the table wait until the scan ends. NOT VALID enforces it for new rows at "
        "once; VALIDATE CONSTRAINT then checks old rows under SHARE UPDATE EXCLUSIVE, which lets "
        "reads and writes continue."
    ),
    fix=(
        "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;"
    ),
    example="ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);",
    check=check_check_not_valid,
    subtypes=frozenset({"AT_AddConstraint"}),
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


UNIQUE_CONSTRAINT_WITHOUT_INDEX = Rule(
    id="unique-constraint-without-index",
    severity=Severity.ERROR,
    summary="ADD UNIQUE / PRIMARY KEY on an existing table builds its index while blocking",
    why=(
        "Adding a UNIQUE or PRIMARY KEY constraint builds a unique index while holding an ACCESS "
        "EXCLUSIVE lock: every read and write of the table waits for the whole build. Building the "
        "index CONCURRENTLY first and attaching it with USING INDEX only needs a brief lock."
    ),
    fix=(
        "-- migration 1 (-- migration-guard: no-transaction):\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email);\n"
        "-- migration 2:\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;"
    ),
    example="ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
    check=check_unique_without_index,
    subtypes=frozenset({"AT_AddConstraint"}),
    kinds=frozenset({"AlterTableStmt"}),
)

RULES = (FOREIGN_KEY_NOT_VALID, CHECK_CONSTRAINT_NOT_VALID, UNIQUE_CONSTRAINT_WITHOUT_INDEX)
