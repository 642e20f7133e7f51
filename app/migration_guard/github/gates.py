"""The deploy's GitHub gates: a real review of what is deployed, and protection of the environment.

Both fail closed: when GitHub cannot be asked (a 403/404, a bad token, GitHub down) or the git
history needed to compare commits is missing, the answer is a refusal that says what to fix.

The review rule, exactly (docs/deploying.md, "Gates"): the deployed commit comes from a pull request
that is merged into the branch being deployed, whose merge commit is the deployed commit or an
ancestor of it, and that has at least one review that

- is APPROVED and is the reviewer's latest decisive review (APPROVED, CHANGES_REQUESTED, DISMISSED);
- is by a human (not a bot) who is not the pull request's author;
- is by someone with write access: ``author_association`` OWNER, MEMBER or COLLABORATOR, or the
  collaborator permission API answering admin, maintain or write;
- was given on a commit whose migration files are identical to the deployed commit's.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.PullRequest import PullRequest
from github.PullRequestReview import PullRequestReview
from github.Repository import Repository

from github import Github, GithubException
from migration_guard.flows.history import History, HistoryMissing
from migration_guard.github.client import describe

DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")
WRITE_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
REVIEW_FIX = (
    "a person with write access other than the author must approve the pull request's latest "
    "migration files, and it must be merged into the branch being deployed"
)


@dataclass(frozen=True)
class GateResult:
    gate: str  # review | environment
    passed: bool
    reason: str  # one line: why it passed, or which rule failed and how to satisfy it
    pull_request: int | None = None


@dataclass(frozen=True)
class ReviewTarget:
    """What is being deployed, for the review gate."""

    repository: str  # owner/name
    sha: str  # the deployed commit
    branch: str | None  # the branch being deployed (from GITHUB_REF); None: not a branch
    migrations_dir: str  # the migrations folder, relative to the workspace
    history: History


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


def latest_approvals(pr: PullRequest) -> list[PullRequestReview]:
    """Each user's latest decisive review, when it is APPROVED (reviews arrive oldest first)."""
    latest: dict[str, PullRequestReview] = {}
    for review in pr.get_reviews():
        if review.user is not None and review.state in DECISIVE:
            latest[review.user.login] = review
    return [r for r in latest.values() if r.state == "APPROVED"]


def human_approvers(pr: PullRequest) -> list[str]:
    """Users whose latest decisive review is APPROVED; bots never count (write access not checked)."""
    return sorted(r.user.login for r in latest_approvals(pr) if not is_bot(r.user.login, r.user.type))


def _has_write_access(repo: Repository, review: PullRequestReview) -> tuple[bool, str]:
    """(yes/no, how it was decided). A reviewer unknown to the permission API has no access."""
    association = (review.author_association or "NONE").upper()
    if association in WRITE_ASSOCIATIONS:
        return True, association
    try:
        permission = repo.get_collaborator_permission(review.user.login)
    except GithubException as exc:
        if exc.status == 404:
            return False, f"author_association {association}, not a collaborator"
        raise
    return permission in WRITE_PERMISSIONS, f"author_association {association}, permission {permission}"


def _review_problem(
    pr: PullRequest, repo: Repository, review: PullRequestReview, target: ReviewTarget
) -> str | None:
    """Why this approval does not count (None: it counts)."""
    login = review.user.login
    if is_bot(login, review.user.type):
        return f"{login} is a bot"
    if pr.user is not None and login.lower() == pr.user.login.lower():
        return f"{login} is the pull request's author"
    allowed, how = _has_write_access(repo, review)
    if not allowed:
        return f"{login} has no write access ({how})"
    reviewed = review.commit_id
    if not reviewed:
        return f"{login}'s approval names no commit"
    if reviewed != target.sha:
        changed = target.history.changed(reviewed, target.sha, target.migrations_dir)
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            return (
                f"{login} approved {reviewed[:12]}, whose migration files differ from the deployed "
                f"commit ({shown})"
            )
    return None


def _pull_problem(pr: PullRequest, target: ReviewTarget) -> str | None:
    """Why this pull request cannot vouch for the deployed commit (None: it can)."""
    if not _merged(pr):
        return f"#{pr.number} is not merged"
    base = pr.base.ref if pr.base is not None else None
    if target.branch is None:
        return "the deploy does not run on a branch (GITHUB_REF is not refs/heads/...)"
    if base != target.branch:
        return f"#{pr.number} was merged into `{base}`, not into `{target.branch}` (the branch being deployed)"
    merge = pr.merge_commit_sha
    if not merge:
        return f"#{pr.number} has no merge commit"
    if not target.history.is_ancestor(merge, target.sha):
        return (
            f"#{pr.number}'s merge commit {merge[:12]} is not the deployed commit {target.sha[:12]} "
            "nor an ancestor of it"
        )
    return None


def check_review(gh: Github, target: ReviewTarget) -> GateResult:
    short = target.sha[:12]
    try:
        pulls = pulls_for_commit(gh, target.repository, target.sha)
        if not pulls:
            return GateResult(
                "review",
                False,
                f"commit {short} does not come from a merged pull request (pushed directly?); "
                "migrations reach an environment only through a reviewed pull request",
            )
        repo = lazy_repo(gh, target.repository)
        problems: list[str] = []
        first_merged: int | None = None
        for pr in pulls:
            problem = _pull_problem(pr, target)
            if problem:
                problems.append(problem)
                continue
            first_merged = first_merged or pr.number
            approvals = latest_approvals(pr)
            if not approvals:
                problems.append(f"#{pr.number} has no approving review")
                continue
            counted: list[str] = []
            for review in approvals:
                why = _review_problem(pr, repo, review, target)
                if why:
                    problems.append(f"#{pr.number}: {why}")
                else:
                    counted.append(review.user.login)
            if counted:
                return GateResult("review", True, f"#{pr.number} approved by {', '.join(sorted(counted))}", pr.number)
        if len(pulls) == 1 and problems == [f"#{pulls[0].number} is not merged"]:
            return GateResult("review", False, f"commit {short} belongs to #{pulls[0].number}, which is not merged")
        return GateResult(
            "review",
            False,
            f"no approval counts for commit {short}: {'; '.join(problems)}; to pass: {REVIEW_FIX}",
            first_merged,
        )
    except HistoryMissing as exc:
        return GateResult("review", False, f"cannot compare what was reviewed with commit {short}: {exc}")
    except Exception as exc:  # network errors too: fail closed
        return GateResult("review", False, f"cannot read the pull requests of commit {short}: {describe(exc)}")


def check_environment(gh: Github, repository: str, environment: str) -> GateResult:
    try:
        env = lazy_repo(gh, repository).get_environment(environment)
        rules = list(env.protection_rules or [])
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
    fix = (
        f"add them in Settings → Environments → {environment} so GitHub holds the deploy job for approval"
    )
    reviewer_rules = [r for r in rules if r.type == "required_reviewers"]
    if not reviewer_rules:
        return GateResult("environment", False, f"environment `{environment}` has no required reviewers; {fix}")
    # A required_reviewers rule whose list is empty holds nothing: GitHub lets the job run.
    if not any(rule.reviewers for rule in reviewer_rules):
        return GateResult(
            "environment",
            False,
            f"environment `{environment}` has a required-reviewers rule with no reviewers in it, which "
            f"holds nothing; {fix}",
        )
    return GateResult("environment", True, f"environment `{environment}` requires reviewers")
