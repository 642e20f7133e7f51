"""`migration-guard action` end to end, as GitHub runs it: a subprocess with INPUT_* and GITHUB_*
variables, an event file, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a real git repository with a
Supabase project as the workspace, the real dry run on a throwaway PostgreSQL, and the real PyGithub
talking HTTP to the local fake GitHub API server (tests/fake_github.py).

The Docker image itself cannot be built here (no Docker engine): the container only runs this
command with this environment, so this is the action minus the image.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from action_workspace import INIT as USERS
from action_workspace import REPO, git, github, init_workspace
from fake_github import FakeGitHub
from migration_guard.dryrun.local import LocalPostgres
from runner_files import parse_outputs, pull_request_event

__all__ = ["github"]  # the fixture, from action_workspace

TOKEN = "ghs_" + "T0kenThatMustNeverLeak" * 2
PR = 7

INIT = USERS + "insert into public.users (email) select 'user' || g || '@example.org' from generate_series(1, 500) g;\n"
DANGEROUS = """\
-- intent: nicknames are no longer used
alter table public.users drop column nickname;
"""
SAFE = """\
-- intent: remember when a user signed up
-- data-migration: no
alter table public.users add column signed_up_at timestamptz;
"""
SUPPRESSED = """\
-- intent: nicknames are no longer used
-- migration-guard: allow drop-column -- nickname has been unused since release 2.3 (checked in logs)
alter table public.users drop column nickname;
"""
NEW_FILE = "supabase/migrations/20240201000000_change.sql"


@dataclass
class Project:
    root: Path
    base: str
    head: str

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        for name, content in files.items():
            path = self.root / name
            if content is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        self.head = git(self.root, "rev-parse", "HEAD")
        return self.head


def make_project(tmp_path: Path, change: dict[str, str | None]) -> Project:
    root = tmp_path / "workspace"
    base = init_workspace(root, INIT, {"README.md": "app\n"})
    git(root, "checkout", "-q", "-b", "feature")
    project = Project(root, base, base)
    project.commit(change)
    return project


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    files: dict[str, str]  # every file the run wrote (outputs, summary, report, audit, SARIF)

    @property
    def everything(self) -> str:
        """All the run printed or wrote, less the ``::add-mask::`` commands (the runner consumes those)."""
        stdout = "\n".join(line for line in self.stdout.splitlines() if not line.startswith("::add-mask::"))
        return "\n".join([stdout, self.stderr, self.summary, *self.files.values()])


def run_action(
    project: Project,
    fake: FakeGitHub,
    tmp_path: Path,
    event_name: str = "pull_request",
    head_repo: str = REPO,
    inputs: dict[str, str] | None = None,
    event: dict[str, Any] | None = None,
    cancel: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Result:
    """Runs the action as the runner does; ``cancel`` (given the running process) stops it midway."""
    runner = tmp_path / "runner"
    runner.mkdir(exist_ok=True)
    event_path = runner / "event.json"
    if event is None:
        event = pull_request_event(REPO, PR, project.base, project.head, head_repo)
    event_path.write_text(json.dumps(event))
    output_file, summary_file = runner / "output", runner / "summary.md"
    output_file.write_text("")
    summary_file.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": project.head,
        "GITHUB_REF": f"refs/pull/{PR}/merge",
        "GITHUB_WORKSPACE": str(project.root),
        "GITHUB_ACTOR": "octocat",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": fake.url,
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_MIGRATIONS-DIR": "supabase/migrations",
        "INPUT_COMMAND": "check",
        "INPUT_COMMENT": "true",
        "INPUT_FAIL-ON": "error",
        "INPUT_SARIF-FILE": "",  # unset inputs arrive as empty strings
        "INPUT_DATABASE-URL": "",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()})
    with subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "action"],
        cwd=project.root,  # GitHub starts the container in the workspace
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as running:
        try:
            if cancel is not None:
                cancel(running)
            out, err = running.communicate(timeout=300)
        finally:
            if running.poll() is None:
                running.kill()
    proc = subprocess.CompletedProcess(running.args, running.returncode, out, err)
    files = {"output": output_file.read_text(), "summary": summary_file.read_text()}
    for folder in (project.root / "migration-guard-audit",):
        for f in sorted(folder.glob("*")) if folder.is_dir() else []:
            files[str(f)] = f.read_text()
    sarif = project.root / "results.sarif"
    if sarif.exists():
        files["sarif"] = sarif.read_text()
    return Result(proc.returncode, proc.stdout, proc.stderr, parse_outputs(files["output"]), files["summary"], files)


@pytest.fixture
def pg(pg_server: LocalPostgres) -> dict[str, str]:
    """Inputs that run the dry run on the session's server (like a `services:` container): faster than
    a fresh initdb per run. The main test below keeps the image's default (local binaries)."""
    return {"postgres": "url", "postgres-url": pg_server.url()}


