"""Migration files: discovery, naming and ordering, headers, statement splitting, checksums."""

from migration_guard.migrations.loader import load_migration, load_migrations
from migration_guard.migrations.naming import discover, parse_name

__all__ = ["discover", "load_migration", "load_migrations", "parse_name"]
