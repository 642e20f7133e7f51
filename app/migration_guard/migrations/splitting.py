"""Statements from PostgreSQL's own parser (pglast), with exact positions.

pglast's JSON output is used rather than its Python object tree: it is about ten times faster to
obtain on large files (FACTS.md), and rules walk plain dicts. Each statement keeps its own slice
of that JSON and decodes it on demand (``Statement.node``, with orjson: 40% faster than
json.loads). The parser reports byte offsets; everything here is converted to character offsets
into the text.
"""

from __future__ import annotations

import re

from pglast import parser

from migration_guard.model import SourceError, Statement


class LineIndex:
    """Offset → (line, column), both 1-based.

    A cursor, not a table of line starts: positions are asked in (nearly) increasing order — each
    statement's, then offsets inside it — so each answer counts the newlines between the last offset
    and this one (in C). Building a table cost 14 ms for a 50,000-line file, more than all the
    lookups of a lint together.
    """

    __slots__ = ("_line", "_offset", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0  # the last offset asked for, and its line
        self._line = 1

    def position(self, offset: int) -> tuple[int, int]:
        text = self.text
        offset = max(0, min(offset, len(text)))
        if offset >= self._offset:
            line = self._line + text.count("\n", self._offset, offset)
        else:
            line = self._line - text.count("\n", offset, self._offset)
        self._offset, self._line = offset, line
        return line, offset - text.rfind("\n", 0, offset)


_last_index: list[object] = [None, None]  # [text, its LineIndex]


def line_index(text: str) -> LineIndex:
    """``LineIndex(text)``, shared with the previous caller for the same text object: the loader and
    then the linter both need the big file's (~8 ms to build for 2 MB)."""
    if _last_index[0] is not text:
        _last_index[0], _last_index[1] = text, LineIndex(text)
    found = _last_index[1]
    assert isinstance(found, LineIndex)
    return found


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


def _shorten(message: str, limit: int = 120) -> str:
    """``syntax error at or near "<rest of the file>"`` (an unterminated quote) → one short line."""
    first = message.splitlines()[0] if message else message
    return first if len(first) <= limit else first[: limit - 1] + "…"


_STMT = '{"stmt":'
_LOCATION = ',"stmt_location":'
_LENGTH = ',"stmt_len":'
_STMT_SIZE, _LOCATION_SIZE, _LENGTH_SIZE = len(_STMT), len(_LOCATION), len(_LENGTH)


def statement_slices(raw_json: str) -> list[tuple[str, int, int]]:
    """(node JSON, byte location, byte length) of each statement, without decoding the trees.

    pglast emits ``{"version":…,"stmts":[{"stmt":{<node>},"stmt_location":N,"stmt_len":M},…]}``.
    Only a RawStmt has a ``stmt`` key, and a quote inside a JSON string is always escaped, so
    ``{"stmt":`` marks exactly the statement boundaries. Keeping slices instead of dicts is what
    keeps a 20,000-statement file at ~15 MB instead of ~110 MB of live dicts: each tree is decoded
    when a stage asks for it (``Statement.node``) and dropped after.
    """
    out: list[tuple[str, int, int]] = []
    append = out.append
    find = raw_json.find
    rfind = raw_json.rfind
    last_end = rfind("]") - 1  # the last RawStmt's closing '}'
    begin = find(_STMT)
    # One pass, each statement's end found from the next one's start (20,000 turns for a big file).
    while begin != -1:
        node_start = begin + _STMT_SIZE
        following = find(_STMT, node_start)
        end = following - 2 if following != -1 else last_end  # before the ',' (or ']'): the RawStmt's '}'
        tail = end - 48 if end - 48 > node_start else node_start
        loc = length = 0
        node_end = end
        at = rfind(_LENGTH, tail, end)
        if at != -1:
            length = int(raw_json[at + _LENGTH_SIZE : end])
            node_end = at
        at = rfind(_LOCATION, tail, node_end)
        if at != -1:
            loc = int(raw_json[at + _LOCATION_SIZE : node_end])
            node_end = at
        append((raw_json[node_start:node_end], loc, length))
        begin = following
    return out


# Whitespace before a statement (comments are rarer: ``skip_trivia`` takes over at one).
_SPACE = re.compile(r"\s*")
_COMMENT_STARTS = ("--", "/*")


# A big file goes to the parser in pieces of about this many characters. One call on 2 MB of SQL
# builds a 15 MB JSON string and a parse tree several times that in fresh memory; pieces of 64 KB stay
# in the CPU cache and reuse the same pages (measured: 0.15-0.2 s -> 0.10-0.12 s for 20,000 statements,
# peak RSS 80 -> 39 MB for the parse).
PIECE = 1 << 16
# Where a piece may end: a ';' closing its line, the next non-blank line starting with a letter at
# column 0 (a new statement, as people write them), outside dollar quotes (an even number of `$tag$`s
# since the piece began: a function body's `END;` is not an end).
_PIECE_END = re.compile(r";(?=[ \t]*(?:\r?\n)+[A-Za-z])")
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")


def _piece_end(text: str, start: int, at: int) -> int:
    """The end of a piece that begins at ``start`` and reaches at least ``at``: just past a ';' that
    looks like a statement's end, or the end of the text. A wrong guess costs time, never exactness
    (see ``parse_pieces``)."""
    dollars = 0
    counted = start
    found = _PIECE_END.search(text, at)
    while found is not None:
        semi = found.start()
        dollars += len(_DOLLAR_TAG.findall(text, counted, semi))
        counted = semi
        # A `--` earlier on the line may put the ';' in a comment.
        if dollars % 2 == 0 and "--" not in text[text.rfind("\n", 0, semi) + 1 : semi]:
            return semi + 1
        found = _PIECE_END.search(text, semi + 1)
    return len(text)


def parse_pieces(text: str) -> list[tuple[str, int]]:
    """pglast's JSON for ``text``, as (JSON, byte offset of its piece) for consecutive pieces.

    Why pieces are exact: a piece starts where a statement starts and ends just past a ';'. If that
    ';' is a real statement separator, the piece's statements are the whole text's, with their
    ``location``s counted from the piece (hence the offset). Otherwise the ';' sits inside a quoted
    string, identifier, dollar-quoted body or block comment (each then unterminated in the piece),
    inside BEGIN ATOMIC … END or a rule's ( … ) (unclosed), or in a line comment (a ``--`` earlier
    on its line, which ``_piece_end`` refuses): the piece does not parse. Then the piece grows by
    another piece, and past four times its size the rest is parsed in one call. Any other
    error is the text's own: the whole text is parsed again, so it raises exactly as one call does.
    """
    if len(text) < 2 * PIECE:
        return [(parser.parse_sql_json(text), 0)]
    ascii_only = text.isascii()
    pieces: list[tuple[str, int]] = []
    start = byte_base = 0
    total = len(text)
    try:
        while start < total:
            end = _piece_end(text, start, start + PIECE)
            while True:
                piece = text[start:end]
                try:
                    pieces.append((parser.parse_sql_json(piece), byte_base))
                    break
                except parser.ParseError:
                    if end == total:
                        raise
                    # Grow by a piece at a time: a long body can hold many candidates.
                    end = _piece_end(text, start, end + PIECE) if end - start < 4 * PIECE else total
            byte_base += len(piece) if ascii_only else len(piece.encode("utf-8"))
            start = end
    except parser.ParseError:
        return [(parser.parse_sql_json(text), 0)]
    return pieces


def split_statements(text: str) -> tuple[tuple[Statement, ...], SourceError | None]:
    lines = line_index(text)
    try:
        pieces = parse_pieces(text)
    except parser.ParseError as exc:
        return (), syntax_error(text, exc, lines)

    # The parser reports byte offsets; in an ASCII text they are character offsets already.
    ascii_only = text.isascii()
    data = b"" if ascii_only else text.encode("utf-8")
    byte_pos = char_pos = 0

    def to_char(byte_offset: int) -> int:
        nonlocal byte_pos, char_pos
        # Offsets arrive in increasing order: decode only the new stretch each time.
        if byte_offset >= byte_pos:
            char_pos += len(data[byte_pos:byte_offset].decode("utf-8", errors="replace"))
        else:
            char_pos = len(data[:byte_offset].decode("utf-8", errors="replace"))
        byte_pos = byte_offset
        return char_pos

    # One pass per statement, with the helpers inlined: this loop runs 20,000 times for a big file.
    statements: list[Statement] = []
    append = statements.append
    space = _SPACE.match
    position = lines.position
    prev_end = 0
    total = len(text)
    find = text.find
    index = 0
    pieces.reverse()
    while pieces:
        # Each piece's JSON is dropped once sliced: it and the slices are never all alive together.
        piece_json, byte_base = pieces.pop()
        for node_json, loc, length in statement_slices(piece_json):
            loc += byte_base
            if ascii_only:
                seg_start, seg_end = loc, (loc + length if length else total)
            else:
                seg_start = to_char(loc)
                seg_end = to_char(loc + length) if length else total
            match = space(text, seg_start, seg_end)
            start = match.end() if match else seg_start
            if start < seg_end and text.startswith(_COMMENT_STARTS, start):
                start = skip_trivia(text, start, seg_end)
            end = seg_end
            while end > start and text[end - 1].isspace():
                end -= 1
            kind = node_json[2 : node_json.find('"', 2)] if node_json.startswith('{"') else "Unknown"
            line, column = position(start)
            append(Statement(index, text[start:end], kind, node_json, line, column, start, end, prev_end, byte_base))
            index += 1
            # The next segment starts after this statement's ';'.
            semi = find(";", end)
            prev_end = semi + 1 if semi != -1 else end
    return tuple(statements), None
