"""`migration-guard new`: a timestamped migration file with a header to fill in.

Versions are UTC ``yyyymmddhhmmss`` like ``supabase migration new``, compared as strings like the
Supabase CLI compares them. A new file must sort after every existing one: a file that sorts
before the newest (a skewed clock, a file from a branch written "in the future") would be applied
out of order or refused by the deploy.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from migration_guard.errors import UserError
from migration_guard.migrations.naming import parse_name

TEMPLATE = """\
-- intent:
-- depends-on:
-- data-migration: no
--
-- Fill in the intent (one line: what and why) and, if this file needs an earlier migration that
-- is not obviously before it, its version in depends-on. Safe patterns (docs/writing-safe-migrations.md):
--   * New NOT NULL column on an existing table: add it nullable (or with a constant default),
--     backfill in a separate data migration, then add the constraint.
--   * Index on an existing table: CREATE INDEX CONCURRENTLY, alone in a file that starts with
--     "-- migration-guard: no-transaction".
--   * Constraint on an existing table: ADD ... NOT VALID here, VALIDATE CONSTRAINT in a later file.
--   * Renames and drops break the running app: expand (add new), migrate, contract (drop old) later.
--   * New table in an exposed schema: ENABLE ROW LEVEL SECURITY and its policies in this file.
--   * Never mix schema changes and data backfills in one file (data-migration: yes for backfills).

"""

_NON_WORD = re.compile(r"[^0-9a-z]+")


class NewFile(NamedTuple):
    path: Path
    created_dir: bool


def snake_name(name: str) -> str:
    """'Add todos.priority!' → 'add_todos_priority'; refuses names with no letters or digits."""
    snake = _NON_WORD.sub("_", name.strip().lower()).strip("_")
    if not snake:
        raise UserError(
            f"migration name {name!r} has no letters or digits; use a short description such as add_todos_priority"
        )
    return snake


def utc_version(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S")


def newest_version(directory: Path) -> tuple[str, str] | None:
    """(version, file name) of the newest Supabase-named migration in the folder, if any."""
    newest: tuple[str, str] | None = None
    if not directory.is_dir():
        return None
    for p in directory.iterdir():
        parsed = parse_name(p.name)
        if p.suffix == ".sql" and parsed.supabase and (newest is None or parsed.version > newest[0]):
            newest = (parsed.version, p.name)
    return newest


def new_migration_path(directory: Path, name: str, now: datetime | None = None) -> Path:
    """Where the new file goes; refuses collisions and versions that would sort first."""
    version = utc_version(now)
    path = directory / f"{version}_{snake_name(name)}.sql"
    newest = newest_version(directory)
    if newest is not None:
        if newest[0] == version:
            raise UserError(
                f"{directory / newest[1]}: already uses version {version}; wait a second and run again "
                "(two migrations must never share a version)"
            )
        if newest[0] > version:
            raise UserError(
                f"{directory / newest[1]}: version {newest[0]} is newer than the current UTC time {version}; "
                "the new file would sort before it and run out of order (clock skew, or a file named in the "
                "future: fix the clock or rename that file)"
            )
    if path.exists():  # pragma: no cover - implied by the version checks above; kept as a last guard
        raise UserError(f"{path}: already exists")
    return path


def create_migration(directory: Path, name: str, now: datetime | None = None) -> NewFile:
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: not a folder (--dir must name the migrations folder)")
    path = new_migration_path(directory, name, now)
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite a file that raced us
            fh.write(TEMPLATE)
    except FileExistsError:
        raise UserError(f"{path}: already exists") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror}") from None
    return NewFile(path, created)
