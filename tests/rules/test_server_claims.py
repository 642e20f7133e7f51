"""The lock and rewrite claims behind the rules, checked on a real PostgreSQL server.

Rewrites are seen as a new relfilenode (table or index), scans as ``seq_scan`` in
``pg_stat_xact_user_tables`` within the statement's transaction, locks in ``pg_locks`` from a
second session.
"""

from __future__ import annotations

import orjson
import psycopg
import pytest
from pglast import parser

from migration_guard.rules.columns import binary_coercible
from migration_guard.rules.context import Column
from migration_guard.rules.nodes import type_name, typmods


def _column(sql_type: str) -> Column:
    tree = orjson.loads(parser.parse_sql_json(f"CREATE TABLE x (c {sql_type})"))
    tn = tree["stmts"][0]["stmt"]["CreateStmt"]["tableElts"][0]["ColumnDef"]["typeName"]
    return Column(type_name(tn), typmods(tn))


# (old type, new type, what the table says): None = nothing rebuilt, "index" = only indexes, "rewrite".
TYPE_CHANGES = [
    ("int", "int", None),
    ("varchar(50)", "text", None),
    ("varchar(10)", "varchar(20)", None),
    ("varchar(10)", "varchar", None),
    ("text", "varchar", None),
    ("numeric(10, 2)", "numeric(12, 2)", None),
    ("timestamp(3)", "timestamp(6)", None),
    ("timestamp(3)", "timestamp", None),
    ("timestamptz(0)", "timestamptz(3)", None),
    ("time(2)", "time(4)", None),
    ("timetz(2)", "timetz(4)", None),
    ("interval(2)", "interval(4)", None),
    ("cidr", "inet", None),
    ("text", "citext", "index"),
    ("citext", "text", "index"),
    ("varchar(5)", "citext", "index"),
    ("varchar(20)", "varchar(10)", "rewrite"),
    ("text", "varchar(10)", "rewrite"),
    ("timestamp", "timestamp(3)", "rewrite"),
    ("int", "bigint", "rewrite"),
]


def _filenode(conn: psycopg.Connection, rel: str) -> int:
    row = conn.execute("SELECT pg_relation_filenode(%s::regclass)", (rel,)).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def conn(pg_url: str):  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS citext")
        yield c


def test_binary_coercible_table_matches_the_server(conn: psycopg.Connection) -> None:
    for i, (old, new, claim) in enumerate(TYPE_CHANGES):
        assert binary_coercible(_column(old), *_typed(new)) == claim, (old, new)
        conn.execute(f"CREATE TABLE t{i} (c {old})")
        conn.execute(f"CREATE INDEX i{i} ON t{i} (c)")
        conn.execute(f"INSERT INTO t{i} VALUES (NULL)")
        table, index = _filenode(conn, f"t{i}"), _filenode(conn, f"i{i}")
        conn.execute(f"ALTER TABLE t{i} ALTER COLUMN c TYPE {new}")
        table_rewritten = _filenode(conn, f"t{i}") != table
        index_rebuilt = _filenode(conn, f"i{i}") != index
        if claim is None:
            assert not table_rewritten and not index_rebuilt, (old, new)
        elif claim == "index":
            assert not table_rewritten and index_rebuilt, (old, new)
        else:
            assert table_rewritten, (old, new)


def _typed(sql_type: str) -> tuple[str, tuple[int, ...] | None]:
    col = _column(sql_type)
    return col.type, col.mods


def _scans(conn: psycopg.Connection, statement: str, table: str) -> int:
    """Sequential scans of ``table`` that ``statement`` made (its own transaction, rolled back).

    The xact view also shows counts of earlier transactions not yet flushed (PostgreSQL 15+), so
    the difference around the statement is taken."""
    query = "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = %s"
    with conn.transaction(force_rollback=True):
        before = conn.execute(query, (table,)).fetchone()
        conn.execute(statement)
        after = conn.execute(query, (table,)).fetchone()
    return (int(after[0]) if after else 0) - (int(before[0]) if before else 0)


def test_check_constraints_are_rescanned_on_a_coercible_type_change(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE k (c varchar(10) CHECK (length(c) < 5), d varchar(10))")
        conn.execute("INSERT INTO k VALUES ('a', 'b')")
        assert _scans(conn, "ALTER TABLE k ALTER COLUMN c TYPE text", "k") >= 1
        assert _scans(conn, "ALTER TABLE k ALTER COLUMN d TYPE text", "k") == 0


def test_set_not_null_skips_the_scan_only_when_a_check_implies_not_null(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE s (a int, b int, c int)")
        conn.execute("INSERT INTO s VALUES (11, 11, 11)")
        conn.execute("ALTER TABLE s ADD CONSTRAINT a_nn CHECK (a > 10 AND a IS NOT NULL)")
        conn.execute("ALTER TABLE s ADD CONSTRAINT b_gt CHECK (b > 10)")  # NULL passes it
        assert _scans(conn, "ALTER TABLE s ALTER COLUMN a SET NOT NULL", "s") == 0
        assert _scans(conn, "ALTER TABLE s ALTER COLUMN b SET NOT NULL", "s") >= 1
        assert _scans(conn, "ALTER TABLE s ALTER COLUMN c SET NOT NULL", "s") >= 1


def test_primary_key_using_index_scans_nullable_columns_only(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE p (a int, b int NOT NULL)")
        conn.execute("INSERT INTO p VALUES (1, 1)")
        conn.execute("CREATE UNIQUE INDEX p_a ON p (a)")
        conn.execute("CREATE UNIQUE INDEX p_b ON p (b)")
        assert _scans(conn, "ALTER TABLE p ADD PRIMARY KEY USING INDEX p_a", "p") >= 1
        assert _scans(conn, "ALTER TABLE p ADD PRIMARY KEY USING INDEX p_b", "p") == 0


def test_validate_in_the_same_transaction_runs_under_the_adds_lock(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, parent_id int)")
        setup.execute("INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1)")
    migration = psycopg.connect(pg_url)
    watcher = psycopg.connect(pg_url, autocommit=True)
    try:
        migration.execute("ALTER TABLE child ADD CONSTRAINT pos CHECK (id > 0) NOT VALID")
        migration.execute("ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent NOT VALID")
        migration.execute("ALTER TABLE child VALIDATE CONSTRAINT pos")
        migration.execute("ALTER TABLE child VALIDATE CONSTRAINT fk")
        pid = migration.info.backend_pid
        held = set(
            watcher.execute(
                "SELECT relation::regclass::text, mode FROM pg_locks WHERE pid = %s AND locktype = 'relation'"
                " AND relation::regclass::text IN ('child', 'parent')",
                (pid,),
            ).fetchall()
        )
        # The VALIDATEs' scans ran while these were held: reads and writes of child waited throughout.
        assert ("child", "AccessExclusiveLock") in held
        assert ("parent", "ShareRowExclusiveLock") in held
        migration.rollback()
        # Committed first, VALIDATE takes only SHARE UPDATE EXCLUSIVE (writes continue).
        migration.execute("ALTER TABLE child ADD CONSTRAINT pos CHECK (id > 0) NOT VALID")
        migration.commit()
        migration.execute("ALTER TABLE child VALIDATE CONSTRAINT pos")
        modes = {
            mode
            for (mode,) in watcher.execute(
                "SELECT mode FROM pg_locks WHERE pid = %s AND relation = 'child'::regclass", (pid,)
            ).fetchall()
        }
        assert modes == {"ShareUpdateExclusiveLock"}
        migration.rollback()
    finally:
        migration.close()
        watcher.close()
