"""A big file goes to the parser in pieces (migrations/splitting.py, ``parse_pieces``): the statements,
their positions, their trees and every finding must be what one parse of the whole text gives, and a
wrong guess at a piece's end (a ';' inside a quote, a body, a comment) must never change a result.

Each test shrinks ``PIECE`` to a few characters so that every statement boundary is tried."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from pglast import parser

from migration_guard.commands.lint import lint_paths
from migration_guard.migrations import splitting
from migration_guard.migrations.splitting import split_statements
from migration_guard.model import POSITION_KEYS, SourceError, Statement

WHOLE = 1 << 40  # no text is this long: one parse


def _absolute(node: Any, base: int) -> Any:
    """The tree with every position (``location``, ``arg_location`` …) counted from the start of the file."""
    if isinstance(node, dict):
        return {
            k: (v + base if k in POSITION_KEYS and isinstance(v, int) and v >= 0 else _absolute(v, base))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute(v, base) for v in node]
    return node


def _seen(statements: tuple[Statement, ...]) -> list[tuple[object, ...]]:
    return [
        (s.index, s.kind, s.sql, s.line, s.column, s.start, s.end, s.raw_start, _absolute(s.node, s.byte_base))
        for s in statements
    ]


Seen = tuple[list[tuple[object, ...]], SourceError | None]


def _split(text: str, piece: int, monkeypatch: pytest.MonkeyPatch) -> Seen:
    monkeypatch.setattr(splitting, "PIECE", piece)
    statements, error = split_statements(text)
    return _seen(statements), error


def test_every_corpus_file_splits_in_pieces_as_in_one_parse(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces_used = 0
    for path in sorted(corpus.glob("*/*.sql")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        whole = _split(text, WHOLE, monkeypatch)
        monkeypatch.setattr(splitting, "PIECE", 40)
        pieces_used += len(splitting.parse_pieces(text)) if whole[1] is None else 0
        assert _split(text, 40, monkeypatch) == whole, path
    assert pieces_used > 2000  # the pieces were really used (2,849 when written)


# A ';' that ends a line, followed by a line starting with a letter, in every place where it does NOT
# end a statement. Cut there, the piece before would not parse: the piece grows and the result is the
# same. Each text is also linted whole, so a test of the test: PostgreSQL accepts it (or not, the same).
TRAPS = {
    "string": "SELECT 'a;\nb';\nSELECT 2;\n",
    "escape string": "SELECT E'it\\'s;\nb';\nSELECT 2;\n",
    "quoted identifier": 'CREATE TABLE "odd;\nname" (id int);\nSELECT 2;\n',
    "dollar body": "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\nRETURN 1;\nEND;\n$$;\nSELECT 2;\n",
    "tagged body holding $$": (
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$\nSELECT $$x;\ny$$;\n$fn$;\nSELECT 2;\n"
    ),
    "block comment": "SELECT 1 /* one;\nTWO /* nested;\nthree */ four;\nfive */;\nSELECT 2;\n",
    "begin atomic": (
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC\nSELECT 1;\nSELECT 2;\nEND;\nSELECT 3;\n"
    ),
    "rule actions": (
        "CREATE TABLE t (a int);\nCREATE TABLE u (a int);\n"
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1);\nINSERT INTO u VALUES (2));\nSELECT 3;\n"
    ),
    # Two statements without a ';' between them are one syntax error; a cut after the commented ';'
    # would make both pieces parse. A `--` earlier on the line forbids the cut.
    "line comment": "SELECT 1 -- not an end;\nSELECT 2;\n",
    "a $$ in a comment (wrong parity: a slower, still exact, parse)": "-- costs $$\nSELECT 1;\nSELECT 2;\nSELECT 3;\n",
    "multibyte text before": "SELECT 'é漢😀';\nCOMMENT ON TABLE x IS 'ü;\nv';\nSELECT 'ñ' AS \"ß\";\nSELECT 4;\n",
    "CRLF": "SELECT 1;\r\nSELECT 'a;\r\nb';\r\nSELECT 3;\r\n",
    "syntax error in a later piece": "SELECT 1;\nSELECT 2;\nSELEC 3;\nSELECT 4;\n",
    "unterminated quote at the end": "SELECT 1;\nSELECT 2;\nSELECT 'x;\nSELECT 4;\n",
}


@pytest.mark.parametrize("text", list(TRAPS.values()), ids=list(TRAPS))
@pytest.mark.parametrize("piece", [1, 5, 12])
def test_a_cut_that_is_not_a_statement_end_never_changes_the_result(
    text: str, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _split(text, piece, monkeypatch) == _split(text, WHOLE, monkeypatch)


def test_the_line_comment_trap_really_is_a_syntax_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _statements, error = _split(TRAPS["line comment"], 1, monkeypatch)
    assert error is not None and (error.kind, error.line) == ("syntax", 2)


def test_function_bodies_are_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guess at a piece's end skips `END;` and the lines of a body written at column 0: the usual
    Supabase file parses in pieces without one failed attempt."""
    body = (
        "CREATE OR REPLACE FUNCTION public.touch_{i}() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n"
        "NEW.updated_at := now();\nRETURN NEW;\nEND;\n$$;\n\nCREATE TRIGGER t_{i} BEFORE UPDATE ON public.t\n"
        "  FOR EACH ROW EXECUTE FUNCTION public.touch_{i}();\n\n"
    )
    text = "".join(body.format(i=i) for i in range(200))
    calls: list[str] = []
    parse = parser.parse_sql_json

    def counted(sql: str) -> str:
        calls.append(sql)
        return parse(sql)

    monkeypatch.setattr(splitting, "PIECE", 1000)
    monkeypatch.setattr(splitting.parser, "parse_sql_json", counted)
    pieces = splitting.parse_pieces(text)
    assert len(pieces) == len(calls) > 20  # every call gave a piece: none failed
    assert "".join(calls) == text


def test_findings_are_the_same_whole_or_in_pieces(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules place findings from the parser's locations: a piece's locations count from the piece."""
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    args = argparse.Namespace(paths=[], dir=None, base=None, supabase="auto", format="json")
    compared = 0
    for folder in folders:
        args.paths = [str(folder)]
        monkeypatch.setattr(splitting, "PIECE", WHOLE)
        whole, _, _ = lint_paths(args)
        monkeypatch.setattr(splitting, "PIECE", 64)
        pieces, _, _ = lint_paths(args)
        assert pieces.findings == whole.findings, folder.name
        compared += len(whole.findings)
    assert compared > 500
