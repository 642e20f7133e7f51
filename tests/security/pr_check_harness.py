"""Shared by the pull-request attack tests (tests/security/test_pr_*.py): a real git repository with a
Supabase project as the workspace, a pull request branch carrying the attacker's files, and the real
`migration-guard action` (command: check) as a subprocess with the environment GitHub gives it,
talking to tests/fake_github.py through the real PyGithub. The dry run uses the local binaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from action_workspace import INIT, REPO, git, init_workspace
from fake_github import FakeGitHub
from runner_files import parse_outputs, pull_request_event

PR = 7
TOKEN = "ghs_" + "RedTeamTokenNeverPrinted" * 2
MIGRATIONS = "supabase/migrations"

DROP_COLUMN = "-- intent: nicknames are no longer used\nalter table public.users drop column nickname;\n"


@dataclass
class PullRequest:
    root: Path
    base: str
    head: str


def open_pull(
    tmp_path: Path, fake: FakeGitHub, files: dict[str, str], head_repo: str = "mallory/app",
    symlinks: dict[str, str] | None = None, init: str = INIT, removed: tuple[str, ...] = (),
) -> PullRequest:
    """`main` holds ``init`` and supabase/config.toml; a branch removes ``removed`` and adds ``files``
    and ``symlinks`` (name → target; paths relative to the repository); a fork's PR #7."""
    root = tmp_path / "workspace"
    base = init_workspace(root, init)
    git(root, "checkout", "-q", "-b", "feature")
    for name in removed:
        git(root, "rm", "-q", name)
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    for name, target in (symlinks or {}).items():
        (root / name).symlink_to(target)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "the pull request")
    head = git(root, "rev-parse", "HEAD")
    fake.add_repo(REPO)
    fake.add_pull(REPO, PR, head_sha=head, base_sha=base, head_repo=head_repo)
    return PullRequest(root, base, head)


@dataclass
class Check:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    def commands(self) -> list[str]:
        """Every line the runner would take as a workflow command: it trims leading whitespace, then
        looks for ``::name`` (and the older ``##[name]``), on stdout and stderr alike."""
        lines = (self.stdout + "\n" + self.stderr).splitlines()
        return [line.lstrip() for line in lines if line.lstrip().startswith(("::", "##["))]


def run_check(pull: PullRequest, fake: FakeGitHub, tmp_path: Path, **inputs: str) -> Check:
    runner = tmp_path / "runner"
    runner.mkdir(exist_ok=True)
    event = runner / "event.json"
    event.write_text(json.dumps(pull_request_event(REPO, PR, pull.base, pull.head, "mallory/app")))
    output, summary = runner / "output", runner / "summary.md"
    output.write_text("")
    summary.write_text("")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
        "GITHUB_ACTIONS": "true", "CI": "true",
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": pull.head, "GITHUB_REF": f"refs/pull/{PR}/merge",
        "GITHUB_WORKSPACE": str(pull.root), "GITHUB_ACTOR": "mallory",
        "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": fake.url, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_GITHUB-TOKEN": TOKEN, "INPUT_MIGRATIONS-DIR": MIGRATIONS, "INPUT_COMMAND": "check",
        "INPUT_COMMENT": "true", "INPUT_FAIL-ON": "error", "INPUT_SARIF-FILE": "", "INPUT_DATABASE-URL": "",
    }
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    proc = subprocess.run([sys.executable, "-m", "migration_guard", "action"], cwd=pull.root, env=env,
                          capture_output=True, text=True, timeout=300)
    return Check(proc.returncode, proc.stdout, proc.stderr, parse_outputs(output.read_text()), summary.read_text())
