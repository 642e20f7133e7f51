"""`plan`: replay the history on an ephemeral Postgres, trace the new migrations, report.

Stages (issue 3, "What plan does"): choose baseline / new files → scan CREATE EXTENSION → start a
server and bootstrap it → replay the baseline fast → seed → snapshot → trace each new statement →
snapshot and diff → advisories new since the baseline → optional production stats. Each stage is a
function from plain data to plain data; this module only wires them and owns the connections.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import psycopg
from psycopg import sql

from migration_guard.dryrun import extensions as ext
from migration_guard.errors import UserError
from migration_guard.model import (
    AffectedObject,
    Finding,
    Migration,
    MigrationRun,
    PlanResult,
    StatementError,
)
from migration_guard.report.plan_json import plan_to_json

__all__ = ["PlanOptions", "plan_to_json", "run_plan"]


@dataclass
class PlanOptions:
    migrations_dir: Path
    new: list[Path] | None = None  # the changed files (the action passes them); None = --base or newest
    base: str | None = None  # git ref: new = files changed since it
    seed: Path | None = None  # default: <dir>/../seed.sql, else <dir>/seed.sql
    supabase: str = "auto"  # auto | on | off
    postgres: str | None = None  # url | local | docker | None = first that works
    postgres_url: str | None = None
    postgres_bin: Path | None = None
    cache_dir: Path | None = None
    stub_extensions: tuple[str, ...] = ()
    stats_url: str | None = None
    progress: bool = False
    postgres_image: str | None = None
    docker_client: Any = None  # tests pass a fake; None = docker.from_env()


# -- choosing files -------------------------------------------------------------------------------
def select_files(options: PlanOptions) -> tuple[list[Path], set[Path]]:
    """(all files in run order, the new ones). New files outside the folder run after it."""
    from migration_guard.migrations.naming import discover

    directory = options.migrations_dir
    if not directory.is_dir():
        raise UserError(f"{directory}: no such migrations folder (use --dir)")
    files = discover(directory)
    if options.new is not None:
        new = {p.resolve() for p in options.new}
        for p in options.new:
            if not p.is_file():
                raise UserError(f"{p}: no such file (--new)")
        known = {f.resolve() for f in files}
        files = files + [p for p in options.new if p.resolve() not in known]
    elif options.base is not None:
        from migration_guard import gitdiff

        new = {p.resolve() for p in gitdiff.changed_files(directory, options.base)}
        known = {f.resolve() for f in files}
        new &= known
    else:
        new = {files[-1].resolve()} if files else set()
    if not files:
        raise UserError(f"{directory}: no .sql migration files in this folder")
    return files, new


def find_seed(options: PlanOptions) -> Path | None:
    if options.seed is not None:
        if not options.seed.is_file():
            raise UserError(f"{options.seed}: no such seed file (--seed)")
        return options.seed
    for candidate in (options.migrations_dir.parent / "seed.sql", options.migrations_dir / "seed.sql"):
        if candidate.is_file():
            return candidate
    return None


# -- progress -------------------------------------------------------------------------------------
class Progress:
    """One line on stderr, rewritten in place on a terminal; every 25 files otherwise."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr) -> None:
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()

    def update(self, done: int, total: int, what: str) -> None:
        if not self.enabled:
            return
        line = f"replaying {done}/{total} {what}"
        if self.tty:
            self.stream.write("\r" + line[:100].ljust(100))
            self.stream.flush()
        elif done == total or done % 25 == 0:
            self.stream.write(line + "\n")

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


# -- the plan -------------------------------------------------------------------------------------
def _lint(
    migrations: list[Migration], supabase: bool, exposed: tuple[str, ...], new: set[Path]
) -> tuple[Finding, ...]:
    try:
        from migration_guard.linter import lint  # type: ignore[attr-defined, unused-ignore]
    except ImportError:  # the linter lands separately; the plan still works without findings
        return ()
    from migration_guard.model import LintOptions

    opts = LintOptions(
        supabase=supabase, exposed_schemas=exposed, report_paths=frozenset(str(m.path) for m in migrations
                                                                           if m.path.resolve() in new)
    )
    result = lint(migrations, opts)
    return tuple(result.findings)


