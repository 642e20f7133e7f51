"""Where the project is: the root found from the current folder, and the migrations folder in it.

Every command walks up from the current folder to the project root, as the Supabase CLI does: the
nearest folder holding ``supabase/config.toml``, ``migration-guard.toml`` or a ``pyproject.toml``
with ``[tool.migration-guard]``. The search stops at the git work tree's top (a marker above the
repository belongs to something else). Defaults (the migrations folder, the audit folder) are
relative to that root, so `new`, `lint` and `check` work the same from ``supabase/migrations``.

No pydantic here: `lint` on every commit must not pay for it unless there is a setting to read.
"""

from __future__ import annotations

import os
from pathlib import Path

from migration_guard.errors import UserError

DEFAULT_MIGRATIONS_DIR = "supabase/migrations"
CONFIG_FILE = "migration-guard.toml"
SUPABASE_CONFIG = Path("supabase") / "config.toml"


def _pyproject_section(path: Path) -> bool:
    try:
        return path.is_file() and "[tool.migration-guard]" in path.read_text("utf-8", "replace")
    except OSError:
        return False


def is_root(folder: Path) -> bool:
    return (
        (folder / SUPABASE_CONFIG).is_file()
        or (folder / CONFIG_FILE).is_file()
        or _pyproject_section(folder / "pyproject.toml")
    )


def find_root(start: Path | None = None) -> Path | None:
    """The project root at or above ``start`` (default: the current folder); None when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_root(folder):
            return folder
        if (folder / ".git").exists():
            return None
    return None


def has_settings(root: Path | None) -> bool:
    """Is there anything for the project settings to read (cheap: decides whether to import pydantic)?"""
    if any(k.startswith("MIGRATION_GUARD_") for k in os.environ):
        return True
    return root is not None and ((root / CONFIG_FILE).is_file() or _pyproject_section(root / "pyproject.toml"))


def display(path: Path) -> Path:
    """``path`` relative to the current folder when that is how a user would type it (``.``,
    ``supabase/migrations``, ``../..``), else absolute."""
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive (Windows)
        return path
    return Path(rel)


def configured_migrations_dir(root: Path | None) -> str:
    """``migrations-dir`` from MIGRATION_GUARD_MIGRATIONS_DIR / the config file, else the default."""
    if not has_settings(root):
        return DEFAULT_MIGRATIONS_DIR
    from migration_guard.settings import load_project_settings

    return load_project_settings(root).migrations_dir


def migrations_dir(flag: str | Path | None) -> Path:
    """``--dir`` (relative to the current folder) wins; else ``migrations-dir`` (default
    ``supabase/migrations``) relative to the project root; without a root, to the current folder."""
    if flag:
        return Path(flag)
    root = find_root()
    configured = Path(configured_migrations_dir(root))
    if root is None:
        here = Path.cwd()
        if configured == Path(DEFAULT_MIGRATIONS_DIR) and here.parts[-2:] == ("supabase", "migrations"):
            return Path(".")  # inside a Supabase project without config.toml: never nest a second one
        return configured
    return display(root / configured)


def missing_folder(directory: Path) -> UserError:
    """The one wording for a migrations folder that is not there (exit 2)."""
    return UserError(
        f"{directory}: no such migrations folder; run inside a project (a folder with supabase/config.toml, "
        "migration-guard.toml or [tool.migration-guard] in pyproject.toml) or pass --dir DIR"
    )


def require_folder(directory: Path) -> Path:
    if not directory.is_dir():
        raise missing_folder(directory)
    return directory


LOCAL_AUDIT_DIR = Path(".migration-guard") / "audit"
IGNORE_ALL = "# Created by migration-guard: local audit records, never committed.\n*\n"


def audit_dir(flag: Path | None) -> Path:
    """``--audit-dir`` wins; else ``audit-dir`` from the settings (default ``.migration-guard/audit``)
    under the project root. The tool's own ``.migration-guard`` folder gets a ``.gitignore`` so
    `git add -A` never commits audit records."""
    if flag is not None:
        return flag
    root = find_root()
    base = root or Path.cwd()
    configured = Path(LOCAL_AUDIT_DIR)
    if has_settings(root):
        from migration_guard.settings import load_project_settings

        configured = Path(load_project_settings(root).audit_dir)
    target = base / configured
    if configured.parts and configured.parts[0] == LOCAL_AUDIT_DIR.parts[0]:
        ignore_folder(base / LOCAL_AUDIT_DIR.parts[0])
    return display(target)


def ignore_folder(folder: Path) -> None:
    """Create ``folder`` with a ``.gitignore`` that ignores everything in it (as pytest does for its cache)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(IGNORE_ALL, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{folder}: cannot create the audit folder: {exc.strerror}") from None
