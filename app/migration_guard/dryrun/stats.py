"""Real sizes for the affected tables, from a read-only connection to staging or production.

Only catalog estimates are read (``reltuples``, ``pg_total_relation_size``): no table is scanned,
and the session is read-only, so pointing ``--stats-url`` at production is safe.
"""

from __future__ import annotations

from typing import Any

import psycopg

from migration_guard.errors import UserError
from migration_guard.plan_model import AffectedObject
from migration_guard.redact import describe_database, redact

TABLE_KINDS = {"table", "column", "index", "constraint", "policy", "rls", "trigger"}

QUERY = """
select n.nspname || '.' || c.relname, greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'm') and n.nspname || '.' || c.relname = any(%s)
"""


def tables_of(affected: list[AffectedObject]) -> list[str]:
    # A table created by the migration has no production rows; anything done to an existing one counts.
    created = {a.name for a in affected if a.kind == "table" and a.change == "created"}
    names = {".".join(a.name.split(".")[:2]) for a in affected if a.kind in TABLE_KINDS}
    return sorted(names - created)


def table_stats(url: str, affected: list[AffectedObject]) -> dict[str, dict[str, Any]]:
    names = tables_of(affected)
    if not names:
        return {}
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute("set default_transaction_read_only = on")
            conn.execute("set statement_timeout = '10s'")
            rows = conn.execute(QUERY, (names,)).fetchall()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--stats-url ({describe_database(url)}): {redact(first, [url])}") from None
    return {str(name): {"rows": int(n), "bytes": int(size)} for name, n, size in rows}
