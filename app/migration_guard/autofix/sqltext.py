"""Positions inside one statement's text: PostgreSQL's own scanner and parser, never a regex.

Offsets here are character offsets into the statement's text (``Statement.sql``); the scanner's
token ends are inclusive, so ``Token.end + 1`` is just past a token.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from pglast import parser

COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
OPEN, CLOSE, COMMA, DOT = "ASCII_40", "ASCII_41", "ASCII_44", "ASCII_46"
OPENERS = frozenset({OPEN, "ASCII_91"})  # ( and [
CLOSERS = frozenset({CLOSE, "ASCII_93"})


class Token(NamedTuple):
    start: int
    stop: int  # just past the token
    name: str  # the scanner's name: "INDEX", "IDENT", "ASCII_44" (a comma) …


def tokens(sql: str) -> list[Token]:
    """The statement's tokens without comments."""
    return [Token(t.start, t.end + 1, t.name) for t in parser.scan(sql) if t.name not in COMMENTS]


class Parsed(NamedTuple):
    node: dict[str, Any]  # the statement's tree (the value under its kind)
    data: bytes  # the statement's UTF-8, for turning the parser's byte locations into characters

    def char(self, byte_location: int) -> int:
        return len(self.data[:byte_location].decode("utf-8", errors="replace"))


def parse(sql: str) -> Parsed | None:
    """The tree of this one statement parsed on its own, so locations are relative to its text."""
    try:
        stmts = orjson.loads(parser.parse_sql_json(sql)).get("stmts") or []
    except (parser.ParseError, ValueError):
        return None
    if len(stmts) != 1:
        return None
    wrapper = stmts[0].get("stmt") or {}
    node = next(iter(wrapper.values()), None) if wrapper else None
    return Parsed(node, sql.encode("utf-8")) if isinstance(node, dict) else None


def at(toks: list[Token], offset: int) -> int | None:
    """Index of the token starting at ``offset``."""
    return next((i for i, t in enumerate(toks) if t.start == offset), None)


def dotted_end(toks: list[Token], i: int) -> int:
    """Index just past a (possibly qualified) name starting at token ``i``: ``a``, ``a.b``, ``a.b.c``."""
    j = i + 1
    while j + 1 < len(toks) and toks[j].name == DOT:
        j += 2
    return j


def clause_end(toks: list[Token], i: int) -> int:
    """Index of the last token of the comma-separated item starting at token ``i`` (brackets nest)."""
    depth = 0
    last = i
    for j in range(i, len(toks)):
        name = toks[j].name
        if name in OPENERS:
            depth += 1
        elif name in CLOSERS:
            depth -= 1
        elif name == COMMA and depth == 0:
            break
        last = j
    return last


def clauses(toks: list[Token], i: int) -> list[tuple[int, int]]:
    """(first, last) token indexes of each comma-separated item from token ``i`` to the end."""
    out: list[tuple[int, int]] = []
    while i < len(toks):
        last = clause_end(toks, i)
        out.append((i, last))
        i = last + 2  # past the comma
    return out