def _skipped(m: Migration, new: bool) -> MigrationRun:
    return MigrationRun(m.display_path, m.version, new, "skipped")


def run_plan(options: PlanOptions) -> PlanResult:
    from migration_guard import supabase as sb
    from migration_guard.dryrun.bootstrap import apply_bootstrap, bootstrap_hash
    from migration_guard.dryrun.providers import Server, ephemeral_postgres
    from migration_guard.migrations.loader import load_migration

    files, new = select_files(options)
    migrations = [load_migration(p) for p in files]
    seed_path = find_seed(options)
    seed = load_migration(seed_path) if seed_path is not None else None
    use_supabase = sb.resolve_supabase(options.supabase, options.migrations_dir, migrations)
    exposed = sb.exposed_schemas(sb.find_config(options.migrations_dir))
    findings = _lint(migrations, use_supabase, exposed, new)
    is_new = [m.path.resolve() in new for m in migrations]
    first_new = is_new.index(True) if any(is_new) else len(migrations)
    uses = ext.scan(migrations + ([seed] if seed else []))
    warnings: list[str] = []
    for m in migrations + ([seed] if seed else []):
        for line, text in m.meta_commands:  # psql-only lines: nothing else runs them, nor does the dry run
            warnings.append(f"{m.display_path}:{line}: psql meta-command not run ({text[:60]})")

    early = _local_extension_check(options, uses)
    if early is not None:  # decided from the local server's extension folder: no server needed to say no
        version, missing = early
        return _stopped(PlanResult(False, version, "local", (), findings=findings), missing, migrations, is_new)

    def prepare(server: Server) -> None:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            # No private extension folder (url/docker): CREATE EXTENSION goes through event triggers.
            apply_bootstrap(conn, supabase=use_supabase, elevate=server.extra.get("sharetree") is None)

    with ephemeral_postgres(
        options.postgres,
        options.postgres_url,
        options.postgres_bin,
        options.cache_dir,
        image=options.postgres_image,
        prepare=prepare,
        prepare_key=bootstrap_hash(use_supabase) + ("-sb" if use_supabase else ""),
        docker_client=options.docker_client,
        strict_extensions=bool(getattr(options, "strict_extensions", False)),
    ) as server:
        base = PlanResult(False, server.version, server.provider_name, (), findings=findings)
        with psycopg.connect(server.conninfo(), autocommit=True) as admin:
            # 1. extensions: none the sandbox refuses (extension_policy.py), all of them present here (or
            # stubbed explicitly), before anything runs.
            tree = server.extra.get("sharetree")
            have = ext.available(admin)
            standins = tree.standins if tree is not None else frozenset()
            refused = ext.refused(uses, options.stub_extensions, standins, have, elevated=tree is None)
            missing = ext.missing(uses, have, options.stub_extensions)
            if refused is not None and (not missing or uses.index(refused[0]) <= uses.index(missing[0])):
                return _refused(base, refused, migrations, is_new)  # the first stop in run order
            if missing:
                return _stopped(base, missing, migrations, is_new)
            from migration_guard.dryrun import errortext
            from migration_guard.dryrun.bootstrap import FALLBACK_ROLE, migration_role

            role = migration_role(admin)
            if role == FALLBACK_ROLE:
                warnings.append(errortext.FALLBACK_ROLE_WARNING)
            password = None
            if server.provider_name == "url":  # a service container may not trust local connections
                password = secrets.token_urlsafe(24)
                statement = sql.SQL("alter role {} password {}")
                admin.execute(statement.format(sql.Identifier(role), sql.Literal(password)))
            row = admin.execute("select rolcreaterole from pg_roles where rolname = %s", (role,)).fetchone()
            with _migrator(server, password, role) as conn:
                skips = _stub(conn, uses, options.stub_extensions, migrations, warnings)
                result = _run(options, server, admin, conn, migrations, is_new, first_new, seed, skips,
                              use_supabase, exposed, base, warnings)
                return errortext.clean(result, createrole=bool(row and row[0]))