def _pull(github: FakeGitHub, project: Project, head_repo: str = REPO) -> None:
    github.add_pull(REPO, PR, head_sha=project.head, base_sha=project.base, head_repo=head_repo)


def _assert_no_token(result: Result, github: FakeGitHub) -> None:
    assert TOKEN not in result.everything
    for comment in github.comments(REPO, PR):
        assert TOKEN not in comment["body"]


def test_comment_created_then_edited_then_flipped_when_fixed(github: FakeGitHub, tmp_path: Path) -> None:
    project = make_project(tmp_path, {NEW_FILE: DANGEROUS})
    _pull(github, project)

    first = run_action(project, github, tmp_path)
    assert first.returncode == 1, first.stderr
    assert first.outputs["verdict"] == "fail"
    assert int(first.outputs["blocking-count"]) >= 1
    comments = github.comments(REPO, PR)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith("<!-- migration-guard:supabase/migrations -->")
    assert "❌" in body and "drop-column" in body
    assert "20240201000000_change.sql" in body  # the migrations table
    assert "https://github.example/acme/app/actions/runs/4242" in body  # link to the run
    assert first.outputs["comment-url"] == comments[0]["html_url"]
    # the annotation points at the file and line in the repository
    assert re.search(r"^::error file=supabase/migrations/20240201000000_change\.sql,line=2,", first.stdout, re.M)
    # the token went to GitHub as the credential, and nowhere else
    assert github.requests and all(r.headers.get("Authorization") == f"token {TOKEN}" for r in github.requests)
    assert first.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"  # masked before anything else is printed
    _assert_no_token(first, github)

    second = run_action(project, github, tmp_path)
    assert second.returncode == 1
    assert len(github.comments(REPO, PR)) == 1
    assert len(github.requests_to("POST", f"/repos/{REPO}/issues/{PR}/comments")) == 1

    comment_id = comments[0]["id"]
    project.commit({NEW_FILE: SAFE}, "use a safe migration instead")
    github.pulls[(REPO, PR)].head_sha = project.head
    fixed = run_action(project, github, tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.outputs["verdict"] == "pass"
    assert fixed.outputs["blocking-count"] == "0"
    comments = github.comments(REPO, PR)
    assert [c["id"] for c in comments] == [comment_id]
    assert "✅" in comments[0]["body"] and "all clear" in comments[0]["body"].lower()
    assert "drop-column" not in comments[0]["body"]
    assert github.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{comment_id}")
    _assert_no_token(fixed, github)

    report = json.loads((project.root / fixed.outputs["report-file"]).read_text())
    assert report["verdict"] == "pass"
    assert report["plan"]["migrations"][-1]["status"] == "applied"
    audit = (project.root / fixed.outputs["audit-file"]).read_text().splitlines()
    assert json.loads(audit[-1])["event"] == "check"


def test_fork_pull_request_read_only_token_degrades_to_a_warning(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str]
) -> None:
    project = make_project(tmp_path, {NEW_FILE: SAFE})
    _pull(github, project, head_repo="someone/app")
    github.forbid_writes(REPO)  # a fork's pull_request token cannot comment

    result = run_action(project, github, tmp_path, head_repo="someone/app", inputs=pg)
    assert result.returncode == 0, result.stdout + result.stderr  # exit follows the findings, not the 403
    assert result.outputs["verdict"] == "pass"
    assert result.outputs["comment-url"] == ""
    assert re.search(r"^::warning .*could not post the report comment: GitHub API answered 403", result.stdout, re.M)
    assert "Migration Guard" in result.summary and "20240201000000_change.sql" in result.summary
    assert github.comments(REPO, PR) == []
    _assert_no_token(result, github)

    project.commit({NEW_FILE: DANGEROUS})
    blocked = run_action(project, github, tmp_path, head_repo="someone/app", inputs=pg)
    assert blocked.returncode == 1  # a blocking finding still fails the step
    assert "drop-column" in blocked.summary


def test_a_failed_dry_run_is_an_annotation_at_its_statement(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str]
) -> None:
    """Counted as blocking like an error finding, so shown on the diff like one: with a fork's
    read-only token (no comment) the summary would otherwise be the only place that says why."""
    broken = "-- intent: notes\nselect 1;\ninsert into public.nowhere values (1);\n"
    project = make_project(tmp_path, {NEW_FILE: broken})
    _pull(github, project, head_repo="someone/app")
    github.forbid_writes(REPO)

    result = run_action(project, github, tmp_path, head_repo="someone/app", inputs=pg)
    assert result.returncode == 1 and result.outputs["blocking-count"] == "1"
    [failed] = [line for line in result.stdout.splitlines() if "title=migration-guard dry run failed" in line]
    assert failed == (f"::error file={NEW_FILE},line=3,col=13,title=migration-guard dry run failed::"
                      'relation "public.nowhere" does not exist (SQLSTATE 42P01)')
    _assert_no_token(result, github)


