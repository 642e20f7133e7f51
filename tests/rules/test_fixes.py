"""Fixes written for the flagged statement: the user's own names, and they really run on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from pglast import parser

Lint = Callable[..., list]

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE "Orders" (id bigint PRIMARY KEY, customer_id bigint, amount int, email text);
INSERT INTO customers VALUES (1), (2);
INSERT INTO "Orders" VALUES (1, 1, 5, 'a@x'), (2, 2, 7, 'b@x');
"""


def fix_for(lint_sql: Lint, rule: str, sql: str) -> str:
    (finding,) = [f for f in lint_sql("-- intent: test\n" + sql) if f.rule == rule]
    parser.parse_sql_json(finding.fix)  # pasteable SQL
    return str(finding.fix)


def run_fix(pg_url: str, fix: str) -> psycopg.Connection:
    conn = psycopg.connect(pg_url, autocommit=True)  # each statement on its own, like a no-transaction file
    conn.execute(SCHEMA)
    for raw in parser.split(fix):
        conn.execute(raw)
    return conn


def test_index_fix_is_the_same_index_built_concurrently(lint_sql: Lint, pg_url: str) -> None:
    fix = fix_for(
        lint_sql, "index-not-concurrent", 'CREATE INDEX orders_amount_idx ON "Orders" (amount) WHERE amount > 0;'
    )
    assert "-- migration-guard: no-transaction" in fix
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_amount_idx ON "Orders" (amount) WHERE amount > 0;' in fix
    with run_fix(pg_url, fix) as conn:
        query = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_amount_idx'::regclass"
        assert conn.execute(query).fetchone() == (True,)


def test_constraint_fix_adds_not_valid_then_validates(lint_sql: Lint, pg_url: str) -> None:
    sql = 'ALTER TABLE "Orders" ADD FOREIGN KEY (customer_id) REFERENCES customers (id), ADD CHECK (amount > 0);'
    fix = fix_for(lint_sql, "foreign-key-not-valid", sql)
    assert fix == fix_for(lint_sql, "check-constraint-not-valid", sql)
    assert 'VALIDATE CONSTRAINT "Orders_customer_id_fkey"' in fix and 'VALIDATE CONSTRAINT "Orders_check"' in fix
    with run_fix(pg_url, fix) as conn:
        rows = conn.execute(
            "SELECT conname, convalidated FROM pg_constraint"
            " WHERE conrelid = '\"Orders\"'::regclass AND contype IN ('f', 'c')"
        ).fetchall()
        assert sorted(rows) == [("Orders_check", True), ("Orders_customer_id_fkey", True)]


def test_set_not_null_fix_uses_a_validated_check(lint_sql: Lint, pg_url: str) -> None:
    fix = fix_for(lint_sql, "set-not-null", 'ALTER TABLE "Orders" ALTER COLUMN email SET NOT NULL;')
    assert "CHECK (email IS NOT NULL) NOT VALID" in fix
    with run_fix(pg_url, fix) as conn:
        (attnotnull,) = conn.execute(
            """SELECT attnotnull FROM pg_attribute WHERE attrelid = '"Orders"'::regclass AND attname = 'email'"""
        ).fetchone()  # type: ignore[misc]
        assert attnotnull is True


def test_unique_fix_builds_the_index_first(lint_sql: Lint, pg_url: str) -> None:
    fix = fix_for(
        lint_sql,
        "unique-constraint-without-index",
        'ALTER TABLE "Orders" ADD CONSTRAINT orders_email_key UNIQUE (email);',
    )
    with run_fix(pg_url, fix) as conn:
        query = "SELECT 1 FROM pg_constraint WHERE conname = 'orders_email_key' AND contype = 'u'"
        assert conn.execute(query).fetchone() == (1,)


def test_volatile_default_fix_adds_then_defaults_then_backfills(lint_sql: Lint, pg_url: str) -> None:
    fix = fix_for(
        lint_sql,
        "add-column-volatile-default",
        'ALTER TABLE "Orders" ADD COLUMN public_id uuid DEFAULT gen_random_uuid();',
    )
    assert 'ALTER TABLE "Orders" ADD COLUMN public_id uuid;' in fix
    with run_fix(pg_url, fix) as conn:
        assert conn.execute('SELECT count(*) FROM "Orders" WHERE public_id IS NULL').fetchone() == (0,)


def test_fk_without_index_fix_names_the_columns(lint_sql: Lint) -> None:
    fix = fix_for(
        lint_sql,
        "foreign-key-without-index",
        "CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES o);",
    )
    assert fix.endswith("CREATE INDEX items_order_id_idx ON items (order_id);")


def test_drop_index_and_concurrent_in_transaction_fixes(lint_sql: Lint) -> None:
    assert fix_for(lint_sql, "drop-index-not-concurrent", "DROP INDEX app.old_idx;").endswith(
        "DROP INDEX CONCURRENTLY IF EXISTS app.old_idx;"
    )
    fix = fix_for(lint_sql, "concurrent-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);")
    assert fix.startswith("-- in its own migration file") and "CREATE INDEX CONCURRENTLY i ON t (a);" in fix


def test_statements_inside_do_blocks_keep_the_generic_fix(lint_sql: Lint) -> None:
    from migration_guard.rules.registry import get_rule

    fix = fix_for(lint_sql, "index-not-concurrent", "DO $$ BEGIN CREATE INDEX i ON t (a); END $$;")
    rule = get_rule("index-not-concurrent")
    assert rule is not None and fix == rule.fix
