"""prefer-bigint, prefer-identity, prefer-text, prefer-timestamptz."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]

SQL = """CREATE TABLE t (
  id integer PRIMARY KEY,
  owner_id int REFERENCES owners (id),
  count int,
  seq serial,
  big bigserial,
  code varchar(10),
  anything varchar,
  at timestamp,
  at2 timestamptz,
  at3 timestamp with time zone
);
ALTER TABLE t ADD COLUMN other_id smallint, ADD COLUMN label character varying(20);
ALTER TABLE t ALTER COLUMN at TYPE timestamp without time zone;
CREATE TABLE k (a int, b int, PRIMARY KEY (a));
"""


def test_prefer_bigint_on_keys_only(hits: Hits) -> None:
    assert hits("prefer-bigint", SQL) == [(2, 6), (3, 12), (13, 35), (15, 19)]


def test_prefer_identity(hits: Hits) -> None:
    assert hits("prefer-identity", SQL) == [(5, 7), (6, 7)]


def test_prefer_text(hits: Hits) -> None:
    assert hits("prefer-text", SQL) == [(7, 8), (13, 62)]


def test_prefer_timestamptz(hits: Hits) -> None:
    assert hits("prefer-timestamptz", SQL) == [(9, 6), (14, 36)]


def test_int_ordinal_in_a_composite_primary_key_is_fine(hits: Hits) -> None:
    sql = "CREATE TABLE steps (run uuid, step_index int, owner_id int, PRIMARY KEY (run, step_index));"
    assert hits("prefer-bigint", sql) == [(1, 56)]


def test_temp_tables_are_ignored(hits: Hits) -> None:
    assert hits("prefer-text", "CREATE TEMP TABLE x (a varchar(3));") == []
