"""The README's two set-up-and-run commands stay true: CI runs the test one, and the main one works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    assert len(BLOCKS) == 2, BLOCKS
    main_cmd, test_cmd = BLOCKS
    assert "migration-guard check" in main_cmd
    assert test_cmd.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines(), "the README's test command must be the one .ci/run runs"


def test_main_command_runs_the_full_check_on_the_example_project() -> None:
    main_cmd = BLOCKS[0]
    # The installed console script runs `python -m migration_guard` here; the arguments are the README's.
    args = shlex.split(main_cmd.split("migration-guard", 2)[-1])
    assert args[0] == "check"
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stderr  # the example's blocking finding, on purpose
    assert "error[index-not-concurrent]" in proc.stdout
    assert "Dry run on PostgreSQL" in proc.stdout
    assert "Affected objects" in proc.stdout
    assert "Traceback" not in proc.stderr
