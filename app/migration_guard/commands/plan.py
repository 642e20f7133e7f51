"""`migration-guard plan`: dry-run the migrations on an ephemeral PostgreSQL and report.

I/O lives here (arguments, signals, the terminal); the work is ``dryrun.plan.run_plan`` and the
output one of the renderers in ``report/``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from migration_guard.errors import UserError
from migration_guard.interrupts import terminate_on_sigterm

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
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="keep a prepared data dir here for fast starts (default: MIGRATION_GUARD_CACHE_DIR, "
                        "which the action's image sets to the one it baked)")
    parser.add_argument("--stub-extension", action="append", default=[], metavar="NAME",
                        help="stand in a no-op for an extension this server lacks (warned in the report); "
                        "repeatable")
    parser.add_argument("--stats-url", metavar="URL",
                        help="read-only connection to staging/production: real row counts and sizes of affected tables")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default), json or markdown")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    add_dry_run_arguments(parser)


def add_dry_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The dry run's limits and fidelity options, shared by `plan` and `check` (defaults: project settings)."""
    parser.add_argument("--statement-timeout", metavar="DURATION",
                        help="longest a statement may run in the dry run, e.g. 30s, 2min (default 60s, or "
                        "dry-run-statement-timeout); enforced even if the SQL turns statement_timeout off")
    parser.add_argument("--time-budget", metavar="DURATION",
                        help="wall-clock budget of the whole dry run (default 10min, or dry-run-time-budget)")
    parser.add_argument("--disk-limit", metavar="SIZE",
                        help="most the dry-run database may grow, and one session's temp files, e.g. 500MB "
                        "(default 2GB, or dry-run-disk-limit)")
    parser.add_argument("--strict-extensions", action="store_true", default=None,
                        help="use no stand-in extensions: an extension the server lacks stops the dry run")
    parser.add_argument("--pg-version", type=int, metavar="MAJOR",
                        help="the PostgreSQL major the project runs (default: pg-version, or [db] major_version "
                        "in supabase/config.toml); the report says when the dry run's server differs")
    parser.add_argument("--session-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting your migration runner gives its session, e.g. "
                        "search_path='storage, public' (repeatable)")
    parser.add_argument("--baseline", nargs="+", metavar="FILE",
                        help="schema replayed before the history: a `supabase db dump` output or plain SQL "
                        "(default: the baseline setting)")


def dry_run_options(args: argparse.Namespace) -> dict[str, object]:
    """PlanOptions fields from the flags above, falling back to the project settings."""
    from migration_guard.dryrun.plan import parse_session_setting
    from migration_guard.settings import load_project_settings

    project = load_project_settings()
    return {
        "statement_timeout": args.statement_timeout or project.dry_run_statement_timeout,
        "time_budget": args.time_budget or project.dry_run_time_budget,
        "disk_limit": args.disk_limit or project.dry_run_disk_limit,
        "strict_extensions": project.strict_extensions if args.strict_extensions is None else True,
        "pg_version": args.pg_version or project.pg_version,
        "baseline": tuple(Path(p) for p in (args.baseline or project.baseline)),
        "session_settings": tuple(parse_session_setting(t) for t in getattr(args, "session_setting", []) or []),
    }


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
        **dry_run_options(args),  # type: ignore[arg-type]
    )
    import psycopg

    from migration_guard.commands.lint import project_rules
    from migration_guard.redact import redact

    rules = project_rules()  # disable / severity / exclude: findings and advisories alike
    try:
        with terminate_on_sigterm():
            result = run_plan(options)
    except psycopg.Error as exc:  # the dry-run server itself failed (not a migration): one line, no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"dry-run database failed: {redact(first, [s for s in (url, args.stats_url) if s])}") from None
    from migration_guard.dryrun.locks import hide_internal_roles

    if rules.active:
        from dataclasses import replace

        result = replace(result, findings=rules.apply(result.findings),
                         advisories=rules.apply_advisories(result.advisories))
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
