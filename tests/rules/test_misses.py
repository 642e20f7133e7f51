"""Rules and context cases issue 13 found missing: each with true positives at exact positions and
the tricky negatives next to them."""

from __future__ import annotations

from collections.abc import Callable

from pglast import parser

Hits = Callable[..., list[tuple[int, int]]]
Lint = Callable[..., list]

EXISTING = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, amount int, email text, n int NOT NULL, m int);"
)


def test_validate_in_the_transaction_of_its_add_not_valid(hits: Hits) -> None:
    same = (
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT fk;\n"
        "  ALTER TABLE orders VALIDATE CONSTRAINT pos;"
    )
    assert hits("validate-in-same-transaction", EXISTING, same) == [(3, 1), (4, 3)]
    # The next file runs in its own transaction: that is the fix.
    later = ("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;",
             "ALTER TABLE orders VALIDATE CONSTRAINT fk;")
    assert hits("validate-in-same-transaction", EXISTING, *later) == []
    no_tx = (
        "-- migration-guard: no-transaction\n"
        "ALTER TABLE orders ADD CONSTRAINT a CHECK (n > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT a;\n"  # autocommit: the ADD has committed
        "BEGIN;\nALTER TABLE orders ADD CONSTRAINT b CHECK (n > 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT b;\nCOMMIT;\n"  # one explicit transaction: flagged
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (n > 0) NOT VALID;\n"
        "BEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;"
    )
    assert hits("validate-in-same-transaction", EXISTING, no_tx) == [(6, 1)]
    new_table = "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n" + (
        "ALTER TABLE t VALIDATE CONSTRAINT c;"
    )
    assert hits("validate-in-same-transaction", new_table) == []


def test_inline_constraints_in_add_column(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders ADD COLUMN a int UNIQUE, ADD COLUMN b int CHECK (b > 0),\n"
        "  ADD COLUMN c bigint REFERENCES customers (id), ADD COLUMN d bigint DEFAULT 1 REFERENCES customers (id),\n"
        "  ADD COLUMN e bigint PRIMARY KEY, ADD COLUMN f bigint DEFAULT NULL REFERENCES customers (id);\n"
        "CREATE TABLE t (x int);\nALTER TABLE t ADD COLUMN y int UNIQUE CHECK (y > 0) DEFAULT 1 REFERENCES t (x);"
    )
    assert hits("unique-constraint-without-index", EXISTING, sql) == [(1, 37), (3, 23)]
    assert hits("check-constraint-not-valid", EXISTING, sql) == [(1, 62)]
    # A REFERENCES column without a default is all NULL: nothing to check. With one, every row is.
    assert hits("foreign-key-not-valid", EXISTING, sql) == [(2, 80)]


def test_inline_check_fix_runs(lint_sql: Lint, pg_url: str) -> None:
    import psycopg

    (finding,) = [
        f for f in lint_sql(EXISTING, "ALTER TABLE orders ADD COLUMN b int DEFAULT 1 CHECK (b > 0);")
        if f.rule == "check-constraint-not-valid"
    ]
    assert "NOT VALID" in finding.fix and "VALIDATE CONSTRAINT orders_b_check" in finding.fix
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(EXISTING)
        for statement in parser.split(finding.fix):
            conn.execute(statement)
        row = conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_b_check'").fetchone()
        assert row == (True,)


def test_primary_key_on_nullable_columns(hits: Hits) -> None:
    indexes = (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_m_idx ON orders (m);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY orders_n_idx ON orders (n);"
    )
    sql = (
        "ALTER TABLE orders DROP CONSTRAINT orders_pkey;\n"
        "ALTER TABLE orders ADD CONSTRAINT pk PRIMARY KEY USING INDEX orders_m_idx;\n"
        "ALTER TABLE orders ADD CONSTRAINT pk2 PRIMARY KEY USING INDEX orders_n_idx;\n"  # n is NOT NULL: instant
        "ALTER TABLE orders ADD CONSTRAINT pk3 PRIMARY KEY (customer_id);\n"
        "ALTER TABLE legacy ADD CONSTRAINT lp PRIMARY KEY USING INDEX legacy_idx;\n"  # never seen: a caution
        "ALTER TABLE orders ADD CONSTRAINT u UNIQUE USING INDEX orders_m_idx;"  # UNIQUE needs no NOT NULL
    )
    assert hits("primary-key-on-nullable-columns", EXISTING, indexes, sql) == [(2, 24), (4, 24), (5, 24)]
    proven = (
        "ALTER TABLE orders ADD CONSTRAINT m_nn CHECK (m IS NOT NULL) NOT VALID;",
        "ALTER TABLE orders VALIDATE CONSTRAINT m_nn;\nALTER TABLE orders ADD PRIMARY KEY USING INDEX orders_m_idx;",
    )
    assert hits("primary-key-on-nullable-columns", EXISTING, indexes, *proven) == []


