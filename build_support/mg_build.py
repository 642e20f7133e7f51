"""The build backend: setuptools', plus mypy (for mypyc) when the compiled build is asked for.

``MIGRATION_GUARD_COMPILE=1`` compiles the linter's hot modules to C with mypyc (setup.py). The
compiler then has to be in the isolated build environment; asking for it only then keeps every
other install (editable ones included) as light as before.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

from setuptools import build_meta as _orig
from setuptools.build_meta import *  # noqa: F403 (the other hooks unchanged)

# The runtime dependencies whose types the compiled modules use (pglast's parser and keywords,
# orjson), at the versions pyproject.toml allows: mypyc compiles against their real signatures.
TYPED_DEPENDENCIES = ("pglast", "orjson")


def _name(requirement: str) -> str:
    return requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def _typed_dependencies() -> list[str]:
    return [d for d in _project()["dependencies"] if _name(d) in TYPED_DEPENDENCIES]


def mypyc() -> str:
    """mypy (mypyc ships inside it) as the dev extra pins it: the compiler is the type checker CI runs."""
    return next(d for d in _project()["optional-dependencies"]["dev"] if _name(d) == "mypy")


def _compile() -> bool:
    return os.environ.get("MIGRATION_GUARD_COMPILE", "") == "1"


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    # setuptools' own hook runs setup.py to read setup_requires (we have none); with the compiled
    # build asked for, setup.py needs mypyc, which is what is being asked for here.
    if _compile():
        return [mypyc(), *_typed_dependencies()]
    return list(_orig.get_requires_for_build_wheel(config_settings))


def _refuse_compiled_editable() -> None:
    # An editable install with compiled modules would put them next to the sources, where they
    # shadow the .py being edited: edits would silently do nothing.
    if _compile():
        raise SystemExit("MIGRATION_GUARD_COMPILE=1 builds a wheel: the compiled build cannot be editable (drop -e)")


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    _refuse_compiled_editable()
    return list(_orig.get_requires_for_build_editable(config_settings))


def build_editable(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    _refuse_compiled_editable()
    return str(_orig.build_editable(wheel_directory, config_settings, metadata_directory))


def clear_stale_compiled(root: Path) -> list[Path]:
    """Remove setuptools' ``build/lib.<platform>/`` folders left by an earlier compiled build.

    setuptools copies into that folder and never empties it: a module since dropped from setup.py's
    compiled list would keep its old ``.so`` there, and the next wheel would ship it next to the
    module's source, which it shadows (the import system tries extensions first). A pure build uses
    ``build/lib/`` and is not affected."""
    removed = sorted(p for p in (root / "build").glob("lib.*") if p.is_dir())
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def build_wheel(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    if _compile():
        clear_stale_compiled(Path.cwd())
    return str(_orig.build_wheel(wheel_directory, config_settings, metadata_directory))
