"""The plain data passed between stages (see DESIGN.md, "The flow of data").

Everything here is immutable data with no I/O, so every stage can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

# Every field of pglast's nodes that holds a source position (a test keeps this equal to pglast's
# ParseLoc fields, ``arg_location`` of a function body included): two texts that differ only in
# comments and whitespace have equal trees once these are removed (drift judgement, pinned digests).
POSITION_KEYS = frozenset(
    {
        "location",
        "stmt_location",
        "stmt_len",
        "arg_location",
        "conninfo_location",
        "name_location",
        "payload_location",
        "list_start",
        "list_end",
        "rexpr_list_start",
        "rexpr_list_end",
    }
)


def without_positions(node: Any) -> Any:
    """A parse tree (decoded JSON) without its source positions."""
    if isinstance(node, dict):
        # A position is a number (CREATE TABLESPACE's ``location`` is a path, and it counts).
        return {
            k: without_positions(v) for k, v in node.items() if k not in POSITION_KEYS or not isinstance(v, int)
        }
    if isinstance(node, list):
        return [without_positions(v) for v in node]
    return node


class Severity(StrEnum):
    ERROR = "error"  # blocks the check / the deploy
    WARNING = "warning"  # informs


class NodeTooDeep(RecursionError):
    """A parse tree too deep to decode (a RecursionError, so existing handlers catch it)."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a migration file.

    Offsets are character offsets into ``Migration.text``; ``line``/``column`` (1-based) point at the
    statement's first token, never at comments before it.
    """

    index: int  # 0-based position in the file
    sql: str  # from the first token to the end, without the trailing ';'
    kind: str  # the parse node's type, e.g. "AlterTableStmt"
    node_json: str  # pglast's JSON for this statement: {"<kind>": {...}}; decoded by `node`
    line: int
    column: int
    start: int  # offset of the first token
    end: int  # offset just past the statement (before ';')
    raw_start: int  # offset where the statement's segment begins (after the previous ';'), comments kept
    # The file's byte offset that the ``location``s in ``node_json`` count from: 0, unless the file was
    # parsed in pieces (a big file, see migrations/splitting.py), then where this statement's piece began.
    byte_base: int = 0

    def __init__(
        self, index: int, sql: str, kind: str, node_json: str, line: int, column: int, start: int, end: int,
        raw_start: int, byte_base: int = 0,
    ) -> None:
        # The fields are set straight in the instance dict: the generated frozen __init__ calls
        # object.__setattr__ once per field (~3 µs a statement; a big file has 20,000 of them).
        fields = self.__dict__
        fields["index"] = index
        fields["sql"] = sql
        fields["kind"] = kind
        fields["node_json"] = node_json
        fields["line"] = line
        fields["column"] = column
        fields["start"] = start
        fields["end"] = end
        fields["raw_start"] = raw_start
        fields["byte_base"] = byte_base

    @property
    def node(self) -> dict[str, Any]:
        """The parse tree (the value under ``kind``), decoded on each access and not kept.

        Holding every statement's tree would cost ~5 KB per statement (110 MB for 20,000); callers
        that need it more than once keep the returned dict themselves.
        """
        try:
            tree: dict[str, Any] = orjson.loads(self.node_json)
        except orjson.JSONDecodeError:
            # orjson refuses trees deeper than 1,024 levels (`1+1+…` a thousand times); callers that
            # walk trees already turn RecursionError into one clear line.
            raise NodeTooDeep(f"statement at line {self.line} is nested too deeply to analyse") from None
        return next(iter(tree.values())) if tree else {}


@dataclass(frozen=True)
class Suppression:
    """An inline ``-- migration-guard: allow …`` (or ``allow-file``) comment."""

    rules: tuple[str, ...]
    reason: str | None
    line: int  # where the comment is
    file_wide: bool
    statement_index: int | None  # the statement it applies to (None for file-wide)


@dataclass(frozen=True)
class Header:
    """The header block at the top of a migration: intent and dependencies."""

    intent: str | None = None
    depends_on: tuple[str, ...] = ()
    data_migration: bool | None = None
    no_transaction: bool = False


@dataclass(frozen=True)
class SourceError:
    """Why a migration file could not be read or parsed (rendered as one clear line)."""

    kind: str  # "syntax" | "encoding" | "unreadable"
    message: str
    line: int
    column: int


@dataclass(frozen=True)
class Migration:
    path: Path
    version: str  # the digits before the first '_' (Supabase) or the runner's id; "" when the name has none
    name: str  # the descriptive part of the file name
    text: str  # the file's text after runner conventions (goose/dbmate down parts blanked)
    raw: bytes = field(repr=False)  # the file's bytes, as read
    statements: tuple[Statement, ...]
    header: Header
    suppressions: tuple[Suppression, ...]
    error: SourceError | None = None  # set when the file cannot be parsed; statements is then empty
    meta_commands: tuple[tuple[int, str], ...] = ()  # (line, text) of psql meta-command lines removed

    @cached_property
    def checksum(self) -> str:
        """sha256 of the raw bytes, computed when asked (apply and the ledger): lint never needs it,
        and hashing a big file plus loading OpenSSL cost ~9 ms of a 20,000-statement lint."""
        import hashlib

        return hashlib.sha256(self.raw).hexdigest()

    @property
    def no_transaction(self) -> bool:
        return self.header.no_transaction

    @property
    def display_path(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    why: str
    fix: str
    suppressed: bool = False
    reason: str | None = None

    def __init__(
        self, rule: str, severity: Severity, path: str, line: int, column: int, message: str, why: str, fix: str,
        suppressed: bool = False, reason: str | None = None,
    ) -> None:
        # Fields set straight in the instance dict, as in Statement: a findings-heavy file has thousands.
        fields = self.__dict__
        fields["rule"] = rule
        fields["severity"] = severity
        fields["path"] = path
        fields["line"] = line
        fields["column"] = column
        fields["message"] = message
        fields["why"] = why
        fields["fix"] = fix
        fields["suppressed"] = suppressed
        fields["reason"] = reason

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR and not self.suppressed

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "why": self.why,
            "fix": self.fix,
            "suppressed": self.suppressed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]
    files: int
    statements: int

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING and not f.suppressed)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "files": self.files,
            "statements": self.statements,
        }


@dataclass(frozen=True)
class LintOptions:
    supabase: bool = False  # Supabase project: RLS rules on, Supabase idioms known
    exposed_schemas: tuple[str, ...] = ("public",)  # schemas served by the Data API
    # Only findings in these files are reported; earlier files still give context (None = all files).
    report_paths: frozenset[str] | None = None
    # Versions present on the base ref (for out-of-order); empty = no base given.
    base_versions: tuple[str, ...] = ()
    # The project's PostgreSQL major, for version-dependent advice (None: a supported, current one).
    pg_version: int | None = None
