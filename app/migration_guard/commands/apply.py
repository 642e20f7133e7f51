"""`migration-guard apply`: apply pending migrations with the Supabase ledger, a lock, timeouts and retries."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.errors import UserError

# The heavy modules (psycopg, pglast) are imported when the command runs: every CLI invocation
# builds the parser, and `lint` should not pay for the database driver.
if TYPE_CHECKING:
    from migration_guard.apply.files import LocalMigration
    from migration_guard.apply.service import ApplyRequest

HELP = "apply pending migrations (Supabase ledger, advisory lock, lock_timeout, retries)"
DESCRIPTION = (
    "Apply pending migrations in version order, each file in one transaction with its "
    "supabase_migrations.schema_migrations row (files marked `-- migration-guard: no-transaction` run "
    "statement by statement). Refuses edited-after-apply files, applied versions missing locally and "
    "out-of-order files before anything runs. Never rolls back earlier files: recovery is fix-forward."
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


def build_request(args: argparse.Namespace, url: str) -> ApplyRequest:
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
    facts = AppliedFacts(
        applied_by=ctx.actor,
        triggering_actor=ctx.triggering_actor,
        environment=ctx.environment,
        sha=ctx.sha,
        ref=ctx.ref,
        run_url=ctx.run_url,
    )
    return ApplyRequest(
        database_url=url,
        directory=args.dir,
        options=options,
        lock_wait_s=parse_ms(args.wait, "--wait") / 1000,
        allow_out_of_order=args.allow_out_of_order,
        dry_run=args.dry_run,
        facts=facts,
    )


def ask(pending: tuple[LocalMigration, ...]) -> bool:
    print(f"Apply {len(pending)} migration(s)? [y/N] ", end="", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from migration_guard.apply.service import run_apply
    from migration_guard.apply.target import url_secrets
    from migration_guard.audit import AuditContext, AuditLog
    from migration_guard.redact import redact

    resolve_defaults(args)
    url = database_url(args)
    request = build_request(args, url)
    if not (args.yes or args.dry_run or sys.stdin.isatty()):
        raise UserError("not a terminal, so no one can confirm: pass --yes to apply without asking (CI)")
    secrets = url_secrets(url)

    def say(line: str) -> None:
        print(redact(line, secrets), flush=True)

    audit = AuditLog(args.audit_dir, AuditContext.from_env(os.environ, url, args.environment), secrets)
    confirm = None if (args.yes or args.dry_run) else ask
    outcome = run_apply(request, audit, say, confirm)
    if audit.path is not None:
        say(f"audit: {audit.path}")
    if outcome.verdict == "applied":
        say(f"done: {outcome.applied_count} migration(s) applied")
    return outcome.exit_code