def test_exclusion_constraint_on_existing_table(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT ex EXCLUDE USING gist (amount WITH =);\n"
        "CREATE TABLE b (r tsrange);\nALTER TABLE b ADD EXCLUDE USING gist (r WITH &&);"
    )
    assert hits("exclusion-constraint", EXISTING, sql) == [(1, 24)]


def test_reindex_detach_refresh_without_concurrently(hits: Hits) -> None:
    reindex = (
        "REINDEX TABLE orders;\nREINDEX INDEX orders_pkey;\nREINDEX (VERBOSE) TABLE CONCURRENTLY orders;\n"
        "REINDEX SCHEMA public;\nCREATE TABLE n (a int);\nCREATE INDEX n_a ON n (a);\n"
        "REINDEX INDEX n_a;\nREINDEX TABLE n;"
    )
    assert hits("reindex-not-concurrent", EXISTING, reindex) == [(1, 15), (2, 15), (4, 1)]
    detach = (
        "ALTER TABLE measurements DETACH PARTITION measurements_2023;\n"
        "ALTER TABLE measurements DETACH PARTITION m2 CONCURRENTLY;\n"
        "ALTER TABLE measurements DETACH PARTITION m3 FINALIZE;"
    )
    assert hits("detach-partition-not-concurrent", detach) == [(1, 43)]
    refresh = (
        "REFRESH MATERIALIZED VIEW sales;\nREFRESH MATERIALIZED VIEW CONCURRENTLY sales;\n"
        "REFRESH MATERIALIZED VIEW sales WITH NO DATA;\nCREATE MATERIALIZED VIEW mv AS SELECT 1;\n"
        "REFRESH MATERIALIZED VIEW mv;"
    )
    assert hits("refresh-matview-not-concurrent", refresh) == [(1, 27)]


def test_lock_table(hits: Hits) -> None:
    sql = (
        "LOCK TABLE orders;\nLOCK orders IN ACCESS SHARE MODE;\nLOCK TABLE orders, items IN SHARE MODE;\n"
        "LOCK orders IN ROW EXCLUSIVE MODE;\nCREATE TABLE n (a int);\nLOCK n;"
    )
    assert hits("lock-table", EXISTING, sql) == [(1, 12), (3, 12), (3, 20)]
    no_tx = (
        "-- migration-guard: no-transaction\nLOCK TABLE orders;\nBEGIN;\nLOCK TABLE orders IN EXCLUSIVE MODE;\nCOMMIT;"
    )
    assert hits("lock-table", no_tx) == [(2, 1), (4, 12)]  # outside a transaction LOCK TABLE is an error


def test_set_logged_unlogged(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders SET UNLOGGED;\nALTER TABLE orders SET LOGGED;\n"
        "CREATE TABLE n (a int);\nALTER TABLE n SET UNLOGGED;"
    )
    assert hits("set-logged-unlogged", EXISTING, sql) == [(1, 13), (2, 13)]


def test_domain_add_constraint(hits: Hits) -> None:
    sql = (
        "ALTER DOMAIN email ADD CONSTRAINT email_check CHECK (VALUE ~ '@');\n"
        "ALTER DOMAIN email ADD CHECK (VALUE <> '') NOT VALID;\n"
        "CREATE DOMAIN d AS int;\nALTER DOMAIN d ADD CHECK (VALUE > 0);"
    )
    assert hits("domain-add-constraint", sql) == [(1, 24)]


def test_renames_of_enum_values_and_schemas(hits: Hits) -> None:
    sql = (
        "ALTER TYPE status RENAME VALUE 'canceled' TO 'cancelled';\n"
        "CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood RENAME VALUE 'sad' TO 'blue';\n"
        "ALTER SCHEMA payments RENAME TO billing;\nCREATE SCHEMA tmp;\nALTER SCHEMA tmp RENAME TO tmp2;\n"
        "ALTER TYPE status ADD VALUE 'x';"
    )
    assert hits("rename-enum-value", sql) == [(1, 1)]
    assert hits("rename-schema", sql) == [(4, 1)]
    # A renamed value is not a new one: using it in the same transaction is fine.
    assert hits("enum-add-value-in-transaction", sql + "\nUPDATE t SET s = 'cancelled' WHERE id = 1;") == []


