"""Is a column default volatile (evaluated per row → table rewrite on ADD COLUMN)?

Since PostgreSQL 11, ADD COLUMN with a non-volatile default stores the value once in the catalog:
no rewrite. Only volatile defaults rewrite. We cannot see the catalog, so we decide by name:
a list of known STABLE/IMMUTABLE functions (never flagged), a list of known VOLATILE ones
(flagged), and anything else (a user or extension function) is flagged as *assumed* volatile with
a message saying so: a silent rewrite of a big table is worse than one reasoned suppression.
"""

from __future__ import annotations

from typing import NamedTuple

from migration_guard.rules.nodes import Node, func_name, walk

KNOWN_VOLATILE = frozenset(
    {
        "random",
        "random_normal",
        "setseed",
        "gen_random_uuid",
        "gen_random_bytes",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuid_generate_v7",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "pg_current_xact_id",
    }
)

# STABLE or IMMUTABLE built-ins (and Supabase's auth helpers) commonly seen in defaults.
KNOWN_STABLE = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "timezone",
        "date_trunc",
        "date_part",
        "extract",
        "make_interval",
        "make_date",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "to_date",
        "to_char",
        "age",
        "current_setting",
        "current_schema",
        "lower",
        "upper",
        "trim",
        "btrim",
        "concat",
        "concat_ws",
        "format",
        "replace",
        "substring",
        "substr",
        "length",
        "md5",
        "encode",
        "decode",
        "abs",
        "round",
        "floor",
        "ceil",
        "jsonb_build_object",
        "jsonb_build_array",
        "json_build_object",
        "json_build_array",
        "to_jsonb",
        "to_json",
        "array_fill",
        "uuid_nil",
        "uuid_ns_dns",
        "uuid_ns_url",
        "uuid_ns_oid",
        "uuid_ns_x500",
        "auth.uid",
        "auth.role",
        "auth.jwt",
        "auth.email",
    }
)

_SAFE_SCHEMAS = ("", "pg_catalog", "extensions", "public")


class Volatility(NamedTuple):
    volatile: bool
    reason: str  # "" when not volatile


def _classify(name: str) -> str:
    """'volatile', 'stable' or 'unknown' for a function name (possibly schema-qualified)."""
    if name in KNOWN_STABLE:
        return "stable"
    schema, _, base = name.rpartition(".")
    if schema in _SAFE_SCHEMAS:
        if base in KNOWN_VOLATILE:
            return "volatile"
        if base in KNOWN_STABLE:
            return "stable"
    return "unknown"


def default_volatility(expr: Node | None) -> Volatility:
    """Walk every function call in the default expression; the worst one decides."""
    if not expr:
        return Volatility(False, "")
    unknown: str | None = None
    for kind, value in walk(expr):
        if kind == "FuncCall":
            name = func_name(value)
            verdict = _classify(name)
            if verdict == "volatile":
                return Volatility(True, f"{name}() is volatile: it is evaluated for every existing row")
            if verdict == "unknown" and unknown is None:
                unknown = name
    if unknown is not None:
        return Volatility(
            True,
            f"{unknown}() is not a known stable function, so it is assumed volatile "
            "(suppress with a reason if it is STABLE or IMMUTABLE)",
        )
    return Volatility(False, "")
