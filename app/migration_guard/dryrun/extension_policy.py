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


@dataclass(frozen=True)
class Decision:
    verdict: str  # "allowed" | "refused" | "unknown"
    reason: str = ""


def decide(name: str, standins: frozenset[str] | set[str] = frozenset()) -> Decision:
    """The verdict for ``CREATE EXTENSION name``; ``standins`` are the stand-ins this server offers
    (a stand-in of http/pg_net does nothing on the network, so it is allowed where the real one is not)."""
    if name in standins:
        return Decision("allowed")
    if name in REFUSED:
        return Decision("refused", REFUSED[name])
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
    """``ALLOWED`` as a SQL text[] literal, for the event triggers of the url/docker providers."""
    return "array[" + ", ".join("'" + n.replace("'", "''") + "'" for n in sorted(ALLOWED)) + "]::text[]"
