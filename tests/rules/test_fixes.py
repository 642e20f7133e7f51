"""Fixes written for the flagged statement: the user's own names, and they really run on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
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


def test_index_fix_keeps_the_statement_as_written(lint_sql: Lint, pg_url: str) -> None:
    # Keywords in the file's own case, its comments and expressions kept: an edit, not a deparse.
    sql = 'create unique index /* by email */ orders_email_idx on "Orders" using btree ((lower(email)));'
    fix = fix_for(lint_sql, "index-not-concurrent", sql)
    assert (
        'create unique index concurrently if not exists /* by email */ orders_email_idx on "Orders" '
        "using btree ((lower(email)));" in fix
    )
    assert fix_for(lint_sql, "index-not-concurrent", 'CREATE INDEX ON "Orders" (amount);').count(
        'CREATE INDEX CONCURRENTLY ON "Orders" (amount);'  # unnamed: IF NOT EXISTS would need a name
    ) == 1
    with run_fix(pg_url, fix) as conn:
        query = "SELECT indisvalid, indisunique FROM pg_index WHERE indexrelid = 'orders_email_idx'::regclass"
        assert conn.execute(query).fetchone() == (True, True)


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


def test_volatile_default_fix_copies_the_type_and_the_default_as_written(lint_sql: Lint, pg_url: str) -> None:
    # COLLATE, a named default and the constraints after it are not part of the type or the default.
    sql = (
        'ALTER TABLE "Orders" ADD COLUMN code text COLLATE "C" CONSTRAINT code_default '
        "DEFAULT md5(random()::text) || '-x' NOT NULL CHECK (length(code) > 2), ADD COLUMN note text;"
    )
    fix = fix_for(lint_sql, "add-column-volatile-default", sql)
    assert 'ALTER TABLE "Orders" ADD COLUMN code text;  -- instant' in fix
    assert "SET DEFAULT md5(random()::text) || '-x';" in fix
    assert "SET code = md5(random()::text) || '-x' WHERE ctid" in fix
    with run_fix(pg_url, fix) as conn:
        assert conn.execute('SELECT count(*) FROM "Orders" WHERE length(code) = 34').fetchone() == (2,)


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


def fix_after_schema(lint_sql: Lint, rule: str, sql: str) -> str:
    """The fix for ``sql`` in a file after one that created the tables (types and keys known)."""
    created = SCHEMA.split("INSERT", 1)[0]
    (finding,) = [f for f in lint_sql(created, "-- intent: test\n" + sql) if f.rule == rule]
    parser.parse_sql_json(finding.fix)
    return str(finding.fix)


def test_fixes_use_the_statements_own_names_and_run(lint_sql: Lint, pg_url: str) -> None:
    drop = fix_after_schema(lint_sql, "drop-column", 'ALTER TABLE "Orders" DROP COLUMN email;')
    assert 'CREATE TABLE "Orders_email_archive" AS SELECT id, email FROM "Orders";' in drop
    assert drop.endswith('ALTER TABLE "Orders" DROP COLUMN email;')
    rename = fix_after_schema(lint_sql, "rename-column", 'ALTER TABLE "Orders" RENAME COLUMN amount TO total;')
    assert 'ALTER TABLE "Orders" ADD COLUMN total int4;' in rename
    retype = fix_after_schema(lint_sql, "column-type-change", 'ALTER TABLE "Orders" ALTER COLUMN amount TYPE bigint;')
    assert 'ALTER TABLE "Orders" ADD COLUMN amount_new int8;' in retype
    for fix in (drop, rename, retype):
        with run_fix(pg_url, fix) as conn:
            conn.execute('DROP TABLE IF EXISTS "Orders_email_archive"')
            conn.execute('DROP TABLE "Orders"; DROP TABLE customers')
    with run_fix(pg_url, rename) as conn:
        query = "SELECT attname FROM pg_attribute WHERE attrelid = '\"Orders\"'::regclass"
        columns = {r[0] for r in conn.execute(query)}
        assert "total" in columns and "amount" not in columns


def test_prefer_text_and_policy_fixes_name_the_table(lint_sql: Lint, pg_url: str) -> None:
    text = fix_for(lint_sql, "prefer-text", "CREATE TABLE accounts (id bigint PRIMARY KEY, code char(3) NOT NULL);")
    assert text.endswith(
        "ALTER TABLE accounts ALTER COLUMN code TYPE text,"
        " ADD CONSTRAINT accounts_code_length CHECK (length(code) <= 3);"
    )
    policy = fix_for(
        lint_sql,
        "rls-enabled-no-policy",
        "CREATE TABLE notes (id bigint PRIMARY KEY, user_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;",
    )
    assert policy.startswith("CREATE POLICY notes_owner ON notes FOR ALL TO authenticated")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, code char(3) NOT NULL)")
        conn.execute(text)
        conn.execute("INSERT INTO accounts VALUES (1, 'abc')")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO accounts VALUES (2, 'abcd')")
