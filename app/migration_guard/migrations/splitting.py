"""Statements from PostgreSQL's own parser (pglast), with exact positions.

pglast's JSON output is used rather than its Python object tree: it is about ten times faster to
obtain on large files (FACTS.md), and rules walk plain dicts. It is decoded with orjson, which
builds the same dicts in about 60% of json.loads' time (0.15 s vs 0.25 s on 20,000 statements),
at the cost of ~45 MB more memory on such a file. The parser reports byte offsets; everything here
is converted to character offsets into the text.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from itertools import accumulate
from typing import Any

import orjson
from pglast import parser

from migration_guard.model import SourceError, Statement


class LineIndex:
    """Offset → (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        # Start of each line: the running sum of line lengths (+1 for each "\n"), computed in C.
        starts = [0]
        starts.extend(accumulate(len(line) + 1 for line in text.split("\n")))
        starts.pop()  # the last sum is one past the end of the text
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1


def skip_trivia(text: str, pos: int, end: int) -> int:
    """Skip whitespace and comments (``--`` and nested ``/* */``) from ``pos``."""
    while pos < end:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif text.startswith("--", pos):
            nl = text.find("\n", pos)
            pos = end if nl == -1 or nl > end else nl + 1
        elif text.startswith("/*", pos):
            depth, pos = 1, pos + 2
            while pos < end and depth:
                if text.startswith("/*", pos):
                    depth, pos = depth + 1, pos + 2
                elif text.startswith("*/", pos):
                    depth, pos = depth - 1, pos + 2
                else:
                    pos += 1
        else:
            break
    return pos


def syntax_error(text: str, exc: parser.ParseError, lines: LineIndex | None = None) -> SourceError:
    message = _shorten(str(exc.args[0]) if exc.args else str(exc))
    offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    # pglast reports a character offset; clamp to the text so the line is always real.
    offset = max(0, min(offset, max(len(text) - 1, 0)))
    line, column = (lines or LineIndex(text)).position(offset)
    return SourceError("syntax", message, line, column)


TOO_DEEP = "an expression is nested too deeply to analyse (over 1,000 levels); split it up"


def _shorten(message: str, limit: int = 120) -> str:
    """``syntax error at or near "<rest of the file>"`` (an unterminated quote) → one short line."""
    first = message.splitlines()[0] if message else message
    return first if len(first) <= limit else first[: limit - 1] + "…"


def split_statements(text: str) -> tuple[tuple[Statement, ...], SourceError | None]:
    # json.loads builds millions of small dicts; with the cyclic GC on, it re-scans them again and
    # again while they are built (measured: the load takes about 2.5x as long). They hold no cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _split_statements(text)
    finally:
        if enabled:
            gc.enable()


def _split_statements(text: str) -> tuple[tuple[Statement, ...], SourceError | None]:
    lines = LineIndex(text)
    try:
        parsed: dict[str, Any] = orjson.loads(parser.parse_sql_json(text))
    except parser.ParseError as exc:
        return (), syntax_error(text, exc, lines)
    except orjson.JSONDecodeError:
        # orjson refuses trees deeper than 1,024 levels (e.g. `1+1+…` a thousand times).
        return (), SourceError("unreadable", TOO_DEEP, 1, 1)

    data = text.encode("utf-8")
    ascii_only = len(data) == len(text)
    byte_pos = char_pos = 0

    def to_char(byte_offset: int) -> int:
        nonlocal byte_pos, char_pos
        if ascii_only:
            return byte_offset
        # Offsets arrive in increasing order: decode only the new stretch each time.
        if byte_offset >= byte_pos:
            char_pos += len(data[byte_pos:byte_offset].decode("utf-8", errors="replace"))
        else:
            char_pos = len(data[:byte_offset].decode("utf-8", errors="replace"))
        byte_pos = byte_offset
        return char_pos

    statements: list[Statement] = []
    prev_end = 0
    total = len(text)
    for index, raw in enumerate(parsed.get("stmts", ())):
        loc = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0)
        seg_start = to_char(loc)
        seg_end = to_char(loc + length) if length else total
        start = skip_trivia(text, seg_start, seg_end)
        end = seg_end
        while end > start and text[end - 1].isspace():
            end -= 1
        node_wrapper: dict[str, Any] = raw.get("stmt", {})
        kind, node = next(iter(node_wrapper.items())) if node_wrapper else ("Unknown", {})
        line, column = lines.position(start)
        statements.append(
            Statement(
                index=index,
                sql=text[start:end],
                kind=kind,
                node=node,
                line=line,
                column=column,
                start=start,
                end=end,
                raw_start=prev_end,
            )
        )
        # The next segment starts after this statement's ';'.
        semi = text.find(";", end)
        prev_end = semi + 1 if semi != -1 else end
    return tuple(statements), None
