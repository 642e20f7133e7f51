"""Names PostgreSQL silently truncates: identifiers longer than NAMEDATALEN - 1 = 63 bytes."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import cache
from typing import Any

from migration_guard.model import Severity
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, location, strings

MAX_BYTES = 63
# Fields that hold a name the statement creates or points at (never expressions or bodies).
_NAME_FIELDS = frozenset(
    {"relname", "colname", "conname", "idxname", "newname", "policy_name", "trigname", "schemaname", "indexname"}
)
_NAME_LISTS = frozenset({"funcname", "domainname", "typeName", "seqname"})
_KINDS = frozenset(
    {
        "CreateStmt", "AlterTableStmt", "IndexStmt", "RenameStmt", "CreatePolicyStmt", "CreateTrigStmt",
        "CreateFunctionStmt", "CreateSchemaStmt", "ViewStmt", "CreateTableAsStmt", "CreateSeqStmt",
        "CreateEnumStmt", "CreateDomainStmt", "CompositeTypeStmt",
    }
)  # fmt: skip
_SKIP = frozenset({"options", "query", "whereClause", "raw_expr", "qual", "with_check", "args", "returnType"})


def _cut_names(node: Any, loc: int | None) -> Iterator[tuple[str, int | None]]:
    """Names of (nearly) 63 bytes: the parser has already truncated longer ones to that length
    (a little less when the cut falls inside a multi-byte character)."""
    if isinstance(node, list):
        for item in node:
            yield from _cut_names(item, loc)
        return
    if not isinstance(node, dict):
        return
    here = location(node) or loc
    for key, value in node.items():
        if key in _SKIP:
            continue
        if isinstance(value, str):
            if key in _NAME_FIELDS and len(value.encode("utf-8")) >= MAX_BYTES - 3:  # multi-byte clipping
                yield value, here
        elif key in _NAME_LISTS and isinstance(value, list):
            for name in strings(value):
                if len(name.encode("utf-8")) >= MAX_BYTES - 3:
                    yield name, here
        elif isinstance(value, dict | list):
            yield from _cut_names(value, here)


def _written(sql: str) -> dict[str, str]:
    """Identifiers longer than 63 bytes as written in ``sql`` → what PostgreSQL keeps of them."""
    from pglast import parser

    out: dict[str, str] = {}
    for token in parser.scan(sql):  # offsets in characters
        if token.name != "IDENT" or token.end - token.start + 1 < MAX_BYTES // 4:
            continue
        text = sql[token.start : token.end + 1]
        name = text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()
        raw = name.encode("utf-8")
        if len(raw) > MAX_BYTES:
            out[raw[:MAX_BYTES].decode("utf-8", errors="ignore")] = name
    return out


# A name over 63 bytes as written: 64+ identifier characters, or a quoted name of 16+ characters
# (4-byte UTF-8). Tested on the statement text first: the tree walk is the expensive part.
_MAYBE_LONG = r'[A-Za-z0-9_$\x80-\U0010ffff]{16,}|"[^"]{16,}"'  # compiled on first use: ~3 ms a run
_LONG_QUOTED = re.compile(r'"[^"]{64,}"')
# ASCII text: identifier characters become "a", the rest " "; a run of 64 "a" is a run of 64
# identifier characters. Three C calls instead of a regex stepping through every character
# (the regex was ~6% of a 20,000-statement lint).
_IDENT_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")
_AS_RUNS = bytes(ord("a") if i in _IDENT_BYTES else ord(" ") for i in range(256))
_LONG_RUN = b"a" * 64


@cache
def _maybe_long() -> re.Pattern[str]:
    return re.compile(_MAYBE_LONG)


def _may_be_long(sql: str) -> bool:
    """Could ``sql`` write a name over 63 bytes? (``[A-Za-z0-9_$]{64,}|"[^"]{64,}"`` for ASCII text.)"""
    if not sql.isascii():
        return _maybe_long().search(sql) is not None
    if _LONG_RUN in sql.encode("ascii").translate(_AS_RUNS):
        return True
    return '"' in sql and _LONG_QUOTED.search(sql) is not None


