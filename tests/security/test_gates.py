"""Attacks on the deploy gates, one test each: the real action entrypoint, a real git workspace,
a real target database and the real PyGithub against tests/fake_github.py.

Each attack deployed on main before issue 10 (the docstrings say what main did); now each is
refused, in the audit log, with the rule that failed and how to satisfy it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from deploy_harness import CLEAN, DROP, REPO, Deploy, deploy, fake_github, git, refused

__all__ = ["deploy", "fake_github"]

OTHER = "-- intent: tags\ncreate table public.tags (id bigint generated always as identity primary key);\n"
REASON = "INC-4711: the orders table must go out before the sale starts"


def _approved_then_pushed(deploy: Deploy, later: Path, text: str) -> str:
    """Pull request #7 adds the notes migration on a feature branch; alice approves that commit,
    then `later` is written with `text` and pushed before the branch merges into main. Returns the
    reviewed commit."""
    deploy.add("20240201000000", "notes", CLEAN)
    base = deploy.sha
    git(deploy.root, "checkout", "-q", "-b", "feature")
    reviewed = deploy.commit("the reviewed version")
    later.write_text(text)
    head = deploy.commit("pushed after the approval")
    deploy.merge_reviewed(base, head, reviewed)
    return reviewed


def test_approval_from_a_user_without_write_access_does_not_count(deploy: Deploy) -> None:
    """On main: any human APPROVED review counted, so a drive-by contributor's approval deployed."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7)
    deploy.protect()
    deploy.fake.add_review(REPO, 7, "mallory", "APPROVED", author_association="CONTRIBUTOR")
    deploy.fake.set_permission(REPO, "mallory", "read")
    reason = refused(deploy, "gate:review")
    assert "#7: mallory has no write access (author_association CONTRIBUTOR, permission read)" in reason
    assert "a person with write access other than the author must approve" in reason


def test_write_access_from_the_permission_api_counts(deploy: Deploy) -> None:
    """The other half of the rule: association NONE, but the collaborator API says write."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7)
    deploy.protect()
    deploy.fake.add_review(REPO, 7, "erin", "APPROVED", author_association="NONE")
    deploy.fake.set_permission(REPO, "erin", "maintain")
    run = deploy.run()
    assert run.proc.returncode == 0, run.text
    assert {"gate": "review", "result": "passed", "reason": "#7 approved by erin"} in run.audit[-1]["gates"]


def test_the_author_approving_their_own_pull_request_does_not_count(deploy: Deploy) -> None:
    """On main: the author's own approval (e.g. from the API, or an admin's self-approval) deployed."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7, author="alice")
    deploy.protect()
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED", author_association="OWNER")
    reason = refused(deploy, "gate:review")
    assert "#7: alice is the pull request's author" in reason


def test_approval_of_an_earlier_commit_whose_migrations_differ_does_not_count(deploy: Deploy) -> None:
    """On main: an approval of the first commit still counted after a later push changed the SQL."""
    reviewed = _approved_then_pushed(deploy, deploy.migrations / "20240202000000_tags.sql", OTHER)
    deploy.protect()
    reason = refused(deploy, "gate:review")
    assert (
        f"#7: alice approved {reviewed[:12]}, whose migration files differ from the deployed commit "
        "(supabase/migrations/20240202000000_tags.sql)"
    ) in reason


def test_approval_of_an_earlier_commit_counts_when_only_other_files_changed(deploy: Deploy) -> None:
    """The comparison is on the migration files only: a later README edit keeps the approval."""
    _approved_then_pushed(deploy, deploy.root / "README.md", "docs\n")
    deploy.fake.add_check_comment(REPO, 7, "supabase/migrations", [deploy.migrations / "20240201000000_notes.sql"])
    deploy.protect()
    run = deploy.run()
    assert run.proc.returncode == 0, run.text


