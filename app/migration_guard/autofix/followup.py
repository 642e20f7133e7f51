"""The follow-up migration file: the version right after the fixed file, named like its folder.

A VALIDATE must run in a later transaction than the ADD … NOT VALID, and before anything that
comes after the fixed file, so the new file takes the next version after it (a timestamp one
second later, the next number, Flyway's next minor part) and must sort between it and the
following file. Names are made the way `migration-guard new` makes them (``snake_name``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from migration_guard.local.newfile import snake_name
from migration_guard.migrations.naming import FLYWAY_VERSIONED, NUMERIC_DASH, SUPABASE_NAME, order, parse_name

TIMESTAMP = "%Y%m%d%H%M%S"  # the Supabase CLI's and `migration-guard new`'s version format
TIMESTAMP_DIGITS = 14
MAX_WORDS = 60


def _next_number(version: str) -> str:
    if len(version) == TIMESTAMP_DIGITS:
        try:
            return (datetime.strptime(version, TIMESTAMP) + timedelta(seconds=1)).strftime(TIMESTAMP)
        except ValueError:
            pass  # 14 digits that are no timestamp: count on
    return str(int(version) + 1).zfill(len(version))


def candidate(source: str, words: str) -> str | None:
    """The new file's name, or None when the source's name carries no version to follow."""
    snake = snake_name(words)[:MAX_WORDS].rstrip("_")
    m = SUPABASE_NAME.match(source)
    if m:
        return f"{_next_number(m.group(1))}_{snake}.sql"
    m = FLYWAY_VERSIONED.match(source)
    if m:
        return f"V{m.group(1)}.1__{snake}.sql"
    m = NUMERIC_DASH.match(source)
    if m:
        return f"{_next_number(m.group(1))}-{snake}.sql"
    return None


def follow_up_name(source: Path, folder_names: Iterable[str], words: str) -> str:
    """The new file's name, or raise ValueError saying why there is none."""
    name = candidate(source.name, words)
    if name is None:
        raise ValueError(f"{source.name} carries no version, so no file can be ordered right after it")
    names = [n for n in folder_names if n != name]
    version = parse_name(name).version
    clash = next((n for n in names if parse_name(n).version == version), None)
    if clash is not None:
        raise ValueError(f"the version after it ({version}) is taken by {clash}")
    ordered = [p.name for p in order([Path(n) for n in {*names, source.name, name}])]
    at = ordered.index(name)
    if at == 0 or ordered[at - 1] != source.name:
        following = ordered[at - 1] if at else "nothing"
        raise ValueError(f"{name} would not run right after {source.name} (it follows {following})")
    return name
