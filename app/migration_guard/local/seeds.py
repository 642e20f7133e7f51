"""Seed files: ``supabase/seed.sql`` (the Supabase convention) then ``supabase/seeds/<set>/*.sql``.

``dev`` seeds are for manual testing (realistic, plentiful), ``test`` seeds for automated tests
(small, exact). The ``supabase`` folder is the migrations folder's parent.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from migration_guard.errors import UserError
from migration_guard.local.db import Conn
from migration_guard.migrations.loader import load_migration

SEED_SETS = ("dev", "test")


def seed_files(migrations_dir: Path, seed_set: str | None) -> list[Path]:
    """The files to load, in order; [] for ``--seed NONE``."""
    if seed_set is None:
        return []
    root = migrations_dir.resolve().parent
    files: list[Path] = []
    if (root / "seed.sql").is_file():
        files.append(root / "seed.sql")
    folder = root / "seeds" / seed_set
    if folder.is_dir():
        files.extend(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".sql"))
    return files


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
