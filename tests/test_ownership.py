"""Files the action writes into the workspace belong to the workspace's owner, not root.

As in a Docker action: we run as root, the checkout belongs to the runner's user (uid 1001 on hosted
runners). Without a container: the workspace is chowned to 1001 and the real CLI runs as root
(tests/container/ repeats this inside the image). Skipped when the tests do not run as root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from action_workspace import REPO, git, github
from fake_github import FakeGitHub
from migration_guard.dryrun.local import LocalPostgres
from migration_guard.ownership import hand_over, owner_of

__all__ = ["github"]  # the fixture, from action_workspace

RUNNER_UID = 1001
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own files as another user")


def chown_tree(root: Path, uid: int) -> None:
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(Path(folder, name), uid, uid)
    os.lchown(root, uid, uid)


def root_owned(root: Path) -> list[str]:
    found = [str(root)] if root.lstat().st_uid == 0 else []
    for folder, dirs, files in os.walk(root):
        found += [str(Path(folder, n)) for n in (*dirs, *files) if Path(folder, n).lstat().st_uid == 0]
    return found


def test_written_files_and_created_folders_go_to_the_owner(tmp_path: Path) -> None:
    ws = tmp_path / "workspace"
    (ws / "existing").mkdir(parents=True)
    chown_tree(ws, RUNNER_UID)
    assert owner_of(ws) == (RUNNER_UID, RUNNER_UID)
    (ws / "audit" / "deep").mkdir(parents=True)
    (ws / "audit" / "deep" / "log.jsonl").write_text("{}\n")
    (ws / "existing" / "new.sarif").write_text("{}")  # a new file in the owner's folder
    (ws / "reports" / "sub").mkdir(parents=True)
    (ws / "reports" / "sub" / "x.sarif").write_text("{}")
    outside = tmp_path / "elsewhere.sarif"  # not in a folder of the runner's: left alone
    outside.write_text("{}")
    someone = ws / "audit" / "theirs.txt"
    someone.write_text("")
    os.chown(someone, 4242, 4242)  # another user's file is never taken over

    hand_over([Path("audit"), Path("existing/new.sarif"), ws / "reports" / "sub" / "x.sarif", outside], ws)

    assert root_owned(ws) == []
    assert someone.stat().st_uid == 4242
    assert outside.stat().st_uid == 0
    assert tmp_path.stat().st_uid == 0


def test_nothing_happens_when_the_workspace_is_roots(tmp_path: Path) -> None:
    (tmp_path / "audit").mkdir()
    assert owner_of(tmp_path) is None
    assert hand_over([Path("audit")], tmp_path) == []
    assert (tmp_path / "audit").stat().st_uid == 0


# --- the action as root on a checkout owned by uid 1001 -------------------------------------------


def test_action_on_a_checkout_owned_by_the_runner(tmp_path: Path, github: FakeGitHub, pg_server: LocalPostgres) -> None:
    ws = tmp_path / "workspace"
    mig = ws / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_init.sql").write_text("create table public.t (id bigint primary key, n text);\n")
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "init")
    base = git(ws, "rev-parse", "HEAD")
    (mig / "20240102000000_drop.sql").write_text("-- intent: n is unused\nalter table public.t drop column n;\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "drop")
    head = git(ws, "rev-parse", "HEAD")
    chown_tree(ws, RUNNER_UID)  # git now sees a checkout of another user's: "dubious ownership" unless trusted
    github.add_pull(REPO, 7, head_sha=head, base_sha=base)
    runner = tmp_path / "runner"
    runner.mkdir()
    sides = {"base": {"sha": base, "ref": "main", "repo": {"full_name": REPO}},
             "head": {"sha": head, "ref": "f", "repo": {"full_name": REPO}}}
    event = {"number": 7, "pull_request": {"number": 7, **sides}}
    (runner / "event.json").write_text(json.dumps(event))
    (runner / "output").write_text("")
    (runner / "summary").write_text("")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8", "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(runner / "event.json"),
        "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": head, "GITHUB_WORKSPACE": str(ws), "GITHUB_RUN_ID": "1",
        "GITHUB_API_URL": github.url, "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary"), "INPUT_GITHUB-TOKEN": "ghs_x",
        "INPUT_SUPABASE": "off", "INPUT_POSTGRES": "url", "INPUT_POSTGRES-URL": pg_server.url(),
        "INPUT_SARIF-FILE": "reports/code-scanning/mg.sarif",
    }
    proc = subprocess.run([sys.executable, "-m", "migration_guard", "action"], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert "dubious ownership" not in proc.stdout + proc.stderr
    assert "git config" not in proc.stdout + proc.stderr
    assert proc.returncode == 1, proc.stderr  # the drop-column finding blocks: the check really ran
    assert "verdict<<" in (runner / "output").read_text()
    assert (ws / "migration-guard-audit" / "check-report.json").is_file()
    assert (ws / "reports" / "code-scanning" / "mg.sarif").is_file()
    assert root_owned(ws) == []