def test_a_later_changes_requested_review_cancels_the_approval(deploy: Deploy) -> None:
    """Only each reviewer's latest decisive review counts."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7)
    deploy.protect()
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.fake.add_review(REPO, 7, "alice", "COMMENTED")
    deploy.fake.add_review(REPO, 7, "alice", "CHANGES_REQUESTED")
    reason = refused(deploy, "gate:review")
    assert "#7 has no approving review" in reason


def test_a_pull_request_merged_into_another_branch_does_not_count(deploy: Deploy) -> None:
    """On main: a PR approved and merged into `develop` vouched for the same commit pushed to `main`."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.open_pull(7, base_ref="develop")
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    reason = refused(deploy, "gate:review")
    assert "#7 was merged into `develop`, not into `main` (the branch being deployed)" in reason


def test_a_merge_commit_outside_the_deployed_history_does_not_count(deploy: Deploy) -> None:
    """The PR's merge commit must be the deployed commit or an ancestor of it."""
    deploy.add("20240201000000", "notes", CLEAN)
    base = deploy.sha
    git(deploy.root, "checkout", "-q", "-b", "elsewhere")
    elsewhere = deploy.commit("merged somewhere else")
    git(deploy.root, "checkout", "-q", "main")
    deploy.add("20240201000000", "notes", CLEAN)
    pushed = deploy.commit("the same file pushed straight to main")
    deploy.fake.add_pull(REPO, 7, head_sha=elsewhere, base_sha=base, merged=True, merge_commit_sha=elsewhere)
    deploy.fake.link_commit(REPO, pushed, 7)
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    reason = refused(deploy, "gate:review")
    assert f"#7's merge commit {elsewhere[:12]} is not the deployed commit {pushed[:12]} nor an ancestor" in reason


def test_a_shallow_checkout_is_refused_with_the_fix(deploy: Deploy, tmp_path: Path) -> None:
    """On main the review gate never looked at git; now a missing history is a refusal naming
    `fetch-depth: 0`, never a guess."""
    reviewed = _approved_then_pushed(deploy, deploy.root / "README.md", "docs\n")
    deploy.protect()
    # Replace the workspace with a depth-1 clone of it (what actions/checkout does by default).
    full = tmp_path / "full"
    deploy.root.rename(full)
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--no-local", f"file://{full}", str(deploy.root)], check=True
    )
    subprocess.run(["git", "remote", "remove", "origin"], cwd=deploy.root, check=True)  # no fetch back
    reason = refused(deploy, "gate:review")
    assert f"the reviewed commit ({reviewed[:12]}) is not in the checkout" in reason
    assert "`fetch-depth: 0`" in reason


def test_override_on_a_push_event_is_refused(deploy: Deploy) -> None:
    """On main: `override: true` with a reason on a plain `push` skipped findings and review."""
    deploy.add("20240201000000", "drop", DROP)
    deploy.protect()
    reason = refused(deploy, "gate:override", "push", override="true", override_reason=REASON)
    assert "honoured only on a `workflow_dispatch` run, not on `push`" in reason


def test_override_reason_of_invisible_characters_is_refused(deploy: Deploy) -> None:
    """On main: 20 zero-width spaces, a BOM and no-break spaces passed the 15-character check."""
    deploy.add("20240201000000", "drop", DROP)
    deploy.protect()
    invisible = "\u200b" * 20 + "\ufeff\u00a0\u2060\u3000" + "\u200d" * 5 + "ok"
    reason = refused(deploy, "gate:override", "workflow_dispatch", override="true", override_reason=invisible)
    assert "at least 15 visible characters" in reason and "this one has 2" in reason


def test_empty_required_reviewers_is_not_protection(deploy: Deploy) -> None:
    """On main: a `required_reviewers` rule listing nobody counted as a protected environment."""
    deploy.add("20240201000000", "notes", CLEAN)
    deploy.approve()
    deploy.fake.set_environment(REPO, "production", required_reviewers=[])
    reason = refused(deploy, "gate:environment")
    assert "required-reviewers rule with no reviewers in it" in reason
    assert "Settings → Environments → production" in reason


def test_override_on_workflow_dispatch_with_a_visible_reason_still_works(deploy: Deploy) -> None:
    """The legitimate path stays open: a manual run, a real reason, a protected environment."""
    deploy.add("20240201000000", "drop", DROP)
    deploy.protect()
    run = deploy.run("workflow_dispatch", override="true", override_reason=REASON)
    assert run.proc.returncode == 0, run.text
    assert deploy.ledger() == ["20240101000000", "20240201000000"]
