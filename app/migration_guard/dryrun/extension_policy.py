"""Which extensions a pull request's SQL may create in the dry run: policy as data.

The dry run's migration role (``postgres``) is not a superuser. It may create an extension when:

- the extension is on ``ALLOWED``: safe for a non-superuser to own (no file, network or shell
  access, no superuser-only knobs). The local provider marks these ``trusted = true`` in its
  private install tree (``sharetree.py``), so PostgreSQL runs their scripts as the bootstrap
  superuser and nobody's session ever becomes superuser; the url/docker providers elevate only
  these, through the hardened event triggers of ``bootstrap_base.sql``;
- it is one of our stand-ins (``standins/<name>/``, local provider only).

``REFUSED`` extensions stop the plan before anything runs, with the reason. Anything else is
``unknown``: not reviewed, so not creatable here either (``--stub-extension`` is the way past it).
"""

from __future__ import annotations

from dataclasses import dataclass

# Reviewed: their scripts create types, functions, operators and tables only; their SECURITY DEFINER
# functions (pg_partman, pgaudit) pin search_path; none reads or writes server files, opens network
# connections, runs programs, or lets its owner change superuser-only settings.
ALLOWED: frozenset[str] = frozenset(
    {
        # PostgreSQL's own trusted extensions (contrib)
        "btree_gin", "btree_gist", "citext", "cube", "dict_int", "earthdistance", "fuzzystrmatch", "hstore",
        "intarray", "isn", "lo", "ltree", "pg_trgm", "pgcrypto", "plpgsql", "seg", "tablefunc", "tcn",
        "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp",
        # contrib that PostgreSQL leaves untrusted only because it shows cluster-wide statistics
        "amcheck", "autoinc", "bloom", "insert_username", "intagg", "moddatetime", "pg_buffercache",
        "pg_freespacemap", "pg_stat_statements", "pg_visibility", "pgrowlocks", "pgstattuple", "refint",
        "sslinfo", "dict_xsyn",
        # packaged for PostgreSQL 15 by Debian and offered by Supabase
        "pg_cron", "pgaudit", "hypopg", "pgtap", "plpgsql_check", "pg_partman", "rum",
        "postgis", "postgis_topology", "postgis_tiger_geocoder", "address_standardizer",
        "address_standardizer_data_us",
        # Supabase's own, when the server really has them (e.g. the supabase/postgres image)
        "vector", "pgjwt", "pg_graphql", "supabase_vault", "pgsodium", "pgmq", "pg_jsonschema", "pg_hashids",
        "index_advisor", "pg_stat_monitor", "plv8",
    }
)  # fmt: skip

_FILES = "reads or writes files on the database server"
_NETWORK = "opens network connections from the database server"
_SHELL = "is an untrusted language: its functions run any program as the server's operating-system user"

REFUSED: dict[str, str] = {
    "adminpack": _FILES + " (pg_file_write, pg_file_unlink)",
    "file_fdw": _FILES + " and runs programs (file_fdw's filename and program options)",
    "dblink": _NETWORK + " (dblink_connect to any host)",
    "postgres_fdw": _NETWORK + " (foreign servers)",
    "xml2": _FILES + " and fetches URLs (XSLT document())",
    "postgis_raster": _FILES + " (out-db rasters through GDAL)",
    "http": _NETWORK + " (http_get/http_post)",
    "pg_net": _NETWORK + " (net.http_get/http_post)",
    "wrappers": _NETWORK + " (foreign data wrappers to other services)",
    "pg_surgery": "changes heap tuples directly, bypassing every check",
    "plpython3u": _SHELL,
    "plpythonu": _SHELL,
    "plpython2u": _SHELL,
    "plperlu": _SHELL,
    "pltclu": _SHELL,
    "plsh": _SHELL,
    "pljava": _SHELL,
}


# SQL appended to an allowlisted extension's scripts in the private tree, run (like the script) as
# the bootstrap superuser: the grants Supabase's supautils gives `postgres` after CREATE EXTENSION
# (its after-create scripts), so migrations can use what they created. @extowner@ is the creator.
AFTER_CREATE: dict[str, str] = {
    "pg_cron": """
grant usage on schema cron to @extowner@ with grant option;
grant all on all functions in schema cron to @extowner@ with grant option;
grant usage, select on all sequences in schema cron to @extowner@ with grant option;
grant select, insert, update, delete on all tables in schema cron to @extowner@ with grant option;
-- cron.job.username is the role a job runs as, and BYPASSRLS skips pg_cron's own policy: only a
-- superuser may name another role (jobs cannot even connect in the dry run; this is the second lock).
create or replace function cron.migration_guard_job_owner() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $mg$
begin
  if new.username operator(pg_catalog.<>) current_user::text and not (select r.rolsuper from pg_catalog.pg_roles r
      where r.rolname operator(pg_catalog.=) current_user) then
    raise exception 'a cron job runs as the role that schedules it' using errcode = 'insufficient_privilege';
  end if;
  return new;
end $mg$;
drop trigger if exists migration_guard_job_owner on cron.job;
create trigger migration_guard_job_owner before insert or update on cron.job
  for each row execute function cron.migration_guard_job_owner();
""",
}

# Not elevated on servers without our extension folder (url/docker), where an extension's objects end
# up owned by the migration role: what that ownership would give it.
NOT_ELEVATED: dict[str, str] = {
    "pg_cron": "owning cron.job would let it run jobs as any role (its username column)",
    "pgaudit": "owning its event triggers' functions would let it run code in every later DDL, superusers' included",
}


@dataclass(frozen=True)
class Decision:
    verdict: str  # "allowed" | "refused" | "unknown"
    reason: str = ""


def decide(name: str, standins: frozenset[str] | set[str] = frozenset(), elevated: bool = False) -> Decision:
    """The verdict for ``CREATE EXTENSION name``; ``standins`` are the stand-ins this server offers
    (a stand-in of http/pg_net does nothing on the network, so it is allowed where the real one is not);
    ``elevated``: the server creates extensions through the event triggers (url/docker providers)."""
    if name in standins:
        return Decision("allowed")
    if name in REFUSED:
        return Decision("refused", REFUSED[name])
    if elevated and name in NOT_ELEVATED:
        return Decision("refused", NOT_ELEVATED[name] + " (the local provider creates it safely)")
    if name in ALLOWED:
        return Decision("allowed")
    return Decision("unknown", "it has not been reviewed as safe for a non-superuser to own")


def refusal_message(name: str, decision: Decision, path: str = "", line: int = 0) -> str:
    """One line: where, which extension, why, and the way past it."""
    where = f"{path}:{line}: " if path else ""
    return (
        f'{where}extension "{name}" is refused in the dry run: {decision.reason}. Pull-request SQL runs '
        f"here as a non-superuser and may not create it (docs/security.md); pass --stub-extension {name} "
        "to skip its CREATE EXTENSION"
    )


def allowed_sql_array() -> str:
    """What the event triggers of the url/docker providers elevate, as a SQL text[] literal."""
    names = sorted(ALLOWED - set(NOT_ELEVATED))
    return "array[" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + "]::text[]"
