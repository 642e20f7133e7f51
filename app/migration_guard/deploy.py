"""The action's ``command: deploy``: report, gates, then apply, with every decision audited.

This module orchestrates; the steps live in ``migration_guard.flows`` and return their decisions as
plain ``GateRecord`` values, which are written here (audit log, summary, annotations) one by one.
Order (each refusal = an audit record with outcome ``refused``, one line, exit 1; nothing applied):

1. an emergency override is honoured only on ``workflow_dispatch`` with a reason of at least 15
   visible characters;
2. a database URL (environment secrets are released only after approval) and the `environment`;
3. the ledger is read and compared with the files (drift refused);
4. lint + dry run of the pending migrations → step summary and a comment on the commit's PR;
5. gates: a failing dry run (never overridable); blocking findings (overridable); a real review of
   the deployed migration files (overridable); environment protection (never overridable);
6. apply (advisory lock, lock_timeout, retries), then outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_guard import __version__, log
from migration_guard.apply.ledger import AppliedFacts
from migration_guard.apply.runner import RunOptions
from migration_guard.audit import AuditContext, AuditLog
from migration_guard.errors import UserError
from migration_guard.flows.override import MIN_REASON
from migration_guard.flows.records import OVERRIDDEN, REFUSED, GateRecord
from migration_guard.github import workflow
from migration_guard.interrupts import terminate_on_sigterm
from migration_guard.redact import describe_database, redact

if TYPE_CHECKING:
    from github import Github
    from migration_guard.apply.files import LocalMigration
    from migration_guard.checkrun import CheckReport
    from migration_guard.github.context import GitHubContext
    from migration_guard.settings import ActionSettings

__all__ = ["MIN_REASON", "DeployState", "deploy_secrets", "override_text", "render_summary", "run_deploy"]

Say = Callable[[str], None]


@dataclass
class DeployState:
    """What the run has decided so far (for the summary, the comment and the outputs)."""

    environment: str
    database: str
    override: bool
    reason: str | None
    gates: list[GateRecord] = field(default_factory=list)  # each gate's decision, in order
    pending: tuple[LocalMigration, ...] = ()
    applied: list[str] = field(default_factory=list)
    verdict: str = "refused"
    refusal: str | None = None
    failure: str | None = None
    cancelled: str | None = None  # the runner cancelled the job: what that left behind
    overridden_findings: list[str] = field(default_factory=list)
    pull_request: int | None = None
    actor: str | None = None
    triggering_actor: str | None = None


def _say(secrets: tuple[str, ...]) -> Say:
    def say(line: str) -> None:
        # Lines name migration files and quote server errors: never a workflow command of theirs
        # (a merged file named "…\r::stop-commands::x.sql" is applied by the Supabase CLI).
        print(workflow.no_commands(redact(line, secrets)), flush=True)

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
        with terminate_on_sigterm():  # a cancelled job (docker stop) still gets its records and summary
            code = _deploy(settings, ctx, audit, state, url, say)
    except KeyboardInterrupt:
        state.verdict = "cancelled"
        state.applied = [r["version"] for r in audit.records if r["event"] == "migration" and r["outcome"] == "applied"]
        state.cancelled = _cancel_text(state.applied, audit.records)
        workflow.error(state.cancelled, title="migration-guard deploy cancelled")
        say(state.cancelled)
        code = 130
    except UserError as exc:
        # Bad input found on the way (a missing folder, an unreachable database): a refusal too.
        _decide(audit, state, GateRecord("deploy", REFUSED, exc.message), say)
        code = 1
    except Exception as exc:  # a bug must still leave the audit record, the summary and the outputs
        state.verdict = "failed"
        state.failure = redact(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], secrets)
        workflow.error(state.failure, title="migration-guard deploy failed")
        say(state.failure)
        code = 1
    audit.record(
        "deploy",
        _final_outcome(state),
        reason=state.refusal or state.failure or state.cancelled or reason,
        override=settings.override,
        findings=state.overridden_findings,
        verdict=state.verdict,
        gates=[g.as_row() for g in state.gates],
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


def _cancel_text(applied: list[str], records: list[dict[str, Any]]) -> str:
    """What a cancelled run left behind, from its own audit records."""
    done = f"{len(applied)} migration(s) applied before it stay applied" if applied else "nothing was applied"
    inflight = next((r for r in records if r["event"] == "migration" and r["outcome"] == "cancelled"), None)
    during = f"; {inflight['version']} was running: {inflight['reason']}" if inflight else ""
    return f"the run was cancelled (SIGTERM or SIGINT): {done}{during}"


def deploy_secrets(settings: ActionSettings) -> tuple[str, ...]:
    """Every value that must never be printed: the inputs' secrets and the database password."""
    from migration_guard.apply.target import url_secrets

    out = list(settings.secrets())
    if settings.database_url:
        out += url_secrets(settings.database_url.get_secret_value())
    return tuple(dict.fromkeys(out))


def _final_outcome(state: DeployState) -> str:
    return {"applied": "applied", "up-to-date": "skipped", "failed": "failed", "cancelled": "cancelled"}.get(
        state.verdict, "refused"
    )


