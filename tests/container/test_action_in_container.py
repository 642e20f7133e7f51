"""Every flow of the action inside its real image, as the runner starts it (see conftest.py).

The fake GitHub API (tests/fake_github.py) listens on 127.0.0.1 of this machine; the container
shares the host's network, as the deploy target does (a PostgreSQL on 127.0.0.1 TCP). The workspace
is a real git repository owned by uid 1001; the container runs as root.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import action_workspace
from action_workspace import REPO, github
from container.conftest import ActionRun, ActionRunner, root_owned
from fake_github import FakeGitHub
from migration_guard.dryrun.docker import free_port
from migration_guard.dryrun.local import LocalPostgres
from runner_files import pull_request_event

__all__ = ["github", "runner"]  # fixtures: github from action_workspace, runner shared from here

PR = 7
ROLE, PASSWORD = "mg_deployer", "Depl0y-Pa55word-Zq8"

DROP = "-- intent: nicknames are no longer used\nalter table public.users drop column nickname;\n"
SUPPRESSED = (
    "-- intent: nicknames are no longer used\n"
    "-- migration-guard: allow drop-column -- nickname has been unused since release 2.3 (checked in logs)\n"
    "alter table public.users drop column nickname;\n"
)
NOTES = (
    "-- intent: notes\n"
    "create table public.notes (id bigint generated always as identity primary key, body text);\n"
    "alter table public.notes enable row level security;\n"
)
CHANGE = "supabase/migrations/20240201000000_change.sql"


def git(cwd: Path, *args: str) -> str:
    # The workspace is owned by the runner's uid 1001 and these tests run as root.
    return action_workspace.git(cwd, "-c", "safe.directory=*", *args)


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def new_repo(ws: Path) -> str:
    return action_workspace.init_workspace(ws, extra={"README.md": "app\n"}, run_git=git)


def commit(ws: Path, files: dict[str, str], message: str) -> str:
    write(ws, files)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", message)
    return git(ws, "rev-parse", "HEAD")


def audit_records(ws: Path, outputs: dict[str, str]) -> list[dict[str, object]]:
    path = ws / outputs["audit-file"]
    assert path.is_file(), outputs
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_nothing_root_owned(run: ActionRun) -> None:
    assert root_owned(*run.mounted) == []


# The runner, imported by the other modules that run the action in its image. Not in conftest.py:
# pytest loads that as `conftest`, the modules import it as `container.conftest`, and an
# ActionRunner of the one would return ActionRuns the tests' isinstance checks do not know.
@pytest.fixture
def runner(image: str, tmp_path: Path, github: FakeGitHub) -> ActionRunner:
    return ActionRunner(image, tmp_path, github.url, REPO)


def pr_event(base: str, head: str) -> dict[str, object]:
    return pull_request_event(REPO, PR, base, head)


def test_pr_check_fails_then_passes_after_a_reasoned_suppression(runner: ActionRunner, github: FakeGitHub) -> None:
    ws = runner.workspace
    base = new_repo(ws)
    git(ws, "checkout", "-q", "-b", "feature")
    head = commit(ws, {CHANGE: DROP}, "drop nickname")
    github.add_pull(REPO, PR, head_sha=head, base_sha=base)

    first = runner.run({"sarif-file": "reports/migration-guard.sarif"}, "pull_request", pr_event(base, head), head,
                       f"refs/pull/{PR}/merge")
    assert isinstance(first, ActionRun)
    assert first.returncode == 1, first.text
    assert "dubious ownership" not in first.text and "Traceback" not in first.text
    assert first.outputs["verdict"] == "fail" and first.outputs["blocking-count"] == "1"
    assert first.outputs["report-file"] == "migration-guard-audit/check-report.json"
    assert first.outputs["sarif-file"] == "reports/migration-guard.sarif"
    assert "drop-column" in first.summary
    assert "::error file=supabase/migrations/20240201000000_change.sql,line=2" in first.stdout
    report = json.loads((ws / first.outputs["report-file"]).read_text())
    assert report["plan"]["postgres"]["provider"] == "local" and report["plan"]["ok"] is True  # the image's server
    assert json.loads((ws / "reports" / "migration-guard.sarif").read_text())["version"] == "2.1.0"
    [record] = audit_records(ws, first.outputs)
    assert record["event"] == "check" and record["verdict"] == "fail" and record["pull_request"] == PR
    [comment] = github.comments(REPO, PR)
    first_body = str(comment["body"])
    assert "drop-column" in first_body
    assert first.outputs["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert [r.method for r in github.requests_to("POST", f"/repos/{REPO}/issues/{PR}/comments")] == ["POST"]
    assert_nothing_root_owned(first)

    head = commit(ws, {CHANGE: SUPPRESSED}, "suppress with a reason")
    github.add_pull(REPO, PR, head_sha=head, base_sha=base)
    second = runner.run({"sarif-file": "reports/migration-guard.sarif"}, "pull_request", pr_event(base, head), head,
                        f"refs/pull/{PR}/merge")
    assert isinstance(second, ActionRun)
    assert second.returncode == 0, second.text
    assert second.outputs["verdict"] == "pass" and second.outputs["blocking-count"] == "0"
    assert "nickname has been unused since release 2.3" in second.summary
    [edited] = github.comments(REPO, PR)  # one sticky comment, edited in place
    assert edited["id"] == comment["id"] and edited["body"] != first_body and "all clear" in edited["body"]
    assert len(github.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}")) == 1
    assert len(github.requests_to("POST", f"/repos/{REPO}/issues/{PR}/comments")) == 1
    records = audit_records(ws, second.outputs)
    assert records[-1]["verdict"] == "pass"
    assert records[-1]["suppressions"] and "release 2.3" in str(records[-1]["suppressions"])
    assert_nothing_root_owned(second)


# --- deploys against a PostgreSQL on this machine (127.0.0.1, TCP) --------------------------------


@pytest.fixture(scope="module")
def host_pg() -> Iterator[int]:
    port = free_port()
    with LocalPostgres(settings={"listen_addresses": "127.0.0.1", "port": str(port)}):
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
            for role in ("anon", "authenticated", "service_role"):  # as on a Supabase database
                c.execute(f"CREATE ROLE {role} NOLOGIN")
        yield port


@pytest.fixture
def target(host_pg: int, request: pytest.FixtureRequest) -> str:
    """A fresh database on the host server, with the base migration applied by an earlier deploy."""
    db = "app_" + request.node.name.lower().replace("test_", "")[:40]
    with psycopg.connect(f"host=127.0.0.1 port={host_pg} user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}"')
        c.execute(f'CREATE DATABASE "{db}"')
    return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{host_pg}/{db}"


def ledger(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('supabase_migrations.schema_migrations')").fetchone()[0]:  # type: ignore[index]
            return []
        return [r[0] for r in conn.execute("SELECT version FROM supabase_migrations.schema_migrations ORDER BY 1")]


def merged_repo(ws: Path, branch: str, change: str) -> tuple[str, str]:
    """main → `branch` (the base migration), a feature branch with `change`, merged with a merge commit.
    Returns (pull request head, merge commit)."""
    new_repo(ws)
    git(ws, "checkout", "-q", "-b", branch)
    git(ws, "checkout", "-q", "-b", "feature")
    head = commit(ws, {CHANGE: change}, "change")
    git(ws, "checkout", "-q", branch)
    git(ws, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{PR}", "feature")
    return head, git(ws, "rev-parse", "HEAD")


def push_event(sha: str, branch: str) -> dict[str, object]:
    return {"ref": f"refs/heads/{branch}", "after": sha, "before": "0" * 40, "repository": {"full_name": REPO}}


def test_staging_deploy_on_push_to_develop(runner: ActionRunner, github: FakeGitHub, target: str) -> None:
    ws = runner.workspace
    head, merge = merged_repo(ws, "develop", NOTES)
    github.add_pull(REPO, PR, head_sha=head, base_sha="e" * 40, merged=True, merge_commit_sha=merge,
                    base_ref="develop")
    github.link_commit(REPO, merge, PR)
    github.add_review(REPO, PR, "carol", "APPROVED")
    github.add_check_comment(REPO, PR, "supabase/migrations", sorted((ws / "supabase" / "migrations").glob("*.sql")))
    inputs = {"command": "deploy", "environment": "staging", "database-url": target}

    run = runner.run(inputs, "push", push_event(merge, "develop"), merge, "refs/heads/develop")
    assert isinstance(run, ActionRun)
    assert run.returncode == 0, run.text
    assert run.outputs["verdict"] == "applied"
    assert run.outputs["applied-count"] == "2" and run.outputs["pending-count"] == "2"
    assert ledger(target) == ["20240101000000", "20240201000000"]
    assert "## Deploy to `staging`: applied" in run.summary
    shown = "\n".join(line for line in run.text.splitlines() if not line.startswith("::add-mask::"))
    assert PASSWORD not in shown + run.summary + json.dumps(run.outputs)  # masks are for the runner only
    records = audit_records(ws, run.outputs)
    assert records[-1]["event"] == "deploy" and records[-1]["outcome"] == "applied"
    assert [r["version"] for r in records if r["event"] == "migration"] == ["20240101000000", "20240201000000"]
    assert PASSWORD not in json.dumps(records)
    assert github.requests_to("GET", f"/repos/{REPO}/commits/{merge}/pulls")
    assert github.requests_to("GET", f"/repos/{REPO}/pulls/{PR}/reviews")
    assert_nothing_root_owned(run)


def test_production_deploy_refused_without_required_reviewers(
    runner: ActionRunner, github: FakeGitHub, target: str
) -> None:
    ws = runner.workspace
    head, merge = merged_repo(ws, "release", NOTES)
    github.add_pull(REPO, PR, head_sha=head, base_sha="e" * 40, merged=True, merge_commit_sha=merge,
                    base_ref="release")
    github.link_commit(REPO, merge, PR)
    github.add_review(REPO, PR, "carol", "APPROVED")
    github.add_check_comment(REPO, PR, "supabase/migrations", sorted((ws / "supabase" / "migrations").glob("*.sql")))
    github.set_environment(REPO, "production", wait_timer=5)  # protected by a timer only: not enough
    inputs = {"command": "deploy", "environment": "production", "database-url": target}

    run = runner.run(inputs, "push", push_event(merge, "release"), merge, "refs/heads/release")
    assert isinstance(run, ActionRun)
    assert run.returncode == 1, run.text
    assert run.outputs["verdict"] == "refused" and run.outputs["applied-count"] == "0"
    assert "required reviewers" in run.summary
    assert ledger(target) == []
    records = audit_records(ws, run.outputs)
    refusals = [r for r in records if r["outcome"] == "refused" and str(r["event"]).startswith("gate:")]
    assert [r["event"] for r in refusals] == ["gate:environment"]
    assert github.requests_to("GET", f"/repos/{REPO}/environments/production")
    assert_nothing_root_owned(run)


def test_emergency_override(runner: ActionRunner, github: FakeGitHub, target: str) -> None:
    ws = runner.workspace
    new_repo(ws)
    sha = commit(ws, {CHANGE: DROP}, "hotfix pushed directly")  # no pull request, a blocking finding
    github.set_environment(REPO, "production", required_reviewers=["carol"])
    reason = "nickname column leaks PII, removing it now (INC-1234)"
    inputs = {"command": "deploy", "environment": "production", "database-url": target, "override": "true",
              "override-reason": reason}
    event = {"ref": "refs/heads/main", "inputs": {"override": "true", "override-reason": reason},
             "repository": {"full_name": REPO}}

    run = runner.run(inputs, "workflow_dispatch", event, sha, "refs/heads/main")
    assert isinstance(run, ActionRun)
    assert run.returncode == 0, run.text
    assert run.outputs["verdict"] == "applied" and run.outputs["applied-count"] == "2"
    assert ledger(target) == ["20240101000000", "20240201000000"]
    assert "Emergency override" in run.summary and reason in run.summary
    records = audit_records(ws, run.outputs)
    skipped = {r["event"] for r in records if r["outcome"] == "skipped" and r.get("override")}
    assert {"gate:findings", "gate:review"} <= skipped
    assert any(r["event"] == "override" and r["reason"] == reason for r in records)
    notes = github.commit_comments(REPO, sha)  # no pull request: the notice goes on the commit
    assert len(notes) == 1 and reason in notes[0]["body"]
    assert_nothing_root_owned(run)

