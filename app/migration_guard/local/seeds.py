"""Seed files, as ``supabase db reset`` finds them, then ``supabase/seeds/<set>/*.sql``.

``[db.seed]`` in ``supabase/config.toml``: ``enabled`` (default true) and ``sql_paths`` (default
``["./seed.sql"]``): paths or globs relative to the ``supabase`` folder, loaded in the order
listed, each glob's matches in name order, a file matched twice loaded once, and a pattern that
matches nothing is warned about (the Supabase CLI's rules). Then our seed sets: ``dev`` seeds are
for manual testing (realistic, plentiful), ``test`` seeds for automated tests (small, exact).
Without a config.toml, the ``supabase`` folder is the migrations folder's parent.
"""

from __future__ import annotations

import glob
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from migration_guard.errors import UserError
from migration_guard.local.db import Conn
from migration_guard.migrations.loader import load_migration

SEED_SETS = ("dev", "test")
DEFAULT_SQL_PATHS = ("./seed.sql",)


@dataclass(frozen=True)
class SeedConfig:
    enabled: bool = True
    sql_paths: tuple[str, ...] = DEFAULT_SQL_PATHS
    source: Path | None = None  # the config.toml it came from


@dataclass(frozen=True)
class SeedPlan:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_seed_config(config: Path | None) -> SeedConfig:
    """``[db.seed]`` of a supabase/config.toml; a bad value is one line naming the file (exit 2)."""
    if config is None or not config.is_file():
        return SeedConfig()
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{config}: cannot read: {exc}") from None
    db = data.get("db")
    seed = db.get("seed") if isinstance(db, dict) else None
    if not isinstance(seed, dict):
        return SeedConfig(source=config)
    enabled = seed.get("enabled", True)
    paths = seed.get("sql_paths", list(DEFAULT_SQL_PATHS))
    if not isinstance(enabled, bool):
        raise UserError(f"{config}: [db.seed] enabled must be true or false")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise UserError(f"{config}: [db.seed] sql_paths must be a list of paths or globs")
    return SeedConfig(enabled, tuple(paths), config)


def _expand(base: Path, pattern: str) -> list[Path]:
    full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
    return [Path(os.path.normpath(m)) for m in sorted(glob.glob(full, recursive=True)) if os.path.isfile(m)]


def plan_seeds(migrations_dir: Path, seed_set: str | None, config: Path | None, explicit_set: bool) -> SeedPlan:
    """The seed files to load, in order. ``seed_set`` None = ``--seed NONE``. With ``[db.seed]
    enabled = false`` only a seed set named explicitly with ``--seed`` is loaded."""
    if seed_set is None:
        return SeedPlan()
    settings = read_seed_config(config)
    base = settings.source.parent if settings.source is not None else migrations_dir.resolve().parent
    plan = SeedPlan()
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            plan.files.append(path)

    if settings.enabled:
        for pattern in settings.sql_paths:
            matches = _expand(base, pattern)
            if not matches and (settings.source is not None and pattern not in DEFAULT_SQL_PATHS):
                plan.warnings.append(f"{settings.source}: [db.seed] sql_paths {pattern!r} matches no file")
            for path in matches:
                add(path)
    if settings.enabled or explicit_set:
        folder = base / "seeds" / seed_set
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".sql"):
                add(path)
    return plan


def seed_files(migrations_dir: Path, seed_set: str | None) -> list[Path]:
    """The files to load, in order, for a project without ``[db.seed]`` settings; [] for ``--seed NONE``."""
    return plan_seeds(migrations_dir, seed_set, None, explicit_set=False).files


def load_seed(conn: Conn, path: Path) -> None:
    """One transaction per seed file; a failure names the file, line and PostgreSQL's message."""
    seed = load_migration(path)
    if seed.error is not None:
        raise UserError(f"{path}:{seed.error.line}:{seed.error.column}: {seed.error.message}", exit_code=1)
    with conn.transaction():
        for st in seed.statements:
            try:
                conn.execute(st.sql.encode())
            except psycopg.Error as exc:
                message = (exc.diag.message_primary or str(exc)).strip()
                raise UserError(f"{path}:{st.line}:{st.column}: seed failed: {message}", exit_code=1) from None
