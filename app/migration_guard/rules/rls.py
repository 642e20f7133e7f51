"""Row level security (Supabase): exposed tables without RLS, RLS without policies, policies without RLS.

All three are judged at the end of the file, so the usual order (create table, create policies,
enable RLS) in one migration is fine.
"""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Migration, Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import LINT_AND_DRY_RUN, ExampleSetup, Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import display


def _created_here(ctx: Context) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for key in ctx.created:
        table = ctx.tables.get(key)
        if table is not None and table.file == ctx.file_index and not table.temporary and key not in seen:
            seen.add(key)
            yield key


def check_table_without_rls(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not ctx.options.supabase:
        return
    exposed = ctx.options.exposed_schemas
    for key in _created_here(ctx):
        table = ctx.tables[key]
        if key[0] in exposed and not table.rls:
            yield Hit(
                f"table {display(key)} is in the API-exposed schema {key[0]} without row level security: "
                "anyone with the anon key can read and write every row",
                table.line,
                table.column,
            )


TABLE_WITHOUT_RLS = Rule(
    id="table-without-rls",
    severity=Severity.ERROR,
    summary="new table in an API-exposed schema without ENABLE ROW LEVEL SECURITY",
    why=(
        "Supabase serves every table of the exposed schemas (default: public) through its Data API. "
        "Without row level security, the anon key that ships in every browser and mobile app can "
        "select, insert, update and delete all rows of the table: the data is public the moment the "
        "migration is applied."
    ),
    fix=(
        "CREATE TABLE public.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL,\n"
        "  body text);\n"
        "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY notes_owner ON public.notes FOR ALL TO authenticated\n"
        "  USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);"
    ),
    example="CREATE TABLE public.notes (id bigint PRIMARY KEY, body text);",
    check=check_table_without_rls,
    extra=ExampleSetup(supabase=True),
)


def check_rls_no_policy(migration: Migration, ctx: Context) -> Iterator[Hit]:
    for key in _created_here(ctx):
        table = ctx.tables[key]
        if table.rls and table.policies == 0:
            yield Hit(
                f"row level security is enabled on {display(key)} but no policy is created: "
                "every API query returns nothing",
                table.line,
                table.column,
                fixes.policy_for(key, table.columns),
            )


RLS_ENABLED_NO_POLICY = Rule(
    id="rls-enabled-no-policy",
    severity=Severity.WARNING,
    summary="RLS enabled on a new table but no policy created",
    why=(
        "With row level security on and no policy, every role except the table owner and "
        "service_role sees zero rows and cannot write: features built on the table silently return "
        "empty results. That is right for server-only tables; otherwise a policy is missing."
    ),
    fix=(
        "CREATE POLICY notes_owner ON public.notes FOR ALL TO authenticated\n"
        "  USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);\n"
        "-- or, for a server-only table, say so:\n"
        "-- migration-guard: allow rls-enabled-no-policy -- only the service role uses this table"
    ),
    example="CREATE TABLE notes (id bigint PRIMARY KEY, body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;",
    check=check_rls_no_policy,
    source=LINT_AND_DRY_RUN,  # the dry run's advisory of the same name is this rule
)


def check_policy_without_rls(migration: Migration, ctx: Context) -> Iterator[Hit]:
    flagged: set[tuple[str, str]] = set()
    for policy in ctx.pending_policies:
        table = ctx.tables.get(policy.table)
        if table is not None and table.rls is False and policy.table not in flagged:
            flagged.add(policy.table)
            line, column = ctx.resolve(policy)
            yield Hit(
                f"policy on {display(policy.table)} has no effect: row level security is not enabled on the table",
                line,
                column,
            )


POLICY_WITHOUT_RLS = Rule(
    id="policy-without-rls",
    severity=Severity.ERROR,
    summary="CREATE POLICY on a table whose row level security is off",
    why=(
        "Policies are only enforced when row level security is enabled on the table. Without it the "
        "policy is decoration: every role with table privileges (anon and authenticated on Supabase) "
        "reads and writes every row, while the migration reads as if access were restricted."
    ),
    fix="ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;",
    example=(
        "CREATE TABLE notes (id bigint PRIMARY KEY, user_id uuid);\n"
        "CREATE POLICY notes_owner ON notes FOR SELECT TO authenticated USING (auth.uid() = user_id);"
    ),
    check=check_policy_without_rls,
    source=LINT_AND_DRY_RUN,  # the dry run's advisory of the same name is this rule
)

RULES = (TABLE_WITHOUT_RLS, RLS_ENABLED_NO_POLICY, POLICY_WITHOUT_RLS)
