"""`migration-guard action`: the Docker action's entrypoint (reads ``INPUT_*`` and ``GITHUB_*``).

Everything the container does happens here, so the whole action is testable by running this command
with the environment GitHub would give it. ``command: check`` runs the pull-request check;
``command: deploy`` hands over to ``migration_guard.deploy.run_deploy``.

The pieces the deploy command reuses are public: ``prepare`` (mask secrets, read settings and
context), ``publish_check`` (summary, annotations, SARIF, JSON report, comment, outputs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from migration_guard import log
from migration_guard.checkrun import CANCELLED, CheckOptions, CheckReport, cancelled_report, refused_report, run_check
from migration_guard.errors import UserError
from migration_guard.github import workflow
from migration_guard.github.context import GitHubContext, load_context
from migration_guard.settings import ActionSettings

HELP = "entrypoint of the GitHub Action: reads INPUT_* and GITHUB_* and runs `check` or `deploy`"
DESCRIPTION = (
    "Run by the Docker action (action.yml). Reads the action's inputs from INPUT_<NAME> variables "
    "(hyphens kept, empty = unset) and the run from GITHUB_* and the event payload, then runs the "
    "pull-request check (`command: check`) or the gated deploy (`command: deploy`). Writes the step "
    "summary, annotations, outputs, the JSON report and (with a token) one sticky PR comment."
)

REPORT_NAME = "check-report.json"
FETCH_DEPTH = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # everything comes from the environment, as in the container


def prepare(env: dict[str, str] | None = None) -> tuple[ActionSettings, GitHubContext]:
    """Read inputs, mask secrets before anything else is printed, then read the run context."""
    environ = dict(os.environ if env is None else env)
    # Mask the raw token even if another input is invalid: it must never reach the log.
    raw_token = environ.get("INPUT_GITHUB-TOKEN", "").strip()
    if raw_token:
        workflow.add_mask(raw_token)
        log.add_secret(raw_token)
    settings = ActionSettings.from_env(environ)
    for secret in settings.secrets():
        if secret == raw_token:
            continue
        workflow.add_mask(secret)
        log.add_secret(secret)
    return settings, load_context(environ)


def run(args: argparse.Namespace) -> int:
    del args
    log.configure()
    settings, ctx = prepare()
    try:
        return _run_command(settings, ctx)
    finally:
        hand_over_outputs(settings, ctx)


def hand_over_outputs(settings: ActionSettings, ctx: GitHubContext) -> None:
    """What this run wrote into the workspace goes to the workspace's owner (we run as root)."""
    from migration_guard.ownership import hand_over

    written = [Path(settings.audit_dir)]
    if settings.sarif_file:
        written.append(Path(settings.sarif_file))
    from migration_guard.gitdiff import FETCHED

    if FETCHED:
        written.append(ctx.workspace / ".git")  # objects and refs a shallow checkout's fetch added
    hand_over(written, ctx.workspace)


def _run_command(settings: ActionSettings, ctx: GitHubContext) -> int:
    if settings.command == "deploy":
        try:  # imported by name: the deploy module lands separately and is heavy (apply, psycopg)
            deploy = importlib.import_module("migration_guard.deploy")
        except ModuleNotFoundError as exc:
            if exc.name != "migration_guard.deploy":
                raise
            raise UserError("`command: deploy` is not available in this build of migration-guard") from None
        code: int = deploy.run_deploy(settings, ctx)
        return code
    return check_step(settings, ctx)


# --- the pull-request check ---------------------------------------------------------------------


