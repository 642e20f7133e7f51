"""`migration-guard check`: the pull-request check on a laptop — lint + dry run of what a branch changes.

The same pipeline as the action (``checkrun.run_check``): migrations added or edited since ``--base``
(plus uncommitted and untracked ones) are linted with the earlier files as context and dry-run on an
ephemeral Postgres on top of the unchanged ones. Without ``--base`` the newest migration is checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from migration_guard.checkrun import CheckOptions, CheckReport, discover_migrations, run_check

HELP = "the pull-request check on your machine: lint + dry run of the migrations a branch adds"
DESCRIPTION = (
    "Lint the migrations added or changed since --base (default: the newest migration) with the "
    "earlier files as context, dry-run them on a throwaway PostgreSQL on top of the unchanged ones, "
    "and print one report: findings with why and the safe SQL, then per migration the locks taken, "
    "tables rewritten, rows touched and the objects affected. Exit status: 0 pass, 1 fail (see "
    "--fail-on), 2 usage error."
)
FORMATS = ("text", "markdown", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", metavar="DIR", help="the migrations folder (default: supabase/migrations, "
                        "or migrations-dir from migration-guard.toml / MIGRATION_GUARD_MIGRATIONS_DIR)")
    parser.add_argument("--base", metavar="GIT_REF",
                        help="check the migrations added or changed since GIT_REF (e.g. origin/main), including "
                             "uncommitted and untracked files")
    parser.add_argument("--all", action="store_true", help="check every migration in the folder (no baseline)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default): for a terminal; markdown: the PR comment; json: the report file")
    parser.add_argument("--supabase", choices=("auto", "on", "off"), help="Supabase project (default: auto)")
    parser.add_argument("--postgres", choices=("auto", "local", "docker", "url"),
                        help="where the throwaway Postgres comes from (default: auto)")
    parser.add_argument("--postgres-url", metavar="URL", help="a Postgres server for the dry run (--postgres url)")
    parser.add_argument("--stub-extension", action="append", default=None, metavar="NAME",
                        help="replace a platform extension (pg_net, pg_graphql, …) with a no-op stand-in; repeatable")
    parser.add_argument("--stats-url", metavar="URL",
                        help="read-only connection to staging/production for real row counts of affected tables")
    parser.add_argument("--fail-on", choices=("error", "warning", "never"),
                        help="exit 1 on blocking findings (error, default), on any warning too, or never")
    parser.add_argument("--no-dry-run", action="store_true", help="static checks only (no Postgres needed)")
    from migration_guard.commands.plan import add_dry_run_arguments

    add_dry_run_arguments(parser)


def options_from_args(args: argparse.Namespace) -> CheckOptions:
    from migration_guard.commands.plan import dry_run_options
    from migration_guard.settings import load_project_settings

    project = load_project_settings()
    directory = Path(args.dir or project.migrations_dir)
    paths = discover_migrations(directory)
    base_versions: tuple[str, ...] = ()
    if args.all:
        changed = tuple(paths)
    elif args.base:
        from migration_guard import gitdiff
        from migration_guard.migrations.naming import parse_name

        cwd = Path.cwd().resolve()
        found = gitdiff.changed_files(directory, args.base)
        changed = tuple(p.resolve().relative_to(cwd) if p.resolve().is_relative_to(cwd) else p for p in found)
        base_versions = tuple(v for v in (parse_name(n).version for n in gitdiff.files_at(directory, args.base)) if v)
    else:
        changed = tuple(paths[-1:])
    postgres_url = args.postgres_url or (project.postgres_url.get_secret_value() if project.postgres_url else None)
    return CheckOptions(
        migrations_dir=directory,
        changed=changed,
        supabase=args.supabase or project.supabase,
        postgres=args.postgres or ("url" if args.postgres_url else project.postgres),
        postgres_url=postgres_url,
        stub_extensions=tuple(args.stub_extension or project.stub_extensions),
        stats_url=args.stats_url,
        fail_on=args.fail_on or project.fail_on,
        dry_run=not args.no_dry_run,
        base_versions=base_versions,
        base=args.base,
        **dry_run_options(args),  # type: ignore[arg-type]
    )


def run(args: argparse.Namespace) -> int:
    from migration_guard import log

    opts = options_from_args(args)
    for secret in (opts.postgres_url, opts.stats_url):
        log.add_secret(secret)
    from migration_guard.commands.plan import terminate_on_sigterm

    with terminate_on_sigterm():  # the runner's cancel: tear the dry-run server down like Ctrl-C does
        report = run_check(opts)
    secrets = tuple(s for s in (opts.postgres_url, opts.stats_url) if s)
    if args.format == "json":
        from migration_guard.commands.action import _scrub

        out = json.dumps(_scrub(report.to_json(), secrets), indent=2) + "\n"
    elif args.format == "markdown":
        from migration_guard.report.markdown import render_summary

        out = render_summary(report)
    else:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        out = render_text(report, color=color)
    from migration_guard.redact import redact

    sys.stdout.write(redact(out, secrets))
    return report.exit_code


def render_text(report: CheckReport, color: bool = False) -> str:
    from migration_guard.report.check_text import render_check_text

    return render_check_text(report, color=color)

