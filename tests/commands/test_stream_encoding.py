"""Output to a stream in another encoding (LANG=C, PYTHONIOENCODING=latin-1 or ascii): characters it
lacks come out as \\u escapes, never as a traceback in the middle of a report. The real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Warnings only (exit 0), on a line with a character neither ascii nor latin-1 has (€), and one beyond
# U+FFFF (😀), which JSON writes as a UTF-16 pair of escapes.
SQL = (
    "-- intent: prices in €\ncreate table public.prix_€ (id serial primary key, nom varchar(20));\n"
    "create table public.\"emoji_😀\" (id serial primary key);\n"
)


def run(args: list[str], encoding: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "migration_guard", *args], capture_output=True, cwd=cwd, env=env,
                          timeout=120, check=False)
    # What the stream really carried, read back in its own encoding.
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(encoding),
                                       proc.stderr.decode(encoding))


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_rules_and_lint_print_escapes_not_tracebacks(tmp_path: Path, encoding: str) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240101000000_prix.sql").write_text(SQL, encoding="utf-8")

    listed = run(["rules"], encoding, tmp_path)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr[-2000:]
    assert "prefer-text" in listed.stdout and "\\u2026" in listed.stdout  # our own "…", escaped

    text = run(["lint", str(folder)], encoding, tmp_path)
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr[-2000:]
    assert "prefer-text" in text.stdout and "prefer-identity" in text.stdout
    assert "prix_\\u20ac" in text.stdout  # the file's own text (no € in ascii or latin-1), escaped
    assert "emoji_\\ud83d\\ude00" in text.stdout

    report = run(["lint", "--format", "json", str(folder)], encoding, tmp_path)
    assert report.returncode == 0 and "Traceback" not in report.stderr, report.stderr[-2000:]
    # \u escapes are JSON's own: the report parses to exactly what a UTF-8 stream gets.
    utf8 = run(["lint", "--format", "json", str(folder)], "utf-8", tmp_path)
    assert json.loads(report.stdout) == json.loads(utf8.stdout)
