"""Fixes written for the statement at hand (strong_migrations style: the user's own names, pasteable).

Only built when a rule fires. The commonest (CREATE INDEX, ADD COLUMN … DEFAULT) are edits of the
statement's own text at positions from PostgreSQL's scanner and parser, so the file's case, comments
and spelling stay; the others deparse pglast's object tree of that one statement (loading pglast's
AST classes, ~50 ms, on first use), so quoting and the rest of the statement stay exactly right.
Any failure falls back to the rule's generic fix (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

from migration_guard.rules.context import Context
from migration_guard.rules.nodes import TableKey

_NEEDS_QUOTES = RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS | COL_NAME_KEYWORDS
NO_TRANSACTION = "-- in its own migration file, which the runner must not wrap in a transaction:\n" + (
    "-- migration-guard: no-transaction\n"
)


@lru_cache(maxsize=4096)  # a pure function of the name; fixes quote the same names over and over
def ident(name: str) -> str:
    rest = name.replace("_", "").replace("$", "")  # every other character alphanumeric (one C call)
    plain = name and (name[0].isalpha() or name[0] == "_") and (not rest or rest.isalnum())
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


def as_written(ctx: Context) -> str | None:
    """The current statement exactly as the file has it (top-level statements only): no re-parse."""
    if ctx.in_do or ctx.stmt is None:
        return None
    return ctx.stmt.sql.strip() + ";"


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


def _offset(ctx: Context, loc: object) -> int | None:
    """Where the node at parser location ``loc`` starts in the current statement's text."""
    stmt = ctx.stmt
    if ctx.in_do or stmt is None or ctx.frame is None or not isinstance(loc, int) or loc < 0:
        return None
    at = ctx.frame.char_offset(loc) - stmt.start
    return at if 0 <= at <= len(stmt.sql) else None


def _in_case_of(word: str, written: str) -> str:
    """``word`` in the case the statement writes its keywords (``index`` → ``concurrently``)."""
    return word.lower() if written.islower() else word


def concurrent_index(ctx: Context) -> str | None:
    """The CREATE INDEX as written, with CONCURRENTLY (and IF NOT EXISTS, when it is named) after INDEX:
    an edit of the statement's tokens, not a deparse (the rest of the text, comments included, stays)."""
    stmt = ctx.stmt
    if ctx.in_do or stmt is None or stmt.kind != "IndexStmt":
        return None
    from migration_guard.autofix import sqltext

    toks = sqltext.tokens(stmt.sql)
    names = [t.name for t in toks[:7]]
    i = 2 if names[1:2] == ["UNIQUE"] else 1
    if names[i : i + 1] != ["INDEX"] or names[i + 1 : i + 2] == ["CONCURRENTLY"]:
        return None
    keyword = stmt.sql[toks[i].start : toks[i].stop]
    has_if = names[i + 1 : i + 4] == ["IF_P", "NOT", "EXISTS"]
    named = names[i + (4 if has_if else 1) : i + (5 if has_if else 2)] not in ([], ["ON"])
    words = "CONCURRENTLY" + (" IF NOT EXISTS" if named and not has_if else "")
    at = toks[i].stop
    text = f"{stmt.sql[:at]} {_in_case_of(words, keyword)}{stmt.sql[at:]}".strip() + ";"
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

    text = rewrite(ctx, change)
    if text is None:
        return None
    statement, _, validates = text.partition("\n")
    # VALIDATE in the same transaction would scan under the ADD's lock: it belongs to the next file.
    return f"{statement}\n-- in the next migration file (its own transaction):\n{validates}" if validates else text


_KEYED = {"CONSTR_CHECK": "check", "CONSTR_FOREIGN": "fkey", "CONSTR_UNIQUE": "key", "CONSTR_PRIMARY": "pkey"}


def inline_constraint(ctx: Context, table: TableKey, column: str, contype: str) -> str | None:
    """ADD COLUMN without its inline constraint, then the constraint added the non-blocking way."""
    node = _statement(ctx)
    if node is None:
        return None
    from pglast.stream import RawStream

    try:
        coldef: Any = next(
            cmd.def_ for cmd in node.cmds or () if getattr(getattr(cmd, "def_", None), "colname", None) == column
        )
        con = next(c for c in coldef.constraints or () if c.contype.name == contype)
        coldef.constraints = tuple(c for c in coldef.constraints if c is not con) or None
        con_text = RawStream()(con)
        add_column = f"ALTER TABLE {qualified(table)} ADD COLUMN {RawStream()(coldef)};"
    except Exception:  # an unexpected tree: keep the generic fix
        return None
    t, c = qualified(table), ident(column)
    name = ident(con.conname or f"{table[1]}_{column}_{_KEYED[contype]}"[:63])
    if contype in ("CONSTR_CHECK", "CONSTR_FOREIGN"):
        head = "FOREIGN KEY (" + c + ") " if contype == "CONSTR_FOREIGN" else ""
        return (
            f"{add_column}\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {name} {head}{con_text} NOT VALID;  -- new rows only, instant\n"
            f"-- in the next migration file (its own transaction):\n"
            f"ALTER TABLE {t} VALIDATE CONSTRAINT {name};  -- does not block writes"
        )
    what = "PRIMARY KEY" if contype == "CONSTR_PRIMARY" else "UNIQUE"
    return (
        f"{add_column}\n"
        + NO_TRANSACTION
        + f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {t} ({c});\n"
        f"-- then, in the next migration:\nALTER TABLE {t} ADD CONSTRAINT {name} {what} USING INDEX {name};"
    )


