"""Fixes written for the statement at hand (strong_migrations style: the user's own names, pasteable).

Only built when a rule fires (rare), from pglast's object tree of that one statement, deparsed by
pglast itself, so quoting and the rest of the statement stay exactly right. Any failure falls back
to the rule's generic fix (``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from migration_guard.rules.context import Context
from migration_guard.rules.nodes import TableKey

_NEEDS_QUOTES = RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS | COL_NAME_KEYWORDS
NO_TRANSACTION = "-- in its own migration file, which the runner must not wrap in a transaction:\n" + (
    "-- migration-guard: no-transaction\n"
)


def ident(name: str) -> str:
    plain = name and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c in "_$" for c in name)
    if plain and name == name.lower() and name.isascii() and name not in _NEEDS_QUOTES:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(key: TableKey) -> str:
    schema, name = key
    return ident(name) if schema == "public" else f"{ident(schema)}.{ident(name)}"


def _statement(ctx: Context) -> Any | None:
    """pglast's object tree of the statement being checked (top-level statements only)."""
    if ctx.in_do or ctx.stmt is None:
        return None
    from pglast import parse_sql  # the object tree and deparser load only when a fix is written

    try:
        parsed = parse_sql(ctx.stmt.sql)
    except Exception:  # any parser trouble: keep the generic fix
        return None
    return parsed[0].stmt if len(parsed) == 1 else None


def rewrite(ctx: Context, change: Callable[[Any], str | None]) -> str | None:
    """Deparse the current statement after ``change`` edits its tree; ``change`` may add text after it."""
    node = _statement(ctx)
    if node is None:
        return None
    from pglast.stream import RawStream

    try:
        after = change(node)
        text = RawStream()(node) + ";"
    except Exception:  # a tree we did not expect: keep the generic fix
        return None
    return text + (f"\n{after}" if after else "")


def concurrent_index(ctx: Context) -> str | None:
    def change(node: Any) -> None:
        node.concurrent = True
        if node.idxname:
            node.if_not_exists = True

    text = rewrite(ctx, change)
    if text is None:
        return None
    return NO_TRANSACTION + text + "\n-- if it fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it and retry"


def not_valid_constraints(ctx: Context, table: TableKey) -> str | None:
    """The ALTER TABLE with its foreign keys and checks NOT VALID (and named), then one VALIDATE each."""
    names: list[str] = []

    def change(node: Any) -> str:
        for cmd in node.cmds or ():
            con: Any = getattr(cmd, "def_", None)
            contype = getattr(getattr(con, "contype", None), "name", "")
            if contype not in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
                continue
            con.skip_validation = True
            if not con.conname:  # name it as PostgreSQL would, so that VALIDATE can refer to it
                cols = [getattr(c, "sval", "") for c in (con.fk_attrs or ())]
                suffix = "fkey" if contype == "CONSTR_FOREIGN" else "check"
                con.conname = "_".join([table[1], *cols, suffix])[:63]
            names.append(con.conname)
        return "\n".join(
            f"ALTER TABLE {qualified(table)} VALIDATE CONSTRAINT {ident(name)};  -- does not block writes"
            for name in names
        )

    return rewrite(ctx, change)


def index_for_fk(table: TableKey, columns: tuple[str, ...], new_table: bool) -> str:
    name = ident("_".join([table[1], *columns, "idx"])[:63])
    cols = ", ".join(ident(c) for c in columns)
    if new_table:
        return (
            f"-- the table is new: index it in this same migration\nCREATE INDEX {name} ON {qualified(table)} ({cols});"
        )
    return NO_TRANSACTION + f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {qualified(table)} ({cols});"


def set_not_null(table: TableKey, column: str) -> str:
    t, c = qualified(table), ident(column)
    check = ident(f"{table[1]}_{column}_not_null"[:63])
    return (
        f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;\n"
        f"ALTER TABLE {t} VALIDATE CONSTRAINT {check};  -- SHARE UPDATE EXCLUSIVE: writes continue\n"
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;  -- instant: uses the validated check\n"
        f"ALTER TABLE {t} DROP CONSTRAINT {check};"
    )


def unique_using_index(table: TableKey, name: str | None, columns: list[str], primary: bool) -> str:
    t = qualified(table)
    index = ident(name or f"{table[1]}_{'_'.join(columns)}_{'pkey' if primary else 'key'}"[:63])
    cols = ", ".join(ident(c) for c in columns)
    what = "PRIMARY KEY" if primary else "UNIQUE"
    return (
        NO_TRANSACTION + f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {t} ({cols});\n"
        f"-- then, in the next migration:\nALTER TABLE {t} ADD CONSTRAINT {index} {what} USING INDEX {index};"
    )


def column_then_default(ctx: Context, table: TableKey, column: str) -> str | None:
    """ADD COLUMN without the default, SET DEFAULT for new rows, then a batched backfill."""
    node = _statement(ctx)
    if node is None:
        return None
    from pglast.stream import RawStream

    try:
        coldef: Any = next(
            (cmd.def_ for cmd in node.cmds or () if getattr(getattr(cmd, "def_", None), "colname", None) == column),
            None,
        )
        default = next((c for c in coldef.constraints or () if c.contype.name == "CONSTR_DEFAULT"), None)
        if default is None:
            return None
        expr = RawStream()(default.raw_expr)
        coltype = RawStream()(coldef.typeName)
    except Exception:  # an unexpected tree (or no such column): keep the generic fix
        return None
    t, c = qualified(table), ident(column)
    return (
        f"ALTER TABLE {t} ADD COLUMN {c} {coltype};  -- instant\n"
        f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {expr};  -- new rows only, instant\n"
        f"-- backfill existing rows in batches, in a separate data migration:\n"
        f"UPDATE {t} SET {c} = {expr} WHERE ctid IN (SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT 10000);"
    )