def test_type_change_of_a_column_with_check_constraints(hits: Hits) -> None:
    base = (
        "CREATE TABLE t (c varchar(10) CHECK (length(c) < 5), d varchar(10), e text, f text, g timestamp(3),"
        " h varchar(5));\nCREATE INDEX t_f ON t (lower(f));\nALTER TABLE t ADD CONSTRAINT hh CHECK (h <> '');"
    )
    sql = (
        "ALTER TABLE t ALTER COLUMN c TYPE text, ALTER COLUMN d TYPE text, ALTER COLUMN e TYPE citext,\n"
        "  ALTER COLUMN f TYPE citext, ALTER COLUMN g TYPE timestamp(6), ALTER COLUMN h TYPE varchar(6);\n"
        "ALTER TABLE t ALTER COLUMN g TYPE timestamp(2);"
    )
    # c and h: no rewrite but their CHECKs are re-checked by a scan; f: its (expression) index is rebuilt.
    assert hits("column-type-change", base, sql) == [(1, 28), (2, 16), (2, 78), (3, 28)]


def test_identifiers_over_63_bytes(hits: Hits) -> None:
    sql = (
        "CREATE TABLE " + "a" * 64 + " (id int);\n"
        'CREATE INDEX "' + "Ä" * 33 + '" ON t (x);\n'  # 66 bytes in UTF-8
        "CREATE TABLE " + "b" * 63 + " (id int);\n"  # exactly 63: kept whole
        "ALTER TABLE t ADD COLUMN " + "c" * 70 + " int;\n"
        "SELECT '" + "d" * 80 + "';"
    )
    assert hits("identifier-too-long", sql) == [(1, 14), (2, 1), (4, 26)]


def test_identifiers_over_63_bytes_beside_other_statements(hits: Hits) -> None:
    # An ASCII file is searched for long words once, not statement by statement: a name at a
    # statement's very start or end is found, a long word in a comment next to it is not a name.
    long = "e" * 70
    sql = (
        f"CREATE TABLE t (x int);CREATE INDEX {long} ON t (x);\n"
        f"/* {'f' * 80} */CREATE TABLE u (y int);\n"
        f"ALTER TABLE t ADD COLUMN {long}/*{'g' * 80}*/ int;\n"
        f'CREATE TABLE "{"h" * 70}" (id int);--{"i" * 80}\n'
        f"CREATE TABLE {'j' * 40}_{'k' * 30} (id int)"
    )
    assert hits("identifier-too-long", sql) == [(1, 24), (3, 26), (4, 14), (5, 14)]


def test_char_and_json_columns(hits: Hits) -> None:
    sql = 'CREATE TABLE t (a char(3), b json, c character, d "char", e jsonb, f varchar(9));\n' + (
        "ALTER TABLE t ADD COLUMN g json;"
    )
    assert hits("prefer-text", sql) == [(1, 19), (1, 38), (1, 70)]
    assert hits("prefer-jsonb", sql) == [(1, 30), (2, 28)]


def test_statements_one_level_down(hits: Hits) -> None:
    sql = (
        "WITH d AS (DELETE FROM orders RETURNING *) INSERT INTO archive SELECT * FROM d;\n"
        "WITH u AS (UPDATE orders SET amount = 0 RETURNING id) SELECT count(*) FROM u;\n"
        "WITH d AS (DELETE FROM orders WHERE id = 1 RETURNING *) SELECT 1;\n"
        "CREATE TABLE n (a int);\nWITH d AS (DELETE FROM n RETURNING *) SELECT 1;"
    )
    assert hits("delete-without-where", EXISTING, sql) == [(1, 24)]
    assert hits("update-without-where", EXISTING, sql) == [(2, 19)]
    assert hits("mixed-schema-and-data", EXISTING, sql) == [(1, 1), (2, 1), (3, 1)]
    copies = "CREATE TABLE public.copy AS SELECT * FROM orders;\nCREATE TABLE public.lk (LIKE orders);"
    assert hits("table-without-rls", copies, supabase=True) == [(1, 1), (2, 1)]
    assert hits("missing-primary-key", EXISTING, copies) == [(1, 1), (2, 1)]
