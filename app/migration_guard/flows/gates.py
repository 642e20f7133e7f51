"""The deploy's gates after the override's: each a function returning a ``GateRecord``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.flows.records import OVERRIDDEN, PASSED, REFUSED, GateRecord

if TYPE_CHECKING:
    from github import Github
    from migration_guard.checkrun import CheckReport
    from migration_guard.github.context import GitHubContext


def inputs_gate(url: str, environment: str | None) -> GateRecord | None:
    """A database URL and an environment name are required; None when both are there."""
    if not url:
        return GateRecord(
            "database",
            REFUSED,
            "no `database-url`: store it as a secret of the GitHub environment and pass it to the "
            "action (environment secrets are released only after the environment's reviewers approve)",
        )
    if not environment:
        return GateRecord(
            "environment",
            REFUSED,
            "no `environment` input: name the GitHub environment this job runs under "
            "(the job should declare the same `environment:`)",
        )
    return None


def drift_gate(problems: tuple[str, ...] | list[str]) -> GateRecord | None:
    if problems:
        return GateRecord("drift", REFUSED, "; ".join(problems))
    return None


def dry_run_gate(report: CheckReport) -> GateRecord:
    """A failing dry run is never overridable: the migration would fail for real."""
    if report.plan_error:
        return GateRecord("dry-run", REFUSED, f"the dry run could not run: {report.plan_error}")
    if report.plan is not None:
        for run in report.plan.migrations:
            if run.new and run.status == "failed":
                where = f"{run.path}:{run.error.line}" if run.error else run.path
                message = run.error.message if run.error else "failed"
                return GateRecord("dry-run", REFUSED, f"the dry run failed: {where}: {message}")
    return GateRecord("dry-run", PASSED, "the pending migrations replayed on a throwaway database")


def findings_gate(report: CheckReport, override: bool) -> GateRecord:
    blocking = [f for f in report.findings if f.blocking]
    if not blocking:
        return GateRecord("findings", PASSED, "no blocking findings")
    names = tuple(f"{f.rule}@{f.path}:{f.line}" for f in blocking)
    if override:
        return GateRecord("findings", OVERRIDDEN, f"{len(blocking)} blocking finding(s) overridden", names)
    return GateRecord(
        "findings",
        REFUSED,
        f"{len(blocking)} blocking finding(s): {', '.join(names)}; "
        "fix them, suppress them with a reason, or use the emergency override",
        names,
    )


def review_gate(
    gh: Github | None, ctx: GitHubContext, migrations_dir: str, required: bool, override: bool
) -> GateRecord:
    from migration_guard.flows.history import History
    from migration_guard.github.gates import ReviewTarget, check_review

    if not required:
        return GateRecord("review", PASSED, "not required (`require-approval: false`)")
    if gh is None:
        reason, number, passed = "no `github-token`: cannot check that the commit was reviewed", None, False
    else:
        target = ReviewTarget(ctx.repository, ctx.sha, ctx.branch, migrations_dir, History(Path(ctx.workspace)))
        result = check_review(gh, target)
        reason, number, passed = result.reason, result.pull_request, result.passed
    if passed:
        return GateRecord("review", PASSED, reason, pull_request=number)
    return GateRecord("review", OVERRIDDEN if override else REFUSED, reason, pull_request=number)


def environment_gate(
    gh: Github | None, ctx: GitHubContext, environment: str, protected: list[str] | tuple[str, ...]
) -> GateRecord:
    """Never overridable: a protected environment must hold the job for its reviewers."""
    from migration_guard.github.gates import check_environment

    if environment.lower() not in {e.strip().lower() for e in protected}:
        return GateRecord("environment", PASSED, f"`{environment}` is not a protected environment")
    if gh is None:
        return GateRecord("environment", REFUSED, f"no `github-token`: cannot check environment `{environment}`")
    result = check_environment(gh, ctx.repository, environment)
    return GateRecord("environment", PASSED if result.passed else REFUSED, result.reason)
