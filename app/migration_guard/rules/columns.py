"""ALTER TABLE column changes on existing tables: type changes, new columns, NOT NULL."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Column, Context
from migration_guard.rules.nodes import (
    Node,
    alter_cmds,
    column_constraints,
    display,
    location,
    table_key,
    type_name,
    typmods,
)
from migration_guard.rules.volatility import default_volatility

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


def _existing_cmds(node: Node, ctx: Context, subtype: str) -> Iterator[tuple[Node, tuple[str, str]]]:
    """The ALTER TABLE sub-commands of one type, only when the table exists (not created in this file)."""
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    key = table_key(node.get("relation"))
    if key is None or ctx.is_new(key):
        return
    for cmd in alter_cmds(node).get(subtype, ()):
        yield cmd, key


# Type changes PostgreSQL makes without rewriting the table (binary-coercible, nothing narrowed).
# Each claim is checked on a real server in tests/rules/test_type_changes_server.py (relfilenode
# of the table and of an index on the column unchanged).
_CASE_INSENSITIVE = frozenset({"citext", "extensions.citext", "public.citext"})
_PRECISION = frozenset({"timestamp", "timestamptz", "time", "timetz", "interval"})


def _widens(old: tuple[int, ...] | None, new: tuple[int, ...] | None) -> bool:
    """A precision / length modifier that allows at least every old value (None = unlimited)."""
    if new is None:
        return True
    if old is None or len(old) != len(new):
        return False
    return old[:-1] == new[:-1] and new[-1] >= old[-1]  # interval keeps its field mask first


def binary_coercible(old: Column, new_type: str, new_mods: tuple[int, ...] | None) -> str | None:
    """None when the change needs no table rewrite; else the reason it does. ``"index"`` when only
    indexes on the column are rebuilt (text ↔ citext: another collation and operator class)."""
    if old.type == new_type:
        if old.mods == new_mods:
            return None
        if old.type in ("varchar", "varbit", "bit varying", "numeric") or old.type in _PRECISION:
            if old.type == "numeric" and new_mods is not None and old.mods is not None:
                return None if old.mods[1:] == new_mods[1:] and new_mods[0] >= old.mods[0] else "rewrite"
            return None if _widens(old.mods, new_mods) else "rewrite"
        return "rewrite"
    if old.type in ("varchar", "text") and new_type in ("varchar", "text"):
        # varchar(n) → text / varchar: no limit, no check; text → varchar(n) checks every value.
        return None if new_type == "text" or new_mods is None else "rewrite"
    textual = old.type in ("varchar", "text") or old.type in _CASE_INSENSITIVE
    if textual and (new_type in _CASE_INSENSITIVE or new_type in ("varchar", "text")) and new_mods is None:
        return "index"
    if old.type == "cidr" and new_type == "inet":
        return None
    return "rewrite"


def _show_type(name: str, mods: tuple[int, ...] | None) -> str:
    return f"{name}({', '.join(map(str, mods))})" if mods else name


def check_column_type_change(node: Node, ctx: Context) -> Iterator[Hit]:
    for cmd, key in _existing_cmds(node, ctx, "AT_AlterColumnType"):
        coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
        tn = coldef.get("typeName")
        new_type, new_mods = type_name(tn), typmods(tn)
        col = cmd.get("name", "")
        table = ctx.table(key)
        old = table.columns.get(col) if table else None
        target = _show_type(new_type, new_mods)
        fix = fixes.type_change(key, col, target)
        if coldef.get("raw_default") is not None:
            msg = f"changing {display(key)}.{col} to {target} USING an expression rewrites the table"
        elif old is None or table is None:
            msg = (
                f"changing {display(key)}.{col} to {target} can rewrite the table "
                "(its current type is not known from the migrations)"
            )
        else:
            before = _show_type(old.type, old.mods)
            verdict = binary_coercible(old, new_type, new_mods)
            if verdict == "index" and col not in table.indexed:
                verdict = None  # text ↔ citext only rebuilds indexes, and the column has none
            if verdict is None:
                if col not in table.checked or (old.type == new_type and old.mods == new_mods):
                    continue
                msg = (
                    f"changing {display(key)}.{col} from {before} to {target} needs no rewrite, but every CHECK "
                    "constraint on the column is re-checked with a full scan under ACCESS EXCLUSIVE"
                )
            elif verdict == "index":
                msg = (
                    f"changing {display(key)}.{col} from {before} to {target} rebuilds every index on the column "
                    "under ACCESS EXCLUSIVE (another collation and operator class)"
                )
            else:
                msg = f"changing {display(key)}.{col} from {before} to {target} rewrites or scans the table"
        yield ctx.hit(msg, location(coldef), fix)


COLUMN_TYPE_CHANGE = Rule(
    id="column-type-change",
    severity=Severity.ERROR,
    summary="ALTER COLUMN … TYPE that rewrites the table or can fail",
    why=(
        "Most type changes rewrite the whole table and rebuild its indexes while holding an ACCESS "
        "EXCLUSIVE lock: every read and write waits for minutes on a big table. Narrowing changes "
        "scan it and fail on the first value that does not fit, and code running the previous "
        "release may send values of the old type. Safe without rewrite (checked on a real server): the "
        "same type; varchar(n) → text, varchar, varchar(m ≥ n); text → varchar; numeric(p,s) → "
        "numeric(q ≥ p, s); a precision increase (or removal) for timestamp, timestamptz, time, timetz "
        "and interval; cidr → inet; varchar/text ↔ citext when no index covers the column (indexes are "
        "rebuilt otherwise). Even these re-check the column's CHECK constraints with a full scan."
    ),
    fix=(
        "-- 1. Add a new column with the new type:\n"
        "ALTER TABLE orders ADD COLUMN amount_new numeric(12, 2);\n"
        "-- 2. Deploy code writing both columns; backfill in batches:\n"
        "UPDATE orders SET amount_new = amount WHERE id BETWEEN 1 AND 10000 AND amount_new IS NULL;\n"
        "-- 3. Deploy code reading the new column, then swap names in one migration:\n"
        "ALTER TABLE orders RENAME COLUMN amount TO amount_old;\n"
        "ALTER TABLE orders RENAME COLUMN amount_new TO amount;"
    ),
    example="ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12, 2);",
    check=check_column_type_change,
    subtypes=frozenset({"AT_AlterColumnType"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def _rewrite_reason(coldef: Node) -> tuple[str, int | None] | None:
    """Why adding this column rewrites the table (None when the default is stored once)."""
    type_ = type_name(coldef.get("typeName"))
    if type_ in SERIAL_TYPES:
        return f"{type_} fills every existing row from a sequence (nextval() is volatile)", location(coldef)
    for con in column_constraints(coldef):
        contype = con.get("contype")
        if contype == "CONSTR_IDENTITY":
            return "an identity column fills every existing row from a sequence", location(con)
        if contype == "CONSTR_GENERATED":
            return "a STORED generated column is computed for every existing row", location(con)
        if contype == "CONSTR_DEFAULT":
            verdict = default_volatility(con.get("raw_expr"))
            if verdict.volatile:
                return verdict.reason, location(con)
    return None


def _old_server_default(coldef: Node, ctx: Context) -> tuple[str, int | None] | None:
    """Before PostgreSQL 11 every non-NULL default, even a constant, is written into every row."""
    version = ctx.options.pg_version
    if version is None or version >= 11:
        return None
    for con in column_constraints(coldef):
        expr = con.get("raw_expr") or {}
        if con.get("contype") == "CONSTR_DEFAULT" and not (expr.get("A_Const") or {}).get("isnull"):
            return f"before PostgreSQL 11 (pg-version {version}) every default is written into every row", location(con)
    return None


def check_volatile_default(node: Node, ctx: Context) -> Iterator[Hit]:
    for cmd, key in _existing_cmds(node, ctx, "AT_AddColumn"):
        coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
        reason = _rewrite_reason(coldef) or _old_server_default(coldef, ctx)
        if reason:
            text, loc = reason
            yield ctx.hit(
                f"adding {display(key)}.{coldef.get('colname')} rewrites the table under ACCESS EXCLUSIVE: {text}",
                loc,
                fixes.column_then_default(ctx, key, coldef),
            )


ADD_COLUMN_VOLATILE_DEFAULT = Rule(
    id="add-column-volatile-default",
    severity=Severity.ERROR,
    summary="ADD COLUMN with a volatile default rewrites the whole table",
    why=(
        "Since PostgreSQL 11 a constant or stable default (a literal, now(), current_timestamp) is "
        "stored once and ADD COLUMN is instant. A volatile default (gen_random_uuid(), random(), "
        "clock_timestamp(), nextval() from serial/identity) must be computed per row: the table and "
        "its indexes are rewritten while an ACCESS EXCLUSIVE lock blocks all reads and writes. With "
        "the project's `pg-version` below 11, every non-NULL default is flagged (it rewrites there)."
    ),
    fix=(
        "-- 1. Add the column without a default (instant):\n"
        "ALTER TABLE accounts ADD COLUMN public_id uuid;\n"
        "-- 2. Set the default for new rows only (instant):\n"
        "ALTER TABLE accounts ALTER COLUMN public_id SET DEFAULT gen_random_uuid();\n"
        "-- 3. Backfill existing rows in batches, in a separate data migration:\n"
        "UPDATE accounts SET public_id = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND public_id IS NULL;"
    ),
    example="ALTER TABLE accounts ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
    check=check_volatile_default,
    subtypes=frozenset({"AT_AddColumn"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_not_null_without_default(node: Node, ctx: Context) -> Iterator[Hit]:
    for cmd, key in _existing_cmds(node, ctx, "AT_AddColumn"):
        coldef = (cmd.get("def") or {}).get("ColumnDef") or {}
        if type_name(coldef.get("typeName")) in SERIAL_TYPES:
            continue  # filled from a sequence (add-column-volatile-default covers the rewrite)
        types = {c.get("contype") for c in column_constraints(coldef)}
        if "CONSTR_NOTNULL" in types and not types & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}:
            yield ctx.hit(
                f"adding NOT NULL column {display(key)}.{coldef.get('colname')} without a default fails "
                "if the table has any row",
                location(coldef),
            )


ADD_NOT_NULL_COLUMN_WITHOUT_DEFAULT = Rule(
    id="add-not-null-column-without-default",
    severity=Severity.ERROR,
    summary="ADD COLUMN … NOT NULL without a default fails on a non-empty table",
    why=(
        "Existing rows would get NULL in the new column, which the NOT NULL constraint forbids, so "
        "PostgreSQL aborts with 'column contains null values' as soon as the table has one row. It "
        "passes on an empty development database and fails in production."
    ),
    fix=(
        "-- Either give it a constant default (instant since PostgreSQL 11):\n"
        "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
        "-- or add it nullable, backfill, then enforce NOT NULL safely:\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;  -- in batches, separate migration\n"
        "ALTER TABLE accounts ADD CONSTRAINT accounts_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;\n"
        "-- in the next migration file:\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_not_null;\n"
        "ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;"
    ),
    example="ALTER TABLE accounts ADD COLUMN plan text NOT NULL;",
    check=check_not_null_without_default,
    subtypes=frozenset({"AT_AddColumn"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_set_not_null(node: Node, ctx: Context) -> Iterator[Hit]:
    for cmd, key in _existing_cmds(node, ctx, "AT_SetNotNull"):
        table = ctx.table(key)
        col = cmd.get("name", "")
        proven = col in table.validated_not_null if table is not None else False
        if proven and ctx.options.pg_version is not None and ctx.options.pg_version < 12:
            proven = False  # PostgreSQL 11 and older scan anyway
        if table is not None and (proven or col in table.not_null):
            continue  # a validated CHECK implying NOT NULL lets PostgreSQL 12+ skip the scan (or it is set)
        yield ctx.hit(
            f"SET NOT NULL on {display(key)}.{col} scans the whole table under ACCESS EXCLUSIVE",
            fix=fixes.set_not_null(key, col),
        )


SET_NOT_NULL = Rule(
    id="set-not-null",
    severity=Severity.ERROR,
    summary="SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
    why=(
        "ALTER COLUMN … SET NOT NULL checks every row while holding ACCESS EXCLUSIVE: all reads and "
        "writes of the table wait for the full scan, and it fails if any NULL is left. Since "
        "PostgreSQL 12 the scan is skipped when a validated CHECK constraint implies NOT NULL "
        "(`col IS NOT NULL`, alone or AND-ed with other conditions such as `col > 10 AND col IS NOT NULL`), "
        "and that constraint can be validated, in a later transaction, without blocking writes."
    ),
    fix=(
        "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n"
        "-- in the next migration file (VALIDATE must not share the ADD's transaction):\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null;  -- SHARE UPDATE EXCLUSIVE only\n"
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;  -- instant: uses the validated check\n"
        "ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null;"
    ),
    example="ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
    check=check_set_not_null,
    subtypes=frozenset({"AT_SetNotNull"}),
    kinds=frozenset({"AlterTableStmt"}),
)


def check_drop_not_null(node: Node, ctx: Context) -> Iterator[Hit]:
    for cmd, key in _existing_cmds(node, ctx, "AT_DropNotNull"):
        yield ctx.hit(f"DROP NOT NULL on {display(key)}.{cmd.get('name')}: readers may not expect NULLs")


DROP_NOT_NULL = Rule(
    id="drop-not-null",
    severity=Severity.WARNING,
    summary="DROP NOT NULL lets NULLs into a column code assumes is filled",
    why=(
        "The change itself is instant, but code written against the NOT NULL column (typed clients "
        "generated from the schema, aggregates, joins) may crash or silently mis-count once NULLs "
        "appear; putting the constraint back later needs a full validation."
    ),
    fix=(
        "-- 1. Deploy code that handles NULL in this column (regenerate typed clients).\n"
        "-- 2. Then relax the constraint:\n"
        "ALTER TABLE accounts ALTER COLUMN phone DROP NOT NULL;"
    ),
    example="ALTER TABLE accounts ALTER COLUMN phone DROP NOT NULL;",
    check=check_drop_not_null,
    subtypes=frozenset({"AT_DropNotNull"}),
    kinds=frozenset({"AlterTableStmt"}),
)

RULES = (
    COLUMN_TYPE_CHANGE,
    ADD_COLUMN_VOLATILE_DEFAULT,
    ADD_NOT_NULL_COLUMN_WITHOUT_DEFAULT,
    SET_NOT_NULL,
    DROP_NOT_NULL,
)
