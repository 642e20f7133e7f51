"""foreign-key-not-valid, check-constraint-not-valid, unique-constraint-without-index."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]

EXISTING = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, amount int, email text);"


def test_fk_without_not_valid_on_existing_table(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT fk2 FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT fk2;"
    )
    assert hits("foreign-key-not-valid", EXISTING, sql) == [(1, 24)]


def test_fk_on_table_created_in_same_file_is_fine(hits: Hits) -> None:
    sql = (
        "CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint);\n"
        "ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);"
    )
    assert hits("foreign-key-not-valid", EXISTING, sql) == []


def test_check_constraint(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0);\n"
        "ALTER TABLE orders ADD CONSTRAINT positive2 CHECK (amount > 0) NOT VALID;\n"
        "CREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0);"
    )
    assert hits("check-constraint-not-valid", EXISTING, sql) == [(1, 24)]


def test_unique_and_primary_key_without_index(hits: Hits) -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT email_key UNIQUE (email);\n"
        "ALTER TABLE orders ADD CONSTRAINT email_key2 UNIQUE USING INDEX email_idx;\n"
        "ALTER TABLE legacy ADD PRIMARY KEY (id);\n"
        "CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);"
    )
    assert hits("unique-constraint-without-index", EXISTING, sql) == [(1, 24), (3, 24)]
