"""The deploy harness shared by tests/test_deploy.py and tests/security/test_gates*.py.

A real git repository as the workspace, a real target database (with a password in its URL), the
dry run on the session server, and the real action entrypoint (in process, or as a subprocess)
talking to the local fake GitHub API through the real PyGithub. Import the `deploy` fixture (and
`fake_github`) into a test module to use it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from fake_github import FakeGitHub, fake_github
from migration_guard.dryrun.local import LocalPostgres
from runner_files import parse_outputs

__all__ = [
    "BASE",
    "CLEAN",
    "DROP",
    "PASSWORD",
    "REPO",
    "TOKEN",
    "Deploy",
    "Run",
    "assert_no_secrets",
    "deploy",
    "fake_github",
    "git",
    "refusals",
    "refused",
]

REPO = "acme/app"
TOKEN = "ghs_FakeInstallationToken0123456789abcdef"
PASSWORD = "Depl0y-Pa55word-Zq8"
ROLE = "mg_deployer"

BASE = "create table public.items (id bigint generated always as identity primary key, name text);\n"
CLEAN = "-- intent: notes\ncreate table public.notes (id bigint generated always as identity primary key, body text);\n"
DROP = "-- intent: remove items\ndrop table public.items;\n"


@dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    outputs: dict[str, str]
    summary: str
    audit: list[dict[str, object]]
    audit_text: str

    @property
    def text(self) -> str:
        return self.proc.stdout + self.proc.stderr


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


class Deploy:
    """A real git repository (the workspace) whose `main` is deployed; pull requests are real
    branches merged with --no-ff, so their merge commits and reviewed commits exist in the history."""

    def __init__(self, tmp_path: Path, target_url: str, server: LocalPostgres, fake: FakeGitHub) -> None:
        self.root = tmp_path / "repo"
        self.migrations = self.root / "supabase" / "migrations"
        self.migrations.mkdir(parents=True)
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "config", "user.email", "dev@example.com")
        git(self.root, "config", "user.name", "Dev")
        (self.root / ".gitignore").write_text("audit/\n")
        self.fake = fake
        self.server = server
        self.target = target_url
        # The deploy connects with a password in the URL: it must never show up anywhere.
        dbname = target_url.split("@/", 1)[1].split("?", 1)[0]
        self.url = target_url.replace(f"postgresql://{server.user}@", f"postgresql://{ROLE}:{PASSWORD}@")
        assert dbname in self.url
        self.tmp = tmp_path
        self.end_to_end = False  # True: the real CLI in a subprocess (a few tests); else in process
        fake.add_repo(REPO)

    def add(self, version: str, name: str, sql: str) -> None:
        (self.migrations / f"{version}_{name}.sql").write_text(sql)

    @property
    def sha(self) -> str:
        """The deployed commit: the tip of `main`."""
        return git(self.root, "rev-parse", "main")

    def commit(self, message: str = "direct push") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def open_pull(
        self, number: int = 7, merged: bool = True, base_ref: str = "main", author: str = "octocat",
        checked: bool = True,
    ) -> str:
        """The uncommitted changes become pull request `number` (a branch), merged into main with
        --no-ff when `merged`; returns the pull request's head commit. ``checked``: a passing
        Migration Guard check of the pull request left its comment (with the files' digests)."""
        base = self.sha
        in_pull = [self.root / line for line in git(self.root, "status", "--porcelain", "--untracked-files=all",
                                                    "--", "supabase").splitlines() for line in [line[3:]]]
        merge = None
        if merged:
            git(self.root, "checkout", "-q", "-b", f"pr-{number}-{base[:7]}")
            head = self.commit(f"PR #{number}")
            git(self.root, "checkout", "-q", "main")
            git(self.root, "merge", "-q", "--no-ff", "-m", f"Merge #{number}", head)
            merge = self.sha
        else:  # the open pull request's head commit was pushed to main directly
            head = self.commit(f"PR #{number} (unmerged)")
        self.fake.add_pull(
            REPO,
            number,
            head_sha=head,
            base_sha=base,
            merged=merged,
            merge_commit_sha=merge,
            base_ref=base_ref,
            user=author,
        )
        self.fake.link_commit(REPO, merge or head, number)
        if checked:
            files = sorted(p for p in in_pull if p.suffix == ".sql" and p.exists())
            self.fake.add_check_comment(REPO, number, "supabase/migrations", files)
        return head

    def merge_reviewed(self, base: str, head: str, reviewed: str, number: int = 7) -> None:
        """Branch tip `head` (cut from `base`) merged into main with --no-ff as pull request
        `number`, approved by alice at `reviewed` (which may be an earlier commit than `head`)."""
        git(self.root, "checkout", "-q", "main")
        git(self.root, "merge", "-q", "--no-ff", "-m", f"Merge #{number}", head)
        self.fake.add_pull(REPO, number, head_sha=head, base_sha=base, merged=True, merge_commit_sha=self.sha)
        self.fake.link_commit(REPO, self.sha, number)
        self.fake.add_review(REPO, number, "alice", "APPROVED", commit_id=reviewed)

    def approve(self, reviewer: str = "alice", user_type: str = "User", merged: bool = True) -> None:
        self.open_pull(7, merged=merged)
        self.fake.add_review(REPO, 7, reviewer, "APPROVED", user_type=user_type)

    def protect(self, environment: str = "production") -> None:
        self.fake.set_environment(REPO, environment, required_reviewers=["carol"])

    def run(self, event_name: str = "push", **inputs: str) -> Run:
        env = self._environment(event_name, inputs)
        if self.end_to_end:
            proc = subprocess.run(
                [sys.executable, "-m", "migration_guard", "action"],
                capture_output=True,
                text=True,
                env=env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                timeout=240,
            )
        else:
            proc = _in_process(env)
        return self.collect(proc)

    def start(self, event_name: str = "push", **inputs: str) -> subprocess.Popen[str]:
        """The real CLI in a subprocess, not waited for (a test that signals it mid-run)."""
        return subprocess.Popen(
            [sys.executable, "-m", "migration_guard", "action"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._environment(event_name, inputs),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
        )

    def collect(self, proc: subprocess.CompletedProcess[str]) -> Run:
        """What a finished run left: outputs, step summary, audit records."""
        output, summary = self.tmp / "output.txt", self.tmp / "summary.md"
        audit_files = sorted((self.root / "audit").glob("*.jsonl"))
        audit_text = "".join(p.read_text() for p in audit_files)
        records = [json.loads(line) for line in audit_text.splitlines()]
        return Run(proc, parse_outputs(output.read_text()), summary.read_text(), records, audit_text)

    def _environment(self, event_name: str, inputs: dict[str, str]) -> dict[str, str]:
        if git(self.root, "status", "--porcelain", "--", "supabase"):
            self.commit()  # files added without a pull request: pushed straight to main
        sha = self.sha
        event = self.tmp / "event.json"
        event.write_text(json.dumps({"after": sha, "before": "0" * 40, "repository": {"full_name": REPO}}))
        output, summary = self.tmp / "output.txt", self.tmp / "summary.md"
        for f in (output, summary):
            f.write_text("")
        shutil.rmtree(self.root / "audit", ignore_errors=True)  # one run per audit file in these tests
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
        env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_API_URL": self.fake.url,
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_SHA": sha,
                "GITHUB_REF": "refs/heads/main",
                "GITHUB_REF_NAME": "main",
                "GITHUB_ACTOR": "alice",
                "GITHUB_TRIGGERING_ACTOR": "bob",
                "GITHUB_RUN_ID": "4242",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_WORKSPACE": str(self.root),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_SERVER_URL": "https://github.example",
            }
        )
        values = {
            "command": "deploy",
            "database-url": self.url,
            "github-token": TOKEN,
            "environment": "production",
            "migrations-dir": "supabase/migrations",
            "audit-dir": "audit",
            "supabase": "off",
            "postgres": "url",
            "postgres-url": self.server.url("postgres"),
        }
        values.update({k.replace("_", "-"): v for k, v in inputs.items()})
        env.update({f"INPUT_{k.upper()}": v for k, v in values.items()})
        return env

    def ledger(self) -> list[str]:
        with psycopg.connect(self.target) as conn:
            if not conn.execute("SELECT to_regclass('supabase_migrations.schema_migrations')").fetchone()[0]:  # type: ignore[index]
                return []
            return [r[0] for r in conn.execute("SELECT version FROM supabase_migrations.schema_migrations ORDER BY 1")]

    def seed_applied(self) -> None:
        """The base migration is already applied (by an earlier deploy)."""
        self.add("20240101000000", "items", BASE)
        self.commit("base")
        from migration_guard.apply.service import ApplyRequest, run_apply
        from migration_guard.audit import AuditContext, AuditLog

        outcome = run_apply(ApplyRequest(self.target, self.migrations), AuditLog(None, AuditContext()), print)
        assert outcome.verdict == "applied"


