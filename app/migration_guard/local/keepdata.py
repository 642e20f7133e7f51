"""`reset --keep-data`: the rows of named tables survive a reset.

Each table is copied out (``COPY … TO STDOUT``, text format) into a private temp folder before
anything is dropped, and put back after the migrations and the seeds, parents before children. When the new
schema no longer fits the rows (a column dropped or retyped, a new NOT NULL column, a reference to
a row that is gone) the message names the table and the column, and the dump files stay on disk so
nothing is lost.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from migration_guard.errors import UserError
from migration_guard.local.db import Conn


@dataclass(frozen=True)
class KeptTable:
    schema: str
    name: str
    columns: tuple[str, ...]
    file: Path
    rows: int

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def split_name(name: str) -> tuple[str, str]:
    schema, _, table = name.rpartition(".")
    return (schema or "public"), table


def _columns(conn: Conn, schema: str, table: str) -> tuple[str, ...] | None:
    rows = conn.execute(
        """
        select a.attname from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
          and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
        order by a.attnum
        """,
        (schema, table),
    ).fetchall()
    if not rows:
        exists = conn.execute(
            "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')",
            (schema, table),
        ).fetchone()
        return None if exists is None else ()
    return tuple(str(r[0]) for r in rows)


def dump(conn: Conn, names: list[str]) -> tuple[Path, list[KeptTable]]:
    """Copy the tables' rows to files in a new private folder; refuses tables that do not exist."""
    folder = Path(tempfile.mkdtemp(prefix="migration-guard-kept-"))
    kept: list[KeptTable] = []
    try:
        for name in names:
            schema, table = split_name(name)
            columns = _columns(conn, schema, table)
            if columns is None:
                raise UserError(f"--keep-data {name}: no table {schema}.{table} in the database (nothing to keep)")
            file = folder / f"{schema}.{table}.copy"
            rows = 0
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            query = sql.SQL("copy (select {} from {}.{}) to stdout").format(
                cols, sql.Identifier(schema), sql.Identifier(table)
            )
            with file.open("wb") as out, conn.cursor().copy(query) as copy:
                for block in copy:
                    out.write(block)
                    rows += bytes(block).count(b"\n")
            kept.append(KeptTable(schema, table, columns, file, rows))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, kept


def _fk_parents(conn: Conn, table: KeptTable) -> set[str]:
    rows = conn.execute(
        """
        select rn.nspname || '.' || rc.relname from pg_constraint k
        join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_class rc on rc.oid = k.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
        where k.contype = 'f' and n.nspname = %s and c.relname = %s
        """,
        (table.schema, table.name),
    ).fetchall()
    return {str(r[0]) for r in rows}


def restore_order(conn: Conn, kept: list[KeptTable]) -> list[KeptTable]:
    """Parents before children (among the kept tables), otherwise in the order given."""
    names = {k.qualified for k in kept}
    parents = {k.qualified: _fk_parents(conn, k) & names - {k.qualified} for k in kept}
    done: list[KeptTable] = []
    pending = list(kept)
    while pending:
        ready = [k for k in pending if parents[k.qualified] <= {d.qualified for d in done}]
        if not ready:  # a cycle: keep the given order and let PostgreSQL say what does not fit
            ready = pending[:1]
        for k in ready:
            done.append(k)
            pending.remove(k)
    return done


def _misfit(table: KeptTable, column: str | None, exc: psycopg.Error, folder: Path) -> UserError:
    diag = exc.diag
    column = column or diag.column_name
    where = f", column {column}" if column else ""
    message = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        message += f" ({diag.message_detail.strip()})"
    return UserError(
        f"--keep-data {table.qualified}{where}: the kept rows no longer fit the new schema: {message}; "
        f"the reset is done but no kept rows were restored; they are saved in {folder} "
        "(COPY text format, one file per table)",
        exit_code=1,
    )


def _new_types(conn: Conn, table: KeptTable) -> dict[str, str]:
    rows = conn.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
          and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
        """,
        (table.schema, table.name),
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _failing_cast(conn: Conn, staging: sql.Identifier, columns: tuple[str, ...], types: dict[str, str]) -> str | None:
    """Which column's values no longer convert to the new type (PostgreSQL's error does not say)."""
    for c in columns:
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("select {}::{} from {}").format(sql.Identifier(c), sql.SQL(types[c]), staging)
                ).fetchall()
        except psycopg.Error:
            return c
    return None


def restore(conn: Conn, folder: Path, kept: list[KeptTable]) -> list[tuple[KeptTable, int]]:
    """Put the rows back, parents first, in one transaction: all tables or none.

    Rows go through a text staging table and ``INSERT … ON CONFLICT DO NOTHING``, so a kept row the
    seeds already recreated (same key) is skipped rather than failing the reset. Returns each table
    with the number of rows inserted.
    """
    ordered = restore_order(conn, kept)
    done: list[tuple[KeptTable, int]] = []
    with conn.transaction():
        for i, table in enumerate(ordered):
            types = _new_types(conn, table)
            if not types:
                raise UserError(
                    f"--keep-data {table.qualified}: the table no longer exists after the migrations; "
                    f"the reset is done but no kept rows were restored; they are saved in {folder}",
                    exit_code=1,
                )
            missing = [c for c in table.columns if c not in types]
            if missing:
                raise UserError(
                    f"--keep-data {table.qualified}, column {missing[0]}: the column no longer exists in the new "
                    "schema, so the kept rows do not fit; the reset is done but no kept rows were restored; "
                    f"they are saved in {folder} (COPY text format, one file per table)",
                    exit_code=1,
                )
            staging = sql.Identifier(f"migration_guard_kept_{i}")
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
            text_cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in table.columns)
            conn.execute(sql.SQL("create temp table {} ({}) on commit drop").format(staging, text_cols))
            load = sql.SQL("copy {} ({}) from stdin").format(staging, cols)
            with conn.cursor().copy(load) as copy, table.file.open("rb") as src:
                while block := src.read(1 << 16):
                    copy.write(block)
            casts = sql.SQL(", ").join(
                sql.SQL("{}::{}").format(sql.Identifier(c), sql.SQL(types[c])) for c in table.columns
            )
            insert = sql.SQL(
                "insert into {}.{} ({}) overriding system value select {} from {} on conflict do nothing"
            ).format(sql.Identifier(table.schema), sql.Identifier(table.name), cols, casts, staging)
            try:
                with conn.transaction():
                    inserted = conn.execute(insert).rowcount
            except psycopg.DataError as exc:
                raise _misfit(table, _failing_cast(conn, staging, table.columns, types), exc, folder) from None
            except psycopg.Error as exc:
                raise _misfit(table, None, exc, folder) from None
            _advance_sequences(conn, table)
            done.append((table, max(inserted, 0)))
    shutil.rmtree(folder, ignore_errors=True)
    return done


def _advance_sequences(conn: Conn, table: KeptTable) -> None:
    """Serial/identity sequences restart at 1 after a reset: move them past the restored ids."""
    for (column,) in conn.execute(
        """
        select a.attname from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
          and pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) is not null
        """,
        (table.schema, table.name),
    ).fetchall():
        qualified = f"{sql.Identifier(table.schema).as_string(conn)}.{sql.Identifier(table.name).as_string(conn)}"
        conn.execute(
            sql.SQL("select setval(pg_get_serial_sequence(%s, %s), coalesce(max({}), 0) + 1, false) from {}.{}").format(
                sql.Identifier(column), sql.Identifier(table.schema), sql.Identifier(table.name)
            ),
            (qualified, column),
        )
