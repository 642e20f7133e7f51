"""drop-table, drop-column, drop-schema, drop-database, truncate."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_drop_table_existing_flagged_new_not(hits: Hits) -> None:
    sql = (
        "CREATE TABLE tmp (id bigint PRIMARY KEY);\nDROP TABLE tmp;\n  DROP TABLE IF EXISTS public.old, other CASCADE;"
    )
    assert hits("drop-table", sql) == [(3, 3), (3, 3)]


def test_drop_table_created_in_earlier_file_is_existing(hits: Hits) -> None:
    first = "CREATE TABLE accounts (id bigint PRIMARY KEY);"
    second = "DROP TABLE accounts;"
    assert hits("drop-table", first, second) == [(1, 1)]


def test_drop_table_schema_qualification_and_quoting(hits: Hits) -> None:
    sql = (
        'CREATE TABLE "Mixed" (id int);\n'
        "CREATE TABLE t (id int);\n"
        'DROP TABLE public."Mixed";\n'
        "DROP TABLE public.t;\n"
        'DROP TABLE "mixed";'
    )
    assert hits("drop-table", sql) == [(5, 1)]  # "mixed" is not "Mixed"


def test_drop_column(hits: Hits) -> None:
    sql = (
        "CREATE TABLE n (id int, c int);\n"
        "ALTER TABLE n DROP COLUMN c;\n"
        "ALTER TABLE accounts ADD COLUMN x int, DROP COLUMN legacy;"
    )
    assert hits("drop-column", sql) == [(3, 1)]


def test_drop_schema(hits: Hits) -> None:
    assert hits("drop-schema", "CREATE SCHEMA s;\nDROP SCHEMA s;\nDROP SCHEMA reporting CASCADE;") == [(3, 1)]


def test_drop_database(hits: Hits) -> None:
    assert hits("drop-database", "SELECT 1;\nDROP DATABASE IF EXISTS analytics;") == [(2, 1)]


def test_truncate_with_and_without_cascade(hits: Hits) -> None:
    sql = "CREATE TABLE scratch (id int);\nTRUNCATE scratch;\nTRUNCATE events;\nTRUNCATE TABLE a, b CASCADE;"
    assert hits("truncate", sql) == [(3, 10), (4, 16), (4, 19)]
