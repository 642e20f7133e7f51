"""Statement splitting exactly as the Supabase CLI does it (``pkg/parser``, ``SplitAndTrim``).

The CLI stores each file's statements in ``supabase_migrations.schema_migrations.statements`` and
``supabase migration list`` / drift detection compare against them, so our ledger rows must hold the
very same strings. That rules out PostgreSQL's own parser here: the CLI uses a small character state
machine with its own quirks (``BEGIN ATOMIC … END`` is recognised by the words ``ATOMIC``/``END``,
parentheses suppress ``;``, a ``\\`` skips the next character, comments are kept), and we follow it
state for state, quirks included. Each piece is then trimmed like the CLI: trailing ``;`` removed,
then Go's ``strings.TrimSpace``; empty pieces are dropped.

This is our own implementation of the behaviour, written from reading the CLI's state table.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Go's unicode.IsSpace (what strings.TrimSpace trims). Python's str.isspace also counts
# U+001C..U+001F, which Go keeps, so the set is spelled out.
GO_SPACE = frozenset(
    "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


class Piece(NamedTuple):
    sql: str  # the statement as the CLI stores and runs it
    start: int  # character offset of sql[0] in the text


# --- the state machine -------------------------------------------------------------------------
# Each state's ``next(ch, tok)`` sees the current character and the token read so far (ending with
# that character); it returns the next state, or None to end the statement (on ';').


class _State:
    def next(self, ch: str, tok: _Token) -> _State | None:  # pragma: no cover - interface
        raise NotImplementedError


class _Token:
    """The text of the statement being read: text[start:end] (end just past the current char)."""

    __slots__ = ("end", "start", "text")

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start
        self.end = start

    def endswith(self, suffix: str) -> bool:
        n = len(suffix)
        return self.end - self.start >= n and self.text.startswith(suffix, self.end - n)

    def endswith_ascii_fold(self, word: str) -> bool:
        """Case-insensitive ASCII match of the last len(word) characters (Go's EqualFold on bytes)."""
        n = len(word)
        if self.end - self.start < n:
            return False
        tail = self.text[self.end - n : self.end]
        return tail.isascii() and tail.upper() == word


class _Ready(_State):
    def next(self, ch: str, tok: _Token) -> _State | None:
        if ch == "$":
            return _Tag(tok.end - 1)
        if ch in ("'", '"'):
            return _Quote(ch)
        if ch == "-":
            return _Comment()
        if ch == "/":
            return _Block()
        if ch == "\\":
            return _Escape()
        if ch == ";":
            return None
        if ch == "(":
            return _Atomic(self, ")")
        # "BEGIN ATOMIC" is recognised by its last word only (any spacing allowed before it), which
        # must follow whitespace so names like public.atomic_test do not count (newer CLIs).
        if ch in ("c", "C") and tok.endswith_ascii_fold("ATOMIC") and _space_before(tok, len("ATOMIC")):
            return _Atomic(self, "END")
        return self


def _space_before(tok: _Token, n: int) -> bool:
    """The CLI tests ``unicode.IsSpace(rune(data[offset-1]))``: the single *byte* before the word."""
    pos = tok.end - n - 1
    if pos < tok.start:
        return False
    prev = tok.text[pos]
    last_byte = prev.encode("utf-8", "surrogatepass")[-1]
    # A byte read as a rune is Latin-1: 0x85 (NEL) and 0xA0 (NBSP) count as space in Go.
    return chr(last_byte) in GO_SPACE


_READY = _Ready()  # stateless: one instance serves


class _Comment(_State):
    def next(self, ch: str, tok: _Token) -> _State | None:
        if ch == "-":
            return _Dollar("\n")  # nothing is escaped in a line comment, like a dollar quote
        return _READY.next(ch, tok)


class _Block(_State):
    def __init__(self) -> None:
        self.depth = 0

    def next(self, ch: str, tok: _Token) -> _State | None:
        if tok.endswith("/*"):
            self.depth += 1
            return self
        if self.depth == 0:
            return _READY.next(ch, tok)
        if tok.endswith("*/"):
            self.depth -= 1
            if self.depth == 0:
                return _READY
        return self


class _Quote(_State):
    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.escape = False

    def next(self, ch: str, tok: _Token) -> _State | None:
        if self.escape:
            if ch == self.delimiter:  # a doubled quote stays inside the string
                self.escape = False
                return self
            return _READY.next(ch, tok)
        if ch == self.delimiter:
            self.escape = True
        return self


class _Dollar(_State):
    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter

    def next(self, ch: str, tok: _Token) -> _State | None:
        if tok.endswith(self.delimiter):
            return _READY
        return self


class _Tag(_State):
    def __init__(self, offset: int) -> None:
        self.offset = offset  # absolute offset of the opening '$'

    def next(self, ch: str, tok: _Token) -> _State | None:
        if ch == "$":
            return _Dollar(tok.text[self.offset : tok.end])
        # Go's unicode.IsLetter / IsDigit are exactly Python's isalpha / isdecimal (categories L* / Nd).
        if ch.isalpha() or ch.isdecimal() or ch == "_":
            return self
        return _READY.next(ch, tok)


class _Escape(_State):
    def next(self, ch: str, tok: _Token) -> _State | None:
        return _READY


class _Atomic(_State):
    def __init__(self, prev: _State, delimiter: str) -> None:
        self.prev = prev
        self.delimiter = delimiter

    def next(self, ch: str, tok: _Token) -> _State | None:
        # Inside quotes or comments the delimiter does not count; a ';' (None) keeps the state.
        curr = self.prev.next(ch, tok)
        if curr is not None:
            self.prev = curr
        if isinstance(self.prev, _Ready) and tok.endswith_ascii_fold(self.delimiter.upper()):
            return _READY
        return self


# --- splitting ---------------------------------------------------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The CLI's trim: strings.TrimRight(token, ";") then strings.TrimSpace."""
    while end > start and text[end - 1] == ";":
        end -= 1
    while start < end and text[start] in GO_SPACE:
        start += 1
    while end > start and text[end - 1] in GO_SPACE:
        end -= 1
    return start, end


# Characters the top-level ready state reacts to; anything else leaves it unchanged, so the scan
# can jump straight to the next one. 'c' matters only as the end of the word ATOMIC.
_READY_SPECIAL = re.compile(r"""[$'"\-/\\;(]|(?<=[Aa][Tt][Oo][Mm][Ii])[cC]""")


def tokens(text: str, fast: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each untrimmed token, as the CLI's ``parser.Split`` emits them.

    ``fast`` skips runs of characters that cannot change the state (plain text in the ready state,
    the inside of dollar quotes, comments and strings); the result is the same as feeding every
    character through the state machine (``fast=False``, kept for the equivalence test).
    """
    out: list[tuple[int, int]] = []
    tok = _Token(text, 0)
    state: _State = _READY
    n = len(text)
    i = 0
    while i < n:
        if fast:
            if state is _READY:
                m = _READY_SPECIAL.search(text, i)
                if m is None:
                    break
                i = m.start()
            elif isinstance(state, _Dollar):
                delim = state.delimiter
                # The first position whose token so far ends with the delimiter (it may overlap the
                # opening tag, as in the CLI).
                j = text.find(delim, max(tok.start, i + 1 - len(delim)))
                if j == -1:
                    break
                i = j + len(delim) - 1
            elif isinstance(state, _Quote) and not state.escape:
                j = text.find(state.delimiter, i)
                if j == -1:
                    break
                i = j
        tok.end = i + 1
        nxt = state.next(text[i], tok)
        i += 1
        if nxt is None:
            out.append((tok.start, i))
            tok = _Token(text, i)
            state = _READY
        else:
            state = nxt
    if tok.start < n:  # a final statement without ';'
        out.append((tok.start, n))
    return out


def split_pieces(text: str) -> list[Piece]:
    """The statements the Supabase CLI would store and run for this text, with their offsets."""
    pieces: list[Piece] = []
    for start, end in tokens(text):
        s, e = _trim(text, start, end)
        if s < e:
            pieces.append(Piece(text[s:e], s))
    return pieces


def split_statements(text: str) -> list[str]:
    """``parser.SplitAndTrim`` of the Supabase CLI: what goes into the ledger's ``statements``."""
    return [p.sql for p in split_pieces(text)]
