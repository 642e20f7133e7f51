"""Table shape: every new table should have a primary key."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Migration, Severity
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import display


def check_missing_primary_key(migration: Migration, ctx: Context) -> Iterator[Hit]:
    seen: set[tuple[str, str]] = set()
    for key in ctx.created:
        table = ctx.tables.get(key)
        if table is None or table.file != ctx.file_index or key in seen:
            continue
        seen.add(key)
        # Partitions, INHERITS children and LIKE … INCLUDING INDEXES copies get their keys elsewhere;
        # temp tables are scratch. CREATE TABLE … AS and plain LIKE copies have none: flagged.
        if table.has_pk or table.temporary or table.partition or table.copies_other:
            continue
        made = f" (made by {table.made_by}, which copies no primary key)" if table.made_by else ""
        yield Hit(f"table {display(key)} has no primary key{made}", table.line, table.column)


MISSING_PRIMARY_KEY = Rule(
    id="missing-primary-key",
    severity=Severity.WARNING,
    summary="new table without a primary key",
    why=(
        "Without a primary key, rows cannot be addressed reliably: duplicates creep in, UPDATE and "
        "DELETE from the Supabase API or admin tools cannot target one row, logical replication "
        "(Supabase Realtime, read replicas) cannot replicate updates and deletes, and adding a key "
        "later means building a unique index on a full table."
    ),
    fix=("CREATE TABLE events (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  payload jsonb NOT NULL\n);"),
    example="CREATE TABLE events (payload jsonb NOT NULL);",
    check=check_missing_primary_key,
)

RULES = (MISSING_PRIMARY_KEY,)
