"""`migration-guard status`: which migrations are applied, pending or drifted on a database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.commands.apply import URL_ENV, database_url, open_database, resolve_defaults

if TYPE_CHECKING:  # the database driver is imported when the command runs (see apply.py)
    from migration_guard.apply.drift import Comparison

HELP = "show applied / pending / drifted migrations for a database"
DESCRIPTION = (
    "Compare the local migration files with the database's ledger (supabase_migrations.schema_migrations): "
    "applied, pending, drifted (statements changed after they were applied), missing locally, out of order. "
    "The counts line counts exactly the rows listed, and every problem is listed. Exit status: 0 no "
    "problems, 1 problems (what `apply` would refuse), 2 usage, input or connection error."
)
# The order states are counted in; each row of the table has exactly one.
STATES = ("applied", "pending", "drifted", "missing-locally", "out-of-order")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help=f"database to inspect (default: ${URL_ENV[0]} or ${URL_ENV[1]})")
    parser.add_argument(
        "--dir", type=Path, help="migrations folder (default: supabase/migrations under the project root)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--allow-out-of-order", action="store_true", help="count older unapplied files as pending rather than a problem"
    )


def render_text(state: Comparison, database: str) -> str:
    rows = [("VERSION", "STATE", "NAME", "APPLIED AT", "DETAIL")]
    for e in state.entries:
        rows.append((e.version, e.state, e.name, e.applied_at or "", e.detail))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"database: {database}"]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + ("  " + r[4] if r[4] else ""))
    lines.append(count_line(state))
    lines.extend(f"warning: {w}" for w in state.warnings)
    lines.extend(f"problem: {p}" for p in state.problems)
    return "\n".join(lines)


def counts(state: Comparison) -> dict[str, int]:
    return {s: sum(1 for e in state.entries if e.state == s) for s in STATES}


def count_line(state: Comparison) -> str:
    """``2 applied, 1 pending, 0 drifted`` plus any other state present, and the problems: the
    numbers are those of the rows above (pending counts pending rows even when a problem blocks them)."""
    n = counts(state)
    parts = [f"{n['applied']} applied", f"{n['pending']} pending", f"{n['drifted']} drifted"]
    parts += [f"{n[s]} {s.replace('-', ' ')}" for s in STATES[3:] if n[s]]
    line = ", ".join(parts)
    if state.problems:
        line += f"; {len(state.problems)} problem(s), so apply would refuse to run anything"
    return line


def run(args: argparse.Namespace) -> int:
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import database_error, read_state
    from migration_guard.redact import describe_database

    resolve_defaults(args)
    url = database_url(args)
    files = load_local(args.dir)
    conn = open_database(url)
    try:
        state = read_state(conn, files, args.allow_out_of_order)
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    finally:
        conn.close()
    database = describe_database(url)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "database": database,
                    "migrations": [e.to_json() for e in state.entries],
                    "pending": [e.version for e in state.entries if e.state == "pending"],
                    "counts": counts(state),
                    "warnings": list(state.warnings),
                    "problems": list(state.problems),
                },
                indent=2,
            )
        )
    else:
        print(render_text(state, database))
    return 1 if state.problems else 0
