"""Import pglast's parser without executing its AST classes and enums until something uses them.

``import pglast`` (and so ``from pglast import parser``) runs ``pglast.enums`` and ``pglast.ast``:
a thousand classes, ~35 ms of every lint, while linting only reads the parser's JSON. The lint
command calls ``defer_ast()`` before anything imports pglast: both modules are then registered as
empty modules that run their real code on the first attribute anyone reads (a fix that deparses a
statement, ``from pglast import ast``). Everything else sees ordinary pglast modules.

Not ``importlib.util.LazyLoader``: its modules load on any attribute read, and the import system
reads ``__spec__``/``__path__`` while pglast imports them, so they would load at once (tried).

Not for code compiled with mypyc (it swaps a module's class), and single-threaded callers only (the
lint command): the swap has no lock.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType

DEFERRED = ("pglast.enums", "pglast.ast")


class _Deferred(ModuleType):
    """A module whose code has not run yet: it runs on the first attribute it lacks."""

    def __getattr__(self, name: str) -> object:
        # From here on an ordinary module (so no recursion while its code runs).
        self.__class__ = ModuleType  # type: ignore[assignment]
        spec = self.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, name)


def defer_ast() -> None:
    """Import pglast with ``pglast.enums`` and ``pglast.ast`` deferred; nothing if pglast is imported
    already or is laid out differently (then it is imported the ordinary way, later)."""
    if "pglast" in sys.modules:
        return
    top = importlib.util.find_spec("pglast")  # finds the package without running it
    if top is None or not top.submodule_search_locations:
        return
    where = list(top.submodule_search_locations)
    modules: dict[str, ModuleType] = {}
    for name in DEFERRED:
        spec = importlib.machinery.PathFinder.find_spec(name, where)
        if spec is None or spec.loader is None:
            return
        modules[name] = importlib.util.module_from_spec(spec)
    for name, module in modules.items():
        module.__class__ = _Deferred
        sys.modules[name] = module
    import pglast

    # An ordinary import sets each submodule as an attribute of its package: so do we.
    for name, module in modules.items():
        setattr(pglast, name.rpartition(".")[2], module)