def _git(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from migration_guard.gitdiff import run_git

    return run_git(workspace, *args)


def _has_commit(workspace: Path, sha: str) -> bool:
    return _git(workspace, "cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


def ensure_commits(workspace: Path, base: str, head: str) -> None:
    """Make base and head (and their merge base) available; fetch them in a shallow checkout."""
    if _git(workspace, "rev-parse", "--git-dir").returncode != 0:
        raise UserError(
            f"{workspace}: not a git checkout; add `actions/checkout` with `fetch-depth: 0` before this step"
        )
    for sha in (base, head):
        if not _has_commit(workspace, sha):
            _git(workspace, "fetch", "--no-tags", f"--depth={FETCH_DEPTH}", "origin", sha)
    missing = [s for s in (base, head) if not _has_commit(workspace, s)]
    if missing:
        raise UserError(
            f"commit {missing[0][:12]} is not in the checkout and could not be fetched; "
            "use `actions/checkout` with `fetch-depth: 0`"
        )
    if _git(workspace, "merge-base", base, head).returncode != 0:
        _git(workspace, "fetch", "--no-tags", f"--deepen={FETCH_DEPTH}", "origin")
        if _git(workspace, "merge-base", base, head).returncode != 0:
            raise UserError(
                f"no common history between base {base[:12]} and head {head[:12]} in this shallow checkout; "
                "use `actions/checkout` with `fetch-depth: 0`"
            )


def _base_versions(directory: Path, base: str) -> tuple[str, ...]:
    from migration_guard.gitdiff import files_at
    from migration_guard.migrations.naming import parse_name

    return tuple(v for v in (parse_name(n).version for n in files_at(directory, base)) if v)


def check_options(settings: ActionSettings, ctx: GitHubContext) -> CheckOptions:
    """What the check covers: files changed between the event's base and head in the migrations folder."""
    from migration_guard.gitdiff import changed_files

    directory = Path(settings.migrations_dir)
    common: dict[str, Any] = {
        "migrations_dir": directory,
        "supabase": settings.supabase,
        "postgres": settings.postgres,
        "postgres_url": settings.postgres_url.get_secret_value() if settings.postgres_url else None,
        "stub_extensions": tuple(settings.stub_extensions),
        "stats_url": settings.stats_url.get_secret_value() if settings.stats_url else None,
        "fail_on": settings.fail_on,
        "run_url": ctx.run_url,
        "base": ctx.base_sha,
        "head": ctx.head_sha,
        "statement_timeout": settings.dry_run_statement_timeout,
        "time_budget": settings.dry_run_time_budget,
        "disk_limit": settings.dry_run_disk_limit,
        "strict_extensions": settings.strict_extensions,
        "pg_version": settings.pg_version,
        "baseline": tuple(Path(p) for p in settings.baseline),
        "rules": action_rule_config(settings),
    }
    if not directory.is_dir():
        raise UserError(f"{directory}: migrations folder not found in the checkout (the `migrations-dir` input)")
    if not ctx.base_sha:
        # No base to compare with (workflow_dispatch, a new branch): check the newest migration.
        from migration_guard.checkrun import discover_migrations

        paths = discover_migrations(directory)
        return CheckOptions(changed=tuple(paths[-1:]), **common)
    head = ctx.head_sha or "HEAD"
    ensure_commits(ctx.workspace, ctx.base_sha, head)
    changed = changed_files(directory, ctx.base_sha, head)
    cwd = Path.cwd().resolve()
    rel = tuple(p.resolve().relative_to(cwd) if p.resolve().is_relative_to(cwd) else p for p in changed)
    return CheckOptions(changed=rel, base_versions=_base_versions(directory, ctx.base_sha), **common)


def action_rule_config(settings: ActionSettings) -> Any:
    """The inputs disable-rules / rule-severity / exclude-paths, validated (an unknown rule id: exit 2)."""
    from migration_guard.rule_config import RuleConfig, parse_severity_pairs

    severity = parse_severity_pairs(settings.rule_severity or "", "input `rule-severity`")
    return RuleConfig.build(settings.disable_rules, severity, settings.exclude_paths, origin="action inputs")


def fork_refusal(ctx: GitHubContext) -> str | None:
    if ctx.event_name == "pull_request_target" and ctx.is_fork:
        return (
            f"This `pull_request_target` run is for a pull request from a fork ({ctx.head_repository}). "
            "That event runs with this repository's secrets and a write token, so running the pull "
            "request's SQL here would execute untrusted code with them. Run the check on the "
            "`pull_request` event instead: it works for forks, with the report in the step summary "
            "and annotations."
        )
    return None


def check_step(settings: ActionSettings, ctx: GitHubContext) -> int:
    if ctx.workspace.is_dir():
        os.chdir(ctx.workspace)  # relative paths in findings = paths in the repository (annotations)
    reason = fork_refusal(ctx)
    if reason:
        report = refused_report(_ran_nothing(settings, ctx), reason)
        workflow.error(reason, title="migration-guard refused to run")
        publish_check(report, settings, ctx, comment=False)
        return 1
    from migration_guard.interrupts import terminate_on_sigterm

    try:
        with terminate_on_sigterm():  # the runner's cancel (docker stop): tear the dry-run server down
            report = run_check(check_options(settings, ctx))
    except KeyboardInterrupt:
        # The dry-run server is already torn down (the with blocks unwound). No verdict, so no PR
        # comment either: the sticky one keeps the last finished check's.
        cancelled = cancelled_report(_ran_nothing(settings, ctx))
        workflow.error(CANCELLED, title="migration-guard check cancelled")
        publish_check(cancelled, settings, ctx, comment=False)
        return cancelled.exit_code
    except Exception as exc:  # bad input or a bug: the summary, outputs and audit record are still written
        from migration_guard.flows.check import failure_reason

        reason, code = failure_reason(exc, tuple(settings.secrets()))
        workflow.error(reason, title="migration-guard check failed")
        publish_check(refused_report(_ran_nothing(settings, ctx), reason), settings, ctx, comment=False)
        raise UserError(reason, exit_code=code) from None  # and the usual one line on stderr
    from migration_guard.flows.review import review_step

    publish_check(review_step(report, ctx.workspace, ctx.base_sha, ctx.head_sha), settings, ctx)
    return report.exit_code


def _ran_nothing(settings: ActionSettings, ctx: GitHubContext) -> CheckOptions:
    """The options a report of a check that ran no SQL is written with (refused, failed, cancelled)."""
    return CheckOptions(
        migrations_dir=Path(settings.migrations_dir), changed=(), fail_on=settings.fail_on, run_url=ctx.run_url,
        base=ctx.base_sha, head=ctx.head_sha,
    )


def publish_check(
    report: CheckReport, settings: ActionSettings, ctx: GitHubContext, comment: bool = True
) -> dict[str, str]:
    """Summary, annotations, SARIF, JSON report, audit record, comment and outputs for one report."""
    from migration_guard.report.annotations import render_annotations
    from migration_guard.report.markdown import render_markdown, render_summary

    secrets = tuple(settings.secrets())
    audit_dir = Path(settings.audit_dir)
    audit_dir.mkdir(parents=True, exist_ok=True)
    report_file = audit_dir / REPORT_NAME
    report_file.write_text(json.dumps(_scrub(report.to_json(), secrets), indent=2) + "\n", encoding="utf-8")

    if report.located_findings:
        annotations = render_annotations(report.located_findings, limit_per_severity=10)
        if annotations:
            print(annotations, flush=True)

    sarif_path = ""
    if settings.sarif_file:
        sarif_path = settings.sarif_file
        write_sarif(report, Path(sarif_path))

    audit_file = _audit(report, settings, ctx, secrets)
    from migration_guard.redact import redact

    failed = [m for m in (report.plan.migrations if report.plan else ()) if m.new and m.status == "failed"]
    if failed:  # blocking like an error finding, so on the diff like one (text from PR SQL: scrubbed)
        from migration_guard.report.annotations import failure_annotation

        print(redact("\n".join(failure_annotation(m) for m in failed), secrets), flush=True)

    # Error texts in the report come from PR SQL and the server: scrubbed like the JSON report.
    workflow.append_summary(redact(render_summary(report), secrets))

    comment_url = ""
    if comment and settings.comment and ctx.pr_number is not None:
        comment_url = _comment(redact(render_markdown(report), secrets), settings, ctx)

    outputs = {
        "verdict": report.verdict,
        "blocking-count": str(report.blocking_count),
        "warning-count": str(report.warning_count),
        "report-file": str(report_file),
        "sarif-file": sarif_path,
        "comment-url": comment_url,
        "audit-file": audit_file,
    }
    workflow.set_outputs(outputs)
    verdict = {"pass": "passed", "cancelled": "cancelled"}.get(report.verdict, "failed")
    print(
        f"migration-guard: check {verdict}: {report.blocking_count} blocking, {report.warning_count} warnings "
        f"({len(report.changed)} changed migrations in {report.migrations_dir})",
        flush=True,
    )
    return outputs


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    from migration_guard.redact import redact

    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    return value


def write_sarif(report: CheckReport, path: Path) -> None:
    from migration_guard.report.sarif import render_sarif, statement_texts
    from migration_guard.rules.registry import all_rules

    path.parent.mkdir(parents=True, exist_ok=True)
    snippets = statement_texts(report.migrations, report.located_findings)
    properties = {"migration-guard/pins": report.pins} if report.pins is not None else None
    path.write_text(render_sarif(report.lint_result, list(all_rules()), snippets, properties), encoding="utf-8")


def _audit(report: CheckReport, settings: ActionSettings, ctx: GitHubContext, secrets: tuple[str, ...]) -> str:
    from migration_guard.audit import AuditContext, AuditLog

    context = AuditContext.from_env(dict(os.environ), None, settings.environment)
    audit = AuditLog(Path(settings.audit_dir), context, secrets)
    located = report.located_findings  # the dry run's advisories too: suppressible and blocking alike
    unlocated = [a for a in (report.plan.advisories if report.plan else ()) if a.path is None and a.blocking]
    audit.record(
        "check",
        # A check never applies anything: skipped when it passed.
        {"fail": "failed", "cancelled": "cancelled"}.get(report.verdict, "skipped"),
        reason=report.refused,
        findings=[f"{f.rule}@{f.path}:{f.line}" for f in located if f.blocking]
        + [f"{a.rule}@{a.object}" for a in unlocated],
        verdict=report.verdict,
        blocking_count=report.blocking_count,
        warning_count=report.warning_count,
        changed=list(report.changed),
        pull_request=ctx.pr_number,
        suppressions=[
            {"rule": f.rule, "path": f.path, "line": f.line, "reason": f.reason}
            for f in located
            if f.suppressed
        ],
    )
    return str(audit.path) if audit.path else ""


def _comment(body: str, settings: ActionSettings, ctx: GitHubContext) -> str:
    from migration_guard.github.client import make_client
    from migration_guard.github.comment import upsert_comment

    token = settings.github_token.get_secret_value() if settings.github_token else ""
    if not token:
        workflow.warning("no `github-token`: the report is in the step summary only")
        return ""
    outcome = upsert_comment(make_client(token, ctx.api_url), ctx.repository, ctx.pr_number or 0, body,
                             settings.migrations_dir)
    if outcome.status == "failed":
        workflow.warning(
            f"could not post the report comment: {outcome.message}. The report is in the step summary.",
            title="migration-guard comment",
        )
        return ""
    return outcome.url


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(argparse.Namespace()))
