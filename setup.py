"""Extension modules of the compiled build; everything else is in pyproject.toml.

``MIGRATION_GUARD_COMPILE=1 pip install .`` compiles the linter's hot path (the statement split,
the rule engine, the rules) to C with mypyc: the same source, type-checked and compiled, about a
third less CPU for a big lint (bench/README.md). The action's image is built that way. Without
the variable (and always for editable installs, where a compiled module would shadow the source
being edited) the package is pure Python and behaves identically: tests/container compares the
two builds' output on the corpus.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

# The modules a lint spends its time in. Not the model (its dataclasses are shared with every other
# stage and pickled/compared in ways native classes do not support) nor the commands (I/O).
COMPILED = [
    "app/migration_guard/linter.py",
    "app/migration_guard/migrations/splitting.py",
    # docs.py renders docs/rules.md (and runs as `python -m`, which a compiled module cannot).
    *sorted(str(p) for p in Path("app/migration_guard/rules").glob("*.py") if p.name not in ("__init__.py", "docs.py")),
]


def ext_modules() -> list[object]:
    if os.environ.get("MIGRATION_GUARD_COMPILE", "") != "1":
        return []
    from mypyc.build import mypycify

    # The build environment has pglast and orjson (build_support/mg_build.py), not the other runtime
    # dependencies that modules imported by these import: Any to mypyc, and their errors silenced
    # (the strict check of everything with every dependency installed is CI's `mypy`).
    options = ["--ignore-missing-imports", "--follow-imports=silent"]
    return list(mypycify([*COMPILED, *options], opt_level="3", group_name="migration_guard"))


setup(ext_modules=ext_modules())
