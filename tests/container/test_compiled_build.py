"""The image runs the compiled build (setup.py: the linter's hot modules compiled by mypyc), and that
build says exactly what the interpreted one (the one every other test runs) says: the same bytes in
every output format, on every project of the shared corpus and on a findings-heavy generated file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from container.conftest import docker

SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS = SHARED / "corpus"
GENERATOR = SHARED / "bench" / "gen_big_sql.py"
FORMATS = ("json", "text", "sarif", "github")
SEPARATOR = "\n=== next output ===\n"

COMPILED_MODULES = (
    "migration_guard.linter",
    "migration_guard.migrations.splitting",
    "migration_guard.rules.context",
    "migration_guard.rules.nodes",
    "migration_guard.rules.prefer_types",
)


def test_the_image_runs_the_compiled_linter(image: str) -> None:
    code = "import importlib, sys; print('\\n'.join(importlib.import_module(m).__file__ for m in sys.argv[1:]))"
    files = docker("run", "--rm", "--entrypoint", "python", image, "-c", code, *COMPILED_MODULES).stdout.split()
    assert len(files) == len(COMPILED_MODULES)
    assert all(f.endswith(".so") for f in files), files
    # …and the commands, which are I/O, stay Python.
    cli = docker("run", "--rm", "--entrypoint", "python", image, "-c", code, "migration_guard.cli").stdout.strip()
    assert cli.endswith("cli.py"), cli


def targets(tmp_path: Path) -> list[Path]:
    if not CORPUS.is_dir() or not GENERATOR.is_file():
        pytest.skip("shared corpus or gen_big_sql.py not found")
    heavy = tmp_path / "heavy" / "20240101000000_heavy.sql"
    heavy.parent.mkdir()
    subprocess.run(
        [sys.executable, str(GENERATOR), "--statements", "3000", "--seed", "7", "--out", str(heavy)],
        check=True, capture_output=True,
    )
    return [*sorted(p for p in CORPUS.iterdir() if p.is_dir()), heavy.parent]


def test_compiled_and_interpreted_builds_print_the_same_bytes(image: str, tmp_path: Path) -> None:
    folders = targets(tmp_path)
    runs = [(fmt, str(folder)) for folder in folders for fmt in FORMATS]
    # One container runs every lint (the paths are mounted where they are here, so they print alike).
    script = f"for a in {' '.join(f'{fmt}:{path}' for fmt, path in runs)}; do " \
        f"migration-guard lint --format \"${{a%%:*}}\" \"${{a#*:}}\"; printf '{SEPARATOR}'; done"
    mounts = [arg for path in (CORPUS, tmp_path) for arg in ("-v", f"{path}:{path}:ro")]
    proc = docker(
        "run", "--rm", "--network", "none", "-e", "NO_COLOR=1", *mounts, "-w", "/", "--entrypoint", "sh", image,
        "-c", script, timeout=900,
    )
    compiled = proc.stdout.split(SEPARATOR)[:-1]
    assert len(compiled) == len(runs), proc.stderr[-2000:]
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    for (fmt, path), out in zip(runs, compiled, strict=True):
        here = subprocess.run(
            [sys.executable, "-m", "migration_guard", "lint", "--format", fmt, path],
            capture_output=True, text=True, cwd="/", env=env, check=False,
        )
        assert here.stdout, f"{fmt} {path}: {here.stderr[-500:]}"
        assert out == here.stdout, f"the compiled build's {fmt} output differs on {path}"
