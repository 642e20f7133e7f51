"""`plan`: replay the history on an ephemeral Postgres, trace the new migrations, report.

Stages (issue 3, "What plan does"): choose baseline / new files → scan CREATE EXTENSION → start a
server (the project's PostgreSQL major when one is at hand) and bootstrap it → replay a --baseline
schema, then the history, fast → seed → snapshot → trace each new statement → snapshot and diff →
advisories new since the baseline → seeds that need the new schema → stand-ins used → optional
production stats. PR SQL runs under the limits of ``dryrun/limits.py`` (a watchdog session enforces
what it could lift). Each stage is a function from plain data to plain data; this module only wires
them and owns the connections.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import psycopg
from psycopg import sql

from migration_guard.dryrun import extensions as ext
from migration_guard.dryrun import history, platform_conflicts
from migration_guard.dryrun.limits import LimitHit, Limits, Watchdog, apply_role_settings, hit_from_error
from migration_guard.errors import UserError
from migration_guard.model import Finding, Migration
from migration_guard.plan_model import AffectedObject, MigrationRun, PlanResult, StatementError
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
    # Resource limits for PR SQL (issue 10); None = the defaults in dryrun/limits.py.
    statement_timeout: str | None = None
    time_budget: str | None = None
    disk_limit: str | None = None
    strict_extensions: bool = False  # no stand-ins: a missing extension stops the plan
    pg_version: int | None = None  # the project's major (else `[db] major_version` in supabase/config.toml)
    # The migration runner's session settings, e.g. (("search_path", "storage, public"),) for
    # postgres-migrations in supabase/storage; applied as the migration role's defaults (RESET keeps them).
    session_settings: tuple[tuple[str, str], ...] = ()
    baseline: tuple[Path, ...] = ()  # schema files replayed before the history (a `supabase db dump`)


def env_cache_dir() -> Path | None:
    """MIGRATION_GUARD_CACHE_DIR: prepared data folders for fast starts (the action's image bakes them)."""
    value = os.environ.get("MIGRATION_GUARD_CACHE_DIR", "").strip()
    return Path(value) if value else None


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
    try:
        result = lint(migrations, opts)
    except RecursionError:  # NodeTooDeep: one line naming the file and line, not a traceback
        from migration_guard.flows.check import too_deep_error

        raise too_deep_error(migrations) from None
    return tuple(result.findings)


def _skipped(m: Migration, new: bool) -> MigrationRun:
    return MigrationRun(m.display_path, m.version, new, "skipped")


def run_plan(options: PlanOptions) -> PlanResult:
    from migration_guard import supabase as sb
    from migration_guard.dryrun.bootstrap import apply_bootstrap, bootstrap_hash
    from migration_guard.dryrun.server import Server
    from migration_guard.migrations.loader import load_migration

    started = time.monotonic()
    try:
        limits = Limits.parse(options.statement_timeout, options.time_budget, options.disk_limit)
    except ValueError as exc:
        raise UserError(f"dry-run limit: {exc}") from None
    files, new = select_files(options)
    baseline = [_load_baseline(p) for p in options.baseline]
    migrations = baseline + [load_migration(p) for p in files]
    config = sb.find_config(options.migrations_dir)
    seed_paths, seed_warnings = _seed_paths(options, config)
    seeds = [load_migration(p) for p in seed_paths]
    use_supabase = sb.resolve_supabase(options.supabase, options.migrations_dir, migrations, options.base)
    exposed = sb.exposed_schemas_since(options.migrations_dir, options.base)  # a PR cannot unexpose a schema
    findings = _lint(migrations, use_supabase, exposed, new)
    is_new = [m.path.resolve() in new for m in migrations]
    first_new = is_new.index(True) if any(is_new) else len(migrations)
    uses = ext.scan(migrations + seeds)
    warnings: list[str] = list(seed_warnings)
    for m in migrations + seeds:
        for line, text in m.meta_commands:  # psql-only lines: nothing else runs them, nor does the dry run
            warnings.append(f"{m.display_path}:{line}: psql meta-command not run ({text[:60]})")
    want = options.pg_version or history.project_major(config)
    source = "the `pg-version` setting" if options.pg_version else "`[db] major_version` in supabase/config.toml"
    attempts = provider_attempts(options, want)

    early = _local_extension_check(replace(options, postgres=attempts[0][0], postgres_bin=attempts[0][1]), uses)
    if early is not None:  # decided from the local server's extension folder: no server needed to say no
        version, missing = early
        note = history.version_note(history.server_major(version), want, source) or ""
        stopped = PlanResult(False, version, "local", (), findings=findings, version_note=note)
        return _stopped(stopped, missing, migrations, is_new, options.strict_extensions)

    def prepare(server: Server) -> None:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            # No private extension folder (url/docker): CREATE EXTENSION goes through event triggers.
            apply_bootstrap(conn, supabase=use_supabase, elevate=server.extra.get("sharetree") is None)

    with contextlib.ExitStack() as stack:
        key = bootstrap_hash(use_supabase) + ("-sb" if use_supabase else "")
        server = _start(stack, options, attempts, prepare, key, warnings)
        note = history.version_note(history.server_major(server.version), want, source) or ""
        base = PlanResult(False, server.version, server.provider_name, (), findings=findings, version_note=note)
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
                return _stopped(base, missing, migrations, is_new, options.strict_extensions)
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
            # Limits the migration role cannot lift (temp_file_limit is superuser-only); the watchdog
            # enforces the rest from its own session.
            apply_role_settings(admin, role, server.dbname, limits)
            for key, value in options.session_settings:  # the runner's session state (e.g. search_path)
                admin.execute(
                    sql.SQL("alter role {} in database {} set {} = {}").format(
                        sql.Identifier(role), sql.Identifier(server.dbname), sql.Identifier(*key.split(".")),
                        sql.SQL(", ").join(sql.Literal(v) for v in setting_values(key, value)),
                    )
                )
            watchdog = Watchdog(lambda: psycopg.connect(server.conninfo(), autocommit=True), role, limits,
                                started + limits.time_budget, own_server=server.provider_name != "url")
            # --stub-extension is for extensions this server lacks: one it has (real or our stand-in)
            # runs for real, which tells more than a stub (and a stub's objects would clash with it).
            stubs = tuple(n for n in options.stub_extensions if n not in have)
            warnings.extend(
                f"--stub-extension {n} ignored: this dry-run server has {n} (real or stand-in), so it ran for real"
                for n in dict.fromkeys(options.stub_extensions) if n in have and any(u.name == n for u in uses)
            )
            with _migrator(server, password, role) as conn, watchdog:
                skips = _stub(conn, uses, stubs, migrations, warnings)
                run = _Run(options, server, admin, conn, watchdog, limits, skips, warnings)
                preinstalled = _standins(admin)
                result = run.plan(migrations, is_new, first_new, len(baseline), seeds, use_supabase, exposed, base)
                if result.advisories:  # each at the statement that caused it, with that statement's suppression
                    from migration_guard.dryrun.locate import locate

                    result = replace(result, advisories=locate(result.advisories, migrations[first_new:]))
                result = _with_standins(result, server, preinstalled, {u.name for u in uses})
                return errortext.clean(result, createrole=bool(row and row[0]))
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns


STANDINS_USED = """
select e.extname from pg_catalog.pg_extension e
join pg_catalog.pg_available_extensions a on a.name = e.extname
where a.comment like 'Migration Guard stand-in:%' order by 1
"""


def standins_warning(names: list[str]) -> str:
    return (f"dry run used stand-ins for: {', '.join(names)}: locks and row counts on their objects are not "
            "measured (--strict-extensions stops on them instead)")


def _standins(conn: psycopg.Connection[Any]) -> set[str]:
    return {str(r[0]) for r in conn.execute(STANDINS_USED).fetchall()}


def _with_standins(result: PlanResult, server: Any, preinstalled: set[str], named: set[str]) -> PlanResult:
    """Name the stand-in extensions the history used, read from the server after the run (the control
    file's comment marks ours): those it created, and those the bootstrap installed that it names in a
    CREATE EXTENSION. A stand-in the bootstrap installed and nothing names is not news."""
    try:
        with psycopg.connect(server.conninfo(), autocommit=True, connect_timeout=10) as conn:
            present = _standins(conn)
    except psycopg.Error:  # torn down by a limit: the limit is the report's news
        return result
    names = sorted((present - preinstalled) | (present & named))
    if not names:
        return result
    return replace(result, warnings=(*result.warnings, standins_warning(names)))


def _load_baseline(path: Path) -> Migration:
    """A schema kept outside the folder (a `supabase db dump` output or plain SQL): replayed first."""
    from migration_guard.migrations.loader import load_migration

    if not path.is_file():
        raise UserError(f"{path}: no such baseline file (--baseline / the `baseline` setting)")
    return load_migration(path)


def _seed_paths(options: PlanOptions, config: Path | None) -> tuple[list[Path], tuple[str, ...]]:
    if options.seed is not None:
        return [find_seed(options) or options.seed], ()
    found = history.seed_files(options.migrations_dir, config)
    return list(found.paths), found.warnings


# -- the server -----------------------------------------------------------------------------------
# The tags the Supabase CLI itself pins (so they exist and are what `supabase start` runs): PG15 is
# pkg/config/constants.go's legacy Pg15Image, PG17 the `FROM supabase/postgres:… AS pg` line of
# pkg/config/templates/Dockerfile. Not pulled here (no registry on these machines).
SUPABASE_IMAGES = {15: "supabase/postgres:15.8.1.085", 17: "supabase/postgres:17.4.1.067"}
Attempt = tuple[str | None, Path | None, str | None]  # (provider kind, bin dir, image)


def local_majors() -> dict[int, Path]:
    """Local server binaries by major: /usr/lib/postgresql/<major>/bin and the one on PATH."""
    from migration_guard.dryrun.local import find_bin_dir, major_version

    found: dict[int, Path] = {}
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    with contextlib.suppress(UserError):
        candidates.append(find_bin_dir())
    for d in candidates:
        if (d / "initdb").exists() and (d / "postgres").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                found.setdefault(major_version(d), d)
    return found


def docker_socket() -> bool:
    return bool(os.environ.get("DOCKER_HOST")) or Path("/var/run/docker.sock").exists()


def provider_attempts(
    options: PlanOptions,
    want: int | None,
    majors: dict[int, Path] | None = None,
    docker: bool | None = None,
) -> list[Attempt]:
    """Where to get the server from, in order. ``--postgres auto`` (None, no URL) prefers the project's
    major: local binaries of it, else Supabase's image of it through Docker, else the default."""
    default: Attempt = (options.postgres, options.postgres_bin, options.postgres_image)
    if options.postgres is not None or options.postgres_url or options.postgres_bin or want is None:
        return [default]
    majors = local_majors() if majors is None else majors
    if want in majors:
        return [("local", majors[want], None)]
    if docker_socket() if docker is None else docker:
        image = options.postgres_image or SUPABASE_IMAGES.get(want) or f"postgres:{want}"
        return [("docker", None, image), default]
    return [default]


def _start(
    stack: contextlib.ExitStack,
    options: PlanOptions,
    attempts: list[Attempt],
    prepare: Any,
    key: str,
    warnings: list[str],
) -> Any:
    from migration_guard.dryrun.providers import ephemeral_postgres

    for i, (kind, bin_dir, image) in enumerate(attempts):
        try:
            cache = options.cache_dir or env_cache_dir()
            return stack.enter_context(ephemeral_postgres(
                kind, options.postgres_url, bin_dir, cache, image=image, prepare=prepare,
                prepare_key=key, docker_client=options.docker_client, strict_extensions=options.strict_extensions,
            ))
        except Exception as exc:  # a preferred server that cannot start: say so, use the next one
            if i == len(attempts) - 1:
                raise
            reason = exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {str(exc)[:160]}"
            warnings.append(f"could not start {image or kind} for the project's PostgreSQL major ({reason}); "
                            "the dry run used the default server instead")
    raise AssertionError("no attempts")  # pragma: no cover


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
    have = ext.dry_run_extensions(bin_dir, options.strict_extensions)
    if have is None:
        return None
    have |= ext.refused_names(uses)  # not "missing": refused, with the reason, once the server is up
    missing = ext.missing(uses, have, options.stub_extensions)
    if not missing:
        return None
    return ext.local_version(bin_dir), missing


def _stopped(
    base: PlanResult,
    missing: list[ext.ExtensionUse],
    migrations: list[Migration],
    is_new: list[bool],
    strict: bool = False,
) -> PlanResult:
    """The plan stops before anything runs: the first missing extension fails its file, all skipped."""
    first = missing[0]
    others = sorted({u.name for u in missing[1:]} - {first.name})
    version = base.postgres_version
    runs = []
    for m, n in zip(migrations, is_new, strict=True):
        if m.display_path == first.path:
            short = ext.missing_message(first, others, version, located=False) + _strict_note(first.name, strict)
            err = StatementError(first.line, first.column, "58P01", short)
            runs.append(MigrationRun(m.display_path, m.version, n, "failed", err))
        else:
            runs.append(_skipped(m, n))
    # The error sits on its migration; only a stop no migration explains (the seed) needs a line.
    located = any(r.status == "failed" for r in runs)
    message = ext.missing_message(first, others, version) + _strict_note(first.name, strict)
    return replace(base, migrations=tuple(runs), warnings=() if located else (message,))


def _strict_note(name: str, strict: bool) -> str:
    """Under --strict-extensions, say when our own stand-in would have let the dry run go on."""
    from migration_guard.dryrun.sharetree import standin_root

    if strict and (standin_root() / name / f"{name}.control").is_file():
        return f". Migration Guard has a stand-in for {name}; --strict-extensions (strict-extensions) turned it off"
    return ""


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


_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


def parse_session_setting(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (``--session-setting``) → (key, value); one clear line when malformed."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not _SETTING_NAME.fullmatch(key):
        raise UserError(f"--session-setting {text!r}: expected NAME=VALUE, e.g. search_path='storage, public'")
    return key, value.strip()


def setting_values(key: str, value: str) -> list[str]:
    """A list setting (search_path) as its items; any other setting as one value."""
    if key.lower() != "search_path":
        return [value.strip("'")]
    items = [item.strip().strip("'").strip('"') for item in value.strip("'").split(",")]
    if not all(items):
        raise UserError(f"--session-setting search_path={value!r}: expected schema names separated by commas")
    return items


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


class _Run:
    """One dry run on a started server: replays, traces, diffs; stops cleanly when a limit hits."""

    def __init__(
        self,
        options: PlanOptions,
        server: Any,
        admin: psycopg.Connection[Any],
        conn: psycopg.Connection[Any],
        watchdog: Watchdog,
        limits: Limits,
        skips: dict[str, set[int]],
        warnings: list[str],
    ) -> None:
        self.options = options
        self.server = server
        self.admin = admin
        self.conn = conn
        self.watchdog = watchdog
        self.limits = limits
        self.skips = skips
        self.warnings = warnings
        self.supabase = False  # set by plan(): platform-conflict hints only for Supabase histories
        self.hit: LimitHit | None = None

    def watcher(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.server.conninfo(), autocommit=True)

    def execute(self, m: Migration, new: bool, traced: bool) -> MigrationRun:
        """Replay or trace one file; a limit (the server's or the watchdog's) fails it with its name."""
        from migration_guard.dryrun.trace import replay_file, trace_file

        skip = self.skips.get(m.display_path)
        try:
            run = trace_file(self.conn, m, self.watcher, skip) if traced else replay_file(self.conn, m, skip)
            run = replace(run, new=new)
        except psycopg.Error:
            if self.watchdog.hit is None:
                raise
            run = MigrationRun(m.display_path, m.version, new, "failed")
        hit = self.watchdog.hit
        if hit is None and run.error is not None:
            hit = hit_from_error(run.error.sqlstate, run.error.message, self.limits)
        if hit is None:
            return run
        self.hit = hit
        first = m.statements[0] if m.statements else None
        line, column = (first.line, first.column) if first else (1, 1)
        if run.error is not None:
            line, column = run.error.line, run.error.column
        if run.error is None and run.statements:  # grew past the limit in a statement that then finished
            line, column = run.statements[-1].line, 1
        error = StatementError(line, column, run.error.sqlstate if run.error else None, hit.message(), hit.hint())
        self.warnings.append(
            f"{m.display_path}:{line}: the dry run stopped at its {hit.name} ({hit.value}) and tore its server "
            "down; later files were not run"
        )
        return replace(run, status="failed", error=error)

    def stopped(self) -> bool:
        return self.hit is not None or self.watchdog.hit is not None

    def plan(
        self,
        migrations: list[Migration],
        is_new: list[bool],
        first_new: int,
        baseline_count: int,
        seeds: list[Migration],
        use_supabase: bool,
        exposed: tuple[str, ...],
        base: PlanResult,
    ) -> PlanResult:
        from migration_guard.dryrun import advisories, catalog
        from migration_guard.dryrun.trace import outside_transaction

        self.supabase = use_supabase
        runs: list[MigrationRun] = []
        progress = Progress(self.options.progress)
        failed = False
        # 2. baseline, fast (a --baseline schema first, then the unchanged history).
        for i, m in enumerate(migrations[:first_new]):
            if failed or self.stopped():  # the failure is the root cause: later files are skipped, not failed
                runs.append(_skipped(m, False))
                continue
            progress.update(i + 1, first_new, m.path.name)
            run = self.execute(m, False, traced=False)
            if i < baseline_count and run.status == "applied":
                self.conn.execute("RESET ALL")  # dumps set search_path = '' for the session
            runs.append(self._explained(run, m, migrations[i + 1:]))
            failed = run.status == "failed"
        progress.done()
        # 3. seed data, so row counts and constraint checks meet real rows. A seed written for the new
        # schema cannot load yet: it is loaded again after the history, as `supabase db reset` does.
        later_seeds: list[Migration] = []
        for seed in seeds:
            if failed or self.stopped() or not seed.statements:
                continue
            seed_run = self.execute(seed, False, traced=False)
            if self.hit is not None:
                runs.append(seed_run)
                failed = True
            elif seed_run.status == "failed":
                later_seeds.append(seed)
        before = catalog.take(self.admin) if not failed else None
        adv_before = advisories.collect(self.admin, exposed, use_supabase) if not failed else set()

        # 4. the new migrations, traced (files after the first new one that are not new replay fast).
        for i in range(first_new, len(migrations)):
            m = migrations[i]
            if failed or self.stopped():
                runs.append(_skipped(m, is_new[i]))
                continue
            if is_new[i] and not m.no_transaction and outside_transaction(m):
                self.warnings.append(
                    f"{m.display_path}: runs outside a transaction (it has a statement PostgreSQL refuses in "
                    "one, e.g. CONCURRENTLY), statement by statement: a failure leaves the earlier ones applied. "
                    "Say so with `-- migration-guard: no-transaction`"
                )
            run = self.execute(m, is_new[i], traced=is_new[i])
            runs.append(self._explained(run, m, migrations[i + 1:]))
            failed = run.status == "failed"

        if self.stopped():
            return replace(base, ok=False, migrations=tuple(runs), warnings=tuple(self.warnings))
        affected: list[AffectedObject] = []
        new_advisories: list[Any] = []
        try:
            if before is not None:
                after = catalog.take(self.admin, with_dependents=False)
                affected = catalog.diff(before, after)
                new_advisories = advisories.new_since(adv_before, advisories.collect(self.admin, exposed, use_supabase))
            if not failed:
                self._late_seeds(later_seeds)
        except psycopg.Error:
            if self.watchdog.hit is None:
                raise
            self.warnings.append(f"the dry run stopped at its {self.watchdog.hit.name} ({self.watchdog.hit.value}) "
                                 "after the migrations ran, and tore its server down")
            return replace(base, ok=False, migrations=tuple(runs), warnings=tuple(self.warnings))
        if self.stopped():
            return replace(base, ok=False, migrations=tuple(runs), warnings=tuple(self.warnings))
        stats: dict[str, dict[str, Any]] = {}
        if self.options.stats_url and affected:
            from migration_guard.dryrun.stats import table_stats

            stats = table_stats(self.options.stats_url, affected)
            affected = sorted(affected, key=lambda a: -int(stats.get(_table_of(a), {}).get("rows", -1)))
        return replace(
            base,
            ok=not failed,
            migrations=tuple(runs),
            affected=tuple(affected),
            advisories=tuple(new_advisories),
            table_stats=stats,
            warnings=tuple(self.warnings),
        )

    def _explained(self, run: MigrationRun, m: Migration, later: list[Migration]) -> MigrationRun:
        """A missing object that a later-sorting file creates: the history is out of order; say so."""
        if run.status != "failed" or run.error is None or self.hit is not None:
            return run
        why = history.out_of_order(m, run.error, later) or platform_conflicts.conflict(run.error, self.supabase)
        return replace(run, error=replace(run.error, hint=why)) if why else run

    def _late_seeds(self, seeds: list[Migration]) -> None:
        for seed in seeds:
            run = self.execute(seed, False, traced=False)
            if self.hit is not None:
                return
            if run.status == "failed" and run.error is not None:
                e = run.error
                self.warnings.append(
                    f"{seed.display_path}:{e.line}: seed not loaded ({e.message}), neither before the new migrations "
                    "nor after the whole history: `supabase db reset` would stop here; the plan ran on empty tables"
                )
            else:
                self.warnings.append(
                    f"{seed.display_path}: seed loaded after the whole history (it needs the new schema), as "
                    "`supabase db reset` does; the new migrations ran on tables without its rows"
                )


def _table_of(a: AffectedObject) -> str:
    """The table an affected object belongs to ("schema.table"), or its own name."""
    name = a.name.split(" ", 1)[-1] if a.kind == "grant" else a.name
    return ".".join(name.split(".")[:2])