def test_invalid_token_is_a_warning(github: FakeGitHub, tmp_path: Path, pg: dict[str, str]) -> None:
    project = make_project(tmp_path, {NEW_FILE: SAFE})
    _pull(github, project)
    github.valid_tokens = {"ghs_some_other_token"}
    result = run_action(project, github, tmp_path, inputs=pg)
    assert result.returncode == 0
    assert "GitHub API answered 401" in result.stdout and "github-token" in result.stdout
    _assert_no_token(result, github)


def test_suppressed_finding_with_reason_passes_and_shows_the_reason(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str]
) -> None:
    project = make_project(tmp_path, {NEW_FILE: SUPPRESSED})
    _pull(github, project)
    result = run_action(project, github, tmp_path, inputs={**pg, "sarif-file": "results.sarif"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "pass"
    body = github.comments(REPO, PR)[0]["body"]
    assert "Suppressed findings" in body
    assert "nickname has been unused since release 2.3" in body
    sarif = json.loads(result.files["sarif"])
    assert sarif["version"] == "2.1.0"
    assert result.outputs["sarif-file"] == "results.sarif"
    assert any(r.get("suppressions") for r in sarif["runs"][0]["results"])


def test_fail_on_never_reports_but_passes_the_step(github: FakeGitHub, tmp_path: Path, pg: dict[str, str]) -> None:
    project = make_project(tmp_path, {NEW_FILE: DANGEROUS})
    _pull(github, project)
    result = run_action(project, github, tmp_path, inputs={**pg, "fail-on": "never", "comment": "false"})
    assert result.returncode == 0
    assert result.outputs["verdict"] == "fail"
    assert github.comments(REPO, PR) == []  # comment: false


def test_pull_request_target_from_a_fork_refuses_to_run_the_sql(github: FakeGitHub, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = f"copy (select 1) to program 'touch {marker}';\n"
    project = make_project(tmp_path, {NEW_FILE: evil})
    _pull(github, project, head_repo="mallory/app")
    result = run_action(project, github, tmp_path, event_name="pull_request_target", head_repo="mallory/app")
    assert result.returncode == 1
    assert result.outputs["verdict"] == "fail"
    assert "pull_request_target" in result.summary and "fork" in result.summary
    assert "::error" in result.stdout
    report = json.loads((project.root / result.outputs["report-file"]).read_text())
    assert report["plan"] is None and report["refused"]
    assert not marker.exists()
    assert github.comments(REPO, PR) == []  # nothing posted with the write token either


def test_no_migration_changes_passes_with_a_short_report(github: FakeGitHub, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"README.md": "changed\n"})
    _pull(github, project)
    result = run_action(project, github, tmp_path)
    assert result.returncode == 0
    assert result.outputs["verdict"] == "pass"
    body = github.comments(REPO, PR)[0]["body"]
    assert "no migration changes" in body


def test_shallow_checkout_fetches_the_base(github: FakeGitHub, tmp_path: Path, pg: dict[str, str]) -> None:
    origin = make_project(tmp_path / "origin", {NEW_FILE: SAFE})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch=feature", f"file://{origin.root}", str(clone))
    project = Project(clone, origin.base, origin.head)
    _pull(github, project)
    assert subprocess.run(["git", "cat-file", "-e", origin.base], cwd=clone, capture_output=True).returncode != 0
    result = run_action(project, github, tmp_path, inputs=pg)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20240201000000_change.sql" in result.summary


def test_missing_base_commit_says_to_use_fetch_depth_0(github: FakeGitHub, tmp_path: Path) -> None:
    project = make_project(tmp_path, {NEW_FILE: SAFE})
    project.base = "0123456789abcdef0123456789abcdef01234567"  # not in the repository, no origin to fetch from
    result = run_action(project, github, tmp_path)
    assert result.returncode == 2
    assert "fetch-depth: 0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_input_is_one_line_naming_it(github: FakeGitHub, tmp_path: Path) -> None:
    project = make_project(tmp_path, {NEW_FILE: SAFE})
    result = run_action(project, github, tmp_path, inputs={"fail-on": "sometimes"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "`fail-on`" in lines[0] and "sometimes" in lines[0]
    assert TOKEN not in result.everything


def test_truncated_event_file_is_one_line_naming_it(github: FakeGitHub, tmp_path: Path, pg: dict[str, str]) -> None:
    project = make_project(tmp_path, {NEW_FILE: SAFE})
    runner = tmp_path / "runner"
    runner.mkdir()
    result = run_action(project, github, tmp_path, event={"placeholder": True}, inputs=pg)
    assert result.returncode == 0  # a readable event without a pull request: the newest migration is checked
    (runner / "event.json").write_text('{"pull_request": {"number": 7, "base": {"sha": "ab')
    env_event = runner / "event.json"
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "action"], cwd=project.root, capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_EVENT_PATH": str(env_event),
             "GITHUB_EVENT_NAME": "pull_request", "GITHUB_WORKSPACE": str(project.root)},
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(env_event) in proc.stderr and "invalid event JSON" in proc.stderr


NOTES = """\
-- intent: notes of users
create table public.notes (id bigint generated always as identity primary key, user_id bigint not null, body text);
alter table public.notes enable row level security;
create policy notes_self on public.notes for select to authenticated using (true);
{comment}alter table public.notes
  add constraint notes_user_fk foreign key (user_id) references public.users (id);
"""
# Lint's twin is off, so the dry run's advisory is the one report of the unindexed foreign key.
ADVISORY_AS_ERROR = {"disable-rules": "foreign-key-without-index", "rule-severity": "unindexed-foreign-key=error"}


def _audit_records(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for name, text in result.files.items() if name.endswith(".jsonl")
            for line in text.splitlines() if line.strip()]  # fmt: skip


def test_an_advisory_configured_as_error_blocks_with_an_annotation_at_its_line(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str]
) -> None:
    project = make_project(tmp_path, {NEW_FILE: NOTES.format(comment="")})
    _pull(github, project)
    result = run_action(project, github, tmp_path, inputs={**pg, **ADVISORY_AS_ERROR})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs["verdict"] == "fail" and result.outputs["blocking-count"] == "1"
    assert f"::error file={NEW_FILE},line=5,col=1,title=migration-guard unindexed-foreign-key::" in result.stdout
    assert "`unindexed-foreign-key` on `public.notes (notes_user_fk)`" in github.comments(REPO, PR)[0]["body"]


def test_a_suppressed_advisory_passes_and_is_audited_with_its_reason(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str]
) -> None:
    comment = "-- migration-guard: allow unindexed-foreign-key -- users are never deleted\n"
    project = make_project(tmp_path, {NEW_FILE: NOTES.format(comment=comment)})
    _pull(github, project)
    result = run_action(project, github, tmp_path, inputs={**pg, **ADVISORY_AS_ERROR})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "pass"
    assert "users are never deleted" in github.comments(REPO, PR)[0]["body"]
    (record,) = [r for r in _audit_records(result) if r.get("event") == "check"]
    assert {"rule": "unindexed-foreign-key", "path": NEW_FILE, "line": 6, "reason": "users are never deleted"} in (
        record["suppressions"]
    )


