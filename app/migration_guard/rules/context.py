"""What the linter knows so far while it walks the migrations in run order.

Tables created in the file being linted are new and empty; tables from earlier files (or never
seen: a lint without history) exist and hold data. Rules read this; only the trackers at the
bottom write it, after the rules have seen the statement.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate

from migration_guard.migrations.splitting import LineIndex, line_index
from migration_guard.model import LintOptions, Migration, Statement
from migration_guard.rules.base import Hit
from migration_guard.rules.nodes import (
    DEFAULT_SCHEMA,
    Node,
    TableKey,
    alter_cmds,
    const_string,
    default_schema,
    find_all,
    location,
    qualified,
    set_default_schema,
    strings,
    table_key,
    type_name,
    typmods,
    walk,
)

EXISTING = -1  # Table.file for tables we never saw created (they exist, with data)
_LIKE_INDEXES = 1 << 6  # CREATE_TABLE_LIKE_INDEXES in TableLikeClause.options


# Plain classes, not dataclasses: compiled (setup.py), a hand-written __init__ is native code, while a
# dataclass's generated one stays interpreted. A big file makes one Column per column (17,000 in the
# findings-heavy benchmark) and one Pending per foreign key: their construction showed in profiles.
class Column:
    __slots__ = ("mods", "type")

    def __init__(self, type: str, mods: tuple[int, ...] | None) -> None:
        self.type = type
        self.mods = mods

    def __repr__(self) -> str:
        return f"Column(type={self.type!r}, mods={self.mods!r})"


class Table:
    __slots__ = (
        "checked",
        "column",
        "columns",
        "copies_other",
        "file",
        "has_pk",
        "indexed",
        "key",
        "leads",
        "line",
        "made_by",
        "not_null",
        "not_null_checks",
        "partition",
        "pk",
        "policies",
        "rls",
        "temporary",
        "validated_not_null",
    )

    def __init__(
        self,
        key: TableKey,
        file: int,  # index of the migration that created it, EXISTING when unknown
        line: int = 0,
        column: int = 0,
        rls: bool | None = None,  # None: unknown (a table we did not see created)
        partition: bool = False,
        temporary: bool = False,
        copies_other: bool = False,  # CREATE TABLE … INHERITS / LIKE … INCLUDING INDEXES: keys may come from elsewhere
        made_by: str = "",  # "CREATE TABLE … AS" / "CREATE TABLE … (LIKE …)": a copy that brings no primary key
    ) -> None:
        self.key = key
        self.file = file
        self.line = line
        self.column = column
        self.columns: dict[str, Column] = {}
        self.leads: list[tuple[str, ...]] = []  # columns of each index / PK / UNIQUE
        self.has_pk = False
        self.pk: tuple[str, ...] = ()  # primary key columns, when known
        self.rls = rls
        self.policies = 0
        self.partition = partition
        self.temporary = temporary
        self.copies_other = copies_other
        self.made_by = made_by
        self.not_null_checks: dict[str, tuple[str, ...]] = {}  # NOT VALID check → columns
        self.validated_not_null: set[str] = set()
        self.not_null: set[str] = set()  # columns declared NOT NULL (or in the primary key)
        self.checked: set[str] = set()  # columns some CHECK constraint reads (type changes re-check)
        self.indexed: set[str] = set()  # columns some index or key covers (type changes may rebuild)

    def __repr__(self) -> str:
        return f"Table(key={self.key!r}, file={self.file!r}, columns={list(self.columns)!r})"


class Index:
    __slots__ = ("columns", "file", "table")

    def __init__(self, table: TableKey, file: int, columns: tuple[str, ...]) -> None:
        self.table = table
        self.file = file
        self.columns = columns


class Pending:
    """Something checked at the end of the file (so later statements of the file count).

    The position is kept as a character offset (resolved only if a finding is reported) or, for
    nodes without a location, as the statement's line and column.
    """

    __slots__ = ("column", "columns", "line", "offset", "table")

    def __init__(
        self, table: TableKey, columns: tuple[str, ...], offset: int | None, line: int = 0, column: int = 0
    ) -> None:
        self.table = table
        self.columns = columns
        self.offset = offset
        self.line = line
        self.column = column


class Frame:
    """Maps parser byte offsets of the statement being checked to file positions.

    Top-level statements: offsets into the file, counted from the statement's ``byte_base``.
    Statements embedded in a DO block: offsets into the embedded query, which starts at ``base`` in
    the file.
    """

    __slots__ = (
        "_byte_starts",
        "_char_starts",
        "_data",
        "ascii",
        "base",
        "default",
        "default_offset",
        "mappable",
        "shift",
        "source",
    )

    def __init__(self, source: str, base: int, default: tuple[int, int] | None, mappable: bool = True) -> None:
        self.source = source
        self.base = base
        self.default = default  # position for nodes without a location (None: from default_offset)
        self.default_offset = 0
        self.mappable = mappable  # False: offsets cannot be placed in the file, use ``default``
        self.shift = 0  # bytes before the offsets' origin in ``source`` (a statement's byte_base)
        self.ascii = source.isascii()
        self._data = b""
        self._byte_starts: list[int] = []
        self._char_starts: list[int] = []

    def char_offset(self, byte_offset: int) -> int:
        byte_offset += self.shift
        if self.ascii:
            return self.base + byte_offset
        if not self._byte_starts:
            # Line starts in bytes and in characters: each lookup then decodes only part of a line.
            self._data = self.source.encode("utf-8")
            self._byte_starts = _starts(len(line) for line in self._data.split(b"\n"))
            self._char_starts = _starts(len(line) for line in self.source.split("\n"))
        i = bisect_right(self._byte_starts, byte_offset) - 1
        start = self._byte_starts[i]
        return self.base + self._char_starts[i] + len(self._data[start:byte_offset].decode("utf-8", errors="replace"))


def _starts(lengths: Iterable[int]) -> list[int]:
    starts = [0]
    starts.extend(accumulate(n + 1 for n in lengths))
    starts.pop()
    return starts


class Context:
    # What ``_new_file_state`` sets (a test keeps the two equal): the state ``save_file_state`` keeps.
    # Named, not read from ``vars()``: the compiled build's classes have no ``__dict__``.
    FILE_STATE = (
        "in_block",
        "created",
        "schemas_created",
        "pending_fks",
        "pending_policies",
        "data_writes",
        "has_ddl",
        "new_enum_values",
        "enums_created",
        "restore_schema",
        "not_valid_open",
        "domains_created",
        "matviews_created",
        "transactions",
        "begin_depth",
        "nested_begins",
        "views",
        "definers",
        "grants",
        "rls_disabled",
    )

    def __init__(self, migrations: Sequence[Migration], options: LintOptions) -> None:
        self.migrations = migrations
        self.options = options
        self.tables: dict[TableKey, Table] = {}
        self.indexes: dict[TableKey, Index] = {}
        self.enum_values: dict[TableKey, set[str]] = {}
        self.file_index = -1
        self.migration: Migration | None = None
        self.stmt: Statement | None = None
        self.in_do = False
        self.kind = ""  # node kind of the statement being checked (top-level or embedded in a DO block)
        self.frame: Frame | None = None
        self._top: Frame | None = None
        self._lines: LineIndex | None = None
        self._new_file_state()
        # The files of the change being checked (they ship together): see ``linter.change_of``.
        self.change: frozenset[int] = frozenset(range(len(migrations)))

    # -- per file ------------------------------------------------------------------------------
    def _new_file_state(self) -> None:
        self.in_block = False  # inside an explicit BEGIN … COMMIT
        self.created: list[TableKey] = []  # tables created in this file, in order
        self.schemas_created: set[str] = set()
        self.pending_fks: list[Pending] = []
        self.pending_policies: list[Pending] = []
        self.data_writes: list[tuple[int, int, str]] = []  # (line, column, what) on existing tables
        self.has_ddl = False
        self.new_enum_values: dict[str, str] = {}  # value → enum type, added in this transaction
        self.enums_created: set[TableKey] = set()
        self.restore_schema: str | None = None  # search_path to go back to after a SET LOCAL
        # Constraints added NOT VALID to existing tables in the transaction still open: (table, name).
        self.not_valid_open: set[tuple[TableKey, str]] = set()
        self.domains_created: set[TableKey] = set()
        self.matviews_created: set[TableKey] = set()
        self.transactions: list[tuple[str, int, int]] = []  # (BEGIN/COMMIT/…, line, column) in file order
        self.begin_depth = 0
        self.nested_begins: list[tuple[int, int]] = []
        self.views: dict[TableKey, tuple[int, int, bool]] = {}  # views created here: (line, column, invoker)
        self.definers: dict[str, tuple[int, int, str]] = {}  # SECURITY DEFINER functions without search_path
        self.grants: list[tuple[Pending, str, str]] = []  # write grants to anon/public: (where, grantee, what)
        self.rls_disabled: list[Pending] = []  # DISABLE ROW LEVEL SECURITY statements

    def save_file_state(self) -> dict[str, object]:
        """What the file-level rules read about one file, to judge it later (after later files of the
        same change have been tracked)."""
        keys = (*self.FILE_STATE, "file_index", "migration", "_lines", "_top", "stmt", "frame")
        return {k: getattr(self, k) for k in keys}

    def restore_file_state(self, state: dict[str, object]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def start_file(self, index: int, migration: Migration) -> None:
        if self.restore_schema is not None:
            set_default_schema(self.restore_schema)
        self.file_index = index
        self.migration = migration
        self._lines = None
        self._top = Frame(migration.text, 0, (1, 1))
        self._new_file_state()

    def start_statement(self, stmt: Statement) -> None:
        self.stmt = stmt
        top = self._top
        assert top is not None
        top.default = (stmt.line, stmt.column)
        top.shift = stmt.byte_base
        self.frame = top
        self.in_do = False

    def enter(self, frame: Frame) -> None:
        """Check statements run by a DO block (always inside a transaction: DO is one statement)."""
        self.frame = frame
        self.in_do = True

    # -- what rules ask -----------------------------------------------------------------------
    def table(self, key: TableKey | None) -> Table | None:
        return self.tables.get(key) if key else None

    def is_new(self, key: TableKey | None) -> bool:
        """Created earlier in this same file, or in an earlier file of the same change (they ship
        together): new and empty, so rewriting or locking it is harmless."""
        t = self.tables.get(key) if key else None
        if t is None:
            return False
        return t.file == self.file_index or (t.file in self.change and self.file_index in self.change)

    @property
    def migration_no_tx(self) -> bool:
        assert self.migration is not None
        return self.migration.no_transaction

    @property
    def transactional(self) -> bool:
        """Does this statement run inside a transaction (the runner's or an explicit BEGIN)?"""
        assert self.migration is not None
        return self.in_do or self.in_block or not self.migration.no_transaction

    def pos(self, loc: int | None) -> tuple[int, int]:
        frame = self.frame
        assert frame is not None
        if (loc is None or loc < 0 or not frame.mappable) and frame.default is not None:
            return frame.default
        if self._lines is None:  # built only when a position inside a statement is needed
            assert self.migration is not None
            self._lines = line_index(self.migration.text)
        if frame.default is None:
            frame.default = self._lines.position(frame.default_offset)
        if loc is None or loc < 0 or not frame.mappable:
            return frame.default
        offset = frame.char_offset(loc)
        if offset < frame.base or offset > len(frame.source) + frame.base:
            return frame.default
        return self._lines.position(offset)

    def hit(self, message: str, loc: int | None = None, fix: str | None = None) -> Hit:
        line, column = self.pos(loc)
        return Hit(message, line, column, fix)

    # -- trackers ------------------------------------------------------------------------------
    def ensure(self, key: TableKey) -> Table:
        t = self.tables.get(key)
        if t is None:
            t = self.tables[key] = Table(key, EXISTING)
        return t

    def pending(self, key: TableKey, cols: tuple[str, ...], loc: int | None) -> Pending:
        frame = self.frame
        assert frame is not None
        if loc is None or loc < 0 or not frame.mappable:
            line, column = self.pos(None)
            return Pending(key, cols, None, line, column)
        return Pending(key, cols, frame.char_offset(loc))

    def resolve(self, pending: Pending) -> tuple[int, int]:
        if pending.offset is None:
            return pending.line, pending.column
        if self._lines is None:
            assert self.migration is not None
            self._lines = line_index(self.migration.text)
        return self._lines.position(pending.offset)

    def add_fk(self, key: TableKey, cols: tuple[str, ...], loc: int | None) -> None:
        if cols:
            self.pending_fks.append(self.pending(key, cols, loc))


def column_refs(expr: Node | None) -> set[str]:
    """Plain column names an expression reads (``c``, ``t.c`` → ``c``)."""
    out: set[str] = set()
    for value in find_all(expr, "ColumnRef"):
        fields = strings(value.get("fields"))
        if fields and fields[-1]:
            out.add(fields[-1])
    return out


def not_null_conjuncts(expr: Node | None) -> set[str]:
    """Columns a CHECK expression forces to be non-NULL: ``c IS NOT NULL`` terms of a top-level AND.

    A CHECK passes when its expression is NULL, so ``c > 10`` alone allows NULL; PostgreSQL (12+)
    skips SET NOT NULL's scan only when a validated CHECK proves it, which this mirrors."""
    if not expr:
        return set()
    test = expr.get("NullTest")
    if test is not None:
        if test.get("nulltesttype") == "IS_NOT_NULL":
            fields = strings((test.get("arg") or {}).get("ColumnRef", {}).get("fields"))
            return {fields[-1]} if fields else set()
        return set()
    boolean = expr.get("BoolExpr")
    if boolean is not None and boolean.get("boolop") == "AND_EXPR":
        out: set[str] = set()
        for arg in boolean.get("args") or ():
            out |= not_null_conjuncts(arg)
        return out
    return set()


def default_check_name(table: str, expr: Node | None) -> str:
    """The name PostgreSQL gives an unnamed CHECK: <table>_<first column>_check."""
    first = next((strings(v.get("fields"))[-1] for k, v in walk(expr) if k == "ColumnRef" and v.get("fields")), "")
    return "_".join(p for p in (table, first, "check") if p)[:63]


def _add_column(ctx: Context, table: Table, coldef: Node) -> None:
    name = coldef.get("colname")
    if not name:
        return
    tn = coldef.get("typeName")
    table.columns[name] = Column(type_name(tn), typmods(tn))
    for item in coldef.get("constraints") or ():
        con = item.get("Constraint")
        if con is None:
            continue
        contype = con.get("contype")
        if contype == "CONSTR_PRIMARY":
            table.has_pk = True
            table.pk = (name,)
            table.leads.append((name,))
            table.not_null.add(name)
            table.indexed.add(name)
        elif contype == "CONSTR_UNIQUE":
            table.leads.append((name,))
            table.indexed.add(name)
        elif contype == "CONSTR_NOTNULL":
            table.not_null.add(name)
        elif contype == "CONSTR_CHECK":
            table.checked |= column_refs(con.get("raw_expr")) | {name}
            if not con.get("skip_validation"):
                table.validated_not_null |= not_null_conjuncts(con.get("raw_expr"))
        elif contype == "CONSTR_FOREIGN":
            ctx.add_fk(table.key, (name,), location(con))


def _add_constraint(ctx: Context, table: Table, con: Node) -> None:
    contype = con.get("contype")
    if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        keys = tuple(strings(con.get("keys")))
        if not keys and con.get("indexname"):
            idx = ctx.indexes.get((table.key[0], con["indexname"]))
            keys = idx.columns if idx else ()
        if contype == "CONSTR_PRIMARY":
            table.has_pk = True
            table.pk = keys
            table.not_null.update(keys)
        if keys:
            table.leads.append(keys)
            table.indexed.update(keys)
    elif contype == "CONSTR_FOREIGN":
        ctx.add_fk(table.key, tuple(strings(con.get("fk_attrs"))), location(con))
        if con.get("skip_validation") and table.file != ctx.file_index and ctx.transactional:
            ctx.not_valid_open.add((table.key, con.get("conname", "")))
    elif contype == "CONSTR_EXCLUSION":
        for item in con.get("exclusions") or ():
            for elem in item.get("List", {}).get("items") or ():
                if "IndexElem" in elem and elem["IndexElem"].get("name"):
                    table.indexed.add(elem["IndexElem"]["name"])
    elif contype == "CONSTR_CHECK":
        expr = con.get("raw_expr")
        table.checked |= column_refs(expr)
        implied = not_null_conjuncts(expr)
        if con.get("skip_validation"):
            name = con.get("conname") or default_check_name(table.key[1], expr)
            table.not_null_checks[name] = tuple(sorted(implied))
            if table.file != ctx.file_index and ctx.transactional:
                ctx.not_valid_open.add((table.key, con.get("conname", "")))
        else:
            table.validated_not_null |= implied


def track_create(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("relation"))
    if key is None or (key in ctx.tables and node.get("if_not_exists")):
        return
    line, column = ctx.pos(None)
    rel = node["relation"]
    t = ctx.tables[key] = Table(
        key,
        ctx.file_index,
        line,
        column,
        rls=False,
        partition="partbound" in node,
        temporary=rel.get("relpersistence") == "t",
        copies_other=bool(node.get("inhRelations")),
    )
    ctx.created.append(key)
    for elt in node.get("tableElts") or ():
        if "ColumnDef" in elt:
            _add_column(ctx, t, elt["ColumnDef"])
        elif "Constraint" in elt:
            _add_constraint(ctx, t, elt["Constraint"])
        elif "TableLikeClause" in elt:
            if elt["TableLikeClause"].get("options", 0) & _LIKE_INDEXES:
                t.copies_other = True  # the source's primary key comes along
            else:
                t.made_by = "CREATE TABLE … (LIKE …)"


def track_create_as(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    into: Node = node.get("into") or {}
    clause: Node = into.get("IntoClause") or into
    key = table_key(clause.get("rel"))
    if key is not None and node.get("objtype") == "OBJECT_MATVIEW":
        ctx.matviews_created.add(key)
    if key is not None and node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
        line, column = ctx.pos(None)
        ctx.tables[key] = Table(key, ctx.file_index, line, column, rls=False, made_by="CREATE TABLE … AS")
        ctx.created.append(key)


def track_alter(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("relation"))
    if node.get("objtype") == "OBJECT_VIEW":
        track_alter_view(ctx, node)
        return
    if key is None or node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
        return
    table = ctx.ensure(key)
    for item in node.get("cmds") or ():
        cmd = item.get("AlterTableCmd")
        if not cmd:
            continue
        sub = cmd.get("subtype")
        definition = cmd.get("def") or {}
        if sub == "AT_AddColumn" and "ColumnDef" in definition:
            _add_column(ctx, table, definition["ColumnDef"])
        elif sub == "AT_AddConstraint" and "Constraint" in definition:
            _add_constraint(ctx, table, definition["Constraint"])
        elif sub == "AT_DropColumn":
            name = cmd.get("name") or ""
            table.columns.pop(name, None)
            table.leads = [lead for lead in table.leads if name not in lead]
            for names in (table.not_null, table.validated_not_null, table.checked, table.indexed):
                names.discard(name)
        elif sub == "AT_AlterColumnType" and "ColumnDef" in definition:
            tn = definition["ColumnDef"].get("typeName")
            table.columns[cmd.get("name", "")] = Column(type_name(tn), typmods(tn))
        elif sub == "AT_ValidateConstraint":
            table.validated_not_null.update(table.not_null_checks.get(cmd.get("name", ""), ()))
        elif sub == "AT_SetNotNull":
            table.not_null.add(cmd.get("name", ""))
        elif sub == "AT_DropNotNull":
            table.not_null.discard(cmd.get("name", ""))
        elif sub in ("AT_EnableRowSecurity", "AT_ForceRowSecurity"):
            table.rls = True
        elif sub == "AT_DisableRowSecurity":
            table.rls = False
            ctx.rls_disabled.append(ctx.pending(key, (), location(node.get("relation"))))


def _index_columns(node: Node) -> tuple[str, ...]:
    cols: list[str] = []
    for param in node.get("indexParams") or ():
        name = param.get("IndexElem", {}).get("name")
        if not name:  # an expression: later columns no longer lead
            break
        cols.append(name)
    return tuple(cols)


def track_index(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("relation"))
    if key is None:
        return
    table = ctx.ensure(key)
    cols = _index_columns(node)
    if node.get("primary"):
        table.has_pk = True
    if cols and not node.get("whereClause"):  # a partial index does not serve every FK lookup
        table.leads.append(cols)
    for param in node.get("indexParams") or ():
        elem = param.get("IndexElem") or {}
        if elem.get("name"):
            table.indexed.add(elem["name"])
        else:
            table.indexed |= column_refs(elem.get("expr"))
    if node.get("idxname"):
        ctx.indexes[(key[0], node["idxname"])] = Index(key, ctx.file_index, cols)


def track_drop(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    kind = node.get("removeType")
    for obj in node.get("objects") or ():
        names = obj.get("List", {}).get("items")
        if kind == "OBJECT_TABLE" and names:
            key = qualified(names)
            if key:
                ctx.tables.pop(key, None)
        elif kind == "OBJECT_INDEX" and names:
            key = qualified(names)
            idx = ctx.indexes.pop(key, None) if key else None
            table = ctx.tables.get(idx.table) if idx else None
            if idx and table and idx.columns in table.leads:
                table.leads.remove(idx.columns)


def track_rename(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("relation"))
    rename = node.get("renameType")
    new = node.get("newname")
    if key is None or not new:
        return
    if rename == "OBJECT_TABLE" and key in ctx.tables:
        table = ctx.tables.pop(key)
        table.key = (key[0], new)
        ctx.tables[table.key] = table
        if key in ctx.created:
            ctx.created[ctx.created.index(key)] = table.key
    elif rename == "OBJECT_COLUMN" and key in ctx.tables:
        table = ctx.tables[key]
        old = node.get("subname", "")
        if old in table.columns:
            table.columns[new] = table.columns.pop(old)
        table.leads = [tuple(new if c == old else c for c in lead) for lead in table.leads]
        table.pk = tuple(new if c == old else c for c in table.pk)
        for names in (table.not_null, table.validated_not_null, table.checked, table.indexed):
            if old in names:
                names.discard(old)
                names.add(new)


def track_policy(ctx: Context, node: Node) -> None:
    key = table_key(node.get("table"))
    if key is None:
        return
    ctx.ensure(key).policies += 1
    ctx.pending_policies.append(ctx.pending(key, (), None))


def track_enum(ctx: Context, node: Node) -> None:
    key = qualified(node.get("typeName") or [])
    if key:
        ctx.enum_values[key] = set(strings(node.get("vals")))
        ctx.enums_created.add(key)


def track_alter_enum(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = qualified(node.get("typeName") or [])
    value = node.get("newVal")
    if key and value and node.get("oldVal"):  # RENAME VALUE: no new value to wait for
        values = ctx.enum_values.setdefault(key, set())
        values.discard(node["oldVal"])
        values.add(value)
    elif key and value:
        ctx.enum_values.setdefault(key, set()).add(value)
        # PostgreSQL 12+ allows using values added to a type created in the same transaction.
        if ctx.transactional and not (key in ctx.enums_created and not ctx.migration_no_tx):
            ctx.new_enum_values[value] = ".".join(key) if key[0] != "public" else key[1]


def track_transaction(ctx: Context, node: Node) -> None:
    kind = node.get("kind", "")
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK",
                "TRANS_STMT_PREPARE"):
        line, column = ctx.pos(None)
        ctx.transactions.append((kind, line, column))
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        if ctx.in_block:
            line, column = ctx.pos(None)
            ctx.nested_begins.append((line, column))
        ctx.in_block = True
    elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
        ctx.in_block = False
        ctx.not_valid_open.clear()  # the ADD … NOT VALID committed: a VALIDATE from here on is safe
        assert ctx.migration is not None
        if ctx.migration.no_transaction:  # committed: new enum values are usable from here on
            ctx.new_enum_values.clear()


def _write(ctx: Context, node: Node, what: str) -> None:
    key = table_key(node.get("relation"))
    if key is not None and not ctx.is_new(key):
        line, column = ctx.pos(None)
        ctx.data_writes.append((line, column, what))


def cte_writes(node: Node) -> list[tuple[str, Node]]:
    """Data-modifying statements of a WITH clause: (DeleteStmt / UpdateStmt / InsertStmt, node)."""
    out: list[tuple[str, Node]] = []
    for item in ((node.get("withClause") or {}).get("ctes")) or ():
        query = (item.get("CommonTableExpr") or {}).get("ctequery") or {}
        for kind in ("DeleteStmt", "UpdateStmt", "InsertStmt"):
            if kind in query:
                out.append((kind, query[kind]))
    return out


def _track_ctes(ctx: Context, node: Node) -> None:
    if "withClause" in node:
        for kind, sub in cte_writes(node):
            TRACKERS[kind](ctx, sub)


def track_update(ctx: Context, node: Node) -> None:
    _write(ctx, node, "UPDATE")
    _track_ctes(ctx, node)


def track_delete(ctx: Context, node: Node) -> None:
    _write(ctx, node, "DELETE")
    _track_ctes(ctx, node)


def track_select(ctx: Context, node: Node) -> None:
    _track_ctes(ctx, node)


def track_insert(ctx: Context, node: Node) -> None:
    """INSERT … SELECT copying rows of existing tables is a backfill, whatever the target."""
    _track_ctes(ctx, node)
    select = node.get("selectStmt") or {}
    if "SelectStmt" not in select:
        return
    body = select["SelectStmt"]
    if body.get("valuesLists") and not body.get("fromClause"):
        return
    ctes = {
        (item.get("CommonTableExpr") or {}).get("ctename")
        for owner in (node, body)
        for item in ((owner.get("withClause") or {}).get("ctes")) or ()
    }
    target = table_key(node.get("relation"))

    def copies(rangevar: Node) -> bool:
        key = table_key(rangevar)
        if key is None or (not rangevar.get("schemaname") and key[1] in ctes):
            return False
        return not ctx.is_new(key) or (target is not None and not ctx.is_new(target))

    # Any one table read makes it a backfill: the FROM list's own tables first (almost always the
    # answer), the whole tree (subqueries, joins) only when they do not settle it.
    direct = [item["RangeVar"] for item in body.get("fromClause") or () if "RangeVar" in item]
    if any(copies(rangevar) for rangevar in direct) or any(copies(v) for v in find_all(body, "RangeVar")):
        line, column = ctx.pos(None)
        ctx.data_writes.append((line, column, "INSERT … SELECT"))


def track_schema(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    if node.get("schemaname"):
        ctx.schemas_created.add(node["schemaname"])



def track_set(ctx: Context, node: Node) -> None:
    """Follow ``SET [LOCAL] search_path``: unqualified names resolve in its first real schema."""
    if node.get("name") != "search_path":
        return
    schema = DEFAULT_SCHEMA
    if node.get("kind") == "VAR_SET_VALUE":
        values = [const_string(arg) for arg in node.get("args") or ()]
        schema = next((v for v in values if v and v not in ("$user", "pg_catalog", "pg_temp")), DEFAULT_SCHEMA)
    if node.get("is_local") and ctx.restore_schema is None:
        ctx.restore_schema = default_schema()  # SET LOCAL ends with the file's transaction
    set_default_schema(schema)


def track_ddl(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True


_TRUE = frozenset({"true", "on", "1", "yes"})


def _invoker(options: list[Node] | None) -> bool | None:
    """The ``security_invoker`` reloption among ``options`` (None when not set)."""
    for item in options or ():
        elem = item.get("DefElem") or {}
        if elem.get("defname") == "security_invoker":
            arg = elem.get("arg") or {}
            if "String" in arg:
                return str(arg["String"].get("sval", "")).lower() in _TRUE
            if "Integer" in arg:
                return bool(arg["Integer"].get("ival", 0))
            if "Boolean" in arg:
                return bool(arg["Boolean"].get("boolval", False))
            return True  # `WITH (security_invoker)` alone means true
    return None


def track_view(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("view"))
    if key is not None:
        line, column = ctx.pos(location(node.get("view")))
        ctx.views[key] = (line, column, bool(_invoker(node.get("options"))))


def track_alter_view(ctx: Context, node: Node) -> None:
    """``ALTER VIEW v SET (security_invoker = …)`` (parsed as ALTER TABLE of a view)."""
    key = table_key(node.get("relation"))
    if key is None or key not in ctx.views:
        return
    for cmd in alter_cmds(node).get("AT_SetRelOptions", ()):
        value = _invoker(((cmd.get("def") or {}).get("List") or {}).get("items"))
        if value is not None:
            line, column, _ = ctx.views[key]
            ctx.views[key] = (line, column, value)


def function_key(names: list[Node] | None) -> str:
    key = qualified(names or [])
    return ".".join(key) if key else ""


def _function_flags(options: list[Node] | None) -> tuple[bool | None, bool]:
    """(SECURITY DEFINER? None when not said, search_path pinned?) from a function's options."""
    definer: bool | None = None
    pinned = False
    for item in options or ():
        elem = item.get("DefElem") or {}
        name = elem.get("defname")
        arg = elem.get("arg") or {}
        if name == "security":
            definer = bool((arg.get("Boolean") or {}).get("boolval", False))
        elif name == "set" and (arg.get("VariableSetStmt") or {}).get("name") == "search_path":
            pinned = arg["VariableSetStmt"].get("kind") != "VAR_RESET"
    return definer, pinned


def track_function(ctx: Context, node: Node) -> None:
    key = function_key(node.get("funcname"))
    definer, pinned = _function_flags(node.get("options"))
    if definer and not pinned and key:
        line, column = ctx.pos(None)
        ctx.definers[key] = (line, column, key)
    else:
        ctx.definers.pop(key, None)


def track_alter_function(ctx: Context, node: Node) -> None:
    key = function_key((node.get("func") or {}).get("objname"))
    definer, pinned = _function_flags(node.get("actions"))
    if pinned or definer is False:
        ctx.definers.pop(key, None)


_WRITES = frozenset({"insert", "update", "delete"})


def track_grant(ctx: Context, node: Node) -> None:
    """Write privileges on named tables given to anon or PUBLIC (judged against RLS at the end)."""
    if not node.get("is_grant") or node.get("objtype") != "OBJECT_TABLE":
        return
    if node.get("targtype", "ACL_TARGET_OBJECT") != "ACL_TARGET_OBJECT":
        return
    privileges = [(p.get("AccessPriv") or {}).get("priv_name", "") for p in node.get("privileges") or ()]
    writes = [p for p in privileges if p in _WRITES] if privileges else ["all"]
    if not writes:
        return
    for spec in node.get("grantees") or ():
        role = spec.get("RoleSpec") or {}
        grantee = "public" if role.get("roletype") == "ROLESPEC_PUBLIC" else role.get("rolename", "")
        if grantee not in ("anon", "public"):
            continue
        for obj in node.get("objects") or ():
            rangevar = obj.get("RangeVar")
            key = table_key(rangevar)
            if key is not None:
                ctx.grants.append((ctx.pending(key, (), location(rangevar)), grantee, ", ".join(writes).upper()))


def track_domain(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = qualified(node.get("domainname") or [])
    if key:
        ctx.domains_created.add(key)


TRACKERS: dict[str, Callable[[Context, Node], None]] = {
    "CreateStmt": track_create,
    "CreateTableAsStmt": track_create_as,
    "AlterTableStmt": track_alter,
    "IndexStmt": track_index,
    "DropStmt": track_drop,
    "RenameStmt": track_rename,
    "CreatePolicyStmt": track_policy,
    "CreateEnumStmt": track_enum,
    "AlterEnumStmt": track_alter_enum,
    "TransactionStmt": track_transaction,
    "UpdateStmt": track_update,
    "DeleteStmt": track_delete,
    "InsertStmt": track_insert,
    "SelectStmt": track_select,
    "CreateSchemaStmt": track_schema,
    "ViewStmt": track_view,
    "CreateFunctionStmt": track_function,
    "AlterFunctionStmt": track_alter_function,
    "GrantStmt": track_grant,
    "CreateDomainStmt": track_domain,
    "AlterDomainStmt": track_ddl,
    "CreateTrigStmt": track_ddl,
    "VariableSetStmt": track_set,
}
