"""column-type-change, add-column-volatile-default, add-not-null-column-without-default, set/drop-not-null."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Hits = Callable[..., list[tuple[int, int]]]
Lint = Callable[..., list]

BASE = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(50), code varchar(10), bio text,"
    " amount numeric(10, 2), n int, ts timestamptz);"
)


@pytest.mark.parametrize(
    "change",
    [
        "ALTER COLUMN name TYPE text",
        "ALTER COLUMN name TYPE varchar(100)",
        "ALTER COLUMN name TYPE varchar(50)",
        "ALTER COLUMN name TYPE character varying",
        "ALTER COLUMN bio TYPE varchar",
        "ALTER COLUMN amount TYPE numeric(12, 2)",
        "ALTER COLUMN amount TYPE numeric",
    ],
)
def test_type_change_safe_cases(hits: Hits, change: str) -> None:
    assert hits("column-type-change", BASE, f"ALTER TABLE accounts {change};") == []


@pytest.mark.parametrize(
    "change",
    [
        "ALTER COLUMN name TYPE varchar(20)",  # narrowing: scans, can fail
        "ALTER COLUMN amount TYPE numeric(12, 4)",  # scale change: rewrite
        "ALTER COLUMN amount TYPE numeric(8, 2)",
        "ALTER COLUMN n TYPE bigint",  # int → bigint rewrites
        "ALTER COLUMN bio TYPE varchar(10)",
        "ALTER COLUMN name TYPE text USING name::text",  # USING rewrites
    ],
)
def test_type_change_rewrites(hits: Hits, change: str) -> None:
    assert hits("column-type-change", BASE, f"ALTER TABLE accounts {change};") == [(1, 35)]


def test_type_change_unknown_column_flagged_new_table_not(hits: Hits) -> None:
    sql = (
        "CREATE TABLE t (a int);\n"
        "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n"
        "ALTER TABLE other ALTER COLUMN x TYPE text;"
    )
    assert hits("column-type-change", sql) == [(3, 32)]


def test_type_change_follows_renamed_and_retyped_columns(hits: Hits) -> None:
    later = "ALTER TABLE accounts RENAME COLUMN code TO ref;\nALTER TABLE accounts ALTER COLUMN ref TYPE text;"
    assert hits("column-type-change", BASE, later) == []


@pytest.mark.parametrize(
    "default",
    [
        "now()",
        "timezone('utc', now())",
        "timezone('utc'::text, now())",
        "current_timestamp",
        "CURRENT_DATE",
        "'free'",
        "0",
        "'{}'::jsonb",
        "false",
        "now() + interval '1 day'",
        "auth.uid()",
        "ARRAY[]::text[]",
    ],
)
def test_constant_and_stable_defaults_are_fine(hits: Hits, default: str) -> None:
    assert hits("add-column-volatile-default", BASE, f"ALTER TABLE accounts ADD COLUMN x text DEFAULT {default};") == []


@pytest.mark.parametrize(
    "column",
    [
        "x uuid DEFAULT gen_random_uuid()",
        "x uuid DEFAULT extensions.uuid_generate_v4()",
        "x float DEFAULT random()",
        "x timestamptz DEFAULT clock_timestamp()",
        "x bigint DEFAULT nextval('s')",
        "x text DEFAULT timeofday()",
        "x text DEFAULT md5(random()::text)",
    ],
)
def test_volatile_defaults_flagged(hits: Hits, column: str) -> None:
    sql = f"ALTER TABLE accounts ADD COLUMN {column};"
    assert len(hits("add-column-volatile-default", BASE, sql)) == 1


def test_volatile_default_position_and_unknown_function_message(lint_sql: Lint) -> None:
    found = lint_sql(BASE, "ALTER TABLE accounts\n  ADD COLUMN x text DEFAULT my_fn();")
    (f,) = [f for f in found if f.rule == "add-column-volatile-default"]
    assert (f.line, f.column) == (2, 21)
    assert "my_fn() is not a known stable function" in f.message and "assumed volatile" in f.message


def test_serial_identity_and_stored_generated_columns_rewrite(hits: Hits) -> None:
    sql = (
        "ALTER TABLE accounts ADD COLUMN a bigserial;\n"
        "ALTER TABLE accounts ADD COLUMN b bigint GENERATED ALWAYS AS IDENTITY;\n"
        "ALTER TABLE accounts ADD COLUMN c int GENERATED ALWAYS AS (n * 2) STORED;"
    )
    assert hits("add-column-volatile-default", BASE, sql) == [(1, 33), (2, 42), (3, 39)]


def test_volatile_default_on_new_table_is_fine(hits: Hits) -> None:
    sql = "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();"
    assert hits("add-column-volatile-default", sql) == []


def test_not_null_column_without_default(hits: Hits) -> None:
    sql = (
        "ALTER TABLE accounts ADD COLUMN plan text NOT NULL;\n"
        "ALTER TABLE accounts ADD COLUMN p2 text NOT NULL DEFAULT 'free';\n"
        "ALTER TABLE accounts ADD COLUMN p3 bigint NOT NULL GENERATED ALWAYS AS IDENTITY;\n"
        "ALTER TABLE accounts ADD COLUMN p4 text;\n"
        "CREATE TABLE fresh (id int);\n"
        "ALTER TABLE fresh ADD COLUMN p5 text NOT NULL;"
    )
    assert hits("add-not-null-column-without-default", BASE, sql) == [(1, 33)]


def test_set_not_null_flagged_but_safe_pattern_is_not(hits: Hits) -> None:
    sql = (
        "ALTER TABLE accounts ALTER COLUMN bio SET NOT NULL;\n"
        "ALTER TABLE accounts ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE accounts VALIDATE CONSTRAINT name_nn;\n"
        "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;"
    )
    assert hits("set-not-null", BASE, sql) == [(1, 1)]


def test_set_not_null_on_new_table_is_fine(hits: Hits) -> None:
    assert hits("set-not-null", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;") == []


def test_drop_not_null(hits: Hits) -> None:
    sql = (
        "CREATE TABLE t (a int NOT NULL);\n"
        "ALTER TABLE t ALTER a DROP NOT NULL;\n"
        "ALTER TABLE accounts ALTER name DROP NOT NULL;"
    )
    assert hits("drop-not-null", sql) == [(3, 1)]


def test_set_not_null_follows_renamed_and_dropped_columns(hits: Hits) -> None:
    base = "CREATE TABLE jobs (id bigint PRIMARY KEY, name text NOT NULL, tag text NOT NULL);"
    later = (
        "ALTER TABLE jobs RENAME COLUMN name TO simple_name;\nALTER TABLE jobs ADD COLUMN name text;\n"
        "ALTER TABLE jobs ALTER COLUMN name SET NOT NULL;\n"  # the new, nullable name: a scan
        "ALTER TABLE jobs ALTER COLUMN simple_name SET NOT NULL;\n"  # already NOT NULL: a no-op
        "ALTER TABLE jobs DROP COLUMN tag;\nALTER TABLE jobs ADD COLUMN tag text;\n"
        "ALTER TABLE jobs ALTER COLUMN tag SET NOT NULL;"
    )
    assert hits("set-not-null", base, later) == [(3, 1), (7, 1)]


def test_set_not_null_after_a_validated_check_that_implies_it(hits: Hits) -> None:
    base = "CREATE TABLE t (id bigint PRIMARY KEY, c int, d int, e int);"
    checks = (
        "ALTER TABLE t ADD CONSTRAINT c_ok CHECK (c > 10 AND c IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t ADD CONSTRAINT d_ok CHECK (d > 10) NOT VALID;\n"  # NULL passes: no proof
        "ALTER TABLE t ADD CONSTRAINT e_ok CHECK (e IS NOT NULL OR e > 1) NOT VALID;"  # OR: no proof
    )
    later = (
        "ALTER TABLE t VALIDATE CONSTRAINT c_ok;\nALTER TABLE t VALIDATE CONSTRAINT d_ok;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT e_ok;\nALTER TABLE t ALTER COLUMN c SET NOT NULL;\n"
        "ALTER TABLE t ALTER COLUMN d SET NOT NULL;\nALTER TABLE t ALTER COLUMN e SET NOT NULL;"
    )
    assert hits("set-not-null", base, checks, later) == [(5, 1), (6, 1)]


def test_pg_version_dependent_advice(hits: Hits, lint_sql: Lint) -> None:
    add = "ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free', ADD COLUMN note text DEFAULT NULL;"
    assert hits("add-column-volatile-default", BASE, add) == []  # PostgreSQL 11+: stored once
    assert hits("add-column-volatile-default", BASE, add, pg_version=10) == [(1, 43)]
    checked = (
        "ALTER TABLE accounts ADD CONSTRAINT n_nn CHECK (n IS NOT NULL) NOT VALID;",
        "ALTER TABLE accounts VALIDATE CONSTRAINT n_nn;\nALTER TABLE accounts ALTER COLUMN n SET NOT NULL;",
    )
    assert hits("set-not-null", BASE, *checked) == []
    assert hits("set-not-null", BASE, *checked, pg_version=11) == [(2, 1)]  # no scan skipping before 12
    view = "CREATE VIEW public.v AS SELECT 1;"
    (new,) = [f for f in lint_sql(view, supabase=True) if f.rule == "view-without-security-invoker"]
    (old,) = [f for f in lint_sql(view, supabase=True, pg_version=14) if f.rule == "view-without-security-invoker"]
    assert "security_invoker = true" in new.fix and old.fix.startswith("REVOKE ALL ON v FROM anon, authenticated;")
