"""``string_constants`` (enum-add-value-in-transaction's pre-check) reads a statement's string constants
off its JSON with plain searches: it must give exactly the values in the tree, escapes included."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from migration_guard.migrations.loader import parse_migration
from migration_guard.migrations.splitting import split_statements
from migration_guard.rules.transactions import string_constants


def _tree_values(node: Any) -> Counter[str]:
    found: Counter[str] = Counter()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            const = item.get("A_Const")
            if isinstance(const, dict) and isinstance(const.get("sval"), dict) and "sval" in const["sval"]:
                found[const["sval"]["sval"]] += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.parametrize(
    "sql",
    [
        "insert into t values ('refunded', 'it''s', '', 'é漢😀')",
        "insert into t values ('a\"b', E'tab\\there', 'back\\slash')",
        "update t set s = 'x' where s in ('y', 'z') and n = 1",
        "select 1",
    ],
)
def test_tricky_constants(sql: str) -> None:
    (stmt,), _ = split_statements(sql)
    assert Counter(string_constants(stmt.node_json)) == _tree_values(stmt.node)


def test_every_corpus_statement(corpus: Path) -> None:
    checked = 0
    for path in sorted(corpus.glob("*/*.sql")):
        m = parse_migration(path, path.read_bytes())
        for st in m.statements:
            assert Counter(string_constants(st.node_json)) == _tree_values(st.node), f"{path}:{st.line}"
            checked += 1
    assert checked > 3000
