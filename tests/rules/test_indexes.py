"""index-not-concurrent, drop-index-not-concurrent, foreign-key-without-index."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]

EXISTING = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, note text);"


def test_index_on_existing_table_needs_concurrently(hits: Hits) -> None:
    sql = (
        "CREATE INDEX orders_customer_idx ON public.orders (customer_id);\n"
        "CREATE TABLE fresh (id int);\nCREATE INDEX ON fresh (id);\n"
        "CREATE INDEX ON ONLY orders (note);"  # partitioned parent only: builds nothing
    )
    assert hits("index-not-concurrent", EXISTING, sql) == [(1, 37)]


def test_concurrent_index_in_no_transaction_file_is_clean(hits: Hits) -> None:
    sql = "-- migration-guard: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (customer_id);"
    assert hits("index-not-concurrent", EXISTING, sql) == []
    assert hits("concurrent-in-transaction", EXISTING, sql) == []


def test_drop_index(hits: Hits) -> None:
    sql = (
        "CREATE INDEX tmp_idx ON orders (note);\nDROP INDEX tmp_idx;\n"
        "DROP INDEX orders_old_idx;\nDROP INDEX CONCURRENTLY orders_other_idx;"
    )
    assert hits("drop-index-not-concurrent", EXISTING, sql) == [(3, 1)]


def test_drop_index_created_in_earlier_file_is_flagged(hits: Hits) -> None:
    first = EXISTING + "\nCREATE INDEX orders_note_idx ON orders (note);"
    assert hits("drop-index-not-concurrent", first, "DROP INDEX public.orders_note_idx;") == [(1, 1)]


def test_fk_without_index_position(hits: Hits) -> None:
    sql = "CREATE TABLE items (\n  id bigint PRIMARY KEY,\n  order_id bigint REFERENCES orders (id)\n);"
    assert hits("foreign-key-without-index", EXISTING, sql) == [(3, 19)]


def test_fk_covered_by_index_later_in_same_file(hits: Hits) -> None:
    sql = (
        "CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));\n"
        "CREATE INDEX items_order_id_idx ON items (order_id);"
    )
    assert hits("foreign-key-without-index", EXISTING, sql) == []


def test_fk_covered_by_pk_unique_or_leading_columns_only(hits: Hits) -> None:
    sql = (
        "CREATE TABLE a (order_id bigint REFERENCES orders (id), x int, PRIMARY KEY (order_id, x));\n"
        "CREATE TABLE b (x int, order_id bigint REFERENCES orders (id), UNIQUE (x, order_id));\n"
        "CREATE TABLE c (order_id bigint UNIQUE REFERENCES orders (id));\n"
        "CREATE TABLE d (x int, y int, FOREIGN KEY (y, x) REFERENCES pairs (a, b));\n"
        "CREATE INDEX ON d (x, y, id);"
    )
    # b's UNIQUE (x, order_id) does not start with order_id.
    assert hits("foreign-key-without-index", EXISTING, sql) == [(2, 40)]


def test_fk_index_in_earlier_file_counts_partial_index_does_not(hits: Hits) -> None:
    first = EXISTING + "\nCREATE INDEX ON orders (customer_id) WHERE customer_id IS NOT NULL;"
    second = "ALTER TABLE orders ADD CONSTRAINT c FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;"
    assert hits("foreign-key-without-index", first, second) == [(1, 24)]
    third = "CREATE INDEX CONCURRENTLY ON orders (customer_id);"
    assert hits("foreign-key-without-index", EXISTING, third, second) == []
