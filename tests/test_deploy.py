"""`command: deploy` end to end: the real action entrypoint in a subprocess, a real target database,
the dry run on the session server, and real PyGithub over HTTP to the local fake GitHub API."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from deploy_harness import CLEAN, DROP, REPO, Deploy, assert_no_secrets, deploy, fake_github, refusals

__all__ = ["deploy", "fake_github"]


def test_all_gates_pass_and_the_deploy_applies(deploy: Deploy) -> None:
    deploy.end_to_end = True
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.approve()
    deploy.protect()
    run = deploy.run()
    assert run.proc.returncode == 0, run.text
    assert run.outputs["verdict"] == "applied"
    assert run.outputs["applied-count"] == "1"
    assert run.outputs["pending-count"] == "1"
    assert run.outputs["audit-file"].endswith("audit/4242-1.jsonl")
    assert deploy.ledger() == ["20240101000000", "20240201000000"]
    applied = [r for r in run.audit if r["event"] == "migration"]
    assert [(r["outcome"], r["version"]) for r in applied] == [("applied", "20240201000000")]
    record = applied[0]
    assert record["environment"] == "production"
    assert record["actor"] == "alice" and record["triggering_actor"] == "bob"
    assert record["sha"] == deploy.sha and record["ref"] == "refs/heads/main"
    assert record["run_url"] == f"https://github.example/{REPO}/actions/runs/4242"
    assert str(record["database"]).startswith("localhost")
    assert len(str(record["checksum"])) == 64
    assert run.audit[-1]["event"] == "deploy" and run.audit[-1]["outcome"] == "applied"
    assert {"gate": "review", "result": "passed", "reason": "#7 approved by alice"} in run.audit[-1]["gates"]
    assert "## Deploy to `production`: applied" in run.summary
    assert "| review | passed | #7 approved by alice |" in run.summary
    # The pre-deploy report went to the merged pull request as a comment.
    comments = deploy.fake.comments(REPO, 7)
    assert len(comments) == 1 and "Deploy to `production`" in comments[0]["body"]
    with psycopg.connect(deploy.target) as conn:
        side = conn.execute(
            "SELECT applied_by, triggering_actor, environment, sha, run_url, override_reason "
            "FROM migration_guard.applied WHERE version = '20240201000000'"
        ).fetchone()
    assert side == ("alice", "bob", "production", deploy.sha, f"https://github.example/{REPO}/actions/runs/4242", None)
    assert_no_secrets(run)


def test_blocking_findings_refuse(deploy: Deploy) -> None:
    deploy.add("20240201000000", "drop", DROP)
    deploy.approve()
    deploy.protect()
    run = deploy.run()
    assert run.proc.returncode == 1
    assert run.outputs["verdict"] == "refused"
    [(event, reason)] = refusals(run)
    assert event == "gate:findings"
    assert reason.startswith("1 blocking finding(s): drop-table@supabase/migrations/20240201000000_drop.sql:2")
    assert deploy.ledger() == ["20240101000000"]
    assert "Traceback" not in run.text
    assert_no_secrets(run)


def test_override_needs_a_reason(deploy: Deploy) -> None:
    deploy.add("20240201000000", "drop", DROP)
    deploy.approve()
    deploy.protect()
    run = deploy.run("workflow_dispatch", override="true", override_reason="urgent")
    assert run.proc.returncode == 1
    assert refusals(run) == [
        (
            "gate:override",
            "an emergency override needs `override-reason` of at least 15 visible characters saying why "
            "(it is audited and posted); this one has 6 (spaces, zero-width and other invisible "
            "characters do not count)",
        )
    ]
    assert deploy.ledger() == ["20240101000000"]


def test_override_passes_findings_and_review_and_is_audited(deploy: Deploy) -> None:
    deploy.end_to_end = True
    deploy.add("20240201000000", "drop", DROP)
    deploy.protect()  # no pull request at all: pushed directly
    reason = "items table holds leaked PII, removing it now (INC-1234)"
    run = deploy.run("workflow_dispatch", override="true", override_reason=reason)
    assert run.proc.returncode == 0, run.text
    assert deploy.ledger() == ["20240101000000", "20240201000000"]
    skipped = {r["event"]: r for r in run.audit if r["outcome"] == "skipped" and r["override"]}
    assert set(skipped) == {"gate:findings", "gate:review"}
    assert skipped["gate:findings"]["findings"] == ["drop-table@supabase/migrations/20240201000000_drop.sql:2"]
    override = [r for r in run.audit if r["event"] == "override"]
    assert override and override[0]["reason"] == reason and override[0]["actor"] == "alice"
    assert override[0]["triggering_actor"] == "bob"
    migration = next(r for r in run.audit if r["event"] == "migration")
    assert migration["override"] is True and migration["reason"] == reason
    assert "Emergency override" in run.summary and reason in run.summary
    # No pull request: the notice goes on the commit.
    notes = deploy.fake.commit_comments(REPO, deploy.sha)
    assert len(notes) == 1 and reason in notes[0]["body"] and "bob" in notes[0]["body"]
    with psycopg.connect(deploy.target) as conn:
        side = conn.execute(
            "SELECT override_reason, findings_overridden FROM migration_guard.applied WHERE version = '20240201000000'"
        ).fetchone()
    assert side == (reason, ["drop-table@supabase/migrations/20240201000000_drop.sql:2"])
    assert_no_secrets(run)


def test_review_gate_refuses_a_direct_push_and_bot_approvals(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.protect()
    run = deploy.run()
    assert run.proc.returncode == 1
    assert refusals(run)[0][0] == "gate:review"
    assert "does not come from a merged pull request" in refusals(run)[0][1]
    deploy.approve(reviewer="copilot-swe-agent[bot]")
    run = deploy.run()
    assert run.proc.returncode == 1
    [(event, reason)] = refusals(run)
    assert event == "gate:review"
    assert "#7: copilot-swe-agent[bot] is a bot" in reason
    assert deploy.ledger() == ["20240101000000"]


def test_review_gate_refuses_an_unmerged_pull_request(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.protect()
    deploy.approve(merged=False)
    run = deploy.run()
    assert refusals(run) == [("gate:review", f"commit {deploy.sha[:12]} belongs to #7, which is not merged")]


def test_review_not_required_when_switched_off(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    run = deploy.run(require_approval="false", environment="staging")
    assert run.proc.returncode == 0, run.text
    assert deploy.ledger() == ["20240101000000", "20240201000000"]


def test_environment_without_required_reviewers_refuses_even_with_override(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.approve()
    deploy.fake.set_environment(REPO, "production", wait_timer=5)
    run = deploy.run()
    assert refusals(run) == [
        (
            "gate:environment",
            "environment `production` has no required reviewers; add them in "
            "Settings → Environments → production so GitHub holds the deploy job for approval",
        )
    ]
    reason = "the on-call lead approved this on the bridge call"
    run = deploy.run("workflow_dispatch", override="true", override_reason=reason)
    assert run.proc.returncode == 1
    assert refusals(run)[0][0] == "gate:environment"
    assert deploy.ledger() == ["20240101000000"]


def test_environment_unreadable_fails_closed(deploy: Deploy) -> None:
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.approve()  # no environment configured: the API answers 404
    run = deploy.run()
    [(event, reason)] = refusals(run)
    assert event == "gate:environment"
    assert "GitHub API answered 404" in reason and "`actions: read`" in reason
    assert deploy.ledger() == ["20240101000000"]


def test_missing_database_url_is_a_refusal(deploy: Deploy) -> None:
    deploy.end_to_end = True
    deploy.add("20240201000000", "notes", CLEAN)
    run = deploy.run(database_url="")
    assert run.proc.returncode == 1
    assert "Traceback" not in run.text
    assert refusals(run)[0][0] == "gate:database"
    assert run.outputs["verdict"] == "refused"


def test_failing_dry_run_is_refused_even_with_override(deploy: Deploy) -> None:
    deploy.add("20240201000000", "broken", "-- intent: broken\ninsert into public.nowhere values (1);\n")
    deploy.approve()
    deploy.protect()
    run = deploy.run("workflow_dispatch", override="true", override_reason="we really need this one out today")
    assert run.proc.returncode == 1
    [(event, reason)] = refusals(run)
    assert event == "gate:dry-run"
    assert "nowhere" in reason
    assert deploy.ledger() == ["20240101000000"]


def test_nothing_pending_is_up_to_date(deploy: Deploy) -> None:
    run = deploy.run()
    assert run.proc.returncode == 0, run.text
    assert run.outputs["verdict"] == "up-to-date"
    assert run.outputs["pending-count"] == "0"


@pytest.mark.parametrize("name", ["deploy-staging.yml", "deploy-production.yml", "emergency-override.yml"])
def test_example_workflows_gate_upload_and_stay_least_privilege(name: str) -> None:
    import yaml

    root = Path(__file__).resolve().parents[1] / "workflows-examples"
    data = yaml.safe_load((root / name).read_text())
    assert data["permissions"] == {"contents": "read"}
    [job] = data["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "actions": "read"}
    assert job["environment"]
    deploy_step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("migration-guard/"))
    assert deploy_step["with"]["command"] == "deploy"
    assert deploy_step["with"]["environment"] == job["environment"]
    assert deploy_step["with"]["database-url"] == "${{ secrets.DATABASE_URL }}"
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the review gate compares commits with git
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "migration-guard-audit/"
    assert upload["with"]["retention-days"] >= 30
    assert data["concurrency"]["cancel-in-progress"] is False


def test_override_notice_goes_on_the_pull_request_when_there_is_one(deploy: Deploy) -> None:
    deploy.add("20240201000000", "drop", DROP)
    deploy.approve()
    deploy.protect()
    reason = "dropping the table the incident team confirmed is unused"
    run = deploy.run("workflow_dispatch", override="true", override_reason=reason)
    assert run.proc.returncode == 0, run.text
    bodies = [c["body"] for c in deploy.fake.comments(REPO, 7)]
    assert len(bodies) == 2  # the pre-deploy report and the override notice
    notice = next(b for b in bodies if "Emergency override" in b)
    assert reason in notice and "requested by: alice (run started by bob)" in notice
    assert "findings (1 blocking finding(s) overridden)" in notice
    assert deploy.fake.commit_comments(REPO, deploy.sha) == []
    assert "requested by alice (run started by bob)" in run.summary
    assert_no_secrets(run)
