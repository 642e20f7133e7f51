"""`migration-guard new NAME`: create a timestamped migration file with a header to fill in."""

from __future__ import annotations

import argparse
import sys

from migration_guard.local.newfile import create_migration
from migration_guard.local.project import migrations_dir

HELP = "create a new timestamped migration file with an intent header"
DESCRIPTION = (
    "Create <dir>/<UTC yyyymmddhhmmss>_<name>.sql with the header (intent, depends-on, data-migration) "
    "and a reminder of the safe patterns. Refuses a version that collides with or sorts before the "
    "newest existing migration. Prints the new file's path."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="short description, turned into snake_case (add_todos_priority)")
    parser.add_argument(
        "--dir",
        default=None,
        help="migrations folder (default: supabase/migrations, or migrations-dir from migration-guard.toml / "
        "MIGRATION_GUARD_MIGRATIONS_DIR); created when missing",
    )


def run(args: argparse.Namespace) -> int:
    directory = migrations_dir(args.dir)
    result = create_migration(directory, args.name)
    if result.created_dir:
        print(f"created folder {directory}", file=sys.stderr)
    print(result.path)
    return 0
