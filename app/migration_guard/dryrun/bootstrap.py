"""The dry-run database's bootstrap: Supabase's role model, and Supabase compatibility.

The server's superuser is ``supabase_admin`` (as on Supabase); migrations run as ``postgres``, a
non-superuser (``MIGRATION_ROLE``). The SQL parts, all idempotent and run as the superuser before
any pull-request SQL exists:

- ``bootstrap_base.sql`` (always): the migration role's attributes, database and ``public`` ownership;
- ``bootstrap_elevate.sql`` (``elevate``: servers whose extension folder is not ours): the hardened
  event triggers that let it create allowlisted extensions;
- ``bootstrap_roles.sql`` then ``bootstrap_supabase.sql`` (Supabase projects): anon, authenticated,
  service_role…, and the schemas, tables and functions real Supabase migrations reference.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

from migration_guard.dryrun.extension_policy import allowed_sql_array

# The role migrations run as: a non-superuser, like `postgres` on hosted Supabase.
MIGRATION_ROLE = "postgres"
# The cluster superuser of the servers the dry run creates (initdb -U), as on Supabase.
SUPERUSER = "supabase_admin"
# Only on a server whose `postgres` role is itself a superuser (a plain postgres image behind
# --postgres-url), where `postgres` cannot be the migration role: same rights, another name.
FALLBACK_ROLE = "mg_migrator"
_PARTS = ("bootstrap_base.sql", "bootstrap_elevate.sql", "bootstrap_roles.sql", "bootstrap_supabase.sql")


@cache
def _read(name: str) -> str:
    return resources.files("migration_guard.dryrun").joinpath(name).read_text(encoding="utf-8")


# Supabase's supautils lets `postgres` set session_replication_role: `supabase db dump` output and
# seeds start with `SET session_replication_role = replica`. Only where no event trigger guards
# CREATE EXTENSION (replica mode switches event triggers off); PostgreSQL 15's GRANT SET ON PARAMETER.
REPLICATION_ROLE_SETTING = 'grant set on parameter session_replication_role to "{{MIGRATION_ROLE}}";\n'


def bootstrap_sql(supabase: bool = True, elevate: bool = False, role: str = MIGRATION_ROLE) -> str:
    """The bootstrap as one SQL text for migration role ``role``."""
    parts = [_read("bootstrap_base.sql")]
    if elevate:
        parts.append(_read("bootstrap_elevate.sql"))
    if supabase:
        parts += [_read("bootstrap_roles.sql"), _read("bootstrap_supabase.sql")]
        if not elevate:
            parts.append(REPLICATION_ROLE_SETTING)
    text = "\n".join(parts).replace("{{ALLOWED_EXTENSIONS}}", allowed_sql_array())
    return text.replace("{{MIGRATION_ROLE}}", role)


def bootstrap_hash(supabase: bool = True) -> str:
    """Changes whenever the bootstrap does: part of the prepared-data-dir cache key."""
    h = hashlib.sha256(str(supabase).encode())
    for name in _PARTS:
        h.update(_read(name).encode())
    h.update(allowed_sql_array().encode())
    h.update(REPLICATION_ROLE_SETTING.encode())
    return h.hexdigest()[:16]


def migration_role(conn: Any) -> str:
    """``postgres``, unless that role is a superuser on this server (then ``FALLBACK_ROLE``)."""
    row = conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = 'postgres'").fetchone()
    return FALLBACK_ROLE if row and row[0] else MIGRATION_ROLE


def apply_bootstrap(conn: Any, supabase: bool = True, elevate: bool = False) -> str:
    """Run the bootstrap on ``conn`` (a psycopg connection as a superuser to the target database);
    return the migration role. ``elevate``: install the CREATE EXTENSION event triggers (servers
    without our private extension folder).

    Commits: roles are cluster-wide and the migration role must see everything it creates.
    """
    previous = conn.autocommit
    if not previous:
        conn.commit()  # autocommit can only change outside a transaction
    conn.autocommit = True
    try:
        row = conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = current_user").fetchone()
        if not row or not row[0]:
            from migration_guard.errors import UserError

            raise UserError("the dry run needs a superuser connection to prepare its database (roles, event triggers)")
        role = migration_role(conn)
        # Roles are shared by every database of the cluster: serialise concurrent bootstraps.
        conn.execute("select pg_catalog.pg_advisory_lock(727274)")
        try:
            conn.execute(bootstrap_sql(supabase, elevate, role).encode())
        finally:
            conn.execute("select pg_catalog.pg_advisory_unlock(727274)")
        return role
    finally:
        conn.autocommit = previous
