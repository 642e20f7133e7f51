"""`migration-guard seed --synthetic N`: realistic rows generated from the catalog.

Order: tables are filled parents first (foreign keys, topologically; a self-reference is filled
from rows made earlier in the same run, or left NULL). Values: by type, within the CHECK limits we
understand (checks.py), enum labels, plausible names/emails/dates/urls/phones by column name
(values.py, Faker). UNIQUE and primary keys are tracked so values never collide; a row PostgreSQL
still refuses (a CHECK we do not understand) is regenerated, up to a limit. Identity, generated and
serial columns are left to the database. A foreign key to ``auth.users`` makes us create users too.
Everything runs in one transaction: all rows or none. The same ``--seed-value`` on the same schema
gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from faker import Faker
from psycopg import sql
from psycopg.types.json import Jsonb

from migration_guard.errors import UserError
from migration_guard.local.catalog import Column, ForeignKey, Table, read_tables
from migration_guard.local.checks import Limits, parse_checks
from migration_guard.local.db import Conn
from migration_guard.local.values import WINDOW_END, WINDOW_START, Unsupported, value

AUTH_USERS = "auth.users"
ATTEMPTS = 25  # regenerations of one row before it is skipped
NULL_SHARE = 0.1  # nullable columns left NULL this often (real data has gaps)
POOL_LIMIT = 20_000


@dataclass(frozen=True)
class TableResult:
    table: str
    inserted: int
    skipped: int = 0
    note: str = ""


def _auth_user_overrides(fake: Any) -> dict[str, Any]:
    """What GoTrue writes for a confirmed e-mail user (columns absent from the table are ignored)."""
    when = WINDOW_START + timedelta(seconds=fake.random.randint(0, int((WINDOW_END - WINDOW_START).total_seconds())))
    return {
        "instance_id": "00000000-0000-0000-0000-000000000000",
        "aud": "authenticated",
        "role": "authenticated",
        "email_confirmed_at": when,
        "created_at": when,
        "updated_at": when,
        "raw_app_meta_data": Jsonb({"provider": "email", "providers": ["email"]}),
        "raw_user_meta_data": Jsonb({"full_name": fake.name()}),
        "is_sso_user": False,
        "is_anonymous": False,
    }


# Nullable columns that mark an exceptional state (soft deletes, bans): mostly NULL, as in real data.
RARE_STATE = ("deleted", "archived", "banned", "revoked", "canceled", "cancelled", "suspended", "disabled", "expired")


def _null_share(column: Column) -> float:
    return 0.85 if any(word in column.name.lower() for word in RARE_STATE) else NULL_SHARE


def _qualified(name: str, schema: str) -> str:
    return name if "." in name else f"{schema}.{name}"


def _is_serial(column: Column) -> bool:
    return column.default is not None and column.default.startswith("nextval(")


class Generator:
    def __init__(self, conn: Conn, seed_value: int | None, say: Callable[[str], None]) -> None:
        self.conn = conn
        self.fake = Faker("en_US")
        if seed_value is not None:
            self.fake.seed_instance(seed_value)
        self.say = say
        self.tables: dict[str, Table] = {}
        self.read_schemas: set[str] = set()

    # -- catalog ------------------------------------------------------------------------------------
    def load(self, schemas: list[str]) -> None:
        new = [s for s in schemas if s not in self.read_schemas]
        if new:
            self.tables.update(read_tables(self.conn, new))
            self.read_schemas.update(new)

    def table(self, name: str) -> Table:
        self.load([name.split(".", 1)[0]])
        if name not in self.tables:
            raise UserError(f"no table {name} in the database")
        return self.tables[name]

    def row_count(self, table: Table) -> int:
        row = self.conn.execute(
            sql.SQL("select count(*) from {}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))
        ).fetchone()
        return int(row[0]) if row else 0

    # -- planning -----------------------------------------------------------------------------------
    def plan(self, selected: list[str]) -> tuple[list[Table], dict[str, str]]:
        """Tables to fill, parents first; notes say why a table not asked for was added."""
        notes: dict[str, str] = {}
        todo = [self.table(n) for n in selected]
        chosen = {t.qualified: t for t in todo}
        while todo:
            t = todo.pop()
            for fk in t.foreign_keys:
                if fk.parent in chosen or fk.parent == t.qualified:
                    continue
                parent = self.table(fk.parent)
                if fk.parent == AUTH_USERS or self.row_count(parent) == 0:
                    chosen[fk.parent] = parent
                    notes[fk.parent] = f"referenced by {t.qualified}"
                    todo.append(parent)
        order: list[Table] = []
        done: set[str] = set()
        remaining = dict(sorted(chosen.items()))
        while remaining:
            ready = [
                t
                for t in remaining.values()
                if all(fk.parent in done or fk.parent not in remaining or fk.parent == t.qualified
                       for fk in t.foreign_keys)
            ]
            if not ready:  # a cycle: start with a table whose in-cycle references may be NULL
                ready = [t for t in remaining.values() if self._breakable(t, remaining)][:1]
                if not ready:
                    names = ", ".join(remaining)
                    raise UserError(f"cannot order {names}: their foreign keys form a cycle of NOT NULL columns")
                notes[ready[0].qualified] = "foreign keys in a cycle left NULL"
            for t in ready:
                order.append(t)
                done.add(t.qualified)
                del remaining[t.qualified]
        return order, notes

    def _breakable(self, t: Table, remaining: dict[str, Table]) -> bool:
        return all(
            not any(t.column(c).not_null for c in fk.columns)
            for fk in t.foreign_keys
            if fk.parent in remaining and fk.parent != t.qualified
        )

    # -- values -------------------------------------------------------------------------------------
    def pool(self, fk: ForeignKey, child: Table, one_to_one: bool) -> list[tuple[Any, ...]]:
        parent = self.tables[fk.parent]
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in fk.parent_columns)
        not_null = sql.SQL(" and ").join(sql.SQL("{} is not null").format(sql.Identifier(c)) for c in fk.parent_columns)
        query = sql.SQL("select distinct {} from {}.{} where {} order by {} limit {}").format(
            cols, sql.Identifier(parent.schema), sql.Identifier(parent.name), not_null, cols, sql.Literal(POOL_LIMIT)
        )
        keys = [tuple(r) for r in self.conn.execute(query).fetchall()]
        if one_to_one:
            taken = self.existing(child, fk.columns)
            keys = [k for k in keys if k not in taken]
        return keys

    def existing(self, table: Table, columns: tuple[str, ...]) -> set[tuple[Any, ...]]:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        query = sql.SQL("select {} from {}.{}").format(cols, sql.Identifier(table.schema), sql.Identifier(table.name))
        return {tuple(r) for r in self.conn.execute(query).fetchall()}

    def fill(self, table: Table, n: int, note: str) -> TableResult:
        fake = self.fake
        limits = parse_checks(table.checks)
        is_auth_users = table.qualified == AUTH_USERS
        fk_of: dict[str, tuple[ForeignKey, int]] = {}
        for fk in table.foreign_keys:
            for i, col_name in enumerate(fk.columns):
                fk_of.setdefault(col_name, (fk, i))
        uniques = list(table.uniques)
        one_to_one = {fk.name for fk in table.foreign_keys if any(set(u) <= set(fk.columns) for u in uniques)}
        pools: dict[str, list[tuple[Any, ...]]] = {}
        for fk in table.foreign_keys:
            if fk.parent == table.qualified:
                continue
            pools[fk.name] = self.pool(fk, table, fk.name in one_to_one)
            needed = any(table.column(c).not_null for c in fk.columns)
            if not pools[fk.name] and needed:
                if fk.name in one_to_one:  # typically a trigger on the parent made them (handle_new_user)
                    present = self.row_count(table)
                    return TableResult(
                        table.qualified, 0, 0, f"every {fk.parent} row already has one ({present} present)"
                    )
                return TableResult(table.qualified, 0, n, f"nothing to reference: {fk.parent} has no rows")
        if any(fk.name in one_to_one and fk.parent != table.qualified for fk in table.foreign_keys):
            capacity = min(len(pools[k]) for k in pools if k in one_to_one)
            if capacity < n:
                note = "; ".join(x for x in (note, f"only {capacity} parent rows without one") if x)
                n = capacity

        columns = [c for c in table.columns if not (c.identity or c.generated or _is_serial(c))]
        overrides = _auth_user_overrides(fake) if is_auth_users else {}
        fill_cols: list[Column] = []
        for c in columns:
            if is_auth_users and c.name not in ("id", "email") and c.name not in overrides:
                if c.not_null and c.default is None:
                    fill_cols.append(c)
                continue
            if c.name in fk_of or c.name in overrides:
                fill_cols.append(c)
                continue
            try:
                value(c, table.name, limits.get(c.name), fake)
            except Unsupported:
                if c.not_null and c.default is None:
                    raise UserError(
                        f"{table.qualified}.{c.name}: cannot generate values of type {c.formatted}; give the column a "
                        f"default, or leave the table out (--table)"
                    ) from None
                continue
            fill_cols.append(c)
        names = [c.name for c in fill_cols]
        unique_sets = [u for u in uniques if set(u) <= set(names)]
        seen: dict[tuple[str, ...], set[tuple[Any, ...]]] = {
            u: self.existing(table, u) if self.row_count(table) else set() for u in unique_sets
        }
        self_refs = [fk for fk in table.foreign_keys if fk.parent == table.qualified]
        made: list[dict[str, Any]] = []
        drawn: dict[str, list[tuple[Any, ...]]] = {k: list(v) for k, v in pools.items()}

        def make_row() -> dict[str, Any] | None:
            for _ in range(ATTEMPTS):
                row: dict[str, Any] = {}
                per_row = _auth_user_overrides(fake) if is_auth_users else {}
                picks: dict[str, tuple[Any, ...] | None] = {}
                for fk in table.foreign_keys:
                    nullable = not any(table.column(c).not_null for c in fk.columns)
                    if fk.parent == table.qualified:
                        earlier = [tuple(r.get(c) for c in fk.parent_columns) for r in made]
                        earlier = [k for k in earlier if None not in k]
                        picks[fk.name] = fake.random.choice(earlier) if earlier and fake.random.random() < 0.6 else None
                    elif (nullable and fake.random.random() < NULL_SHARE) or not drawn.get(fk.name):
                        picks[fk.name] = None
                    else:
                        picks[fk.name] = fake.random.choice(drawn[fk.name])
                for c in fill_cols:
                    if c.name in fk_of:
                        fk, i = fk_of[c.name]
                        pick = picks.get(fk.name)
                        row[c.name] = None if pick is None else pick[i]
                    elif c.name in per_row:
                        row[c.name] = per_row[c.name]
                    elif not c.not_null and fake.random.random() < _null_share(c) and not is_auth_users:
                        row[c.name] = None
                    else:
                        row[c.name] = value(c, table.name, limits.get(c.name), fake)
                if is_auth_users and "email" in row and row["email"] is not None:
                    row["email"] = f"{fake.user_name()}.{fake.random.randint(1, 9999)}@example.com"
                keys = {u: tuple(row[c] for c in u) for u in unique_sets}
                if any(None not in k and k in seen[u] for u, k in keys.items()):
                    continue
                for u, k in keys.items():
                    if None not in k:
                        seen[u].add(k)
                for fk in table.foreign_keys:
                    pick = picks.get(fk.name)
                    if fk.name in one_to_one and pick is not None and pick in drawn.get(fk.name, []):
                        drawn[fk.name].remove(pick)
                return row
            return None

        insert = sql.SQL("insert into {}.{} ({}) values ({})").format(
            sql.Identifier(table.schema),
            sql.Identifier(table.name),
            sql.SQL(", ").join(sql.Identifier(c) for c in names),
            sql.SQL(", ").join(sql.Placeholder() * len(names)),
        )
        inserted = skipped = 0
        last_error = ""
        for _ in range(n):
            for _attempt in range(ATTEMPTS):
                row = make_row()
                if row is None:
                    break
                try:
                    with self.conn.transaction():
                        self.conn.execute(insert, [row[c] for c in names])
                except (psycopg.errors.IntegrityError, psycopg.DataError) as exc:
                    last_error = (exc.diag.message_primary or str(exc)).strip()
                    continue
                made.append(row)
                inserted += 1
                break
            else:
                skipped += 1
                continue
            if row is None:
                skipped += 1
        if skipped and last_error:
            note = "; ".join(x for x in (note, f"last refusal: {last_error}") if x)
        elif skipped:
            note = "; ".join(x for x in (note, "ran out of distinct values for a unique column") if x)
        if self_refs and not any(r.get(c) is not None for r in made for fk in self_refs for c in fk.columns):
            note = "; ".join(x for x in (note, "self-references left NULL") if x)
        return TableResult(table.qualified, inserted, skipped, note)


def seed_synthetic(
    conn: Conn,
    rows: int,
    schema: str,
    tables: list[str],
    seed_value: int | None,
    say: Callable[[str], None],
) -> list[TableResult]:
    """Fill the tables (all of ``schema`` when none are named) with ``rows`` rows each."""
    gen = Generator(conn, seed_value, say)
    gen.load([schema])
    selected = [_qualified(t, schema) for t in tables] or sorted(
        name for name, t in gen.tables.items() if t.schema == schema
    )
    if not selected:
        raise UserError(f"no tables in schema {schema}")
    results: list[TableResult] = []
    with conn.transaction():
        order, notes = gen.plan(selected)
        for table in order:
            result = gen.fill(table, rows, notes.get(table.qualified, ""))
            results.append(result)
    return results


__all__ = ["Limits", "TableResult", "seed_synthetic"]
