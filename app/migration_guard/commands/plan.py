"""`migration-guard plan`: dry-run the migrations on an ephemeral PostgreSQL and report.

I/O lives here (arguments, signals, the terminal); the work is ``dryrun.plan.run_plan`` and the
output one of the renderers in ``report/``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from migration_guard.errors import UserError

HELP = "dry-run migrations on a throwaway PostgreSQL: locks, rewrites, rows, affected objects"
DESCRIPTION = (
    "Replay every migration older than the first new one on an ephemeral PostgreSQL (fast, one "
    "transaction per file), load the seed, then run each new migration statement by statement and "
    "record the locks it takes, the tables and indexes it rewrites, the rows it touches and its "
    "errors; then diff the catalog (affected objects and their dependents) and report database "
    "advisories new in these migrations. Migrations run as a non-superuser role, as on hosted Supabase. "
    "Exit status: 0 every migration applied, 1 one failed, 2 usage, input or connection error."
)
DEFAULT_DIR = "supabase/migrations"
FORMATS = ("text", "json", "markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", default=None, metavar="DIR",
        help=f"the migrations folder (default: {DEFAULT_DIR} under the project root found from the current folder)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--new", nargs="+", metavar="FILE", help="the new migration files (default: the newest file)")
    group.add_argument("--base", metavar="GIT_REF", help="new = files added or changed since GIT_REF")
    parser.add_argument(
        "--seed", metavar="FILE", help="seed data loaded after the baseline (default: DIR/../seed.sql or DIR/seed.sql)"
    )
    parser.add_argument("--supabase", choices=("auto", "on", "off"), default="auto",
                        help="Supabase compatibility bootstrap (roles, auth, storage, …); auto: detected as in lint")
    parser.add_argument("--postgres", choices=("auto", "url", "local", "docker"),
                        help="where the throwaway server comes from; auto (default): --postgres-url if given, "
                        "else local binaries, else docker")
    parser.add_argument("--postgres-url", metavar="URL",
                        help="a server to use (a service container); the dry run creates and drops its own database "
                        "there (also MIGRATION_GUARD_POSTGRES_URL)")
    parser.add_argument("--postgres-bin", metavar="DIR", help="folder with initdb and postgres")
    parser.add_argument("--postgres-image", metavar="IMAGE", help="image for --postgres docker (default postgres:15)")
    parser.add_argument("--cache-dir", metavar="DIR", help="keep a prepared data dir here for fast starts")
    parser.add_argument("--stub-extension", action="append", default=[], metavar="NAME",
                        help="stand in a no-op for an extension this server lacks (warned in the report); "
                        "repeatable")
    parser.add_argument("--stats-url", metavar="URL",
                        help="read-only connection to staging/production: real row counts and sizes of affected tables")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default), json or markdown")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a cancelled CI job) must unwind like Ctrl-C so the server and temp dir are removed.
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from migration_guard.dryrun.plan import PlanOptions, run_plan
    from migration_guard.log import add_secret
    from migration_guard.report.plan_json import plan_to_json
    from migration_guard.report.plan_text import render_text

    url = args.postgres_url or os.environ.get("MIGRATION_GUARD_POSTGRES_URL") or None
    add_secret(url)
    add_secret(args.stats_url)
    if args.postgres == "url" and not url:
        raise UserError("--postgres url needs --postgres-url URL")
    from migration_guard.local.project import migrations_dir, require_folder

    options = PlanOptions(
        migrations_dir=require_folder(migrations_dir(args.dir)),
        new=[Path(p) for p in args.new] if args.new else None,
        base=args.base,
        seed=Path(args.seed) if args.seed else None,
        supabase=args.supabase,
        postgres=None if args.postgres in (None, "auto") else args.postgres,
        postgres_url=url,
        postgres_bin=Path(args.postgres_bin) if args.postgres_bin else None,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        stub_extensions=tuple(args.stub_extension),
        stats_url=args.stats_url,
        progress=not args.no_progress,
        postgres_image=args.postgres_image,
    )
    import psycopg

    from migration_guard.redact import redact

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        result = run_plan(options)
    except psycopg.Error as exc:  # the dry-run server itself failed (not a migration): one line, no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"dry-run database failed: {redact(first, [s for s in (url, args.stats_url) if s])}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    from migration_guard.dryrun.locks import hide_internal_roles

    if args.format == "json":
        out = json.dumps(plan_to_json(result), indent=2) + "\n"
    elif args.format == "markdown":
        out = _markdown(result)
    else:
        out = render_text(result)
    sys.stdout.write(hide_internal_roles(out))
    if not result.ok:
        failed = next((r for r in result.migrations if r.status == "failed"), None)
        if failed is not None and failed.error is not None:
            e = failed.error
            print(f"migration-guard: error: {failed.path}:{e.line}: {hide_internal_roles(e.message)}", file=sys.stderr)
        elif result.warnings:  # stopped before any migration ran (e.g. the seed needs a missing extension)
            print(f"migration-guard: error: {result.warnings[0]}", file=sys.stderr)
    return 0 if result.ok else 1


def _markdown(result: object) -> str:
    try:
        from migration_guard.report.plan_markdown import render_markdown  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:  # the PR-comment renderer belongs to the action; fall back to text in a code block
        from migration_guard.report.plan_text import render_text

        return "```\n" + render_text(result) + "```\n"  # type: ignore[arg-type]
    return str(render_markdown(result))
