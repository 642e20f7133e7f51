"""The plain data of a fix: text edits, what a fixer decided, and the planned file changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from migration_guard.model import Finding, Migration, Statement


class Edit(NamedTuple):
    """Replace ``text[start:end]`` of the migration's text (character offsets) with ``new``."""

    start: int
    end: int
    new: str


class Fixed(NamedTuple):
    edits: tuple[Edit, ...]
    said: str  # what was done, e.g. "added CONCURRENTLY and -- migration-guard: no-transaction"
    # Statements for a new migration file right after this one (VALIDATE …), in order; empty: none.
    follow_up: tuple[str, ...] = ()
    follow_up_words: str = ""  # the new file's descriptive name, e.g. "validate orders_customer_fkey"


class Skipped(NamedTuple):
    reason: str


Outcome = Fixed | Skipped


class Target(NamedTuple):
    """What a fixer sees: the finding, its statement, its file and the files that run before it."""

    finding: Finding
    migration: Migration
    statement: Statement
    offset: int  # the finding's position in ``migration.text``
    earlier: Sequence[Migration]


@dataclass(frozen=True)
class Fixer:
    rule: str  # the rule id whose findings it fixes
    summary: str  # one line, for --help and the docs
    fix: Callable[[Target], Outcome]


class FileEdit(NamedTuple):
    migration: Migration
    edits: tuple[Edit, ...]


class NewFile(NamedTuple):
    path: Path
    text: str  # with "\n" line ends; written with the source file's line ends
    after: str  # the file it follows


class Plan(NamedTuple):
    edits: tuple[FileEdit, ...]
    new_files: tuple[NewFile, ...]
    lines: tuple[str, ...]  # one per applied or skipped fix, then one per new file
    fixed: frozenset[tuple[str, str, int, int]]  # (rule, path, line, column) of the findings fixed
