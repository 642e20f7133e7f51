"""What a rule declares. The CLI (`rules`), the docs and the PR comment all render from this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from migration_guard.model import Severity

# Where a rule is checked: the lint engine on the SQL text, the dry run on the database it built, or
# both (an advisory that shares a lint rule's id: one rule, one id, one finding).
Source = Literal["lint", "dry-run", "lint+dry-run"]
LINT: Source = "lint"
DRY_RUN: Source = "dry-run"
LINT_AND_DRY_RUN: Source = "lint+dry-run"


class Hit(NamedTuple):
    """A rule's raw result; the engine turns it into a Finding (adds path, why, fix, suppression)."""

    message: str
    line: int
    column: int
    fix: str | None = None  # the fix written for this statement (its own names); None: the rule's generic fix


@dataclass(frozen=True)
class Rule:
    id: str  # stable kebab-case id; other tools key on it
    severity: Severity
    summary: str  # one line
    why: str  # the lock taken, what breaks, what is lost
    fix: str  # the safe alternative, as SQL steps in the order to take them
    example: str  # SQL that triggers the rule
    check: Callable[..., Iterable[Hit]] | None = None
    kinds: frozenset[str] = frozenset()  # statement node kinds the check wants; empty = file-level rule
    extra: Any = None
    # For ALTER TABLE: the sub-command types (``AT_AddColumn`` …) the check looks at; empty = all.
    # Lets the engine skip rules that cannot fire without calling them (speed).
    subtypes: frozenset[str] = frozenset()
    source: Source = LINT

    @property
    def checked_by(self) -> str:
        """Who reports it, for people (`rules`, the docs)."""
        return {DRY_RUN: "dry run", LINT_AND_DRY_RUN: "lint + dry run"}.get(self.source, "lint")

    @property
    def linted(self) -> bool:
        """Does the lint engine run it (dry-run-only rules need a database)?"""
        return self.source != DRY_RUN

    @property
    def dry_run(self) -> bool:
        """Is it reported by the dry run (`plan`, `check`) from the database it built?"""
        return self.source != LINT
    # For rules that look at every statement (kinds ``*``): True while the rule cannot fire (e.g. no
    # enum value is pending), so the engine skips calling it (speed). None: always called.
    idle: Callable[[Any], bool] | None = None


class ExampleSetup(NamedTuple):
    """How to lint a rule's ``example`` so that it triggers (put in ``Rule.extra`` when not default).

    Each path in ``paths`` becomes one migration file holding the example SQL, linted in that order.
    """

    paths: tuple[str, ...] = ("20240101000000_example.sql",)
    base_versions: tuple[str, ...] = ()
    supabase: bool = False
