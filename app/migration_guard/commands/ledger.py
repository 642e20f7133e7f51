"""`migration-guard ledger repair`: fix the migration ledger by hand, like `supabase migration repair`.

For histories edited outside the tool (a migration applied by hand in the SQL editor, a file
renamed, a row deleted): ``--status applied VERSION…`` records the local files as applied (their
statements split as the CLI splits them, replacing a row already there); ``--status reverted
VERSION…`` removes the versions' rows. Nothing else runs: no migration SQL, no schema change.
It says what it will change and asks first (``--yes`` to skip; without a terminal ``--yes`` is
required), takes the deploy's advisory lock so it never races a deploy, and audits every row.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.commands.apply import URL_ENV, database_url, open_database, resolve_defaults
from migration_guard.errors import UserError

if TYPE_CHECKING:
    from migration_guard.apply.files import LocalMigration
    from migration_guard.apply.ledger import LedgerRow

HELP = "fix the migration ledger by hand (like `supabase migration repair`), asked first and audited"
DESCRIPTION = (
    "ledger repair --status applied VERSION…: record local migration files as applied without running "
    "them (replacing a recorded row). ledger repair --status reverted VERSION…: remove versions from the "
    "ledger without undoing anything. Shows the change and asks first (--yes to skip). Exit status: "
    "0 repaired or nothing to do, 1 cancelled or refused, 2 usage, input or connection error."
)
STATUSES = ("applied", "reverted")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="repair", required=True)
    repair = sub.add_parser(
        "repair",
        help="mark versions applied or reverted in the ledger",
        description=DESCRIPTION,
    )
    repair.add_argument("--status", required=True, choices=STATUSES,
                        help="applied: record the local files as applied; reverted: remove the versions' rows")
    repair.add_argument("versions", nargs="+", metavar="VERSION", help="migration versions (the digits before _)")
    repair.add_argument("--database-url", help=f"target database (default: ${URL_ENV[0]} or ${URL_ENV[1]})")
    repair.add_argument(
        "--dir", type=Path, help="migrations folder (default: supabase/migrations under the project root)"
    )
    repair.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    repair.add_argument("--audit-dir", type=Path,
                        help="folder for the audit log (default: .migration-guard/audit under the project root)")
    repair.add_argument("--environment", help="environment name recorded in the audit (e.g. staging)")
    repair.add_argument("--wait", default="10s", help="how long to wait for a running deploy's lock (default 10s)")


def plan(
    status: str, versions: list[str], local: dict[str, LocalMigration], ledger: dict[str, LedgerRow]
) -> list[tuple[str, str]]:
    """(version, what changes) per version; "" = nothing to do for that version."""
    out = []
    for version in versions:
        row = ledger.get(version)
        if status == "reverted":
            out.append((version, f"remove {version} ({row.name or 'unnamed'}) from the ledger" if row else ""))
            continue
        file = local[version]
        count = f"{len(file.statements)} statement{'' if len(file.statements) == 1 else 's'}"
        if row is None:
            out.append((version, f"record {file.path.name} as applied ({count}), without running it"))
        elif row.statements is None or tuple(row.statements) != file.statements or row.name != file.name:
            out.append((version, f"replace the recorded row of {version} with {file.path.name} ({count})"))
        else:
            out.append((version, ""))
    return out


def _confirm(assume_yes: bool, count: int) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("not a terminal, so no one can confirm: pass --yes to repair the ledger without asking")
    print(f"Change {count} ledger row(s)? [y/N] ", end="", flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    import psycopg

    from migration_guard.apply import ledger as ledger_mod
    from migration_guard.apply import lock
    from migration_guard.apply.durations import parse_ms
    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import database_error
    from migration_guard.apply.target import url_secrets
    from migration_guard.audit import AuditContext, AuditLog
    from migration_guard.redact import describe_database, redact

    bad = [v for v in args.versions if not v.isdigit()]
    if bad:
        raise UserError(f"{bad[0]!r} is not a migration version (the digits before the first _ of the file name)")
    versions = list(dict.fromkeys(args.versions))
    wait_s = parse_ms(args.wait, "--wait") / 1000
    resolve_defaults(args)
    url = database_url(args)
    secrets = url_secrets(url)
    local = {m.version: m for m in load_local(args.dir).migrations}
    if args.status == "applied":
        missing = [v for v in versions if v not in local]
        if missing:
            raise UserError(
                f"{args.dir}: no local file for version {missing[0]} (<version>_<name>.sql); --status applied "
                "records a local file's statements"
            )

    def say(line: str) -> None:
        print(redact(line, secrets), flush=True)

    conn = open_database(url)
    audit = AuditLog(args.audit_dir, AuditContext.from_env(os.environ, url, args.environment), secrets)
    try:
        ledger = {r.version: r for r in ledger_mod.read_ledger(conn)}
        changes = plan(args.status, versions, local, ledger)
        todo = [(v, what) for v, what in changes if what]
        for v, what in changes:
            say(f"  {what}" if what else f"  {v}: already {args.status}, nothing to do")
        if not todo:
            say(f"{describe_database(url)}: nothing to repair")
            return 0
        if not _confirm(args.yes, len(todo)):
            audit.record("ledger-repair", "refused", reason="cancelled at the confirmation prompt",
                         versions=[v for v, _ in todo], status=args.status)
            say("cancelled: the ledger was not changed")
            return 1
        try:
            lock.acquire(conn, wait_s)
        except UserError as exc:
            audit.record("ledger-repair", "refused", reason=exc.message, versions=[v for v, _ in todo])
            raise
        try:
            if args.status == "applied":
                ledger_mod.ensure_ledger(conn)
            rows = [(v, local[v].name, list(local[v].statements)) if v in local else (v, "", []) for v, _ in todo]
            ledger_mod.repair(conn, args.status, rows)
        finally:
            lock.release(conn)
        for v, what in todo:
            file = local.get(v)
            audit.record("ledger-repair", "applied", version=v, checksum=file.checksum if file else None,
                         reason=what, status=args.status, name=file.name if file else ledger[v].name)
    except psycopg.Error as exc:
        error = database_error(url, exc)
        audit.record("ledger-repair", "failed", reason=error.message)
        raise error from None
    finally:
        conn.close()
    say(f"Repaired migration history: {', '.join(v for v, _ in todo)} => {args.status}")
    if audit.path is not None:
        say(f"audit: {audit.path}")
    return 0
