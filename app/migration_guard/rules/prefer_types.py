"""Column type advice for new columns: bigint keys, identity over serial, text, timestamptz.

These apply to column definitions (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE), new tables
included: that is the cheapest moment to pick the right type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from migration_guard.model import Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.columns import SERIAL_TYPES
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import (
    Node,
    alter_cmds,
    location,
    strings,
    table_key,
    type_name,
    typmods,
)

_EMPTY: Node = {}  # read-only default for lookups (never written)
SMALL_INTS = frozenset({"int4", "int2"})


class ColumnSpec:
    __slots__ = ("is_key", "loc", "mods", "name", "type")

    def __init__(self, name: str, type_node: Node | None, is_key: bool, loc: int | None) -> None:
        self.name = name
        self.type = type_name(type_node)
        self.mods = typmods(type_node)
        self.is_key = is_key
        self.loc = loc


_cache: list[object] = [None, ()]  # [node, specs]: the four rules share one pass per statement


def _columns(node: Node, ctx: Context) -> tuple[ColumnSpec, ...]:
    if _cache[0] is not node:
        _cache[0], _cache[1] = node, _column_specs(node, ctx)
    return _cache[1]  # type: ignore[return-value]


# The last part of a column type's name that any of these rules can fire on. Their types have no
# schema, so a column whose last name part is not here cannot fire any of them: it is skipped before
# its spec is built (most columns; building every spec was most of these rules' time).
_WATCHED = frozenset({"int4", "int2", "varchar", "bpchar", "timestamp", "json", *SERIAL_TYPES})


def _watched(coldef: Node) -> bool:
    names: list[Node] | None = (coldef.get("typeName") or _EMPTY).get("names")
    if not names:
        return False
    return names[-1].get("String", _EMPTY).get("sval") in _WATCHED


def _keyed(elts: Iterable[Node]) -> set[str]:
    """Columns of a CREATE TABLE's table-level single-column PRIMARY KEY and FOREIGN KEYs."""
    keyed: set[str] = set()
    for elt in elts:
        con = elt.get("Constraint")
        if con and con.get("contype") == "CONSTR_PRIMARY":
            keys = strings(con.get("keys"))
            if len(keys) == 1:  # in a composite key an int column is an ordinal, not a counter
                keyed.update(keys)
        elif con and con.get("contype") == "CONSTR_FOREIGN":
            keyed.update(strings(con.get("fk_attrs")))
    return keyed


def _column_specs(node: Node, ctx: Context) -> tuple[ColumnSpec, ...]:
    """The column definitions of a CREATE TABLE or ALTER TABLE (ADD COLUMN / ALTER COLUMN TYPE) whose
    type one of these rules watches."""
    specs: list[ColumnSpec] = []
    if ctx.kind == "CreateStmt":
        if (node.get("relation") or _EMPTY).get("relpersistence") == "t":
            return ()
        elts = node.get("tableElts") or ()
        keyed: set[str] | None = None
        for elt in elts:
            coldef = elt.get("ColumnDef")
            if coldef and _watched(coldef):
                if keyed is None:
                    keyed = _keyed(elts)
                specs.append(_spec(coldef, coldef.get("colname", ""), keyed))
        return tuple(specs)
    groups = alter_cmds(node)
    for subtype in ("AT_AddColumn", "AT_AlterColumnType"):
        for cmd in groups.get(subtype, ()):
            coldef = (cmd.get("def") or _EMPTY).get("ColumnDef")
            if coldef and _watched(coldef):
                name = coldef.get("colname", "") if subtype == "AT_AddColumn" else cmd.get("name", "")
                specs.append(_spec(coldef, name, set()))
    return tuple(specs)


_KEY_TYPES = frozenset({"CONSTR_PRIMARY", "CONSTR_FOREIGN"})


def _inline_key(coldef: Node) -> bool:
    for item in coldef.get("constraints") or ():
        con = item.get("Constraint")
        if con is not None and con.get("contype") in _KEY_TYPES:
            return True
    return False


def _spec(coldef: Node, name: str, keyed: set[str]) -> ColumnSpec:
    # Decision: a key is a PRIMARY KEY / REFERENCES column or one named like one (id, *_id).
    is_key = name in keyed or name == "id" or name.endswith("_id") or _inline_key(coldef)
    tn = coldef.get("typeName")
    return ColumnSpec(name, tn, is_key, location(tn) if tn else location(coldef))


_KINDS = frozenset({"CreateStmt", "AlterTableStmt"})


def check_prefer_bigint(node: Node, ctx: Context) -> Iterator[Hit]:
    for col in _columns(node, ctx):
        if col.is_key and col.type in SMALL_INTS:
            shown = "integer" if col.type == "int4" else "smallint"
            yield ctx.hit(f"key column {col.name} is {shown}: use bigint (int4 keys run out at 2,147,483,647)", col.loc)


PREFER_BIGINT = Rule(
    id="prefer-bigint",
    severity=Severity.WARNING,
    summary="integer/smallint key columns: use bigint",
    why=(
        "A 4-byte integer primary key or foreign key column runs out at 2,147,483,647 (smallint at "
        "32,767); inserts then fail until the column is converted, which rewrites the table and every "
        "referencing table under ACCESS EXCLUSIVE locks. bigint costs 4 more bytes per row. Checked "
        "on primary key and foreign key columns and columns named id or *_id."
    ),
    fix="CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint);",
    example="CREATE TABLE orders (id integer PRIMARY KEY, customer_id int);",
    check=check_prefer_bigint,
    subtypes=frozenset({'AT_AddColumn', 'AT_AlterColumnType'}),
    kinds=_KINDS,
)


