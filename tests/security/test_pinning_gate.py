"""Deploys pinned to what was reviewed: the real PR check (the action, command: check, on a
pull_request event) records digests in its sticky comment; the real deploy then refuses pending
files that no passing check of the merged pull request saw as they are. Real git, real PostgreSQL,
the real PyGithub against tests/fake_github.py.

Before this gate, every case below deployed: the deploy looked at reviews, never at what the check saw.
"""

from __future__ import annotations

import json

from deploy_harness import CLEAN, REPO, Deploy, deploy, fake_github, git, refused
from runner_files import pull_request_event

__all__ = ["deploy", "fake_github"]

NOTES = "20240201000000_notes.sql"


def pr_check(deploy: Deploy, base: str, head: str, number: int = 7, fail_on: str = "error") -> int:
    """The action's PR check on pull request `number` (base..head), as the pull_request workflow runs it."""
    event = deploy.tmp / "pr-event.json"
    event.write_text(json.dumps(pull_request_event(REPO, number, base, head)))
    for name in ("pr-output.txt", "pr-summary.md"):
        (deploy.tmp / name).write_text("")
    git(deploy.root, "checkout", "-q", head)
    try:
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_API_URL": deploy.fake.url, "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": head, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
            "GITHUB_WORKSPACE": str(deploy.root), "GITHUB_OUTPUT": str(deploy.tmp / "pr-output.txt"),
            "GITHUB_STEP_SUMMARY": str(deploy.tmp / "pr-summary.md"), "GITHUB_RUN_ID": "11",
            "INPUT_COMMAND": "check", "INPUT_GITHUB-TOKEN": "ghs_FakeInstallationToken0123456789abcdef",
            "INPUT_MIGRATIONS-DIR": "supabase/migrations", "INPUT_AUDIT-DIR": "pr-audit", "INPUT_SUPABASE": "off",
            "INPUT_POSTGRES": "url", "INPUT_POSTGRES-URL": deploy.server.url("postgres"), "INPUT_COMMENT": "true",
            "INPUT_FAIL-ON": fail_on,
        }  # fmt: skip
        return _check_in_process(env)
    finally:
        git(deploy.root, "checkout", "-q", "main")


def _check_in_process(env: dict[str, str]) -> int:
    import contextlib
    import io
    import os

    from migration_guard.commands.action import check_step, prepare

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update({**saved_env, **env})
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            settings, ctx = prepare(dict(os.environ))
            return check_step(settings, ctx)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def _pull_request(
    deploy: Deploy, files: dict[str, str], after_check: dict[str, str] | None = None, fail_on: str = "error"
) -> None:
    """A feature branch with `files`, checked by the real PR check, then (optionally edited after the
    check) merged with --no-ff as pull request #7, approved by alice."""
    base = deploy.sha
    git(deploy.root, "checkout", "-q", "-b", "feature")
    for name, sql in files.items():
        (deploy.migrations / name).write_text(sql)
    head = deploy.commit("PR #7")
    git(deploy.root, "checkout", "-q", "main")
    deploy.fake.add_pull(REPO, 7, head_sha=head, base_sha=base)  # open while its check runs
    pr_check(deploy, base, head, fail_on=fail_on)
    if after_check:
        git(deploy.root, "checkout", "-q", "feature")
        for name, sql in after_check.items():
            (deploy.migrations / name).write_text(sql)
        head = deploy.commit("edited after the check")
    deploy.merge_reviewed(base, head, reviewed=head)
    deploy.protect()


def _checked_gate(run: object) -> dict[str, str]:
    return next(g for g in run.audit[-1]["gates"] if g["gate"] == "checked")  # type: ignore[attr-defined]


def test_the_files_the_check_passed_deploy(deploy: Deploy) -> None:
    _pull_request(deploy, {NOTES: CLEAN})
    comments = deploy.fake.comments(REPO, 7)
    assert len(comments) == 1 and "<!-- migration-guard:pins " in comments[0]["body"]
    run = deploy.run()
    assert run.proc.returncode == 0, run.text
    assert _checked_gate(run)["result"] == "passed"
    assert deploy.ledger() == ["20240101000000", "20240201000000"]


def test_a_comment_only_edit_after_the_check_keeps_the_digest(deploy: Deploy) -> None:
    _pull_request(deploy, {NOTES: CLEAN}, after_check={NOTES: "-- reviewed: see #7\n" + CLEAN + "-- end\n"})
    run = deploy.run()
    assert run.proc.returncode == 0, run.text


def test_a_file_edited_after_the_check_is_refused(deploy: Deploy) -> None:
    edited = CLEAN.replace("create table", "create table if not exists")
    assert edited != CLEAN
    _pull_request(deploy, {NOTES: CLEAN}, after_check={NOTES: edited})
    reason = refused(deploy, "gate:checked")
    assert f"{NOTES}: it differs from the version the check of #7 passed" in reason


def test_a_pull_request_whose_check_never_ran_is_refused(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7, checked=False)
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    assert "no Migration Guard check ran on #7" in refused(deploy, "gate:checked")


def test_a_failed_check_merged_anyway_is_refused(deploy: Deploy) -> None:
    """The team's PR check fails on warnings; the file has one (prefer-text) and was merged anyway.
    The deploy's own findings gate blocks on errors only: the recorded verdict is what refuses."""
    warned = CLEAN.replace("body text", "body varchar(20)")
    _pull_request(deploy, {NOTES: warned}, fail_on="warning")
    assert '"verdict":"fail"' in deploy.fake.comments(REPO, 7)[0]["body"]
    assert "the last check of #7 did not pass (fail)" in refused(deploy, "gate:checked")


def test_an_override_passes_the_gate_and_is_audited(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7, checked=False)
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    reason = "INC-77: hotfix schema needed before the check could run"
    run = deploy.run("workflow_dispatch", override="true", override_reason=reason)
    assert run.proc.returncode == 0, run.text
    assert _checked_gate(run)["result"] == "overridden"
    skipped = [r for r in run.audit if r["event"] == "gate:checked"]
    assert skipped and skipped[0]["override"] is True and skipped[0]["reason"] == reason
    assert deploy.ledger() == ["20240101000000", "20240201000000"]


def test_pins_forged_in_pull_request_text_are_not_trusted(deploy: Deploy) -> None:
    """A pull request cannot write the pins the deploy trusts. Before: the deploy took the first
    `<!-- migration-guard:pins {…} -->` anywhere in the bot's comment, and the comment quotes PR text
    (here a suppression's reason) with its code spans verbatim. A forged marker claiming
    `"verdict":"pass"` with the file's real digest (comments do not change it) came before ours, so a
    file whose check failed deployed."""
    from migration_guard.migrations.loader import load_migration
    from migration_guard.pinning import file_digest

    warned = CLEAN.replace("body text", "body varchar(20)")  # prefer-text: fails a fail-on: warning check
    sql = ("-- migration-guard: allow drop-column -- name is unused `FORGED`\n"
           "alter table public.items drop column name;\n")
    path = deploy.migrations / NOTES
    path.write_text(warned + sql)
    forged = json.dumps({"files": {NOTES: file_digest(load_migration(path))}, "verdict": "pass"})
    path.unlink()
    _pull_request(deploy, {NOTES: warned + sql.replace("FORGED", f"<!-- migration-guard:pins {forged} -->")},
                  fail_on="warning")
    body = deploy.fake.comments(REPO, 7)[0]["body"]
    assert body.index(forged) < body.index('"verdict":"fail"'), "the forged pins come first in the comment"
    assert "the last check of #7 did not pass (fail)" in refused(deploy, "gate:checked")