def _decide(audit: AuditLog, state: DeployState, record: GateRecord, say: Say) -> bool:
    """Write one gate's record (state, audit, annotations); True when it refused (stop here)."""
    state.gates.append(record)
    if record.pull_request is not None:
        state.pull_request = state.pull_request or record.pull_request
    if record.result == OVERRIDDEN:
        if record.gate == "findings":
            state.overridden_findings = list(record.findings)
        audit.record(
            f"gate:{record.gate}",
            "skipped",
            override=True,
            reason=state.reason,
            findings=list(record.findings),
            detail=record.reason,
        )
        return False
    if not record.refused:
        return False
    state.verdict = "refused"
    state.refusal = record.reason
    audit.record(
        f"gate:{record.gate}", "refused", reason=record.reason, override=state.override, findings=list(record.findings)
    )
    workflow.error(record.reason, title=f"migration-guard deploy refused ({record.gate})")
    say(f"refused ({record.gate}): {record.reason}")
    return True


def _deploy(
    settings: ActionSettings, ctx: GitHubContext, audit: AuditLog, state: DeployState, url: str, say: Say
) -> int:
    from migration_guard.apply.service import ApplyRequest, run_apply
    from migration_guard.flows import gates
    from migration_guard.flows.ledger import ledger_step
    from migration_guard.flows.override import override_gate

    for early in (
        override_gate(settings.override, state.reason, ctx.event_name),
        gates.inputs_gate(url, None if state.environment == "(unset)" else state.environment),
    ):
        if early is not None and _decide(audit, state, early, say):
            return 1

    directory = Path(settings.migrations_dir)
    ledger = ledger_step(url, directory, settings.allow_out_of_order)
    drift = gates.drift_gate(ledger.problems)
    if drift is not None and _decide(audit, state, drift, say):
        return 1
    state.pending = ledger.pending
    if not state.pending:
        state.verdict = "up-to-date"
        say(f"{state.database} is up to date: nothing to deploy")
        return 0

    gh = _client(settings, ctx)
    report = _check(settings, ctx, state)
    _publish_report(report, settings, ctx, state, gh, say)

    # One at a time: a refusal stops before the next gate asks GitHub anything.
    steps: list[Callable[[], GateRecord]] = [
        lambda: gates.dry_run_gate(report),
        lambda: gates.findings_gate(report, settings.override),
        lambda: gates.review_gate(gh, ctx, settings.migrations_dir, settings.require_approval, settings.override),
        lambda: gates.pinning_gate(gh, ctx, settings.migrations_dir, [m.path for m in state.pending],
                                   state.pull_request, settings.require_checked, settings.override),
        lambda: gates.environment_gate(gh, ctx, state.environment, settings.protected_environments),
    ]
    for step in steps:
        if _decide(audit, state, step(), say):
            return 1

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
        gates=[g.as_row() for g in state.gates if g.result == OVERRIDDEN],
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
    overridden = [f"{g.gate} ({g.reason})" for g in state.gates if g.result == OVERRIDDEN] or ["nothing was blocked"]
    return (
        f"⚠️ Emergency override of the deploy to `{state.environment}` at {ctx.sha[:12] or 'this commit'}\n\n"
        f"- reason: {state.reason}\n"
        f"- requested by: {ctx.actor or 'unknown'} (run started by {ctx.triggering_actor or 'unknown'})\n"
        f"- gates overridden: {'; '.join(overridden)}\n"
        f"- run: {ctx.run_url or 'n/a'}\n"
    )


def render_summary(state: DeployState) -> str:
    """The deploy's step summary. Gate reasons, refusals and failures quote file names and the
    server's error text (the merged SQL's RAISE): escaped like the check's report."""
    from migration_guard.report import escape as esc

    lines = [f"## Deploy to `{state.environment}`: {state.verdict}", "", f"Database: `{state.database}`", ""]
    if state.override:
        lines += [
            f"> ⚠️ **Emergency override** — reason: {esc.inline(state.reason or '(none)')} — requested by "
            f"{state.actor or 'unknown'} (run started by {state.triggering_actor or 'unknown'})",
            "",
        ]
    if state.gates:
        lines += ["| Gate | Result | Why |", "| --- | --- | --- |"]
        for g in state.gates:
            lines.append(f"| {g.gate} | {g.result} | {esc.inline(g.reason)} |")
        lines.append("")
    if state.pending:
        lines.append("| Migration | Applied |")
        lines.append("| --- | --- |")
        for m in state.pending:
            lines.append(f"| {esc.code_cell(m.path.name)} | {'yes' if m.version in state.applied else 'no'} |")
        lines.append("")
    if state.refusal:
        lines += [f"**Refused:** {esc.inline(state.refusal)}", ""]
    if state.cancelled:
        lines += [f"**Cancelled:** {esc.inline(state.cancelled)}", ""]
    if state.failure:
        lines += [
            f"**Failed:** {esc.inline(state.failure)}",
            "",
            "Nothing is rolled back automatically: fix forward with a new migration (see docs/deploying.md).",
            "",
        ]
    return "\n".join(lines)
