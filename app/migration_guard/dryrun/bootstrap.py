"""The dry-run database's bootstrap: the non-superuser migration role, and Supabase compatibility.

``bootstrap_base.sql`` (always) creates ``MIGRATION_ROLE``, makes it the database owner, and lets it
run CREATE EXTENSION as Supabase lets ``postgres`` (see the SQL for how). ``bootstrap_supabase.sql``
(Supabase projects) adds the roles, schemas, tables and functions that real Supabase migrations
reference. Both are idempotent and run as a superuser.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

# The role migrations run as: a non-superuser, like `postgres` on hosted Supabase.
MIGRATION_ROLE = "mg_migrator"


@cache
def _read(name: str) -> str:
    return resources.files("migration_guard.dryrun").joinpath(name).read_text(encoding="utf-8")


def bootstrap_sql(supabase: bool = True) -> str:
    """The bootstrap as one SQL text (base part, then the Supabase part when ``supabase``)."""
    parts = [_read("bootstrap_base.sql")]
    if supabase:
        parts.append(_read("bootstrap_supabase.sql"))
    return "\n".join(parts).replace("{{MIGRATION_ROLE}}", MIGRATION_ROLE)


def bootstrap_hash(supabase: bool = True) -> str:
    """Changes whenever the bootstrap does: part of the prepared-data-dir cache key."""
    return hashlib.sha256(bootstrap_sql(supabase).encode()).hexdigest()[:16]


def apply_bootstrap(conn: Any, supabase: bool = True) -> None:
    """Run the bootstrap on ``conn`` (a psycopg connection as a superuser to the target database).

    Commits: roles are cluster-wide and the migration role must see everything it creates.
    """
    previous = conn.autocommit
    if not previous:
        conn.commit()  # autocommit can only change outside a transaction
    conn.autocommit = True
    try:
        row = conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()
        if not row or not row[0]:
            from migration_guard.errors import UserError

            raise UserError("the dry run needs a superuser connection to prepare its database (roles, event triggers)")
        # Roles are shared by every database of the cluster: serialise concurrent bootstraps.
        conn.execute("select pg_advisory_lock(727274)")
        try:
            conn.execute(bootstrap_sql(supabase).encode())
        finally:
            conn.execute("select pg_advisory_unlock(727274)")
    finally:
        conn.autocommit = previous