def _local_extension_check(
    options: PlanOptions, uses: list[ext.ExtensionUse]
) -> tuple[str, list[ext.ExtensionUse]] | None:
    """(version, missing) when the local provider will be used and lacks an extension; else None.

    Reads the control files next to the local binaries, so a plan that cannot work says so before
    initdb. Any doubt (no local binaries, unknown layout) defers to the server's own answer."""
    if not uses or options.postgres not in (None, "local") or (options.postgres is None and options.postgres_url):
        return None
    from migration_guard.dryrun.local import find_bin_dir

    try:
        bin_dir = find_bin_dir(options.postgres_bin)
    except UserError:
        return None
    have = ext.dry_run_extensions(bin_dir, bool(getattr(options, "strict_extensions", False)))
    if have is None:
        return None
    have |= ext.refused_names(uses)  # not "missing": refused, with the reason, once the server is up
    missing = ext.missing(uses, have, options.stub_extensions)
    if not missing:
        return None
    return ext.local_version(bin_dir), missing


def _stopped(
    base: PlanResult, missing: list[ext.ExtensionUse], migrations: list[Migration], is_new: list[bool]
) -> PlanResult:
    """The plan stops before anything runs: the first missing extension fails its file, all skipped."""
    first = missing[0]
    others = sorted({u.name for u in missing[1:]} - {first.name})
    version = base.postgres_version
    runs = []
    for m, n in zip(migrations, is_new, strict=True):
        if m.display_path == first.path:
            short = ext.missing_message(first, others, version, located=False)
            err = StatementError(first.line, first.column, "58P01", short)
            runs.append(MigrationRun(m.display_path, m.version, n, "failed", err))
        else:
            runs.append(_skipped(m, n))
    # The error sits on its migration; only a stop no migration explains (the seed) needs a line.
    located = any(r.status == "failed" for r in runs)
    message = ext.missing_message(first, others, version)
    return replace(base, migrations=tuple(runs), warnings=() if located else (message,))


def _refused(
    base: PlanResult, refused: tuple[ext.ExtensionUse, Any], migrations: list[Migration], is_new: list[bool]
) -> PlanResult:
    """The plan stops before anything runs: an extension the sandbox does not allow fails its file."""
    from migration_guard.dryrun.extension_policy import refusal_message

    use, decision = refused
    runs = []
    for m, n in zip(migrations, is_new, strict=True):
        if m.display_path == use.path:
            err = StatementError(use.line, use.column, "42501", refusal_message(use.name, decision))
            runs.append(MigrationRun(m.display_path, m.version, n, "failed", err))
        else:
            runs.append(_skipped(m, n))
    located = any(r.status == "failed" for r in runs)
    message = refusal_message(use.name, decision, use.path, use.line)
    return replace(base, migrations=tuple(runs), warnings=() if located else (message,))


def _migrator(server: Any, password: str | None, role: str) -> psycopg.Connection[Any]:
    kwargs: dict[str, Any] = {"autocommit": True}
    if password:
        kwargs["password"] = password
    return psycopg.connect(server.role_conninfo(role), **kwargs)


def _stub(
    conn: psycopg.Connection[Any],
    uses: list[ext.ExtensionUse],
    stubs: tuple[str, ...],
    migrations: list[Migration],
    warnings: list[str],
) -> dict[str, set[int]]:
    """Install the requested stand-ins; return, per file, the statements that are not executed."""
    skips: dict[str, set[int]] = {}
    done: set[str] = set()
    for use in uses:
        if use.name not in stubs:
            continue
        if use.name not in done:
            sql = ext.stub_sql(use)
            if sql:
                conn.execute(sql.encode())
            done.add(use.name)
            warnings.append(
                f"{use.path}:{use.line}: extension {use.name} is stubbed (--stub-extension): CREATE EXTENSION "
                f"is not executed; only its schema{' and stand-in functions' if use.name in ext.STUB_OBJECTS else ''} "
                "exist, so SQL using its types or functions may fail or behave differently than in production"
            )
        for m in migrations:
            if m.display_path == use.path:
                for st in m.statements:
                    if st.kind == "CreateExtensionStmt" and st.line == use.line:
                        skips.setdefault(m.display_path, set()).add(st.index)
    return skips


