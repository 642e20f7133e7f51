"""Local migration files as the deploy sees them: version, name, and the CLI's statement split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migration_guard.apply.split import Piece, split_pieces
from migration_guard.errors import UserError
from migration_guard.migrations import load_migration
from migration_guard.migrations.naming import SUPABASE_NAME, discover
from migration_guard.model import Migration


@dataclass(frozen=True)
class LocalMigration:
    migration: Migration
    pieces: tuple[Piece, ...]  # what runs and what the ledger stores (the CLI's split)

    @property
    def version(self) -> str:
        return self.migration.version

    @property
    def name(self) -> str:
        return self.migration.name

    @property
    def path(self) -> Path:
        return self.migration.path

    @property
    def checksum(self) -> str:
        return self.migration.checksum

    @property
    def statements(self) -> tuple[str, ...]:
        return tuple(p.sql for p in self.pieces)

    @property
    def no_transaction(self) -> bool:
        return self.migration.no_transaction

    def line_of(self, offset: int) -> int:
        return self.migration.text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class LocalFiles:
    migrations: tuple[LocalMigration, ...]  # Supabase-named files, in version order
    skipped: tuple[Path, ...]  # files the Supabase CLI would skip too (name does not match)


def load_local(directory: Path) -> LocalFiles:
    if not directory.is_dir():
        raise UserError(f"{directory}: no such migrations folder (pass --dir)")
    found: list[LocalMigration] = []
    skipped: list[Path] = []
    seen: dict[str, Path] = {}
    for path in discover(directory):
        if not SUPABASE_NAME.match(path.name):
            skipped.append(path)
            continue
        migration = load_migration(path)
        if migration.version in seen:
            raise UserError(f"{path}: version {migration.version} is also used by {seen[migration.version].name}")
        seen[migration.version] = path
        # The loader's text is the file minus a BOM (and minus other runners' down sections, which a
        # Supabase-named file does not have): the same text the CLI splits.
        found.append(LocalMigration(migration, tuple(split_pieces(migration.text))))
    found.sort(key=lambda m: m.version)
    return LocalFiles(tuple(found), tuple(skipped))
