"""Helpers for rule tests: lint SQL text as real migration files (parsed by the real loader)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import Finding, LintOptions

LintSql = Callable[..., list[Finding]]


def _lint_sql(
    *files: str | tuple[str, str],
    supabase: bool = False,
    exposed: tuple[str, ...] = ("public",),
    base: tuple[str, ...] = (),
    report: frozenset[str] | None = None,
    pg_version: int | None = None,
) -> list[Finding]:
    """Each argument is SQL (named 2024010100000<i>_m<i>.sql, in order) or (file name, SQL)."""
    migrations = []
    for i, item in enumerate(files):
        name, sql = item if isinstance(item, tuple) else (f"2024010100000{i}_m{i}.sql", item)
        migrations.append(parse_migration(Path(name), sql.encode()))
    options = LintOptions(
        supabase=supabase, exposed_schemas=exposed, report_paths=report, base_versions=base, pg_version=pg_version
    )
    return list(lint(migrations, options).findings)


@pytest.fixture
def lint_sql() -> LintSql:
    return _lint_sql


Hits = Callable[..., list[tuple[int, int]]]


@pytest.fixture
def hits() -> Hits:
    """``hits(rule_id, *files, **options)`` → (line, column) of that rule's findings."""

    def run(rule: str, *files: str | tuple[str, str], **options: object) -> list[tuple[int, int]]:
        return [(f.line, f.column) for f in _lint_sql(*files, **options) if f.rule == rule]  # type: ignore[arg-type]

    return run
