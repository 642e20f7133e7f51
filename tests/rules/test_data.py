"""delete-without-where, update-without-where, mixed-schema-and-data."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_whole_table_update_and_delete(hits: Hits) -> None:
    sql = (
        "UPDATE accounts SET plan = 'free';\nUPDATE accounts SET plan = 'free' WHERE plan IS NULL;\n"
        "DELETE FROM sessions;\nDELETE FROM sessions WHERE expires_at < now();\n"
        "CREATE TABLE tmp (a int);\nINSERT INTO tmp VALUES (1);\nUPDATE tmp SET a = 2;\nDELETE FROM tmp;"
    )
    assert hits("update-without-where", sql) == [(1, 8)]
    assert hits("delete-without-where", sql) == [(3, 13)]


def test_mixed_schema_and_data(hits: Hits) -> None:
    sql = (
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;\n"
        "INSERT INTO audit SELECT * FROM accounts;\n"
        "INSERT INTO settings (k, v) VALUES ('a', 'b');\n"
        "CREATE TABLE fresh (a int);\nINSERT INTO fresh SELECT 1 FROM accounts;\nUPDATE fresh SET a = 2 WHERE a = 1;\n"
        "CREATE TABLE fresh2 (a int);\nINSERT INTO fresh2 SELECT a FROM fresh;\n"
        "INSERT INTO fresh2 WITH s AS (SELECT 1 AS a) SELECT a FROM s;\n"
        "INSERT INTO fresh2 SELECT g FROM generate_series(1, 3) g;"
    )
    # A new table filled from an existing one is a backfill too (the copy reads the whole source);
    # copies between tables new in this file, CTEs and generated rows are not.
    assert hits("mixed-schema-and-data", sql) == [(2, 1), (3, 1), (6, 1)]


def test_data_only_file_or_declared_data_migration_is_fine(hits: Hits) -> None:
    assert hits("mixed-schema-and-data", "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;") == []
    declared = (
        "-- data-migration: yes\n"
        "ALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'x' WHERE id = 1;"
    )
    assert hits("mixed-schema-and-data", declared) == []


def test_insert_select_reading_an_existing_table_only_in_a_join_or_subquery_is_a_backfill(hits: Hits) -> None:
    sql = (
        "CREATE TABLE fresh (a int);\nCREATE TABLE fresh2 (a int);\n"
        "INSERT INTO fresh2 SELECT f.a FROM fresh f JOIN accounts x ON x.id = f.a;\n"
        "INSERT INTO fresh2 SELECT a FROM fresh WHERE a IN (SELECT id FROM accounts);\n"
        "INSERT INTO fresh2 SELECT f.a FROM fresh f JOIN fresh2 g ON g.a = f.a;"
    )
    assert hits("mixed-schema-and-data", sql) == [(3, 1), (4, 1)]
