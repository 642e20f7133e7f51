"""What synthetic seeding needs to know about tables, read from the PostgreSQL catalog.

Plain data only: columns (base type, length, NOT NULL, default, identity/generated, enum labels),
unique column sets, foreign keys and CHECK constraint texts. checks.py turns the CHECK texts into
value ranges and choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migration_guard.local.db import Conn


@dataclass(frozen=True)
class Column:
    name: str
    type_name: str  # base type's pg_type.typname (domains resolved): int4, text, uuid, timestamptz…
    formatted: str  # format_type(): for casts and messages
    not_null: bool
    default: str | None
    identity: bool
    generated: bool
    max_length: int | None  # varchar(n) / char(n)
    numeric_precision: tuple[int, int] | None  # (precision, scale) of numeric(p, s)
    enum_labels: tuple[str, ...]
    is_array: bool


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    parent: str  # "schema.table"
    parent_columns: tuple[str, ...]


@dataclass
class Table:
    oid: int
    schema: str
    name: str
    columns: list[Column] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)  # PK first when there is one
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # pg_get_constraintdef texts

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES = """
select c.oid::bigint, n.nspname, c.relname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any(%s)
order by n.nspname, c.relname
"""

COLUMNS = """
select a.attrelid::bigint, a.attname,
       coalesce(bt.typname, t.typname) as base,
       format_type(a.atttypid, a.atttypmod),
       a.attnotnull or coalesce(t.typnotnull, false),
       pg_get_expr(d.adbin, d.adrelid),
       a.attidentity <> '', a.attgenerated <> '',
       case when coalesce(bt.typname, t.typname) in ('varchar', 'bpchar') and m.tm > 4 then m.tm - 4 end,
       case when coalesce(bt.typname, t.typname) = 'numeric' and m.tm > 4
            then array[((m.tm - 4) >> 16) & 65535, (m.tm - 4) & 65535] end,
       coalesce((select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e
                 where e.enumtypid = coalesce(et.oid, t.oid)), '{}'),
       t.typcategory = 'A' or coalesce(bt.typcategory, '') = 'A'
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype
                                      when t.typcategory = 'A' then t.typelem end
left join pg_type et on et.oid = bt.oid and et.typtype = 'e'
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
cross join lateral (select coalesce(nullif(a.atttypmod, -1), t.typtypmod) as tm) m
where a.attrelid = any(%s) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum
"""

CONSTRAINTS = """
select k.conrelid::bigint, k.conname, k.contype,
       (select array_agg(a.attname order by x.i) from unnest(k.conkey) with ordinality x(n, i)
          join pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.n),
       rn.nspname || '.' || rc.relname,
       (select array_agg(a.attname order by x.i) from unnest(k.confkey) with ordinality x(n, i)
          join pg_attribute a on a.attrelid = k.confrelid and a.attnum = x.n),
       pg_get_constraintdef(k.oid)
from pg_constraint k
left join pg_class rc on rc.oid = k.confrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where k.conrelid = any(%s) and k.contype in ('p', 'u', 'f', 'c')
order by k.conrelid, k.contype, k.conname
"""

UNIQUE_INDEXES = """
select i.indrelid::bigint, array_agg(a.attname order by x.i)
from pg_index i
cross join lateral unnest(i.indkey) with ordinality x(n, i)
join pg_attribute a on a.attrelid = i.indrelid and a.attnum = x.n
where i.indrelid = any(%s) and i.indisunique and i.indpred is null and i.indexprs is null
  and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
group by i.indexrelid, i.indrelid
"""


def read_tables(conn: Conn, schemas: list[str]) -> dict[str, Table]:
    """Every ordinary and partitioned table of the given schemas, keyed by "schema.name"."""
    tables = {int(r[0]): Table(int(r[0]), str(r[1]), str(r[2])) for r in conn.execute(TABLES, (schemas,))}
    oids = list(tables)
    if not oids:
        return {}
    for r in conn.execute(COLUMNS, (oids,)):
        tables[int(r[0])].columns.append(
            Column(
                name=str(r[1]),
                type_name=str(r[2]),
                formatted=str(r[3]),
                not_null=bool(r[4]),
                default=r[5],
                identity=bool(r[6]),
                generated=bool(r[7]),
                max_length=r[8],
                numeric_precision=(int(r[9][0]), int(r[9][1])) if r[9] else None,
                enum_labels=tuple(r[10] or ()),
                is_array=bool(r[11]),
            )
        )
    for oid, name, contype, cols, parent, parent_cols, definition in conn.execute(CONSTRAINTS, (oids,)):
        table = tables[int(oid)]
        if contype == "p":
            table.uniques.insert(0, tuple(cols))
        elif contype == "u":
            table.uniques.append(tuple(cols))
        elif contype == "f":
            table.foreign_keys.append(ForeignKey(str(name), tuple(cols), str(parent), tuple(parent_cols)))
        elif contype == "c":
            table.checks.append(str(definition))
    for oid, cols in conn.execute(UNIQUE_INDEXES, (oids,)):
        if tuple(cols) not in tables[int(oid)].uniques:
            tables[int(oid)].uniques.append(tuple(cols))
    return {t.qualified: t for t in tables.values()}
