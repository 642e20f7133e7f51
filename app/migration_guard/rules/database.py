"""Rules the dry run checks on the database it built (after Supabase's splinter), not on the SQL text.

Their queries live in ``dryrun/advisories.py``; here is what every rule declares (id, severity,
why, the fix), so `rules`, the docs, suppressions and the project configuration treat them like the
lint rules. ``source="dry-run"``: the lint engine never runs them; `plan` and `check` report them
at the statement that created or last changed the object. Two advisories share a lint rule's id
(``policy-without-rls``, ``rls-enabled-no-policy``): those are one rule each, declared in ``rls.py``.
"""

from __future__ import annotations

from migration_guard.model import Severity
from migration_guard.rules.base import DRY_RUN, Rule

UNINDEXED_FOREIGN_KEY = Rule(
    id="unindexed-foreign-key",
    severity=Severity.WARNING,
    summary="a foreign key in the migrated database has no index covering its columns",
    why=(
        "Found on the dry-run database, so it also sees foreign keys added by dynamic SQL or an index "
        "dropped later: every DELETE or key UPDATE on the referenced table (and ON DELETE CASCADE) "
        "scans the referencing table to find its rows, holding row locks meanwhile. When lint's "
        "foreign-key-without-index reports the same table, the check shows only lint's finding."
    ),
    fix=(
        "-- Same migration when the table is new; otherwise its own no-transaction migration:\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON public.orders (customer_id);"
    ),
    example=(
        "CREATE TABLE public.customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES public.customers (id));"
    ),
    source=DRY_RUN,
)

FUNCTION_SEARCH_PATH_MUTABLE = Rule(
    id="function-search-path-mutable",
    severity=Severity.WARNING,
    summary="a function in the migrated database has no pinned search_path",
    why=(
        "A function without `SET search_path` resolves unqualified table, function and operator names "
        "through the caller's search_path: the same call can read a different table for another role, "
        "and a SECURITY DEFINER function can be made to run a caller's object with its owner's rights. "
        "Supabase's database linter reports every such function."
    ),
    fix=(
        "-- Pin it (empty: qualify every name in the body), in the CREATE or afterwards:\n"
        "ALTER FUNCTION public.touch_updated_at() SET search_path = '';"
    ),
    example=(
        "CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.updated_at := now(); RETURN NEW; END $$;"
    ),
    source=DRY_RUN,
)

RLS_DISABLED_IN_EXPOSED_SCHEMA = Rule(
    id="rls-disabled-in-exposed-schema",
    severity=Severity.WARNING,
    summary="a table in an API-exposed schema is readable by anon/authenticated without row level security",
    why=(
        "Supabase only: the Data API serves every table of the exposed schemas to any client holding "
        "the anon key. A table anon or authenticated can select from, with row level security off, is "
        "readable (and with write grants, writable) by everyone. Found on the dry-run database, so it "
        "sees grants and default privileges lint cannot."
    ),
    fix=(
        "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY notes_owner ON public.notes FOR ALL TO authenticated\n"
        "  USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);"
    ),
    example=(
        "CREATE TABLE public.notes (id bigint PRIMARY KEY, user_id uuid, body text);\n"
        "GRANT SELECT ON public.notes TO anon;"
    ),
    source=DRY_RUN,
)

SECURITY_DEFINER_VIEW = Rule(
    id="security-definer-view",
    severity=Severity.WARNING,
    summary="a view in an API-exposed schema runs with its owner's rights (no security_invoker)",
    why=(
        "Supabase only: a view reads its tables with the rights of its owner (postgres), so the row level "
        "security of those tables does not apply to the caller. Anyone who can select from the view "
        "through the Data API sees every row it reads. PostgreSQL 15 adds security_invoker = true."
    ),
    fix="ALTER VIEW public.note_titles SET (security_invoker = true);",
    example=(
        "CREATE TABLE public.notes (id bigint PRIMARY KEY, title text);\n"
        "CREATE VIEW public.note_titles AS SELECT id, title FROM public.notes;\n"
        "GRANT SELECT ON public.note_titles TO anon;"
    ),
    source=DRY_RUN,
)

MATERIALIZED_VIEW_IN_API = Rule(
    id="materialized-view-in-api",
    severity=Severity.WARNING,
    summary="a materialized view in an API-exposed schema is readable by anon/authenticated",
    why=(
        "Supabase only: a materialized view is a stored copy of its query's rows. It has no row level "
        "security and no security_invoker, so the Data API serves every stored row to anyone whose role "
        "can select it."
    ),
    fix=(
        "-- Keep it out of the API: revoke access, or move it to a schema the API does not expose:\n"
        "REVOKE SELECT ON public.note_counts FROM anon, authenticated;\n"
        "ALTER MATERIALIZED VIEW public.note_counts SET SCHEMA private;"
    ),
    example=(
        "CREATE TABLE public.notes (id bigint PRIMARY KEY);\n"
        "CREATE MATERIALIZED VIEW public.note_counts AS SELECT count(*) FROM public.notes;\n"
        "GRANT SELECT ON public.note_counts TO anon;"
    ),
    source=DRY_RUN,
)

RULES = (
    UNINDEXED_FOREIGN_KEY,
    FUNCTION_SEARCH_PATH_MUTABLE,
    RLS_DISABLED_IN_EXPOSED_SCHEMA,
    SECURITY_DEFINER_VIEW,
    MATERIALIZED_VIEW_IN_API,
)
