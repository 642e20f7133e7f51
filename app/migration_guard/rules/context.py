"""What the linter knows so far while it walks the migrations in run order.

Tables created in the file being linted are new and empty; tables from earlier files (or never
seen: a lint without history) exist and hold data. Rules read this; only the trackers at the
bottom write it, after the rules have seen the statement.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from migration_guard.migrations.splitting import LineIndex
from migration_guard.model import LintOptions, Migration, Statement
from migration_guard.rules.base import Hit
from migration_guard.rules.nodes import (
    DEFAULT_SCHEMA,
    Node,
    TableKey,
    column_constraints,
    const_string,
    default_schema,
    location,
    qualified,
    set_default_schema,
    strings,
    table_key,
    type_name,
    typmods,
)

EXISTING = -1  # Table.file for tables we never saw created (they exist, with data)


@dataclass
class Column:
    type: str
    mods: tuple[int, ...] | None


@dataclass
class Table:
    key: TableKey
    file: int  # index of the migration that created it, EXISTING when unknown
    line: int = 0
    column: int = 0
    columns: dict[str, Column] = field(default_factory=dict)
    leads: list[tuple[str, ...]] = field(default_factory=list)  # columns of each index / PK / UNIQUE
    has_pk: bool = False
    rls: bool | None = None  # None: unknown (a table we did not see created)
    policies: int = 0
    partition: bool = False
    temporary: bool = False
    copies_other: bool = False  # CREATE TABLE … (LIKE …) / INHERITS: keys may come from elsewhere
    not_null_checks: dict[str, str] = field(default_factory=dict)  # NOT VALID check name → column
    validated_not_null: set[str] = field(default_factory=set)


@dataclass
class Index:
    table: TableKey
    file: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Pending:
    """Something checked at the end of the file (so later statements of the file count).

    The position is kept as a character offset (resolved only if a finding is reported) or, for
    nodes without a location, as the statement's line and column.
    """

    table: TableKey
    columns: tuple[str, ...]
    offset: int | None
    line: int = 0
    column: int = 0


class Frame:
    """Maps parser byte offsets of the statement being checked to file positions.

    Top-level statements: offsets into the file. Statements embedded in a DO block: offsets into
    the embedded query, which starts at ``base`` in the file.
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
        "source",
    )

    def __init__(self, source: str, base: int, default: tuple[int, int] | None, mappable: bool = True) -> None:
        self.source = source
        self.base = base
        self.default = default  # position for nodes without a location (None: from default_offset)
        self.default_offset = 0
        self.mappable = mappable  # False: offsets cannot be placed in the file, use ``default``
        self.ascii = source.isascii()
        self._data = b""
        self._byte_starts: list[int] = []
        self._char_starts: list[int] = []

    def char_offset(self, byte_offset: int) -> int:
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
        """Created earlier in this same file: new and empty, so rewriting or locking it is harmless."""
        t = self.tables.get(key) if key else None
        return t is not None and t.file == self.file_index

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
            self._lines = LineIndex(self.migration.text)
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
            self._lines = LineIndex(self.migration.text)
        return self._lines.position(pending.offset)

    def add_fk(self, key: TableKey, cols: tuple[str, ...], loc: int | None) -> None:
        if cols:
            self.pending_fks.append(self.pending(key, cols, loc))


def _add_column(ctx: Context, table: Table, coldef: Node) -> None:
    name = coldef.get("colname")
    if not name:
        return
    tn = coldef.get("typeName")
    table.columns[name] = Column(type_name(tn), typmods(tn))
    for con in column_constraints(coldef):
        contype = con.get("contype")
        if contype == "CONSTR_PRIMARY":
            table.has_pk = True
            table.leads.append((name,))
        elif contype == "CONSTR_UNIQUE":
            table.leads.append((name,))
        elif contype == "CONSTR_FOREIGN":
            ctx.add_fk(table.key, (name,), location(con))


