"""missing-primary-key and vacuum-full-or-cluster."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_missing_primary_key(hits: Hits) -> None:
    sql = (
        "CREATE TABLE a (id int);\n"
        "CREATE TABLE b (id int PRIMARY KEY);\n"
        "CREATE TABLE c (id int);\nALTER TABLE c ADD PRIMARY KEY (id);\n"
        "CREATE TABLE d PARTITION OF parent FOR VALUES IN (1);\n"
        "CREATE TEMP TABLE e (x int);\n"
        "CREATE TABLE f (LIKE a INCLUDING ALL);\n"
        "CREATE TABLE g AS SELECT 1 AS x;\n"
        "CREATE TABLE h (LIKE a);\n"
        "CREATE TABLE i (LIKE b INCLUDING INDEXES);\n"
        "CREATE TABLE j AS SELECT 1 AS id;\nALTER TABLE j ADD PRIMARY KEY (id);\n"
        "CREATE TABLE k () INHERITS (a);"
    )
    # CREATE TABLE … AS and a plain LIKE copy bring no primary key; LIKE … INCLUDING INDEXES does.
    assert hits("missing-primary-key", sql) == [(1, 1), (8, 1), (9, 1)]


def test_vacuum_full_and_cluster(hits: Hits) -> None:
    sql = (
        "VACUUM FULL orders;\nVACUUM orders;\nVACUUM (FULL, ANALYZE) items;\nCLUSTER orders USING orders_pkey;\n"
        "CREATE TABLE t (id int);\nVACUUM FULL t;"
    )
    assert hits("vacuum-full-or-cluster", sql) == [(1, 1), (3, 1), (4, 1)]


def test_vacuum_full_false_is_a_plain_vacuum(hits: Hits) -> None:
    sql = (
        "VACUUM (FULL FALSE) orders;\nVACUUM (FULL off, ANALYZE) orders;\nVACUUM (FULL 0) orders;\n"
        "VACUUM (FULL true) orders;\nVACUUM (FULL 1) orders;\nVACUUM (FULL on) orders;"
    )
    assert hits("vacuum-full-or-cluster", sql) == [(4, 1), (5, 1), (6, 1)]