def primary_key_after_not_null(table: TableKey, columns: list[str], index: str | None) -> str:
    t = qualified(table)
    lines = ["-- migration 1: prove the key columns hold no NULL without blocking writes"]
    checks = []
    for column in columns:
        check = ident(f"{table[1]}_{column}_not_null"[:63])
        checks.append((check, ident(column)))
        lines.append(f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({ident(column)} IS NOT NULL) NOT VALID;")
    lines.append("-- migration 2:")
    for check, col in checks:
        lines.append(f"ALTER TABLE {t} VALIDATE CONSTRAINT {check};  -- SHARE UPDATE EXCLUSIVE: writes continue")
        lines.append(f"ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;  -- instant: uses the validated check")
    name = ident(index or f"{table[1]}_pkey")
    if index is None:
        cols = ", ".join(ident(c) for c in columns)
        lines.append("-- migration 3 (-- migration-guard: no-transaction):")
        lines.append(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {t} ({cols});")
        lines.append("-- migration 4:")
    else:
        lines.append("-- migration 3:")
    lines.append(f"ALTER TABLE {t} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name};  -- instant now")
    return "\n".join(lines)


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
        "-- in the next migration file (VALIDATE must not share the ADD's transaction):\n"
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


def column_then_default(ctx: Context, table: TableKey, coldef: dict[str, Any]) -> str | None:
    """ADD COLUMN without the default, SET DEFAULT for new rows, then a batched backfill: the type and
    the default copied from the statement's text, between the positions the parser gives."""
    stmt = ctx.stmt
    if stmt is None:
        return None
    constraints = [c["Constraint"] for c in coldef.get("constraints") or () if "Constraint" in c]
    default = next((c for c in constraints if c.get("contype") == "CONSTR_DEFAULT"), None)
    type_at = _offset(ctx, (coldef.get("typeName") or {}).get("location"))
    column_at = _offset(ctx, coldef.get("location"))
    default_at = _offset(ctx, (default or {}).get("location"))
    if type_at is None or column_at is None or default_at is None:
        return None
    from migration_guard.autofix import sqltext

    sql = stmt.sql
    toks = sqltext.tokens(sql)
    first = sqltext.at(toks, column_at)
    if first is None:
        return None
    last = sqltext.clause_end(toks, first)  # the column definition ends at a top-level comma
    # Each part of the definition (type, COLLATE, each constraint) runs up to where the next begins.
    parts = [
        type_at,
        toks[last].stop,
        _offset(ctx, (coldef.get("collClause") or {}).get("location")),
        *(_offset(ctx, c.get("location")) for c in constraints),
    ]
    starts = sorted({at for at in parts if at is not None})
    i = sqltext.at(toks, default_at)
    if i is None:
        return None
    if toks[i].name == "CONSTRAINT":
        i += 2
    if i + 1 >= len(toks) or toks[i].name != "DEFAULT":
        return None
    expr_at = toks[i + 1].start
    expr = sql[expr_at : next((s for s in starts if s > expr_at), len(sql))].strip()
    coltype = sql[type_at : next((s for s in starts if s > type_at), len(sql))].strip()
    if not expr or not coltype:
        return None
    t, c = qualified(table), ident(coldef.get("colname", ""))
    return (
        f"ALTER TABLE {t} ADD COLUMN {c} {coltype};  -- instant\n"
        f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {expr};  -- new rows only, instant\n"
        f"-- backfill existing rows in batches, in a separate data migration:\n"
        f"UPDATE {t} SET {c} = {expr} WHERE ctid IN (SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT 10000);"
    )


def type_change(table: TableKey, column: str, new_type: str) -> str:
    """Expand / contract with the statement's own table, column and target type."""
    t, c = qualified(table), ident(column)
    new = ident(f"{column}_new"[:63])
    old = ident(f"{column}_old"[:63])
    return (
        f"-- 1. Add a new column with the new type:\n"
        f"ALTER TABLE {t} ADD COLUMN {new} {new_type};\n"
        f"-- 2. Deploy code writing both columns; backfill in batches, in a data migration:\n"
        f"UPDATE {t} SET {new} = {c} WHERE ctid IN (SELECT ctid FROM {t} WHERE {new} IS NULL LIMIT 10000);\n"
        f"-- 3. Deploy code reading the new column, then swap names in one migration:\n"
        f"ALTER TABLE {t} RENAME COLUMN {c} TO {old};\n"
        f"ALTER TABLE {t} RENAME COLUMN {new} TO {c};"
    )


def domain_not_valid(ctx: Context, domain: TableKey) -> str | None:
    """The ALTER DOMAIN … ADD CONSTRAINT made NOT VALID (and named), then its VALIDATE in the next file."""

    def change(node: Any) -> str:
        con = node.def_
        con.skip_validation = True
        if not con.conname:
            con.conname = f"{domain[1]}_check"[:63]
        return (
            "-- in the next migration file (its own transaction):\n"
            f"ALTER DOMAIN {qualified(domain)} VALIDATE CONSTRAINT {ident(con.conname)};"
        )

    return rewrite(ctx, change)


def retype_column(ctx: Context, table: TableKey | None, column: str, new_type: str, limit: int | None) -> str | None:
    """The column declared ``new_type`` (a former length limit kept as a CHECK), built from names
    only: rewriting whole CREATE TABLE statements cost more than the rest of the lint together."""
    if table is None:
        return None
    t, c = qualified(table), ident(column)
    new = ctx.kind == "CreateStmt" or ctx.is_new(table)
    check = ""
    if limit is not None:
        name = ident(f"{table[1]}_{column}_length"[:63])
        check = f", ADD CONSTRAINT {name} CHECK (length({c}) <= {int(limit)})" + ("" if new else " NOT VALID")
    cast = f" USING {c}::{new_type}" if new_type == "jsonb" else ""
    where = (
        "in the CREATE TABLE, or right after it (the table is new: instant)"
        if new
        else "in this statement instead (changing it once the table is filled rewrites it)"
    )
    return f"-- declare {column} as {new_type} {where}:\nALTER TABLE {t} ALTER COLUMN {c} TYPE {new_type}{cast}{check};"


def drop_column(table: TableKey, column: str, key: tuple[str, ...]) -> str:
    t, c = qualified(table), ident(column)
    keep = ", ".join(ident(k) for k in key or ("id",))
    archive = qualified((table[0], f"{table[1]}_{column}_archive"[:63]))
    return (
        f"-- 1. Deploy application code that no longer reads or writes {column}.\n"
        f"-- 2. Optionally keep a copy of the data:\n"
        f"CREATE TABLE {archive} AS SELECT {keep}, {c} FROM {t};\n"
        f"-- 3. In a later migration, drop it with a short lock timeout:\n"
        f"SET lock_timeout = '2s';\n"
        f"-- migration-guard: allow drop-column -- unused since <release>\n"
        f"ALTER TABLE {t} DROP COLUMN {c};"
    )


def rename_column(table: TableKey, old: str, new: str, type_: str | None, key: tuple[str, ...]) -> str:
    t, o, n = qualified(table), ident(old), ident(new)
    shown = type_ or "text"
    note = "" if type_ else f"  -- use {old}'s current type"
    k = ident(key[0]) if len(key) == 1 else "id"
    return (
        f"-- Expand / contract in steps, each its own migration and deploy:\n"
        f"ALTER TABLE {t} ADD COLUMN {n} {shown};{note}\n"
        f"-- deploy code that writes both columns, then backfill in batches:\n"
        f"UPDATE {t} SET {n} = {o} WHERE {k} IN (SELECT {k} FROM {t} WHERE {n} IS NULL LIMIT 10000);\n"
        f"-- deploy code that reads {new} only, then:\n"
        f"ALTER TABLE {t} DROP COLUMN {o};"
    )


def policy_for(table: TableKey, columns: Iterable[str]) -> str:
    t = qualified(table)
    if "user_id" in set(columns):
        name = ident(f"{table[1]}_owner"[:63])
        return (
            f"CREATE POLICY {name} ON {t} FOR ALL TO authenticated\n"
            f"  USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);\n"
            f"-- or, for a server-only table, say so:\n"
            f"-- migration-guard: allow rls-enabled-no-policy -- only the service role uses {table[1]}"
        )
    name = ident(f"{table[1]}_read"[:63])
    return (
        f"CREATE POLICY {name} ON {t} FOR SELECT TO authenticated\n"
        f"  USING (true);  -- narrow to the rows each user may see\n"
        f"-- or, for a server-only table, say so:\n"
        f"-- migration-guard: allow rls-enabled-no-policy -- only the service role uses {table[1]}"
    )
