"""The Supabase-CLI-compatible splitter, on the CLI's own behaviour cases (pkg/parser tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migration_guard.apply.split import split_pieces, split_statements, tokens


def raw_split(text: str) -> list[str]:
    """parser.Split (untrimmed), to compare with the CLI's expectations piece for piece."""
    return [text[s:e] for s, e in tokens(text)]


# Each case: the pieces the CLI's Split yields; joined they form the input.
CASES = [
    ["END;", "-- comment"],
    ["SELECT --; 1"],
    ["- ;", "END"],
    ["-- /* \n;", " */ END"],
    ["SELECT /* ; */ 1;"],
    ["SELECT /*; /*;*/ ;*/ 1"],
    ["/ * ;", " */ END"],
    [";", "END;", ";"],
    ["BEGIN   ;", "  END"],
    ["\\;;", "\\;"],
    ["$tag$ any ; string$tag$"],
    ['$$"Dane\'s horse"$$'],
    ['SELECT "$";', " $$"],
    ["SELECT ';' 1"],
    ["SELECT ';'';' 1"],
    ["SELECT '\\';", " 1'"],
    ['CREATE POLICY "cats;dogs" on cats_dogs;', " END"],
    ["CREATE POLICY \"cat's and dog's\" on cats_dogs;", " END"],
    ['CREATE POLICY "pet""name" on pets;', " END"],
    ['CREATE RULE notify_me AS ON UPDATE TO mytable DO (NOTIFY mytable; SELECT "1");', "SELECT 1"],
    ["CREATE RULE notify_me AS ON UPDATE TO mytable DO (-- )\nSELECT ')';\n-- )\n)\n"],
    [
        "CREATE FUNCTION add(a integer, b integer) RETURNS integer\nLANGUAGE SQL\nIMMUTABLE STRICT PARALLEL SAFE\n"
        "RETURNS NULL ON NULL INPUT\nBEGIN ATOMIC\n\tSELECT 'add';\n\tSELECT a + b;\nEND;"
    ],
    ["begin atomic; select 'end'; end"],
    ["CREATE FUNCTION test() BEGIN\nATOMIC-- END;\n-- END;\nEND\n;"],
    ["create table public.atomic_test (id int);", "\nselect 1;"],
    [
        "CREATE OR REPLACE FUNCTION public.my_function_atomic(p_id uuid)\nRETURNS void\nLANGUAGE plpgsql\n"
        "AS $$\nBEGIN\n  RAISE NOTICE 'hello';\nEND;\n$$;",
        "\nGRANT EXECUTE ON FUNCTION public.my_function_atomic(uuid) TO authenticated;",
    ],
    ["select is_atomic from flags;", "\nselect 1;"],
    ["select col1atomic from t;", "\nselect 1;"],
]


@pytest.mark.parametrize("pieces", CASES, ids=[repr(c[0][:30]) for c in CASES])
def test_matches_cli_split(pieces: list[str]) -> None:
    assert sorted(raw_split("".join(pieces))) == sorted(pieces)


def test_trim_keeps_comments_and_drops_trailing_semicolons() -> None:
    text = "-- create the table\ncreate table t (id int);\n\n/* index */ create index on t (id);;\n-- the end\n"
    assert split_statements(text) == [
        "-- create the table\ncreate table t (id int)",
        "/* index */ create index on t (id)",
        "-- the end",
    ]


def test_offsets_point_at_the_statement() -> None:
    text = "select 1;\n  select 2;"
    assert [(p.sql, text[p.start : p.start + len(p.sql)]) for p in split_pieces(text)] == [
        ("select 1", "select 1"),
        ("select 2", "select 2"),
    ]


def test_go_whitespace_rules() -> None:
    # Go's TrimSpace trims NBSP but not U+001C (Python's strip would).
    assert split_statements("\u00a0select 1\u00a0;") == ["select 1"]
    assert split_statements("\x1cselect 1;") == ["\x1cselect 1"]


def test_dollar_quoted_function_body_is_one_statement() -> None:
    text = "create function f() returns int language plpgsql as $body$\nbegin\n  return 1;\nend;\n$body$;\nselect f();"
    assert split_statements(text) == [text.split(";\nselect")[0], "select f()"]


ALPHABET = [
    "$",
    "$$",
    "$a$",
    "'",
    '"',
    "-",
    "--",
    "/",
    "/*",
    "*/",
    "\\",
    ";",
    "(",
    ")",
    "\n",
    " ",
    "x",
    "atomic",
    "ATOMIC",
    " begin atomic ",
    "end",
    "END",
    "c",
    "é",
    "\u00a0",
    "\u0085",
]


@given(st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join))
@settings(max_examples=400, deadline=None)
def test_fast_scan_equals_the_plain_state_machine(text: str) -> None:
    assert tokens(text, fast=True) == tokens(text, fast=False)


def test_fast_scan_on_the_shared_corpus(corpus: Path) -> None:
    files = sorted(corpus.rglob("*.sql"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert tokens(text, fast=True) == tokens(text, fast=False), path
