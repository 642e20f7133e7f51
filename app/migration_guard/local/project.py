"""The project's migrations folder for the local commands: --dir, else the settings, else the default."""

from __future__ import annotations

from pathlib import Path


def migrations_dir(flag: str | None) -> Path:
    """``--dir`` wins; then ``migrations-dir`` from migration-guard.toml / MIGRATION_GUARD_MIGRATIONS_DIR."""
    if flag:
        return Path(flag)
    from migration_guard.settings import load_project_settings  # pydantic only when no flag is given

    return Path(load_project_settings().migrations_dir)
