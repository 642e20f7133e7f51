"""The action's ``command: deploy``: report, gates, then apply, with every decision audited.

Order (each refusal = an audit record with outcome ``refused``, one line, exit 1; nothing applied):

1. an emergency override needs a reason of at least 15 characters;
2. a database URL (environment secrets are released only after approval) and the `environment`;
3. the ledger is read and compared with the files (drift refused);
4. lint + dry run of the pending migrations → step summary and a comment on the commit's PR;
5. gates: a failing dry run (never overridable); blocking findings (overridable); human review of
   the commit's pull request (overridable); environment protection (never overridable);
6. apply (advisory lock, lock_timeout, retries), then outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard import __version__, log
from migration_guard.apply.ledger import AppliedFacts
from migration_guard.apply.runner import RunOptions
from migration_guard.audit import AuditContext, AuditLog
from migration_guard.errors import UserError
from migration_guard.github import workflow
from migration_guard.redact import describe_database, redact

if TYPE_CHECKING:
    from github import Github
    from migration_guard.apply.files import LocalMigration
    from migration_guard.checkrun import CheckReport
    from migration_guard.github.context import GitHubContext
    from migration_guard.github.gates import GateResult
    from migration_guard.settings import ActionSettings

MIN_REASON = 15
Say = Callable[[str], None]


@dataclass
class DeployState:
    """What the run has decided so far (for the summary, the comment and the outputs)."""

    environment: str
    database: str
    override: bool
    reason: str | None
    gates: list[tuple[str, str, str]] = field(default_factory=list)  # (gate, passed|refused|overridden, why)
    pending: tuple[LocalMigration, ...] = ()
    applied: list[str] = field(default_factory=list)
    verdict: str = "refused"
    refusal: str | None = None
    failure: str | None = None
    overridden_findings: list[str] = field(default_factory=list)
    pull_request: int | None = None
    actor: str | None = None
    triggering_actor: str | None = None


def _say(secrets: tuple[str, ...]) -> Say:
    def say(line: str) -> None:
        print(redact(line, secrets), flush=True)

    return say


def run_deploy(settings: ActionSettings, ctx: GitHubContext) -> int:
    if ctx.workspace.is_dir():
        os.chdir(ctx.workspace)  # migrations-dir and audit-dir are relative to the repository
    url = settings.database_url.get_secret_value() if settings.database_url else ""
    secrets = deploy_secrets(settings)
    for extra in secrets:
        if extra not in settings.secrets():  # the password alone: prepare() masked only whole values
            workflow.add_mask(extra)
            log.add_secret(extra)
    environment = (settings.environment or "").strip()
    attempt = os.environ.get("GITHUB_RUN_ATTEMPT", "")
    context = AuditContext(
        environment=environment or None,
        actor=ctx.actor or None,
        triggering_actor=ctx.triggering_actor or None,
        sha=ctx.sha or None,
        ref=ctx.ref or None,
        run_url=ctx.run_url or None,
        database=describe_database(url) if url else None,
        run_id=f"{ctx.run_id}-{attempt}" if ctx.run_id and attempt else ctx.run_id,
    )
    audit = AuditLog(Path(settings.audit_dir), context, secrets)
    reason = (settings.override_reason or "").strip() or None
    state = DeployState(
        environment or "(unset)",
        context.database or "(none)",
        settings.override,
        reason,
        actor=ctx.actor or None,
        triggering_actor=ctx.triggering_actor or None,
    )
    say = _say(secrets)
    try:
        code = _deploy(settings, ctx, audit, state, url, say)
    except UserError as exc:
        # Bad input found on the way (a missing folder, an unreachable database): a refusal too.
        code = _refuse(audit, state, "deploy", exc.message, say)
    except Exception as exc:  # a bug must still leave the audit record, the summary and the outputs
        state.verdict = "failed"
        state.failure = redact(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], secrets)
        workflow.error(state.failure, title="migration-guard deploy failed")
        say(state.failure)
        code = 1
    audit.record(
        "deploy",
        _final_outcome(state),
        reason=state.refusal or state.failure or reason,
        override=settings.override,
        findings=state.overridden_findings,
        verdict=state.verdict,
        gates=[{"gate": g, "result": r, "reason": why} for g, r, why in state.gates],
        applied=state.applied,
        pending=[m.version for m in state.pending],
        tool_version=__version__,
    )
    workflow.append_summary(redact(render_summary(state), secrets))
    workflow.set_outputs(
        {
            "applied-count": str(len(state.applied)),
            "pending-count": str(len(state.pending)),
            "audit-file": str(audit.path or ""),
            "verdict": state.verdict,
        }
    )
    print(
        f"migration-guard: deploy {state.verdict}: {len(state.applied)} applied, {len(state.pending)} pending "
        f"({state.environment}, {state.database})",
        flush=True,
    )
    return code


def deploy_secrets(settings: ActionSettings) -> tuple[str, ...]:
    """Every value that must never be printed: the inputs' secrets and the database password."""
    from migration_guard.apply.target import url_secrets

    out = list(settings.secrets())
    if settings.database_url:
        out += url_secrets(settings.database_url.get_secret_value())
    return tuple(dict.fromkeys(out))