def _add_constraint(ctx: Context, table: Table, con: Node) -> None:
    contype = con.get("contype")
    if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        if contype == "CONSTR_PRIMARY":
            table.has_pk = True
        keys = tuple(strings(con.get("keys")))
        if not keys and con.get("indexname"):
            idx = ctx.indexes.get((table.key[0], con["indexname"]))
            keys = idx.columns if idx else ()
        if keys:
            table.leads.append(keys)
    elif contype == "CONSTR_FOREIGN":
        ctx.add_fk(table.key, tuple(strings(con.get("fk_attrs"))), location(con))
    elif contype == "CONSTR_CHECK":
        test = (con.get("raw_expr") or {}).get("NullTest")
        if test and test.get("nulltesttype") == "IS_NOT_NULL":
            fields = strings((test.get("arg") or {}).get("ColumnRef", {}).get("fields"))
            if len(fields) == 1:
                if con.get("skip_validation"):
                    table.not_null_checks[con.get("conname", "")] = fields[0]
                else:
                    table.validated_not_null.add(fields[0])


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
            t.copies_other = True


def track_create_as(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    into: Node = node.get("into") or {}
    clause: Node = into.get("IntoClause") or into
    key = table_key(clause.get("rel"))
    if key is not None and node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
        line, column = ctx.pos(None)
        ctx.tables[key] = Table(key, ctx.file_index, line, column, rls=False, copies_other=True)
        ctx.created.append(key)


def track_alter(ctx: Context, node: Node) -> None:
    ctx.has_ddl = True
    key = table_key(node.get("relation"))
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
            name = cmd.get("name")
            table.columns.pop(name or "", None)
            table.leads = [lead for lead in table.leads if name not in lead]
        elif sub == "AT_AlterColumnType" and "ColumnDef" in definition:
            tn = definition["ColumnDef"].get("typeName")
            table.columns[cmd.get("name", "")] = Column(type_name(tn), typmods(tn))
        elif sub == "AT_ValidateConstraint":
            col = table.not_null_checks.get(cmd.get("name", ""))
            if col:
                table.validated_not_null.add(col)
        elif sub in ("AT_EnableRowSecurity", "AT_ForceRowSecurity"):
            table.rls = True
        elif sub == "AT_DisableRowSecurity":
            table.rls = False


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
    if key and value:
        ctx.enum_values.setdefault(key, set()).add(value)
        # PostgreSQL 12+ allows using values added to a type created in the same transaction.
        if ctx.transactional and not (key in ctx.enums_created and not ctx.migration_no_tx):
            ctx.new_enum_values[value] = ".".join(key) if key[0] != "public" else key[1]


def track_transaction(ctx: Context, node: Node) -> None:
    kind = node.get("kind", "")
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        ctx.in_block = True
    elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
        ctx.in_block = False
        assert ctx.migration is not None
        if ctx.migration.no_transaction:  # committed: new enum values are usable from here on
            ctx.new_enum_values.clear()


def _write(ctx: Context, node: Node, what: str) -> None:
    key = table_key(node.get("relation"))
    if key is not None and not ctx.is_new(key):
        line, column = ctx.pos(None)
        ctx.data_writes.append((line, column, what))


def track_update(ctx: Context, node: Node) -> None:
    _write(ctx, node, "UPDATE")


def track_delete(ctx: Context, node: Node) -> None:
    _write(ctx, node, "DELETE")


def track_insert(ctx: Context, node: Node) -> None:
    select = (node.get("selectStmt") or {}).get("SelectStmt") or {}
    if select.get("fromClause"):
        _write(ctx, node, "INSERT … SELECT")


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
    "CreateSchemaStmt": track_schema,
    "ViewStmt": track_ddl,
    "CreateDomainStmt": track_ddl,
    "AlterDomainStmt": track_ddl,
    "CreateTrigStmt": track_ddl,
    "VariableSetStmt": track_set,
}
