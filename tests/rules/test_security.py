"""Security rules at lint time: disable-row-level-security, grant-write-to-anon, permissive-write-policy,
view-without-security-invoker, materialized-view-in-exposed-schema, security-definer-search-path."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_disable_rls_on_exposed_table(hits: Hits) -> None:
    base = "CREATE TABLE public.t (id int PRIMARY KEY);\nALTER TABLE public.t ENABLE ROW LEVEL SECURITY;"
    sql = (
        "ALTER TABLE public.t DISABLE ROW LEVEL SECURITY;\n"
        "ALTER TABLE private.x DISABLE ROW LEVEL SECURITY;\n"  # not exposed
        "ALTER TABLE public.u DISABLE ROW LEVEL SECURITY;\n"  # re-enabled below: a brief, atomic window
        "UPDATE public.u SET a = 1 WHERE id = 1;\n"
        "ALTER TABLE public.u ENABLE ROW LEVEL SECURITY;"
    )
    assert hits("disable-row-level-security", base, sql, supabase=True) == [(1, 13)]
    assert hits("disable-row-level-security", base, sql) == []  # not a Supabase project: no Data API


def test_grant_write_to_anon_or_public_without_rls(hits: Hits) -> None:
    sql = (
        "CREATE TABLE public.a (id int PRIMARY KEY);\nCREATE TABLE public.b (id int PRIMARY KEY);\n"
        "GRANT INSERT, UPDATE ON public.a TO anon, authenticated;\n"
        "GRANT SELECT ON public.a TO anon;\n"  # reading only
        "GRANT ALL ON TABLE public.b TO PUBLIC;\n"
        "ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;\n"  # enabled later in the file: policies guard it
        "GRANT DELETE ON public.never_seen TO anon;\n"  # its RLS state is unknown
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO anon;\n"
        "GRANT UPDATE ON public.a TO PUBLIC;"
    )
    assert hits("grant-write-to-anon", sql) == [(3, 25), (9, 17)]
    # In a Supabase project, a table created here without RLS is table-without-rls's finding (once);
    # a table from an earlier file whose RLS is off gets the grant finding.
    assert hits("grant-write-to-anon", sql, supabase=True) == []
    assert hits("table-without-rls", sql, supabase=True) == [(1, 1)]
    earlier = ("CREATE TABLE public.a (id int PRIMARY KEY);", "GRANT INSERT ON public.a TO anon;")
    assert hits("grant-write-to-anon", *earlier, supabase=True) == [(1, 17)]


def test_permissive_write_policies(hits: Hits) -> None:
    sql = (
        "CREATE POLICY p1 ON public.n FOR ALL USING (true);\n"
        "CREATE POLICY p2 ON public.n FOR SELECT USING (true);\n"  # reading public data is fine
        "CREATE POLICY p3 ON public.n FOR INSERT TO anon WITH CHECK (true);\n"
        "CREATE POLICY p4 ON public.n FOR INSERT TO authenticated WITH CHECK (true);\n"
        "CREATE POLICY p5 ON public.n FOR UPDATE TO public USING (auth.uid() = user_id) WITH CHECK (true);\n"
        "CREATE POLICY p6 ON public.n FOR DELETE TO anon USING (auth.uid() = user_id);\n"
        "CREATE POLICY p7 ON public.n AS RESTRICTIVE FOR ALL USING (true);\n"
        "CREATE POLICY p8 ON public.n FOR UPDATE TO anon, authenticated USING ('true'::boolean);"
    )
    assert hits("permissive-write-policy", sql) == [(1, 21), (3, 21), (5, 21), (8, 21)]


def test_views_and_materialized_views_in_exposed_schemas(hits: Hits) -> None:
    sql = (
        "CREATE VIEW public.v AS SELECT 1;\n"
        "CREATE VIEW public.w WITH (security_invoker = true) AS SELECT 1;\n"
        "CREATE VIEW private.p AS SELECT 1;\n"
        "CREATE VIEW public.later AS SELECT 1;\nALTER VIEW public.later SET (security_invoker = on);\n"
        "CREATE MATERIALIZED VIEW public.mv AS SELECT 1;\nCREATE MATERIALIZED VIEW private.mv AS SELECT 1;\n"
        "CREATE OR REPLACE VIEW v2 WITH (security_invoker) AS SELECT 1;\n"
        "CREATE VIEW api.v3 WITH (security_invoker = false) AS SELECT 1;"
    )
    assert hits("view-without-security-invoker", sql, supabase=True, exposed=("public", "api")) == [(1, 13), (9, 13)]
    assert hits("materialized-view-in-exposed-schema", sql, supabase=True) == [(6, 26)]
    assert hits("view-without-security-invoker", sql) == []


def test_security_definer_without_search_path(hits: Hits) -> None:
    sql = (
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';\n"
        "CREATE FUNCTION public.g() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'select 1';\n"
        "CREATE FUNCTION private.h() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';\n"
        "CREATE FUNCTION i() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';\n"
        "ALTER FUNCTION i() SET search_path = public, pg_temp;\n"
        "CREATE FUNCTION public.j() RETURNS int LANGUAGE sql AS 'select 1';\n"
        "  CREATE OR REPLACE FUNCTION k() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';"
    )
    assert hits("security-definer-search-path", sql, supabase=True) == [(1, 1), (7, 3)]
