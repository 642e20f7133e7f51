"""`migration-guard status`: which migrations are applied, pending or drifted on a database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.commands.apply import URL_ENV, database_url, resolve_defaults

if TYPE_CHECKING:  # the database driver is imported when the command runs (see apply.py)
    from migration_guard.apply.drift import Comparison

HELP = "show applied / pending / drifted migrations for a database"


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
    counts = {s: sum(1 for e in state.entries if e.state == s) for s in ("applied", "pending", "drifted")}
    lines.append(f"{counts['applied']} applied, {len(state.pending)} pending, {counts['drifted']} drifted")
    lines.extend(f"problem: {p}" for p in state.problems)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import connect, database_error, read_state
    from migration_guard.redact import describe_database

    resolve_defaults(args)
    url = database_url(args)
    files = load_local(args.dir)
    conn = connect(url)
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
                    "pending": [m.version for m in state.pending],
                    "problems": list(state.problems),
                },
                indent=2,
            )
        )
    else:
        print(render_text(state, database))
    return 1 if state.problems else 0
