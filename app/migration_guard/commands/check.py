"""`migration-guard check`: the pull-request check on a laptop — lint + dry run of what a branch changes.

The same pipeline as the action (``checkrun.run_check``): the migrations the branch adds or edits
(``local.scope``: since the merge-base with the default branch or ``--base``, plus uncommitted and
untracked ones; or ``--all``) are linted with the earlier files as context and dry-run on an
ephemeral Postgres on top of the unchanged ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.checkrun import CheckOptions, CheckReport, discover_migrations, run_check
from migration_guard.errors import UserError

if TYPE_CHECKING:
    from migration_guard.local.scope import Scope

HELP = "the pull-request check on your machine: lint + dry run of the migrations a branch changes"
DESCRIPTION = (
    "Lint the migrations the branch adds or changes (every migration added or modified since the "
    "merge-base with the default branch — origin/HEAD, else main, else master — plus uncommitted and "
    "untracked files; or since --base; or --all) with the earlier files as context, dry-run them on a "
    "throwaway PostgreSQL on top of the unchanged ones, and print one report whose first line names "
    "the base used: findings with why and the safe SQL, then per migration the locks taken and how "
    "long they are held, tables rewritten, rows touched and the objects affected. Outside a git "
    "repository or without a default branch every migration is checked. Exit status: 0 pass, "
    "1 fail (see --fail-on), 2 usage, input or connection error."
)
FORMATS = ("text", "json", "sarif", "github", "markdown")  # lint's formats, plus the PR comment
GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows at most 10 annotations per level and step (FACTS.md)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="migration files to check as the change, with the earlier files of their folder as "
                             "context and dry-run baseline (default: what the branch changes, see --base)")
    parser.add_argument("--dir", metavar="DIR", help="the migrations folder (default: supabase/migrations, or "
                        "migrations-dir from migration-guard.toml / MIGRATION_GUARD_MIGRATIONS_DIR, under the "
                        "project root found from the current folder)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--base", metavar="GIT_REF",
                       help="check the migrations added or changed since the merge-base with GIT_REF (e.g. "
                            "origin/main), including uncommitted and untracked files (default: the default "
                            "branch: origin/HEAD, else main, else master)")
    scope.add_argument("--all", action="store_true", help="check every migration in the folder")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default): for a terminal; json: the report file; sarif: SARIF 2.1.0 for code "
                             "scanning; github: workflow-command annotations; markdown: the PR comment")
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


def options_from_args(args: argparse.Namespace) -> tuple[CheckOptions, Scope]:
    from migration_guard.commands.lint import project_rules
    from migration_guard.commands.plan import dry_run_options
    from migration_guard.local import scope as scope_mod
    from migration_guard.local.project import find_root, migrations_dir, require_folder
    from migration_guard.settings import load_project_settings

    project = load_project_settings(find_root())
    named = [Path(p) for p in getattr(args, "paths", None) or []]
    if named and (args.base or args.all or args.dir):
        raise UserError("name migration files (PATH) or use --dir / --base / --all, not both")
    directory = require_folder(named[0].parent if named else migrations_dir(args.dir))
    paths = discover_migrations(directory)
    if named:
        scope = scope_mod.named(directory, paths, named)
    else:
        scope = scope_mod.resolve(directory, paths, args.base, args.all)
    postgres_url = args.postgres_url or (project.postgres_url.get_secret_value() if project.postgres_url else None)
    options = CheckOptions(
        migrations_dir=directory,
        changed=scope.changed,
        supabase=args.supabase or project.supabase,
        postgres=args.postgres or ("url" if args.postgres_url else project.postgres),
        postgres_url=postgres_url,
        stub_extensions=tuple(args.stub_extension or project.stub_extensions),
        stats_url=args.stats_url,
        fail_on=args.fail_on or project.fail_on,
        dry_run=not args.no_dry_run,
        base_versions=scope.base_versions,
        base=scope.base,
        rules=project_rules(),
        **dry_run_options(args),  # type: ignore[arg-type]
    )
    return options, scope


def run(args: argparse.Namespace) -> int:
    from migration_guard import log
    from migration_guard.redact import redact

    opts, scope = options_from_args(args)
    for secret in (opts.postgres_url, opts.stats_url):
        log.add_secret(secret)
    from migration_guard.interrupts import terminate_on_sigterm

    with terminate_on_sigterm():  # the runner's cancel: tear the dry-run server down like Ctrl-C does
        report = run_check(opts)
    secrets = tuple(s for s in (opts.postgres_url, opts.stats_url) if s)
    out = hide_internal_roles(render(args.format, report, scope))
    sys.stdout.write(redact(out, secrets))
    if report.plan_error and report.plan_error.startswith("cannot connect"):
        # The report above is the static part; the dry run never reached its server (exit 2, as
        # every command exits on a connection error).
        sys.stdout.flush()
        print(f"migration-guard: error: dry run: {redact(report.plan_error, secrets)}", file=sys.stderr)
        return 2
    return report.exit_code


def render(fmt: str, report: CheckReport, scope: Scope) -> str:
    """The report in ``fmt``; every format names the base used (``scope.line``)."""
    if fmt == "json":
        from migration_guard.commands.action import _scrub

        data = report.to_json()
        data["scope"] = scope.line
        data["base_commit"] = scope.commit
        data["lock_spans"] = lock_spans_json(report)
        return json.dumps(_scrub(data, ()), indent=2) + "\n"
    if fmt == "markdown":
        from migration_guard.report.markdown import render_summary

        return render_summary(replace(report, notes=(scope.line, *report.notes)))
    if fmt == "sarif":
        from migration_guard.report.sarif import render_sarif, statement_texts
        from migration_guard.rules.registry import all_rules

        snippets = statement_texts(report.migrations, report.located_findings)
        return render_sarif(report.lint_result, list(all_rules()), snippets)
    if fmt == "github":
        from migration_guard.report.annotations import escape_data, failure_annotation, render_annotations
        from migration_guard.report.check_text import verdict_line

        lines = [f"::notice::{escape_data(scope.line)}"]
        annotations = render_annotations(report.located_findings, GITHUB_ANNOTATION_LIMIT)
        if annotations:
            lines.append(annotations.rstrip("\n"))
        if report.plan_error:
            lines.append(f"::error::{escape_data('dry run: ' + report.plan_error)}")
        lines += [failure_annotation(m) for m in (report.plan.migrations if report.plan else ())
                  if m.new and m.status == "failed"]
        lines.append(verdict_line(report, color=False))
        return "\n".join(lines) + "\n"
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render_text(report, color=color, scope_line=scope.line)


def render_text(report: CheckReport, color: bool = False, scope_line: str | None = None) -> str:
    from migration_guard.report.check_text import render_check_text

    return render_check_text(report, color=color, scope_line=scope_line)


def hide_internal_roles(text: str) -> str:
    from migration_guard.dryrun.locks import hide_internal_roles as hide

    return hide(text)


def lock_spans_json(report: CheckReport) -> dict[str, list[dict[str, object]]]:
    """Per new migration: each blocking lock, from the line that takes it to the commit."""
    from migration_guard.dryrun.locks import lock_spans, long_hold_text

    out: dict[str, list[dict[str, object]]] = {}
    for run in report.plan.migrations if report.plan is not None else ():
        if not run.new:
            continue
        out[run.path] = [
            {
                "relation": s.relation,
                "mode": s.mode,
                "line": s.line,
                "taken_by": s.work.kind,  # metadata | scan | rewrite | backfill | other
                "what": s.work.label,
                "stronger_at": s.stronger_at,
                "until_commit": s.until_commit,
                "held_through": [{"line": h.line, "work": h.work.kind, "what": h.work.label} for h in s.later],
                "held_ms": s.held_ms,
                "long_hold": long_hold_text(s),
            }
            for s in lock_spans(run)
        ]
    return out
