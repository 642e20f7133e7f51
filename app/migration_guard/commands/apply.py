"""`migration-guard apply`: apply pending migrations with the Supabase ledger, a lock, timeouts and retries."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_guard.errors import UserError

# The heavy modules (psycopg, pglast) are imported when the command runs: every CLI invocation
# builds the parser, and `lint` should not pay for the database driver.
if TYPE_CHECKING:
    import psycopg

    from migration_guard.apply.files import LocalMigration
    from migration_guard.apply.service import ApplyRequest
    from migration_guard.audit import AuditLog

HELP = "apply pending migrations (Supabase ledger, advisory lock, lock_timeout, retries)"
DESCRIPTION = (
    "Apply pending migrations in version order, each file in one transaction with its "
    "supabase_migrations.schema_migrations row (files marked `-- migration-guard: no-transaction` run "
    "statement by statement). First lints the pending files (earlier files as context) and refuses "
    "blocking findings unless --override-reason says why (recorded in the audit). Refuses files whose "
    "statements changed after they were applied (a comment- or whitespace-only edit is a warning), "
    "applied versions missing locally and out-of-order files before anything runs. Never rolls back "
    "earlier files: recovery is fix-forward. Exit status: 0 applied or up to date, 1 refused or a "
    "migration failed, 2 usage, input or connection error."
)

URL_ENV = ("MIGRATION_GUARD_DATABASE_URL", "DATABASE_URL")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help=f"target database (default: ${URL_ENV[0]} or ${URL_ENV[1]})")
    parser.add_argument(
        "--dir", type=Path, help="migrations folder (default: supabase/migrations under the project root)"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (CI)")
    parser.add_argument("--dry-run", action="store_true", help="show what would run; change nothing")
    parser.add_argument(
        "--audit-dir",
        type=Path,
        help="folder for this run's audit log, JSON lines (default: .migration-guard/audit under the project root, "
        "git-ignored)",
    )
    parser.add_argument("--environment", help="environment name recorded in the audit (e.g. staging)")
    parser.add_argument("--lock-timeout", default="3s", help="lock_timeout for migration statements (default 3s)")
    parser.add_argument("--statement-timeout", default="0", help="statement_timeout (default 0 = none)")
    parser.add_argument("--retries", type=int, default=5, help="retries of a file whose lock wait timed out")
    parser.add_argument("--retry-delay", default="1s", help="first retry delay; doubles each retry, with jitter")
    parser.add_argument("--wait", default="10s", help="how long to wait for another deploy's lock (default 10s)")
    parser.add_argument(
        "--allow-out-of-order", action="store_true", help="apply pending files older than the newest applied one"
    )
    parser.add_argument(
        "--override-reason",
        metavar="TEXT",
        help="apply despite blocking lint findings, saying why (at least 15 characters; recorded in the audit "
        "log and the sidecar table)",
    )


def database_url(args: argparse.Namespace) -> str:
    from migration_guard.apply.target import url_secrets
    from migration_guard.log import add_secret

    url = args.database_url or next((os.environ[k] for k in URL_ENV if os.environ.get(k)), None)
    if not url:
        raise UserError(f"no database URL: pass --database-url or set {URL_ENV[0]}")
    for secret in url_secrets(url):
        add_secret(secret)
    return str(url)


def resolve_defaults(args: argparse.Namespace) -> None:
    """Flags win over the project settings (MIGRATION_GUARD_* / migration-guard.toml), then defaults;
    defaults are under the project root found from the current folder."""
    from migration_guard.local.project import audit_dir, migrations_dir, require_folder

    args.dir = require_folder(migrations_dir(args.dir))
    if hasattr(args, "audit_dir"):
        args.audit_dir = audit_dir(args.audit_dir)


def open_database(url: str) -> psycopg.Connection[Any]:
    """Connect as the deploy does (transaction poolers refused); an unreachable database is an input
    error (exit 2), the same for every command."""
    import psycopg

    from migration_guard.apply.service import connect

    try:
        return connect(url)
    except UserError as exc:
        raise UserError(exc.message, exit_code=2) from None
    except psycopg.Error as exc:  # pragma: no cover - connect() already turns these into one line
        raise UserError(f"cannot connect: {type(exc).__name__}", exit_code=2) from None


def build_request(args: argparse.Namespace, url: str, findings: tuple[str, ...] = ()) -> ApplyRequest:
    from migration_guard.apply.durations import parse_ms
    from migration_guard.apply.ledger import AppliedFacts
    from migration_guard.apply.runner import RunOptions
    from migration_guard.apply.service import ApplyRequest
    from migration_guard.audit import AuditContext

    if args.retries < 0:
        raise UserError("--retries must be 0 or more")
    options = RunOptions(
        lock_timeout_ms=parse_ms(args.lock_timeout, "--lock-timeout"),
        statement_timeout_ms=parse_ms(args.statement_timeout, "--statement-timeout"),
        retries=args.retries,
        retry_base_s=parse_ms(args.retry_delay, "--retry-delay") / 1000,
    )
    ctx = AuditContext.from_env(os.environ, url, args.environment)
    reason = args.override_reason if findings else None
    facts = AppliedFacts(
        applied_by=ctx.actor,
        triggering_actor=ctx.triggering_actor,
        environment=ctx.environment,
        sha=ctx.sha,
        ref=ctx.ref,
        run_url=ctx.run_url,
        override_reason=reason,
        findings_overridden=findings,
    )
    return ApplyRequest(
        database_url=url,
        directory=args.dir,
        options=options,
        lock_wait_s=parse_ms(args.wait, "--wait") / 1000,
        allow_out_of_order=args.allow_out_of_order,
        dry_run=args.dry_run,
        facts=facts,
        override_reason=reason,
    )


def ask(pending: tuple[LocalMigration, ...]) -> bool:
    print(f"Apply {len(pending)} migration(s)? [y/N] ", end="", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from migration_guard.apply.service import run_apply
    from migration_guard.apply.target import url_secrets
    from migration_guard.audit import AuditContext, AuditLog
    from migration_guard.local.gate import check_reason
    from migration_guard.redact import redact

    resolve_defaults(args)
    args.override_reason = check_reason(args.override_reason)
    url = database_url(args)
    build_request(args, url)  # bad durations and retries are usage errors before anything connects
    if not (args.yes or args.dry_run or sys.stdin.isatty()):
        raise UserError("not a terminal, so no one can confirm: pass --yes to apply without asking (CI)")
    secrets = url_secrets(url)

    def say(line: str) -> None:
        print(redact(line, secrets), flush=True)

    audit = AuditLog(args.audit_dir, AuditContext.from_env(os.environ, url, args.environment), secrets)
    overridden = preflight(args, url, audit, say)
    if overridden is None:
        if audit.path is not None:
            say(f"audit: {audit.path}")
        return 1
    request = build_request(args, url, overridden)
    confirm = None if (args.yes or args.dry_run) else ask
    outcome = run_apply(request, audit, say, confirm)
    if audit.path is not None:
        say(f"audit: {audit.path}")
    if outcome.verdict == "applied":
        say(f"done: {outcome.applied_count} migration(s) applied")
    return outcome.exit_code


def preflight(
    args: argparse.Namespace, url: str, audit: AuditLog, say: Callable[[str], None]
) -> tuple[str, ...] | None:
    """Read the ledger, show drift warnings, lint the pending files. Returns the blocking findings
    the override lets through (empty when none), or None when the apply is refused."""
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import database_error, read_state
    from migration_guard.local.gate import finding_line, lint_pending

    files = load_local(args.dir)
    conn = open_database(url)
    try:
        state = read_state(conn, files, args.allow_out_of_order)
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    finally:
        conn.close()
    for warning in state.warnings:
        say(f"warning: {warning}")
    if state.problems or not state.pending:
        return ()  # run_apply refuses the problems (audited) or says it is up to date
    gate = lint_pending(files, state.pending, supabase_mode(), args.dir)
    for f in gate.findings:
        say(finding_line(f))
    if gate.passed:
        return ()
    if args.override_reason is None:
        reason = (
            f"{len(gate.blocking)} blocking finding(s) in the pending migrations; fix them, suppress one with a "
            "reason (`-- migration-guard: allow <rule> -- <why>` above the statement), or pass "
            "--override-reason TEXT"
        )
        say(f"refused: {reason}")
        audit.record("gate:findings", "refused", reason=reason, findings=list(gate.blocking))
        return None
    say(f"override: {len(gate.blocking)} blocking finding(s) let through: {args.override_reason}")
    audit.record(
        "gate:findings", "skipped", override=True, reason=args.override_reason, findings=list(gate.blocking)
    )
    return gate.blocking


def supabase_mode() -> str:
    from migration_guard.local.project import find_root, has_settings

    root = find_root()
    if not has_settings(root):
        return "auto"
    from migration_guard.settings import load_project_settings

    return load_project_settings(root).supabase
