"""The header block (intent, dependencies) and inline suppressions.

Both live in comments between statements, never inside one, so they are read from the gaps the
parser leaves between statements: text in strings and function bodies can never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from migration_guard.migrations.splitting import LineIndex, line_index
from migration_guard.model import Header, Statement, Suppression
from migration_guard.visible import visible_length

DIRECTIVE = "migration-guard:"
# Any directive, in any case, holds this (no other character lower-cases to these letters): a file
# without it has nothing to read past its header, so the gaps of its 20,000 statements are skipped.
_DIRECTIVE_TAIL = re.compile(r"-[gG][uU][aA][rR][dD]:")


def _comments(text: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(offset, body) of each ``--`` line comment in a gap that holds only whitespace and comments.

    Block comments are yielded line by line so that ``/* intent: … */`` headers work too.
    """
    pos = start
    while pos < end:
        if text.startswith("--", pos):
            nl = text.find("\n", pos)
            stop = end if nl == -1 or nl > end else nl
            yield pos, text[pos + 2 : stop].strip()
            pos = stop + 1
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            stop = end if close == -1 or close > end else close
            offset = pos + 2
            for part in text[pos + 2 : stop].split("\n"):
                yield offset, part.strip().lstrip("*").strip()
                offset += len(part) + 1
            pos = stop + 2
        else:
            pos += 1


def _gaps(text: str, statements: tuple[Statement, ...]) -> Iterator[tuple[int | None, int, int]]:
    """(index of the statement that follows, start, end) of each stretch between statements."""
    prev = 0
    for st in statements:
        yield st.index, prev, st.start
        prev = st.end
    yield None, prev, len(text)


def parse_directive(body: str) -> tuple[str, tuple[str, ...], str | None] | None:
    """``migration-guard: allow a, b -- reason`` → ("allow", ("a", "b"), "reason")."""
    if not body.lower().startswith(DIRECTIVE):
        return None
    rest = body[len(DIRECTIVE) :].strip()
    reason: str | None = None
    if " -- " in f" {rest} ":
        head, _, tail = rest.partition("--")
        # Zero-width and blank characters are no reason: they would suppress an error unseen.
        rest, reason = head.strip(), tail.strip() if visible_length(tail) else None
    verb, _, ids = rest.partition(" ")
    rules = tuple(r.strip().lower() for r in ids.replace(",", " ").split() if r.strip())
    return verb.lower(), rules, reason


def read_header_and_suppressions(
    text: str, statements: tuple[Statement, ...]
) -> tuple[Header, tuple[Suppression, ...]]:
    lines: LineIndex | None = None  # built on the first directive: most files have none
    intent: str | None = None
    depends: list[str] = []
    data_migration: bool | None = None
    no_tx = False
    suppressions: list[Suppression] = []
    first = statements[0].index if statements else None

    find = text.find
    gaps = _gaps(text, statements)
    if statements and _DIRECTIVE_TAIL.search(text) is None:
        gaps = iter([(first, 0, statements[0].start)])  # the header's gap only
    for following, start, end in gaps:
        if find("-", start, end) == -1 and find("/", start, end) == -1:
            continue  # no comment can start in this gap (most gaps are just ";\n\n"): skip the scan
        in_header = following == first
        for offset, body in _comments(text, start, end):
            lower = body.lower()
            if in_header and lower.startswith("intent:"):
                intent = body.split(":", 1)[1].strip() or None
            elif in_header and lower.startswith("depends-on:"):
                value = body.split(":", 1)[1]
                depends.extend(v for v in value.replace(",", " ").split() if v)
            elif in_header and lower.startswith("data-migration:"):
                value = body.split(":", 1)[1].strip().lower()
                data_migration = value in {"yes", "true", "y"} if value else None
            directive = parse_directive(body)
            if directive is None:
                continue
            verb, rules, reason = directive
            if lines is None:
                lines = line_index(text)  # shared with the linter, which may need it too
            line = lines.position(offset)[0]
            if verb == "no-transaction":
                no_tx = True
            elif verb == "allow-file":
                suppressions.append(Suppression(rules, reason, line, True, None))
            elif verb == "allow":
                suppressions.append(Suppression(rules, reason, line, False, following))
    header = Header(intent, tuple(depends), data_migration, no_tx)
    return header, tuple(suppressions)
