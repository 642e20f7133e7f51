"""A history that creates what the Supabase platform already has: say so, instead of a bare error.

e2b's first migration is a local stub of Supabase (``create role authenticated``, ``create schema
auth``, ``create table auth.users``): fine on a plain PostgreSQL, an error on every real Supabase
project, where the platform created them first. The dry run's Supabase bootstrap reproduces that
error; this names it as the conflict it is and the ways out.

supabase/storage's history sets up Supabase's roles itself (``grant postgres to authenticator``): on
Supabase `postgres` is already a member of `authenticator`, so that grant is a membership loop there.
"""

from __future__ import annotations

import re

from migration_guard.plan_model import StatementError

PLATFORM_ROLES = frozenset(
    {"anon", "authenticated", "service_role", "authenticator", "dashboard_user", "pgbouncer", "supabase_admin",
     "supabase_auth_admin", "supabase_storage_admin", "supabase_realtime_admin", "supabase_replication_admin",
     "supabase_read_only_user"}
)  # fmt: skip
PLATFORM_SCHEMAS = frozenset({"auth", "storage", "realtime", "extensions", "graphql", "graphql_public", "vault"})
_EXISTS = re.compile(r'^(role|schema|relation) "([^"]+)" already exists')
_LOOP = re.compile(r'^role "([^"]+)" is a member of role "([^"]+)"$')


def conflict(error: StatementError, supabase: bool) -> str | None:
    """The explanation for an "already exists" error on a platform object, or None."""
    if not supabase:
        return None
    if error.sqlstate == "0LP01":  # invalid_grant_operation: GRANT would make a membership loop
        return _membership_loop(error.message)
    if error.sqlstate not in ("42710", "42P06", "42P07"):
        return None
    m = _EXISTS.match(error.message)
    if m is None:
        return None
    kind, name = m.group(1), m.group(2)
    if kind == "role" and name in PLATFORM_ROLES:
        what = f"role `{name}`"
    elif kind == "schema" and name in PLATFORM_SCHEMAS:
        what = f"schema `{name}`"
    elif kind == "relation" and error.message and _platform_relation(name):
        what = f"`{name}`"
    else:
        return None
    return (
        f"conflicts with the Supabase platform: {what} already exists on every Supabase project, so this "
        "statement fails there too. The history creates its own stand-in of Supabase (written for a plain "
        "PostgreSQL?). Guard it (`if not exists`, or a DO block that catches duplicate_object), keep local stubs "
        "out of the migrations, or, if this database is not Supabase, dry-run with --supabase off"
    )


def _membership_loop(message: str) -> str | None:
    m = _LOOP.match(message)
    if m is None or m.group(2) not in PLATFORM_ROLES:
        return None
    member, role = m.group(1), m.group(2)
    return (
        f"conflicts with the Supabase platform: `{member}` is already a member of `{role}` on every Supabase "
        f"project, so granting `{member}` to `{role}` would make a membership loop and fails there too. The "
        "history sets up Supabase's roles itself (a service's own schema, such as supabase/storage's?). If this "
        "database is not a Supabase project, dry-run with --supabase off"
    )


def _platform_relation(name: str) -> bool:
    # "relation "users" already exists" does not name its schema; the auth tables are the usual stubs.
    return name in {"users", "identities", "sessions", "refresh_tokens", "buckets", "objects"}
