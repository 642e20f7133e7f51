"""File names, versions and the order migrations run in.

The default is the Supabase CLI's rule: ``^([0-9]+)_(.*)\\.sql$``, versions compared as strings.
Folders written for other runners keep their own order, so their histories replay correctly:
Flyway (``V1.2__x.sql`` by numeric version parts, then ``R__x.sql`` by name) and
postgres-migrations / goose style ``00010-x.sql`` (numeric id).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

SUPABASE_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")
FLYWAY_VERSIONED = re.compile(r"^V(\d+(?:[._]\d+)*)__(.+)\.sql$")
FLYWAY_REPEATABLE = re.compile(r"^R__(.+)\.sql$")
NUMERIC_DASH = re.compile(r"^(\d+)-(.+)\.sql$")

SEED_FILE_NAMES = frozenset({"seed.sql"})


class ParsedName(NamedTuple):
    version: str  # "" when the name carries none
    name: str
    supabase: bool  # True when the Supabase CLI would pick the file up


@cache  # asked per statement by some rules (the file's runner); a pure function of the name
def parse_name(filename: str) -> ParsedName:
    m = SUPABASE_NAME.match(filename)
    if m:
        return ParsedName(m.group(1), m.group(2), True)
    m = FLYWAY_VERSIONED.match(filename)
    if m:
        return ParsedName(m.group(1).replace("_", "."), m.group(2), False)
    m = NUMERIC_DASH.match(filename)
    if m:
        return ParsedName(m.group(1), m.group(2), False)
    m = FLYWAY_REPEATABLE.match(filename)
    if m:
        return ParsedName("", m.group(1), False)
    stem = filename[:-4] if filename.endswith(".sql") else filename
    return ParsedName("", stem, False)


def _scheme(names: list[str]) -> str:
    """Which runner's ordering the folder follows (all its files must agree)."""
    if names and all(FLYWAY_VERSIONED.match(n) or FLYWAY_REPEATABLE.match(n) for n in names):
        return "flyway"
    if names and all(NUMERIC_DASH.match(n) for n in names):
        return "numeric"
    return "supabase"


def _flyway_key(name: str) -> tuple[int, tuple[int, ...], str]:
    m = FLYWAY_VERSIONED.match(name)
    if m:
        parts = tuple(int(p) for p in re.split(r"[._]", m.group(1)))
        return (0, parts, name)
    return (1, (), name)  # repeatables run after all versioned files, by name


def order(paths: list[Path]) -> list[Path]:
    """Sort migration files in the order their runner applies them."""
    names = [p.name for p in paths]
    scheme = _scheme(names)
    if scheme == "flyway":
        return sorted(paths, key=lambda p: _flyway_key(p.name))
    if scheme == "numeric":
        return sorted(paths, key=lambda p: (int(NUMERIC_DASH.match(p.name).group(1)), p.name))  # type: ignore[union-attr]

    def key(p: Path) -> tuple[int, str, str]:
        parsed = parse_name(p.name)
        # Supabase-named files first, compared as strings like the CLI; the rest after, by name.
        return (0, parsed.version, p.name) if parsed.supabase else (1, "", p.name)

    return sorted(paths, key=key)


def discover(directory: Path) -> list[Path]:
    """The migration files of a folder (not recursive), in run order; seed files excluded.

    An entry named ``*.sql`` that must not be read (a folder, a FIFO, a device, a symlink out of
    the repository) is an error naming it, never skipped silently (``source.check_entry``).
    """
    from migration_guard.migrations.source import check_entry, repository_root

    root = repository_root(directory)
    files = [
        p for p in sorted(directory.iterdir()) if p.name not in SEED_FILE_NAMES and check_entry(p, root)
    ]
    return order(files)
