"""Supabase's most expensive mistakes, caught before the dry run: data opened to the anon key.

Tables, views and functions in the API-exposed schemas (default: public) are reachable with the
anon key that ships in every client. Judged at the end of the file (and of the change), so a GRANT
or view secured later in the same migration is not flagged.
"""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Migration, Severity
from migration_guard.rules import fixes
from migration_guard.rules.base import ExampleSetup, Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, display, location, table_key

_SUPABASE = ExampleSetup(supabase=True)


def check_disable_rls(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not ctx.options.supabase:
        return
    for pending in ctx.rls_disabled:
        table = ctx.tables.get(pending.table)
        if pending.table[0] not in ctx.options.exposed_schemas or table is None or table.rls is not False:
            continue  # enabled again before the file (or change) ends
        line, column = ctx.resolve(pending)
        yield Hit(
            f"DISABLE ROW LEVEL SECURITY on {display(pending.table)} in the API-exposed schema "
            f"{pending.table[0]}: its policies stop applying and the anon key reaches every row",
            line,
            column,
            f"-- keep RLS on; to let the server bypass it, use the service role (it has BYPASSRLS):\n"
            f"ALTER TABLE {fixes.qualified(pending.table)} ENABLE ROW LEVEL SECURITY;",
        )


DISABLE_ROW_LEVEL_SECURITY = Rule(
    id="disable-row-level-security",
    severity=Severity.ERROR,
    summary="DISABLE ROW LEVEL SECURITY on a table in an API-exposed schema",
    why=(
        "With row level security disabled, every policy on the table is ignored and the table's grants "
        "alone decide: on Supabase, anon and authenticated hold SELECT, INSERT, UPDATE and DELETE on "
        "tables in the exposed schemas by default, so anyone with the public anon key can read and "
        "change every row through the Data API the moment the migration commits."
    ),
    fix=(
        "-- Keep RLS enabled and express access as policies; server code uses the service role,\n"
        "-- which bypasses RLS without opening the table to everyone:\n"
        "ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;"
    ),
    example="ALTER TABLE public.profiles DISABLE ROW LEVEL SECURITY;",
    check=check_disable_rls,
    extra=_SUPABASE,
)


def check_grant_write(migration: Migration, ctx: Context) -> Iterator[Hit]:
    for pending, grantee, what in ctx.grants:
        table = ctx.tables.get(pending.table)
        if table is None or table.rls is not False:
            continue  # RLS on (policies decide which rows), or unknown: a table whose history we lack
        covered = ctx.options.supabase and table.file == ctx.file_index and not table.temporary
        if covered and pending.table[0] in ctx.options.exposed_schemas:
            continue  # created here without RLS: table-without-rls already reports the open table
        line, column = ctx.resolve(pending)
        yield Hit(
            f"GRANT {what} on {display(pending.table)} to {grantee}, and the table has row level security off: "
            f"{'anyone with the anon key' if grantee == 'anon' else 'every role'} can change every row",
            line,
            column,
            f"ALTER TABLE {fixes.qualified(pending.table)} ENABLE ROW LEVEL SECURITY;\n"
            f"-- then one policy per action, e.g.:\n"
            f"CREATE POLICY {fixes.ident(pending.table[1] + '_insert_own')} ON {fixes.qualified(pending.table)} "
            f"FOR INSERT TO authenticated WITH CHECK ((SELECT auth.uid()) = user_id);",
        )


GRANT_WRITE_TO_ANON = Rule(
    id="grant-write-to-anon",
    severity=Severity.ERROR,
    summary="GRANT INSERT/UPDATE/DELETE/ALL to anon or PUBLIC on a table without row level security",
    why=(
        "A write privilege for anon (the role of every request made with the public anon key) or PUBLIC "
        "(every role) on a table without row level security lets anyone insert, overwrite or delete any "
        "row through the Data API. With RLS enabled the grant only opens the door that policies then "
        "guard row by row."
    ),
    fix=(
        "ALTER TABLE public.feedback ENABLE ROW LEVEL SECURITY;\n"
        "GRANT INSERT ON public.feedback TO anon;\n"
        "CREATE POLICY feedback_insert ON public.feedback FOR INSERT TO anon WITH CHECK (length(body) < 2000);"
    ),
    example="CREATE TABLE public.feedback (id bigint PRIMARY KEY, body text);\nGRANT ALL ON public.feedback TO anon;",
    check=check_grant_write,
)

_WIDE_ROLES = frozenset({"anon", "public"})


def _is_true(expr: Node | None) -> bool:
    if not expr:
        return False
    const = expr.get("A_Const") or {}
    if "boolval" in const:
        return bool(const["boolval"].get("boolval", False))
    cast = expr.get("TypeCast") or {}
    inner = (cast.get("arg") or {}).get("A_Const") or {}
    return str((inner.get("sval") or {}).get("sval", "")).lower() in ("true", "t", "on", "1", "yes")


def check_permissive_policy(node: Node, ctx: Context) -> Iterator[Hit]:
    if not node.get("permissive"):
        return  # AS RESTRICTIVE (the JSON leaves out false): it only narrows the permissive ones
    cmd = node.get("cmd_name", "all")
    roles = []
    for spec in node.get("roles") or ():
        role = spec.get("RoleSpec") or {}
        roles.append("public" if role.get("roletype") == "ROLESPEC_PUBLIC" else role.get("rolename", ""))
    wide = [r for r in roles or ["public"] if r in _WIDE_ROLES]
    if not wide or cmd not in ("insert", "update", "delete", "all"):
        return
    qual, check = node.get("qual"), node.get("with_check")
    if cmd == "insert":
        open_ = _is_true(check)
    elif cmd == "delete":
        open_ = _is_true(qual)
    else:  # UPDATE / ALL: WITH CHECK defaults to USING
        open_ = _is_true(qual) or _is_true(check) or (check is None and _is_true(qual))
    if not open_:
        return
    key = table_key(node.get("table"))
    target = display(key) if key else "the table"
    verb = {"all": "read, insert, update and delete"}.get(cmd, cmd)
    yield ctx.hit(
        f"policy {node.get('policy_name', '')} lets {' and '.join(wide)} {verb} any row of {target} "
        "(its condition is just true)",
        location(node.get("table")),
    )


PERMISSIVE_WRITE_POLICY = Rule(
    id="permissive-write-policy",
    severity=Severity.ERROR,
    summary="INSERT/UPDATE/DELETE/ALL policy with USING (true) or WITH CHECK (true) for anon or PUBLIC",
    why=(
        "A permissive write policy whose condition is just true, for anon, PUBLIC or no role (which "
        "means PUBLIC), turns row level security off for that action: anyone with the anon key can "
        "insert, overwrite or delete any row. It usually comes from copying a read policy (SELECT … "
        "USING (true) is fine for public data) to FOR ALL."
    ),
    fix=(
        "CREATE POLICY notes_read ON public.notes FOR SELECT TO anon, authenticated USING (true);\n"
        "CREATE POLICY notes_write ON public.notes FOR ALL TO authenticated\n"
        "  USING ((SELECT auth.uid()) = user_id) WITH CHECK ((SELECT auth.uid()) = user_id);"
    ),
    example="CREATE POLICY notes_all ON public.notes FOR ALL USING (true);",
    check=check_permissive_policy,
    kinds=frozenset({"CreatePolicyStmt"}),
)


def check_view_invoker(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not ctx.options.supabase:
        return
    old_server = ctx.options.pg_version is not None and ctx.options.pg_version < 15
    for key, (line, column, invoker) in ctx.views.items():
        if invoker or key[0] not in ctx.options.exposed_schemas:
            continue
        fix = f"ALTER VIEW {fixes.qualified(key)} SET (security_invoker = true);  -- PostgreSQL 15+"
        if old_server:  # no security_invoker before 15: keep the view away from the API roles
            fix = f"REVOKE ALL ON {fixes.qualified(key)} FROM anon, authenticated;  -- or move it to a private schema"
        yield Hit(
            f"view {display(key)} in the API-exposed schema {key[0]} runs with its owner's rights: it reads "
            "the underlying tables bypassing the caller's row level security",
            line,
            column,
            fix,
        )


VIEW_WITHOUT_SECURITY_INVOKER = Rule(
    id="view-without-security-invoker",
    severity=Severity.ERROR,
    summary="view in an API-exposed schema without security_invoker = true",
    why=(
        "A view runs its query with the rights of its owner (postgres on Supabase), so the row level "
        "security of the tables it reads does not apply to the caller: anyone with the anon key who "
        "can select from the view sees every row of the underlying tables. security_invoker = true "
        "(PostgreSQL 15+) makes the view check the caller's rights and policies."
    ),
    fix=(
        "CREATE VIEW public.active_notes WITH (security_invoker = true) AS\n"
        "  SELECT id, body FROM public.notes WHERE archived_at IS NULL;"
    ),
    example="CREATE VIEW public.active_notes AS SELECT id, body FROM public.notes WHERE archived_at IS NULL;",
    check=check_view_invoker,
    extra=_SUPABASE,
)


def check_matview(node: Node, ctx: Context) -> Iterator[Hit]:
    if node.get("objtype") != "OBJECT_MATVIEW" or not ctx.options.supabase:
        return
    into = node.get("into") or {}
    rel = (into.get("IntoClause") or into).get("rel")
    key = table_key(rel)
    if key is None or key[0] not in ctx.options.exposed_schemas:
        return
    yield ctx.hit(
        f"materialized view {display(key)} in the API-exposed schema {key[0]} is a stored copy that no row "
        "level security filters: anyone with the anon key reads all of it",
        location(rel),
        f"-- keep it out of the API: a private schema, or revoke the API roles' access:\n"
        f"REVOKE ALL ON {fixes.qualified(key)} FROM anon, authenticated;",
    )


MATERIALIZED_VIEW_IN_EXPOSED_SCHEMA = Rule(
    id="materialized-view-in-exposed-schema",
    severity=Severity.WARNING,
    summary="materialized view in an API-exposed schema",
    why=(
        "A materialized view stores the result of its query; row level security cannot be enabled on "
        "it and it has no security_invoker option. In an exposed schema, the Data API serves every "
        "stored row to anyone whose role can select it (anon and authenticated by default on Supabase)."
    ),
    fix=(
        "CREATE SCHEMA IF NOT EXISTS private;\n"
        "CREATE MATERIALIZED VIEW private.daily_sales AS SELECT day, sum(amount) FROM public.orders GROUP BY day;"
    ),
    example="CREATE MATERIALIZED VIEW public.daily_sales AS SELECT 1 AS day;",
    check=check_matview,
    kinds=frozenset({"CreateTableAsStmt"}),
    extra=_SUPABASE,
)


def check_definer_search_path(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if not ctx.options.supabase:
        return
    for key, (line, column, _name) in ctx.definers.items():
        schema = key.rpartition(".")[0]
        if schema not in ctx.options.exposed_schemas:
            continue
        shown = key.removeprefix("public.")
        yield Hit(
            f"SECURITY DEFINER function {shown} in the API-exposed schema {schema} has no pinned search_path: "
            "a caller who controls an earlier schema on the path can make it run their code with its owner's "
            "rights",
            line,
            column,
            f"ALTER FUNCTION {shown} SET search_path = '';  -- and schema-qualify every name in its body",
        )


SECURITY_DEFINER_SEARCH_PATH = Rule(
    id="security-definer-search-path",
    severity=Severity.ERROR,
    summary="SECURITY DEFINER function in an exposed schema without SET search_path",
    why=(
        "A SECURITY DEFINER function runs with its owner's rights (often postgres). Without a pinned "
        "search_path it resolves unqualified names (tables, functions, operators) through the caller's "
        "search_path, so a caller who can create objects in a schema searched first substitutes their "
        "own and runs it as the owner. In an exposed schema the function is also callable by anyone "
        "through the Data API (/rpc)."
    ),
    fix=(
        "CREATE OR REPLACE FUNCTION public.is_admin() RETURNS boolean\n"
        "  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''\n"
        "  AS $$ SELECT EXISTS (SELECT 1 FROM public.admins WHERE user_id = (SELECT auth.uid())) $$;"
    ),
    example=(
        "CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER\n"
        "  AS $$ SELECT EXISTS (SELECT 1 FROM admins WHERE user_id = auth.uid()) $$;"
    ),
    check=check_definer_search_path,
    extra=_SUPABASE,
)

RULES = (
    DISABLE_ROW_LEVEL_SECURITY,
    GRANT_WRITE_TO_ANON,
    PERMISSIVE_WRITE_POLICY,
    VIEW_WITHOUT_SECURITY_INVOKER,
    MATERIALIZED_VIEW_IN_EXPOSED_SCHEMA,
    SECURITY_DEFINER_SEARCH_PATH,
)
