"""`migration-guard seed`: fill a local database with realistic synthetic rows from its catalog."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import psycopg

from migration_guard.errors import UserError
from migration_guard.local.target import require_local
from migration_guard.log import add_secret
from migration_guard.redact import describe_database

SeedFunction = Callable[..., list[Any]]

HELP = "fill a local database with realistic synthetic rows generated from its schema"
DESCRIPTION = (
    "Generate --synthetic N rows per table from the catalog: types, NOT NULL, CHECK limits, UNIQUE, "
    "foreign keys (parents first), enum values, and plausible names, e-mails, dates, URLs and phone "
    "numbers by column name (Faker). Deterministic with --seed-value. A foreign key to auth.users "
    "creates users too. All rows or none (one transaction). Never copies production data."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", required=True, help="the local database to fill (never printed)")
    parser.add_argument("--synthetic", type=int, required=True, metavar="N", help="rows to generate per table")
    parser.add_argument(
        "--table",
        nargs="+",
        default=[],
        metavar="T",
        help="only these tables ([schema.]name); referenced empty tables and auth.users are filled too",
    )
    parser.add_argument("--seed-value", type=int, default=None, metavar="S", help="same value → same rows")
    parser.add_argument("--schema", default="public", help="schema whose tables are filled (default: public)")
    parser.add_argument(
        "--force-remote",
        action="store_true",
        help="allow a database that is not on localhost / a unix socket (never production)",
    )


def _generator() -> SeedFunction:
    """The generator, which needs Faker: an optional extra, not in the action's image."""
    try:
        from migration_guard.local.synthetic import seed_synthetic
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "faker":
            raise
        raise UserError("seed --synthetic needs Faker: pip install 'migration-guard[seed]'") from None
    return seed_synthetic


def run(args: argparse.Namespace) -> int:
    url: str = args.database_url
    add_secret(url)
    if args.synthetic < 1:
        raise UserError("--synthetic N must be at least 1")
    seed_synthetic = _generator()
    require_local(url, args.force_remote, action="seed")
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        from migration_guard.apply.target import url_secrets
        from migration_guard.redact import redact

        raise UserError(f"cannot connect to {describe_database(url)}: {redact(first, url_secrets(url))}") from None

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    with conn:
        try:
            results = seed_synthetic(conn, args.synthetic, args.schema, list(args.table), args.seed_value, say)
        except psycopg.Error as exc:
            message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
            raise UserError(f"seed failed, no rows were added: {message}", exit_code=1) from None
    for r in results:
        extra = f", {r.skipped} skipped" if r.skipped else ""
        note = f" ({r.note})" if r.note else ""
        print(f"{r.table}: {r.inserted} row(s){extra}{note}")
    print(f"seeded {describe_database(url)}: {sum(r.inserted for r in results)} row(s) in {len(results)} table(s)")
    return 0
