"""`migration-guard reset`: back to a clean development database in one command.

Steps, each a small function: keep the named tables' rows, drop the project's schemas and what the
migrations created in platform schemas, clear the ledger, replay every migration, restore the kept
rows, load the seeds. See cleanup.py for what is dropped and why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from migration_guard.apply.files import LocalMigration
from migration_guard.apply.ledger import SIDECAR_SCHEMA  # our facts about applied files: cleared too
from migration_guard.errors import UserError
from migration_guard.local import keepdata
from migration_guard.local.cleanup import PlatformObject, platform_objects, project_schemas
from migration_guard.local.db import Conn
from migration_guard.local.replay import replay
from migration_guard.local.seeds import load_seed

SUPABASE_API_ROLES = ("anon", "authenticated", "service_role")


@dataclass
class ResetPlan:
    migrations: list[LocalMigration]
    seeds: list[Path]
    keep: list[str]
    supabase: bool


@dataclass
class ResetReport:
    schemas_dropped: list[str] = field(default_factory=list)
    platform_dropped: list[PlatformObject] = field(default_factory=list)
    bootstrapped: bool = False
    migrations: int = 0
    replay_seconds: float = 0.0
    kept: list[tuple[str, int]] = field(default_factory=list)
    seeds: list[Path] = field(default_factory=list)
    seconds: float = 0.0


Say = Callable[[str], None]


def _exists(conn: Conn, query: str, *params: str) -> bool:
    return conn.execute(query, params).fetchone() is not None


def _schema_exists(conn: Conn, name: str) -> bool:
    return _exists(conn, "select 1 from pg_namespace where nspname = %s", name)


def _table_exists(conn: Conn, qualified: str) -> bool:
    return _exists(conn, "select 1 where to_regclass(%s) is not null", qualified)


def _role_exists(conn: Conn, name: str) -> bool:
    return _exists(conn, "select 1 from pg_roles where rolname = %s", name)


def _drop_platform_object(conn: Conn, obj: PlatformObject) -> bool:
    """Drop one object a migration created in a platform schema; False when it is not there."""
    ident = sql.Identifier(obj.schema, obj.name)
    if obj.kind in ("trigger", "policy"):
        assert obj.on is not None
        schema, _, table = obj.on.partition(".")
        if not _table_exists(conn, obj.on):
            return False
        kind = sql.SQL("trigger" if obj.kind == "trigger" else "policy")
        table_ident = sql.Identifier(schema, table)
        catalog = (
            "select 1 from pg_trigger where tgrelid = %s::regclass and tgname = %s"
            if obj.kind == "trigger"
            else "select 1 from pg_policy where polrelid = %s::regclass and polname = %s"
        )
        if not _exists(conn, catalog, obj.on, obj.name):
            return False
        conn.execute(sql.SQL("drop {} {} on {}").format(kind, sql.Identifier(obj.name), table_ident))
        return True
    if obj.kind == "function":
        procs = conn.execute(
            "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = %s and p.proname = %s",
            (obj.schema, obj.name),
        ).fetchall()
        for (signature,) in procs:
            conn.execute(sql.SQL("drop routine if exists {} cascade").format(sql.SQL(signature)))
        return bool(procs)
    relkinds = {"table": "rpf", "view": "vm", "index": "iI"}
    if obj.kind in relkinds:
        row = conn.execute(
            "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s",
            (obj.schema, obj.name),
        ).fetchone()
        if row is None or str(row[0]) not in relkinds[obj.kind]:
            return False
        word = {"r": "table", "p": "table", "f": "foreign table", "v": "view", "m": "materialized view"}.get(
            str(row[0]), "index"
        )
        conn.execute(sql.SQL("drop {} if exists {} cascade").format(sql.SQL(word), ident))
        return True
    if obj.kind == "type":
        if not _exists(
            conn,
            "select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace "
            "where n.nspname = %s and t.typname = %s",
            obj.schema,
            obj.name,
        ):
            return False
        conn.execute(sql.SQL("drop type if exists {} cascade").format(ident))
        return True
    return False


def _recreate_public(conn: Conn) -> None:
    """A fresh ``public`` schema with the grants a new Supabase (or plain PostgreSQL) database has."""
    conn.execute("create schema public authorization pg_database_owner")
    conn.execute("grant usage on schema public to public")
    roles = [r for r in SUPABASE_API_ROLES if _role_exists(conn, r)]
    if roles:
        grantees = sql.SQL(", ").join(sql.Identifier(r) for r in roles)
        conn.execute(sql.SQL("grant usage on schema public to {}").format(grantees))
        for objects in ("tables", "sequences", "functions"):
            conn.execute(
                sql.SQL("alter default privileges in schema public grant all on {} to {}").format(
                    sql.SQL(objects), grantees
                )
            )


def clear(conn: Conn, plan: ResetPlan, say: Say) -> ResetReport:
    """Everything the migrations built, dropped in one transaction (all or nothing)."""
    report = ResetReport()
    migrations = [lm.migration for lm in plan.migrations]
    with conn.transaction():
        for obj in platform_objects(migrations):
            if _drop_platform_object(conn, obj):
                report.platform_dropped.append(obj)
        for schema in project_schemas(migrations):
            if _schema_exists(conn, schema):
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
                report.schemas_dropped.append(schema)
        _recreate_public(conn)
        if _table_exists(conn, "auth.users"):  # seeds create users; --keep-data auth.users restores them
            conn.execute("delete from auth.users")
        if _schema_exists(conn, "supabase_migrations"):
            conn.execute("drop table if exists supabase_migrations.schema_migrations")
        if _schema_exists(conn, SIDECAR_SCHEMA):
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(SIDECAR_SCHEMA)))
    dropped = ", ".join(report.schemas_dropped) or "none"
    say(f"dropped schemas: {dropped}; {len(report.platform_dropped)} object(s) in platform schemas")
    return report


def bootstrap_if_needed(conn: Conn, supabase: bool, say: Say) -> bool:
    """A plain PostgreSQL used for a Supabase project gets the compatibility layer (auth, roles…).

    Never on a real Supabase stack (its ``auth`` schema exists): the real one must not be replaced.
    """
    if not supabase or _schema_exists(conn, "auth"):
        return False
    from migration_guard.dryrun.bootstrap import apply_bootstrap

    apply_bootstrap(conn)
    say("no auth schema: installed the Supabase compatibility layer (roles, auth, storage, extensions)")
    return True


def _database_error(exc: psycopg.Error) -> UserError:
    """A PostgreSQL error outside a migration (clearing, keeping rows): one line, never a traceback."""
    message = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
    detail = f" ({exc.diag.message_detail.strip()})" if exc.diag.message_detail else ""
    return UserError(f"reset failed: {message}{detail}", exit_code=1)


def reset(url: str, plan: ResetPlan, say: Say) -> ResetReport:
    try:
        return _reset(url, plan, say)
    except psycopg.Error as exc:
        raise _database_error(exc) from None


def _reset(url: str, plan: ResetPlan, say: Say) -> ResetReport:
    started = time.perf_counter()
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        from migration_guard.apply.target import url_secrets
        from migration_guard.redact import describe_database, redact

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise UserError(f"cannot connect to {describe_database(url)}: {redact(first, url_secrets(url))}") from None
    with conn:
        conn.execute("set client_min_messages = warning")
        # Kept rows leave the database first, so nothing below can lose them.
        folder, kept = (None, []) if not plan.keep else keepdata.dump(conn, plan.keep)
        for k in kept:
            say(f"saved {k.rows} row(s) of {k.qualified} to restore after the reset")
        try:
            bootstrapped = bootstrap_if_needed(conn, plan.supabase, say)
            report = clear(conn, plan, say)
            report.bootstrapped = bootstrapped
            report.replay_seconds = replay(conn, plan.migrations, say)
            report.migrations = len(plan.migrations)
            say(f"replayed {report.migrations} migration(s) in {report.replay_seconds:.2f}s")
            for seed in plan.seeds:
                load_seed(conn, seed)
                report.seeds.append(seed)
                say(f"loaded seed {seed}")
            if folder is not None:
                for k, inserted in keepdata.restore(conn, folder, kept):
                    report.kept.append((k.qualified, inserted))
                    skipped = k.rows - inserted
                    extra = f" ({skipped} already present after the seeds)" if skipped > 0 else ""
                    say(f"restored {inserted} row(s) of {k.qualified}{extra}")
        except BaseException:
            if folder is not None and folder.exists():
                say(f"the kept rows are saved in {folder}")
            raise
    report.seconds = time.perf_counter() - started
    return report
