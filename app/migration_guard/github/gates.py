"""The deploy's GitHub gates: human review of the commit, and protection of the target environment.

Both fail closed: when GitHub cannot be asked (a 403/404, a bad token, GitHub down), the answer is
a refusal that says what to fix, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.PullRequest import PullRequest
from github.Repository import Repository

from github import Github, GithubException
from migration_guard.github.client import describe


@dataclass(frozen=True)
class GateResult:
    gate: str  # review | environment
    passed: bool
    reason: str  # one line: why it passed or why not
    pull_request: int | None = None


def is_bot(login: str, user_type: str | None) -> bool:
    return user_type == "Bot" or login.lower().endswith("[bot]")


def lazy_repo(gh: Github, repository: str) -> Repository:
    """The repository without fetching it (one API call less, and no `contents` permission needed)."""
    return gh.withLazy(True).get_repo(repository)


def pulls_for_commit(gh: Github, repository: str, sha: str) -> list[PullRequest]:
    """Pull requests GitHub associates with the commit (its head or merge commit)."""
    return list(lazy_repo(gh, repository).get_commit(sha).get_pulls())


def _merged(pr: PullRequest) -> bool:
    # The list endpoint gives merged_at; a full pull request object gives `merged` too.
    try:
        return pr.merged_at is not None or bool(pr.merged)
    except GithubException:
        return False


def human_approvers(pr: PullRequest) -> list[str]:
    """Users whose latest decisive review is APPROVED; bots never count."""
    latest: dict[str, str] = {}
    for review in pr.get_reviews():
        user = review.user
        if user is None or is_bot(user.login, user.type):
            continue
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[user.login] = review.state
    return sorted(login for login, state in latest.items() if state == "APPROVED")


def check_review(gh: Github, repository: str, sha: str) -> GateResult:
    short = sha[:12]
    try:
        pulls = pulls_for_commit(gh, repository, sha)
        merged = [p for p in pulls if _merged(p)]
        if not merged:
            if pulls:
                nums = ", ".join(f"#{p.number}" for p in pulls)
                return GateResult("review", False, f"commit {short} belongs to {nums}, which is not merged")
            return GateResult(
                "review",
                False,
                f"commit {short} does not come from a merged pull request (pushed directly?); "
                "migrations reach an environment only through a reviewed pull request",
            )
        for pr in merged:
            approvers = human_approvers(pr)
            if approvers:
                return GateResult("review", True, f"#{pr.number} approved by {', '.join(approvers)}", pr.number)
        nums = ", ".join(f"#{p.number}" for p in merged)
        return GateResult(
            "review",
            False,
            f"{nums} has no approving review from a human (bot approvals do not count)",
            merged[0].number,
        )
    except Exception as exc:  # network errors too: fail closed
        return GateResult("review", False, f"cannot read the pull requests of commit {short}: {describe(exc)}")


def check_environment(gh: Github, repository: str, environment: str) -> GateResult:
    try:
        env = lazy_repo(gh, repository).get_environment(environment)
        rules = [r.type for r in env.protection_rules or []]
    except GithubException as exc:
        hint = ""
        if exc.status in (403, 404):
            hint = (
                "; the environment must exist with required reviewers, and the token needs `actions: read` "
                "(add `permissions: actions: read` to the job) to read it"
            )
        return GateResult("environment", False, f"cannot read environment `{environment}`: {describe(exc)}{hint}")
    except Exception as exc:
        return GateResult("environment", False, f"cannot read environment `{environment}`: {describe(exc)}")
    if "required_reviewers" not in rules:
        return GateResult(
            "environment",
            False,
            f"environment `{environment}` has no required reviewers; add them in Settings → Environments → "
            f"{environment} so GitHub holds the deploy job for approval",
        )
    return GateResult("environment", True, f"environment `{environment}` requires reviewers")
