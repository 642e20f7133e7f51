"""The build backend (build_support/mg_build.py): mypyc only for the compiled build, never editable.

The hooks are called in-process with the project root as the working directory, as pip calls them.
The plain build is the one every install here makes (`pip install -e .`, the README's command);
tests/container/test_compiled_build.py builds and runs the compiled package itself (in the image).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.chdir(ROOT)
    spec = importlib.util.spec_from_file_location("mg_build_under_test", ROOT / "build_support" / "mg_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pyproject_names_the_in_tree_backend() -> None:
    system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert system["build-backend"] == "mg_build" and system["backend-path"] == ["build_support"]


def test_the_compiled_build_asks_for_mypyc_and_the_typed_dependencies(
    backend: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGRATION_GUARD_COMPILE", "1")
    wanted = backend.get_requires_for_build_wheel()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert wanted[0] == backend.mypyc()
    # pglast and orjson at exactly the versions the package allows at run time.
    assert sorted(wanted[1:]) == sorted(d for d in deps if d.startswith(("pglast", "orjson")))
    # The mypy CI type-checks with (the dev extra's, installed here) is the one compiling.
    assert f"mypy=={importlib.metadata.version('mypy')}" == backend.mypyc()


def test_a_compiled_editable_install_is_refused(backend: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATION_GUARD_COMPILE", "1")
    with pytest.raises(SystemExit, match="cannot be editable"):
        backend.get_requires_for_build_editable()
    with pytest.raises(SystemExit, match="cannot be editable"):
        backend.build_editable("/nonexistent")


def test_a_compiled_build_starts_without_stale_compiled_modules(backend: ModuleType, tmp_path: Path) -> None:
    # What an earlier compiled build left: a module compiled then, no longer in the list now.
    stale = tmp_path / "build" / "lib.linux-x86_64-cpython-311" / "migration_guard"
    stale.mkdir(parents=True)
    (stale / "model.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    pure = tmp_path / "build" / "lib" / "migration_guard"
    pure.mkdir(parents=True)
    (pure / "model.py").write_text("")
    removed = backend.clear_stale_compiled(tmp_path)
    assert removed == [tmp_path / "build" / "lib.linux-x86_64-cpython-311"]
    assert not stale.exists() and (pure / "model.py").exists()  # the pure build's folder stays


def test_build_wheel_clears_stale_modules_only_for_the_compiled_build(
    backend: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # setuptools' own build_wheel is replaced by a recorder: building a real wheel here would compile
    # the package (tests/container/test_compiled_build.py does that, in the image).
    cleared: list[Path] = []
    monkeypatch.setattr(backend, "clear_stale_compiled", lambda root: cleared.append(root) or [])
    monkeypatch.setattr(backend._orig, "build_wheel", lambda *args: "x.whl")
    monkeypatch.delenv("MIGRATION_GUARD_COMPILE", raising=False)
    assert backend.build_wheel(str(tmp_path)) == "x.whl" and cleared == []
    monkeypatch.setenv("MIGRATION_GUARD_COMPILE", "1")
    assert backend.build_wheel(str(tmp_path)) == "x.whl" and cleared == [ROOT]
