"""Per-statement JSON slices decode to exactly what decoding pglast's whole tree gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pglast import parser

from migration_guard.migrations.loader import parse_migration
from migration_guard.migrations.splitting import statement_slices
from migration_guard.model import NodeTooDeep

TRICKY = [
    "select 1",  # one statement: no stmt_location, no stmt_len
    "select 1; select 2",  # the last one has no stmt_len
    'select \'{"stmt":{"x":1},"stmt_len":3}\' as looks_like_json;\nselect 2;',
    "create table \"{\"\"stmt\"\":\" (id int);\n-- é ü 漢字\ninsert into t values ('é', '漢字');",
    "do $$ begin raise notice '{\"stmt\":'; end $$;\n\n;;\nselect 3;",
]


def whole_tree(sql: str) -> list[dict[str, object]]:
    stmts: list[dict[str, object]] = json.loads(parser.parse_sql_json(sql))["stmts"]
    return stmts


@pytest.mark.parametrize("sql", TRICKY)
def test_slices_match_the_whole_tree(sql: str) -> None:
    expected = whole_tree(sql)
    slices = statement_slices(parser.parse_sql_json(sql))
    assert len(slices) == len(expected)
    for (node_json, loc, length), raw in zip(slices, expected, strict=True):
        assert json.loads(node_json) == raw["stmt"]
        assert loc == raw.get("stmt_location", 0)
        assert length == raw.get("stmt_len", 0)


def test_every_corpus_statement_decodes_to_the_whole_tree(corpus: Path) -> None:
    checked = 0
    for path in sorted(corpus.glob("*/*.sql")):
        m = parse_migration(path, path.read_bytes())
        if m.error is not None or not m.statements:
            continue
        expected = whole_tree(m.text)
        assert [st.kind for st in m.statements] == [next(iter(raw["stmt"])) for raw in expected]  # type: ignore[call-overload]
        for st, raw in zip(m.statements, expected, strict=True):
            assert {st.kind: st.node} == raw["stmt"], f"{path}:{st.line}"
        checked += len(m.statements)
    assert checked > 3000


def test_a_tree_too_deep_to_decode_is_a_recursion_error_with_the_line() -> None:
    m = parse_migration(Path("1_deep.sql"), ("select 1;\nselect " + "1+" * 2000 + "1;").encode())
    assert m.error is None and m.statements[1].kind == "SelectStmt"
    with pytest.raises(NodeTooDeep, match="line 2"):
        _ = m.statements[1].node