SLEEPS = "-- intent: wait for a report\nselect pg_sleep(120);\n"
SLEEPING = "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()"


def test_a_cancelled_check_says_so_and_records_it(
    github: FakeGitHub, tmp_path: Path, pg: dict[str, str], pg_server: LocalPostgres
) -> None:
    """The runner cancels the job (SIGTERM) during the dry run: the dry-run database is dropped, and the
    summary, outputs and audit record say "cancelled"; no verdict, so the PR comment is not touched."""
    project = make_project(tmp_path, {NEW_FILE: SLEEPS})
    _pull(github, project)
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        before = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}

        def cancel(proc: subprocess.Popen[str]) -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # until the dry run runs the PR's pg_sleep
                assert proc.poll() is None, proc.communicate()
                row = conn.execute(SLEEPING).fetchone()
                if row and row[0]:
                    proc.send_signal(signal.SIGTERM)
                    return
                time.sleep(0.1)
            pytest.fail("the dry run never reached the migration")

        result = run_action(project, github, tmp_path, inputs=pg, cancel=cancel)
        after = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        sleeping = conn.execute(SLEEPING).fetchone()

    assert result.returncode == 130, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert after == before and sleeping == (0,)  # the dry run's database and session are gone
    assert result.outputs["verdict"] == "cancelled"
    assert "the check of `supabase/migrations` was cancelled" in result.summary
    assert "no verdict was reached and nothing was applied" in result.summary
    assert "::error title=migration-guard check cancelled::" in result.stdout
    record = _audit_records(result)[-1]
    assert (record["event"], record["outcome"], record["verdict"]) == ("check", "cancelled", "cancelled")
    assert github.comments(REPO, PR) == []  # no verdict: the sticky comment is not written
    _assert_no_token(result, github)
