"""One CLI: 0 ok, 1 findings or a refusal, 2 usage, input or connection error — for every command.

docs/cli.md documents the table; this drives each row through the real CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
ENV.pop("DATABASE_URL", None)
ENV["NO_COLOR"] = "1"
DOWN = "postgresql://app:Sup3rSecretPw@/nope?host=/nonexistent-socket-dir"
ROOT = Path(__file__).resolve().parents[2]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migration_guard", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_a.sql").write_text("-- intent: a\ncreate table a (id bigint primary key, b text);\n")
    return tmp_path


CONNECTION = [
    ["status", "--database-url", DOWN],
    ["apply", "--database-url", DOWN, "--yes"],
    ["ledger", "repair", "--status", "reverted", "20240101000000", "--database-url", DOWN, "--yes"],
    ["reset", "--database-url", DOWN, "--yes"],
    ["seed", "--database-url", DOWN, "--synthetic", "1"],
    ["plan", "--postgres-url", DOWN, "--no-progress"],
    ["check", "--all", "--postgres-url", DOWN],
]


@pytest.mark.parametrize("args", CONNECTION, ids=[a[0] for a in CONNECTION])
def test_a_connection_error_exits_2_everywhere(project: Path, args: list[str]) -> None:
    result = cli(project, *args)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    last = result.stderr.strip().splitlines()[-1]
    assert re.match(r"migration-guard: error: (dry run: )?cannot connect to (--postgres-url \()?localhost/nope", last)
    assert "Sup3rSecretPw" not in result.stdout + result.stderr and "Traceback" not in result.stderr


USAGE = [["lint", "--format", "xml"], ["check", "--fail-on", "sometimes"], ["plan", "--postgres", "cloud"],
         ["status"], ["new"], ["rules", "no-such-rule"], ["ledger", "repair", "1"], []]


@pytest.mark.parametrize("args", USAGE, ids=[" ".join(a) or "no-command" for a in USAGE])
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    result = cli(project, *args)
    assert result.returncode == 2, (args, result.stderr)
    assert "Traceback" not in result.stderr


def test_findings_and_refusals_exit_1(project: Path) -> None:
    (project / "supabase" / "migrations" / "20240102000000_drop.sql").write_text(
        "-- intent: drop\nalter table a drop column b;\n")
    assert cli(project, "lint").returncode == 1
    assert cli(project, "check", "--all", "--no-dry-run").returncode == 1
    assert cli(project, "check", "--all", "--no-dry-run", "--fail-on", "never").returncode == 0
    remote = cli(project, "reset", "--database-url", "postgresql://u:p@db.example.com/x", "--yes")
    assert remote.returncode == 2  # refusing a remote host is an input error: the flag is missing


def test_the_table_in_docs_lists_every_command() -> None:
    from migration_guard.cli import COMMANDS

    doc = (ROOT / "docs" / "cli.md").read_text()
    table = doc.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    for command in COMMANDS:
        assert f"| `{command}` |" in table, command
    assert "[CLI reference](docs/cli.md)" in (ROOT / "README.md").read_text()