def _final_outcome(state: DeployState) -> str:
    return {"applied": "applied", "up-to-date": "skipped", "failed": "failed"}.get(state.verdict, "refused")


def _refuse(
    audit: AuditLog, state: DeployState, gate: str, why: str, say: Say, findings: list[str] | None = None
) -> int:
    state.verdict = "refused"
    state.refusal = why
    state.gates.append((gate, "refused", why))
    audit.record(f"gate:{gate}", "refused", reason=why, override=state.override, findings=findings or [])
    workflow.error(why, title=f"migration-guard deploy refused ({gate})")
    say(f"refused ({gate}): {why}")
    return 1


def _deploy(
    settings: ActionSettings, ctx: GitHubContext, audit: AuditLog, state: DeployState, url: str, say: Say
) -> int:
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import ApplyRequest, connect, database_error, read_state, run_apply

    if settings.override and (state.reason is None or len(state.reason) < MIN_REASON):
        return _refuse(
            audit,
            state,
            "override",
            f"an emergency override needs `override-reason` of at least {MIN_REASON} characters "
            "saying why (it is audited and posted)",
            say,
        )
    if not url:
        return _refuse(
            audit,
            state,
            "database",
            "no `database-url`: store it as a secret of the GitHub environment and pass it to the "
            "action (environment secrets are released only after the environment's reviewers approve)",
            say,
        )
    if state.environment == "(unset)":
        return _refuse(
            audit,
            state,
            "environment",
            "no `environment` input: name the GitHub environment this job runs under "
            "(the job should declare the same `environment:`)",
            say,
        )

    directory = Path(settings.migrations_dir)
    files = load_local(directory)
    conn = connect(url)
    try:
        comparison = read_state(conn, files, settings.allow_out_of_order)
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    finally:
        conn.close()
    if comparison.problems:
        return _refuse(audit, state, "drift", "; ".join(comparison.problems), say)
    state.pending = comparison.pending
    if not state.pending:
        state.verdict = "up-to-date"
        say(f"{state.database} is up to date: nothing to deploy")
        return 0

    gh = _client(settings, ctx)
    report = _check(settings, ctx, state)
    _publish_report(report, settings, ctx, state, gh, say)

    # Gate: the dry run must pass (an override never lets a failing migration through).
    dry_failure = _dry_run_failure(report)
    if dry_failure:
        return _refuse(audit, state, "dry-run", dry_failure, say)
    state.gates.append(("dry-run", "passed", "the pending migrations replayed on a throwaway database"))

    blocking = [f for f in report.findings if f.blocking]
    if blocking:
        names = [f"{f.rule}@{f.path}:{f.line}" for f in blocking]
        if not settings.override:
            return _refuse(
                audit,
                state,
                "findings",
                f"{len(blocking)} blocking finding(s): {', '.join(names)}; "
                "fix them, suppress them with a reason, or use the emergency override",
                say,
                findings=names,
            )
        state.overridden_findings = names
        state.gates.append(("findings", "overridden", f"{len(blocking)} blocking finding(s) overridden"))
        audit.record("gate:findings", "skipped", override=True, reason=state.reason, findings=names)
    else:
        state.gates.append(("findings", "passed", "no blocking findings"))

    if settings.require_approval:
        result = _review(gh, ctx)
        state.pull_request = state.pull_request or result.pull_request
        if not result.passed:
            if not settings.override:
                return _refuse(audit, state, "review", result.reason, say)
            state.gates.append(("review", "overridden", result.reason))
            audit.record("gate:review", "skipped", override=True, reason=state.reason, detail=result.reason)
        else:
            state.gates.append(("review", "passed", result.reason))
    else:
        state.gates.append(("review", "passed", "not required (`require-approval: false`)"))

    protected = {e.strip().lower() for e in settings.protected_environments}
    if state.environment.lower() in protected:
        env_result = _environment(gh, ctx, state.environment)
        if not env_result.passed:
            return _refuse(audit, state, "environment", env_result.reason, say)
        state.gates.append(("environment", "passed", env_result.reason))
    else:
        state.gates.append(("environment", "passed", f"`{state.environment}` is not a protected environment"))

    if settings.override:
        _announce_override(settings, ctx, state, gh, audit, say)

    request = ApplyRequest(
        database_url=url,
        directory=directory,
        options=RunOptions(
            lock_timeout_ms=_ms(settings.lock_timeout, "lock-timeout"),
            statement_timeout_ms=_ms(settings.statement_timeout or "0", "statement-timeout"),
            retries=settings.retries,
        ),
        allow_out_of_order=settings.allow_out_of_order,
        facts=AppliedFacts(
            applied_by=ctx.actor or None,
            triggering_actor=ctx.triggering_actor or None,
            environment=state.environment,
            sha=ctx.sha or None,
            ref=ctx.ref or None,
            run_url=ctx.run_url or None,
            override_reason=state.reason if settings.override else None,
            findings_overridden=tuple(state.overridden_findings),
            tool_version=__version__,
        ),
        override_reason=state.reason if settings.override else None,
    )
    outcome = run_apply(request, audit, say)
    state.applied = [r.version for r in outcome.results if r.outcome == "applied"]
    if outcome.verdict == "failed":
        state.verdict = "failed"
        state.failure = outcome.reason
        workflow.error(outcome.reason or "a migration failed", title="migration-guard deploy failed")
    elif outcome.verdict == "refused":
        state.verdict = "refused"
        state.refusal = outcome.reason
    else:
        state.verdict = "applied" if state.applied else "up-to-date"
    return outcome.exit_code


