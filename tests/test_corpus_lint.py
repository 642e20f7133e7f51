"""Every migration folder of the shared corpus (real projects) lints without a crash and without a
syntax-error finding (goose/dbmate down parts are not the migration; one has a real syntax error)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from migration_guard.commands.lint import lint_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FOLDERS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def args(*paths: Path) -> argparse.Namespace:
    return argparse.Namespace(paths=[str(p) for p in paths], dir=None, base=None, supabase="auto", format="json")


@pytest.mark.parametrize("name", FOLDERS)
def test_folder_lints_without_syntax_errors(corpus: Path, name: str) -> None:
    folder = corpus / name
    result, migrations, _notes = lint_paths(args(folder))
    sql_files = [p for p in folder.glob("*.sql") if p.name != "seed.sql"]
    assert result.files == len(sql_files) == len(migrations)
    assert result.statements > 0
    syntax = [f"{f.path}:{f.line}:{f.column}: {f.message}" for f in result.findings if f.rule == "syntax-error"]
    assert syntax == []
    for f in result.findings:
        assert f.path.startswith(str(folder))
        assert f.line >= 1 and f.column >= 1


def test_seed_files_lint_too(corpus: Path) -> None:
    seeds = sorted(corpus.glob("*/seed.sql"))
    assert seeds
    for seed in seeds:
        result, _migrations, notes = lint_paths(args(seed))
        assert [f for f in result.findings if f.rule == "syntax-error"] == []
        if not seed.read_bytes().strip():
            assert any("empty file" in n for n in notes)  # the corpus keeps 0-byte seeds on purpose


def test_goose_down_part_with_a_real_syntax_error_is_not_linted(corpus: Path) -> None:
    # e2b-dev__infra is run by goose: only `-- +goose Up` sections are migrations.
    result, migrations, _ = lint_paths(args(corpus / "e2b-dev__infra"))
    assert any(m.no_transaction for m in migrations)  # `-- +goose NO TRANSACTION` honoured
    assert "syntax-error" not in Counter(f.rule for f in result.findings)


def test_cli_on_one_corpus_folder(corpus: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", "--format", "json", str(corpus / "supabase__storage")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"] == 63
    assert "syntax-error" not in {f["rule"] for f in data["findings"]}
