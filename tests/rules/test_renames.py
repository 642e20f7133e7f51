"""rename-table, rename-column."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_rename_table(hits: Hits) -> None:
    sql = (
        "CREATE TABLE tmp (id int);\nALTER TABLE tmp RENAME TO tmp2;\nALTER TABLE public.accounts RENAME TO customers;"
    )
    assert hits("rename-table", sql) == [(3, 13)]


def test_rename_column(hits: Hits) -> None:
    sql = (
        "CREATE TABLE tmp (a int);\nALTER TABLE tmp RENAME COLUMN a TO b;\n"
        "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n"
        "ALTER TABLE accounts RENAME CONSTRAINT x TO y;"
    )
    assert hits("rename-column", sql) == [(3, 13)]


def test_renamed_new_table_stays_new(hits: Hits) -> None:
    sql = "CREATE TABLE tmp (a int);\nALTER TABLE tmp RENAME TO final;\nALTER TABLE final RENAME COLUMN a TO b;"
    assert hits("rename-column", sql) == []
    assert hits("drop-table", sql + "\nDROP TABLE final;") == []