def _ms(text: str, name: str) -> int:
    from migration_guard.apply.durations import parse_ms

    return parse_ms(text, f"input `{name}`")


def _client(settings: ActionSettings, ctx: GitHubContext) -> Github | None:
    from migration_guard.github.client import make_client

    token = settings.github_token.get_secret_value() if settings.github_token else ""
    return make_client(token, ctx.api_url) if token and ctx.repository else None


def _review(gh: Github | None, ctx: GitHubContext) -> GateResult:
    from migration_guard.github.gates import GateResult, check_review

    if gh is None:
        return GateResult("review", False, "no `github-token`: cannot check that the commit was reviewed")
    return check_review(gh, ctx.repository, ctx.sha)


def _environment(gh: Github | None, ctx: GitHubContext, environment: str) -> GateResult:
    from migration_guard.github.gates import GateResult, check_environment

    if gh is None:
        return GateResult("environment", False, f"no `github-token`: cannot check environment `{environment}`")
    return check_environment(gh, ctx.repository, environment)


def _check(settings: ActionSettings, ctx: GitHubContext, state: DeployState) -> CheckReport:
    from migration_guard.checkrun import CheckOptions, run_check

    opts = CheckOptions(
        migrations_dir=Path(settings.migrations_dir),
        changed=tuple(m.path for m in state.pending),
        supabase=settings.supabase,
        postgres=settings.postgres,
        postgres_url=settings.postgres_url.get_secret_value() if settings.postgres_url else None,
        stub_extensions=tuple(settings.stub_extensions),
        stats_url=settings.stats_url.get_secret_value() if settings.stats_url else None,
        fail_on="error",
        run_url=ctx.run_url,
        head=ctx.sha or None,
    )
    return run_check(opts)


def _dry_run_failure(report: CheckReport) -> str | None:
    if report.plan_error:
        return f"the dry run could not run: {report.plan_error}"
    if report.plan is not None:
        for run in report.plan.migrations:
            if run.new and run.status == "failed":
                where = f"{run.path}:{run.error.line}" if run.error else run.path
                message = run.error.message if run.error else "failed"
                return f"the dry run failed: {where}: {message}"
    return None


