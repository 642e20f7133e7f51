"""The statements a DO block runs are read off its PL/pgSQL JSON by one regex; that reading equals the
tree walk (text order, line numbers, decoded escapes, EXECUTE literals) or gives way to it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from pglast import parser

from migration_guard.linter import _plpgsql_queries, _plpgsql_queries_in
from migration_guard.migrations.loader import parse_migration

TRICKY = [
    """DO $$
DECLARE r record; c CURSOR FOR SELECT 1;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'x') THEN
    CREATE ROLE x NOLOGIN;
  ELSIF false THEN DELETE FROM t;
  ELSE INSERT INTO t VALUES (2);
  END IF;
  EXECUTE 'ALTER TYPE mood ADD VALUE ''x2''';
  EXECUTE format('select %s', 1);
  UPDATE t SET a = "b" WHERE c = E'\\\\x41' AND d = 'a"b\\c';
  FOR r IN SELECT 1 LOOP INSERT INTO t VALUES (1); END LOOP;
  BEGIN DROP TABLE x; EXCEPTION WHEN others THEN NULL; END;
END $$""",
    "DO $$ BEGIN EXECUTE 'UPDATE t SET a = ''\"q\"'''; PERFORM 1; END $$",
    "DO $$ DECLARE x int := (SELECT 1); BEGIN RETURN; END $$",
]


def queries(sql: str) -> tuple[list[tuple[int, str]] | None, list[tuple[int, str]]]:
    raw = parser.parse_plpgsql_json(sql)
    return _plpgsql_queries_in(raw), list(_plpgsql_queries(orjson.loads(raw)))


@pytest.mark.parametrize("sql", TRICKY)
def test_regex_reading_equals_the_walk(sql: str) -> None:
    fast, walked = queries(sql)
    assert fast == walked


def test_first_block_yields_its_statements_in_text_order() -> None:
    fast, _ = queries(TRICKY[0])
    assert fast is not None
    assert [line for line, _ in fast] == [5, 6, 7, 9, 11, 12, 13]
    assert fast[3] == (9, "ALTER TYPE mood ADD VALUE 'x2'")
    assert fast[4][1] == "UPDATE t SET a = \"b\" WHERE c = E'\\\\x41' AND d = 'a\"b\\c'"


def test_an_unusual_node_falls_back_to_the_walk() -> None:
    raw = parser.parse_plpgsql_json("DO $$ BEGIN UPDATE t SET a = 1; END $$").replace('"lineno":1,', "")
    assert _plpgsql_queries_in(raw) is None


def test_every_corpus_do_block_reads_the_same(corpus: Path) -> None:
    checked = 0
    for path in sorted(corpus.glob("*/*.sql")):
        m = parse_migration(path, path.read_bytes())
        for st in m.statements:
            if st.kind == "DoStmt":
                fast, walked = queries(st.sql)
                assert fast == walked, f"{path}:{st.line}"
                checked += 1
    assert checked > 30