# [file text, (starts, ends) of its runs of 64+ identifier characters, or None for a non-ASCII text]
_runs_memo: list[Any] = [None, None]


def _long_runs(text: str) -> tuple[list[int], list[int]] | None:
    """Where an ASCII file has runs of 64+ identifier characters: one pass over the file instead of
    one per statement (the per-statement test cost more than the rest of this rule)."""
    if _runs_memo[0] is not text:
        runs: tuple[list[int], list[int]] | None = None
        if text.isascii():
            mapped = text.encode("ascii").translate(_AS_RUNS)
            starts: list[int] = []
            ends: list[int] = []
            pos = mapped.find(_LONG_RUN)
            while pos != -1:
                end = mapped.find(b" ", pos)
                end = len(mapped) if end == -1 else end
                starts.append(pos)
                ends.append(end)
                pos = mapped.find(_LONG_RUN, end)
            runs = (starts, ends)
        _runs_memo[0], _runs_memo[1] = text, runs
    found: tuple[list[int], list[int]] | None = _runs_memo[1]
    return found


def _statement_may_be_long(text: str, sql: str, start: int, end: int) -> bool:
    """``_may_be_long(sql)`` for ``sql`` = ``text[start:end]``, from the file's runs when it is ASCII."""
    runs = _long_runs(text)
    if runs is None:
        return _may_be_long(sql)
    starts, ends = runs
    # Runs are disjoint and in order: look at those that could overlap the statement by 64.
    i = bisect_left(ends, start + 64)
    while i < len(starts) and starts[i] <= end - 64:
        if min(ends[i], end) - max(starts[i], start) >= 64:
            return True
        i += 1
    return '"' in sql and _LONG_QUOTED.search(sql) is not None


def check_identifier_too_long(node: Node, ctx: Context) -> Iterator[Hit]:
    stmt = ctx.stmt
    if stmt is None:
        return
    if ctx.in_do and ctx.frame is not None:
        sql = ctx.frame.source
        if not _may_be_long(sql):
            return
    else:
        sql = stmt.sql
        assert ctx.migration is not None
        if not _statement_may_be_long(ctx.migration.text, sql, stmt.start, stmt.end):
            return
    candidates = list(_cut_names(node, None))
    if not candidates:
        return
    written = _written(sql)
    seen: set[str] = set()
    for cut, loc in candidates:
        full = written.get(cut)
        if full is None or cut in seen:
            continue
        seen.add(cut)
        yield ctx.hit(
            f"identifier '{full}' is {len(full.encode('utf-8'))} bytes: PostgreSQL silently truncates it to "
            f"'{cut}'",
            loc,
        )


IDENTIFIER_TOO_LONG = Rule(
    id="identifier-too-long",
    severity=Severity.WARNING,
    summary="identifier longer than 63 bytes (PostgreSQL truncates it silently)",
    why=(
        "PostgreSQL keeps only the first 63 bytes of a name (NAMEDATALEN - 1) and only says so in a "
        "NOTICE. Two long names sharing their first 63 bytes become the same name (the second CREATE "
        "fails, or IF NOT EXISTS silently skips it), and tools, ORMs and later migrations that compare "
        "the full name (DROP CONSTRAINT, generated types) do not find the object."
    ),
    fix=(
        "-- Choose a name of at most 63 bytes (multi-byte characters count several):\n"
        "CREATE INDEX subscriptions_customer_plan_period_idx ON subscriptions (customer_id, plan_id, period);"
    ),
    example=(
        "CREATE INDEX subscriptions_customer_id_plan_id_billing_period_start_renewal_status_idx\n"
        "  ON subscriptions (customer_id, plan_id, billing_period_start, renewal_status);"
    ),
    check=check_identifier_too_long,
    kinds=_KINDS,
)

RULES = (IDENTIFIER_TOO_LONG,)