def check_prefer_identity(node: Node, ctx: Context) -> Iterator[Hit]:
    for col in _columns(node, ctx):
        if col.type in SERIAL_TYPES:
            yield ctx.hit(f"column {col.name} is {col.type}: use bigint GENERATED ALWAYS AS IDENTITY", col.loc)


PREFER_IDENTITY = Rule(
    id="prefer-identity",
    severity=Severity.WARNING,
    summary="serial / bigserial columns: use an identity column",
    why=(
        "serial creates a separately owned sequence with loose ties to the column: permissions must "
        "be granted on it separately (a classic Supabase 'permission denied for sequence'), dumps "
        "and copies of the table get it wrong, and inserts may bypass it. Identity columns are the "
        "SQL-standard replacement and GENERATED ALWAYS rejects accidental explicit ids."
    ),
    fix="CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    example="CREATE TABLE orders (id bigserial PRIMARY KEY);",
    check=check_prefer_identity,
    subtypes=frozenset({'AT_AddColumn', 'AT_AlterColumnType'}),
    kinds=_KINDS,
)


def check_prefer_text(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    for col in _columns(node, ctx):
        if col.type == "varchar" and col.mods:
            yield ctx.hit(
                f"column {col.name} is varchar({col.mods[0]}): use text (with a CHECK on length if needed)",
                col.loc,
                fixes.retype_column(ctx, key, col.name, "text", col.mods[0]),
            )
        elif col.type == "bpchar":
            n = col.mods[0] if col.mods else 1
            yield ctx.hit(
                f"column {col.name} is char({n}): blank-padded to {n} characters; use text "
                "(with a CHECK on length if needed)",
                col.loc,
                fixes.retype_column(ctx, key, col.name, "text", n),
            )


PREFER_TEXT = Rule(
    id="prefer-text",
    severity=Severity.WARNING,
    summary="varchar(n) and char(n) columns: use text",
    why=(
        "In PostgreSQL varchar(n) is stored exactly like text and is not faster; the length limit "
        "only adds a failure mode, and raising it later is an ALTER COLUMN TYPE (lowering it scans "
        "the table). char(n) is worse: values are blank-padded to n characters, trailing spaces are "
        "ignored in comparisons but not by clients, and it is no faster either. A CHECK constraint on "
        "length(...) can be added NOT VALID and changed without touching the column."
    ),
    fix=(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL,\n"
        "  CONSTRAINT accounts_email_length CHECK (length(email) <= 320));"
    ),
    example="CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(255));",
    check=check_prefer_text,
    subtypes=frozenset({'AT_AddColumn', 'AT_AlterColumnType'}),
    kinds=_KINDS,
)


def check_prefer_timestamptz(node: Node, ctx: Context) -> Iterator[Hit]:
    for col in _columns(node, ctx):
        if col.type in ("timestamp", "timestamp[]"):
            yield ctx.hit(f"column {col.name} is timestamp without time zone: use timestamptz", col.loc)


PREFER_TIMESTAMPTZ = Rule(
    id="prefer-timestamptz",
    severity=Severity.WARNING,
    summary="timestamp without time zone: use timestamptz",
    why=(
        "timestamp without time zone stores wall-clock values with no zone: the same instant reads "
        "differently depending on each client's and server's TimeZone setting, comparisons with "
        "now() shift by the offset, and daylight-saving changes create duplicates. timestamptz "
        "stores an absolute instant in the same 8 bytes."
    ),
    fix="CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());",
    example="CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now());",
    check=check_prefer_timestamptz,
    subtypes=frozenset({'AT_AddColumn', 'AT_AlterColumnType'}),
    kinds=_KINDS,
)



def check_prefer_jsonb(node: Node, ctx: Context) -> Iterator[Hit]:
    key = table_key(node.get("relation"))
    for col in _columns(node, ctx):
        if col.type == "json":
            yield ctx.hit(
                f"column {col.name} is json: use jsonb", col.loc, fixes.retype_column(ctx, key, col.name, "jsonb", None)
            )
        elif col.type == "json[]":
            yield ctx.hit(f"column {col.name} is json[]: use jsonb (or jsonb[])", col.loc)


PREFER_JSONB = Rule(
    id="prefer-jsonb",
    severity=Severity.WARNING,
    summary="json columns: use jsonb",
    why=(
        "json stores the input text verbatim and re-parses it on every access: no indexes (GIN), no "
        "equality operator (so no DISTINCT, GROUP BY or UNIQUE), and duplicate keys are kept. jsonb is "
        "parsed once, supports containment operators and GIN indexes, and is what Supabase's APIs and "
        "most tooling expect. Converting a filled json column later rewrites the table."
    ),
    fix="CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb NOT NULL DEFAULT '{}'::jsonb);",
    example="CREATE TABLE events (id bigint PRIMARY KEY, payload json NOT NULL);",
    check=check_prefer_jsonb,
    subtypes=frozenset({"AT_AddColumn", "AT_AlterColumnType"}),
    kinds=_KINDS,
)

RULES = (PREFER_BIGINT, PREFER_IDENTITY, PREFER_TEXT, PREFER_TIMESTAMPTZ, PREFER_JSONB)