def _pull_number(gh: Github | None, ctx: GitHubContext, state: DeployState) -> int | None:
    if state.pull_request is not None or gh is None or not ctx.sha:
        return state.pull_request
    from migration_guard.github.gates import pulls_for_commit

    try:
        pulls = pulls_for_commit(gh, ctx.repository, ctx.sha)
    except Exception:  # the review gate reports GitHub problems; the comment is best effort
        return None
    state.pull_request = pulls[0].number if pulls else None
    return state.pull_request


def _publish_report(
    report: CheckReport,
    settings: ActionSettings,
    ctx: GitHubContext,
    state: DeployState,
    gh: Github | None,
    say: Say,
) -> None:
    from migration_guard.report.markdown import render_markdown, render_summary

    secrets = deploy_secrets(settings)
    workflow.append_summary(
        redact(f"## Deploy to `{state.environment}`: pre-deploy check\n\n" + render_summary(report), secrets)
    )
    number = _pull_number(gh, ctx, state)
    if gh is None or number is None or not settings.comment:
        return
    from migration_guard.github.comment import upsert_comment

    body = redact(f"### Deploy to `{state.environment}` ({ctx.sha[:12]})\n\n" + render_markdown(report), secrets)
    outcome = upsert_comment(gh, ctx.repository, number, body, f"{settings.migrations_dir}#deploy-{state.environment}")
    if outcome.status == "failed":
        workflow.warning(f"could not comment on #{number}: {outcome.message}", title="migration-guard comment")
    else:
        say(f"report posted on #{number}: {outcome.url}")


def _announce_override(
    settings: ActionSettings,
    ctx: GitHubContext,
    state: DeployState,
    gh: Github | None,
    audit: AuditLog,
    say: Say,
) -> None:
    text = override_text(state, ctx)
    audit.record(
        "override",
        "applied",
        override=True,
        reason=state.reason,
        findings=state.overridden_findings,
        gates=[g for g in state.gates if g[1] == "overridden"],
    )
    workflow.warning(text.replace("\n", " "), title="migration-guard emergency override")
    say(text)
    if gh is None:
        return
    body = redact(text, deploy_secrets(settings))
    from migration_guard.github.gates import lazy_repo

    try:
        if state.pull_request is not None:
            lazy_repo(gh, ctx.repository).get_issue(state.pull_request).create_comment(body)
        elif ctx.sha:
            lazy_repo(gh, ctx.repository).get_commit(ctx.sha).create_comment(body)
    except Exception as exc:
        from migration_guard.github.client import describe

        workflow.warning(f"could not post the override notice: {describe(exc)}", title="migration-guard comment")


def override_text(state: DeployState, ctx: GitHubContext) -> str:
    overridden = [f"{g[0]} ({g[2]})" for g in state.gates if g[1] == "overridden"] or ["nothing was blocked"]
    return (
        f"⚠️ Emergency override of the deploy to `{state.environment}` at {ctx.sha[:12] or 'this commit'}\n\n"
        f"- reason: {state.reason}\n"
        f"- requested by: {ctx.actor or 'unknown'} (run started by {ctx.triggering_actor or 'unknown'})\n"
        f"- gates overridden: {'; '.join(overridden)}\n"
        f"- run: {ctx.run_url or 'n/a'}\n"
    )


def render_summary(state: DeployState) -> str:
    lines = [f"## Deploy to `{state.environment}`: {state.verdict}", "", f"Database: `{state.database}`", ""]
    if state.override:
        lines += [
            f"> ⚠️ **Emergency override** — reason: {state.reason or '(none)'} — requested by "
            f"{state.actor or 'unknown'} (run started by {state.triggering_actor or 'unknown'})",
            "",
        ]
    if state.gates:
        lines += ["| Gate | Result | Why |", "| --- | --- | --- |"]
        for gate, result, why in state.gates:
            cell = why.replace("|", "\\|")
            lines.append(f"| {gate} | {result} | {cell} |")
        lines.append("")
    if state.pending:
        lines.append("| Migration | Applied |")
        lines.append("| --- | --- |")
        for m in state.pending:
            lines.append(f"| `{m.path.name}` | {'yes' if m.version in state.applied else 'no'} |")
        lines.append("")
    if state.refusal:
        lines += [f"**Refused:** {state.refusal}", ""]
    if state.failure:
        lines += [
            f"**Failed:** {state.failure}",
            "",
            "Nothing is rolled back automatically: fix forward with a new migration (see docs/deploying.md).",
            "",
        ]
    return "\n".join(lines)