def _in_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The action entrypoint in this process (same code path as `migration-guard action`, no
    interpreter start-up): environment swapped in, stdout/stderr captured, cwd restored."""
    from migration_guard.commands.action import prepare
    from migration_guard.deploy import run_deploy
    from migration_guard.errors import UserError

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                settings, ctx = prepare(env)
                code = run_deploy(settings, ctx)
            except UserError as exc:
                print(f"migration-guard: error: {exc.message}", file=sys.stderr)
                code = exc.exit_code
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    return subprocess.CompletedProcess(["migration-guard", "action"], code, out.getvalue(), err.getvalue())


@pytest.fixture
def deploy(tmp_path: Path, pg_url: str, pg_server: LocalPostgres, fake_github: FakeGitHub) -> Deploy:
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    d = Deploy(tmp_path, pg_url, pg_server, fake_github)
    d.seed_applied()
    return d


def refusals(run: Run) -> list[tuple[str, str]]:
    """The gate refusals (the closing `deploy` record repeats the reason; checked once here)."""
    final = run.audit[-1]
    assert final["event"] == "deploy"
    gates = [(str(r["event"]), str(r["reason"])) for r in run.audit if r["outcome"] == "refused" and r is not final]
    if gates:
        assert final["outcome"] == "refused" and final["reason"] == gates[-1][1]
    return gates


def refused(deploy: Deploy, gate: str, event_name: str = "push", **inputs: str) -> str:
    """Deploys and asserts that `gate` alone refused it, cleanly and with nothing applied (only the
    seeded base migration in the ledger); returns the refusal's reason."""
    run = deploy.run(event_name, **inputs)
    assert run.proc.returncode == 1, run.text
    [(event, reason)] = refusals(run)
    assert event == gate
    assert "Traceback" not in run.text
    assert deploy.ledger() == ["20240101000000"], "nothing may be applied after a refusal"
    return reason


def assert_no_secrets(run: Run) -> None:
    # `::add-mask::` lines are consumed by the runner (they are how secrets get masked), never shown.
    shown = "\n".join(line for line in run.text.splitlines() if not line.startswith("::add-mask::"))
    assert run.text.count("::add-mask::") >= 2
    for secret in (PASSWORD, TOKEN):
        for where, text in (
            ("output", shown),
            ("audit", run.audit_text),
            ("summary", run.summary),
            ("outputs", json.dumps(run.outputs)),
        ):
            assert secret not in text, f"{secret[:4]}… leaked into the {where}"