def _run(
    options: PlanOptions,
    server: Any,
    admin: psycopg.Connection[Any],
    conn: psycopg.Connection[Any],
    migrations: list[Migration],
    is_new: list[bool],
    first_new: int,
    seed: Migration | None,
    skips: dict[str, set[int]],
    use_supabase: bool,
    exposed: tuple[str, ...],
    base: PlanResult,
    warnings: list[str],
) -> PlanResult:
    from migration_guard.dryrun import advisories, catalog
    from migration_guard.dryrun.trace import outside_transaction, replay_file, trace_file

    runs: list[MigrationRun] = []
    progress = Progress(options.progress)
    failed = False
    # 2. baseline, fast.
    for i, m in enumerate(migrations[:first_new]):
        if failed:  # the failure is the root cause: later files are skipped, not failed
            runs.append(_skipped(m, False))
            continue
        progress.update(i + 1, first_new, m.path.name)
        run = replay_file(conn, m, skips.get(m.display_path))
        runs.append(run)
        failed = run.status == "failed"
    progress.done()
    # 3. seed data, so row counts and constraint checks meet real rows. A seed written for a newer
    # schema than the baseline cannot load; that is a warning, not a failure of the plan.
    if not failed and seed is not None and seed.statements:
        seed_run = replay_file(conn, seed, skips.get(seed.display_path))
        if seed_run.status == "failed" and seed_run.error is not None:
            e = seed_run.error
            warnings.append(
                f"{seed.display_path}:{e.line}: seed not loaded ({e.message}); the plan runs on empty tables"
            )
    before = catalog.take(admin) if not failed else None
    adv_before = advisories.collect(admin, exposed, use_supabase) if not failed else set()

    def watcher() -> psycopg.Connection[Any]:
        return psycopg.connect(server.conninfo(), autocommit=True)

    # 4. the new migrations, traced (files after the first new one that are not new replay fast).
    for i in range(first_new, len(migrations)):
        m = migrations[i]
        if failed:
            runs.append(_skipped(m, is_new[i]))
            continue
        if is_new[i]:
            if not m.no_transaction and outside_transaction(m):
                warnings.append(
                    f"{m.display_path}: runs outside a transaction (it has a statement PostgreSQL refuses in "
                    "one, e.g. CONCURRENTLY), statement by statement: a failure leaves the earlier ones applied. "
                    "Say so with `-- migration-guard: no-transaction`"
                )
            run = trace_file(conn, m, watcher, skips.get(m.display_path))
        else:
            run = replay_file(conn, m, skips.get(m.display_path))
        runs.append(run)
        failed = run.status == "failed"

    affected: list[AffectedObject] = []
    new_advisories: list[Any] = []
    if before is not None:
        after = catalog.take(admin, with_dependents=False)
        affected = catalog.diff(before, after)
        new_advisories = advisories.new_since(adv_before, advisories.collect(admin, exposed, use_supabase))
    stats: dict[str, dict[str, Any]] = {}
    if options.stats_url and affected:
        from migration_guard.dryrun.stats import table_stats

        stats = table_stats(options.stats_url, affected)
        affected = sorted(affected, key=lambda a: -int(stats.get(_table_of(a), {}).get("rows", -1)))
    return replace(
        base,
        ok=not failed,
        migrations=tuple(runs),
        affected=tuple(affected),
        advisories=tuple(new_advisories),
        table_stats=stats,
        warnings=tuple(warnings),
    )


def _table_of(a: AffectedObject) -> str:
    """The table an affected object belongs to ("schema.table"), or its own name."""
    name = a.name.split(" ", 1)[-1] if a.kind == "grant" else a.name
    return ".".join(name.split(".")[:2])

