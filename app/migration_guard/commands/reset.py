"""`migration-guard reset`: drop the local development database's project schemas, replay, seed."""

from __future__ import annotations

import argparse
import sys

from migration_guard.apply.files import load_local
from migration_guard.errors import UserError
from migration_guard.local.project import migrations_dir, require_folder
from migration_guard.local.reset import ResetPlan, reset
from migration_guard.local.seeds import SEED_SETS, plan_seeds
from migration_guard.local.target import require_local
from migration_guard.log import add_secret
from migration_guard.redact import describe_database
from migration_guard.supabase import find_config, resolve_supabase

HELP = "reset a local development database: drop, replay all migrations, load seeds"
DESCRIPTION = (
    "For a local development database only (localhost, 127.0.0.1, ::1 or a unix socket): drop the "
    "project's schemas (public and the schemas the migrations create) and what the migrations created "
    "in Supabase's platform schemas, clear the migration ledger, replay every migration, then load the "
    "seeds as `supabase db reset` does ([db.seed] enabled and sql_paths in supabase/config.toml; default "
    "supabase/seed.sql), then supabase/seeds/<dev|test>/*.sql. Always asks for confirmation unless --yes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", required=True, help="the local development database (never printed)")
    parser.add_argument(
        "--dir",
        default=None,
        help="migrations folder (default: supabase/migrations under the project root, or migrations-dir from "
        "migration-guard.toml / MIGRATION_GUARD_MIGRATIONS_DIR); seeds are read from the supabase folder",
    )
    parser.add_argument(
        "--keep-data",
        nargs="+",
        default=[],
        metavar="TABLE",
        help="tables ([schema.]name) whose rows survive the reset (dumped before, restored after)",
    )
    parser.add_argument(
        "--seed",
        default=None,
        choices=[*SEED_SETS, "NONE"],
        help="seed set loaded after [db.seed] sql_paths: supabase/seeds/dev (default), supabase/seeds/test, or "
        "NONE for no seeds at all; with [db.seed] enabled = false only a set named here is loaded",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (required without a terminal)")
    parser.add_argument(
        "--force-remote",
        action="store_true",
        help="allow a database that is not on localhost / a unix socket (it must be disposable)",
    )
    parser.add_argument(
        "--supabase",
        default="auto",
        choices=["auto", "on", "off"],
        help="Supabase project (auto: a supabase/config.toml above --dir, or Supabase references in the SQL); "
        "on a plain PostgreSQL without an auth schema the compatibility layer is installed",
    )


def _confirm(target: str, plan: ResetPlan, assume_yes: bool) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise UserError("refusing to reset without confirmation: stdin is not a terminal (pass --yes)")
    seeds = ", ".join(str(s) for s in plan.seeds) or "none"
    keep = ", ".join(plan.keep) or "none"
    print(
        f"This drops every table and row of the project in {target}, replays {len(plan.migrations)} migration(s) "
        f"and loads seeds ({seeds}); rows kept: {keep}.",
        file=sys.stderr,
    )
    try:
        answer = input("Reset this database? [y/N] ").strip().lower()
    except EOFError:  # Ctrl-D
        answer = ""
    if answer not in ("y", "yes"):
        raise UserError("reset cancelled, nothing was changed", exit_code=1)


def run(args: argparse.Namespace) -> int:
    url: str = args.database_url
    add_secret(url)
    require_local(url, args.force_remote)
    directory = require_folder(migrations_dir(args.dir))
    local = load_local(directory)
    migrations = list(local.migrations)
    for lm in migrations:
        m = lm.migration
        if m.error is not None:
            raise UserError(f"{m.path}:{m.error.line}:{m.error.column}: {m.error.message}")
    for skipped in local.skipped:
        print(f"{skipped}: skipped, not named <version>_<name>.sql (the Supabase CLI skips it too)", file=sys.stderr)
    seed_set = None if args.seed == "NONE" else (args.seed or "dev")
    seeds = plan_seeds(directory, seed_set, find_config(directory), explicit_set=args.seed is not None)
    for warning in seeds.warnings:
        print(f"migration-guard: warning: {warning}", file=sys.stderr)
    plan = ResetPlan(
        migrations=migrations,
        seeds=seeds.files,
        keep=list(args.keep_data),
        supabase=resolve_supabase(args.supabase, directory, [lm.migration for lm in migrations]),
    )
    target = describe_database(url)
    _confirm(target, plan, args.yes)

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    report = reset(url, plan, say)
    print(
        f"reset {target}: {report.migrations} migration(s), {len(report.seeds)} seed file(s) in {report.seconds:.2f}s"
    )
    return 0
