"""The bootstrap on real PostgreSQL: the migration role is not a superuser but can do what Supabase
lets `postgres` do (CREATE EXTENSION, policies on storage/auth tables); JWT helpers read claims."""

from __future__ import annotations

import psycopg
import pytest

from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, apply_bootstrap, bootstrap_hash, bootstrap_sql


def test_bootstrap_is_idempotent_and_the_role_is_not_superuser(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        apply_bootstrap(conn)
        apply_bootstrap(conn)  # twice: no error
        q = "select rolsuper, rolcreaterole from pg_roles where rolname = %s"
        row = conn.execute(q, (MIGRATION_ROLE,)).fetchone()
        assert row == (False, False)
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace").fetchall()}
        assert {"auth", "storage", "realtime", "extensions", "graphql", "vault"} <= schemas
        assert conn.execute("select 1 from pg_publication where pubname = 'supabase_realtime'").fetchone()


def test_jwt_helpers_read_request_jwt_claims_as_authenticated(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        apply_bootstrap(conn)
    with psycopg.connect(pg_url, user=MIGRATION_ROLE) as conn:
        conn.execute("set role authenticated")
        claims = '{"sub": "8d0fd2b3-9ca7-4d9e-a95f-9e13dded323e", "role": "authenticated", "email": "a@b.io"}'
        conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
        row = conn.execute("select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'email'").fetchone()
        assert row == ("8d0fd2b3-9ca7-4d9e-a95f-9e13dded323e", "authenticated", "a@b.io", "a@b.io")
        conn.rollback()
        # the legacy per-claim setting still works
        conn.execute("select set_config('request.jwt.claim.sub', '11111111-1111-1111-1111-111111111111', true)")
        assert conn.execute("select auth.uid()::text").fetchone() == ("11111111-1111-1111-1111-111111111111",)
        conn.rollback()
        assert conn.execute("select storage.foldername('a/b/c.png')").fetchone() == (["a", "b"],)


def test_migration_role_can_do_what_supabase_allows_and_no_more(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        apply_bootstrap(conn)
    with psycopg.connect(pg_url, user=MIGRATION_ROLE, autocommit=True) as conn:
        conn.execute("create extension if not exists citext")  # trusted
        conn.execute("create extension pg_stat_statements")  # untrusted: elevated for this command only
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)
        conn.execute(
            "create policy own_files on storage.objects for select to authenticated using (owner = auth.uid())"
        )
        conn.execute(
            "create function public.on_signup() returns trigger language plpgsql security definer "
            "set search_path = '' as $$ begin return new; end $$"
        )
        conn.execute(
            "create trigger on_signup after insert on auth.users for each row execute function public.on_signup()"
        )
        conn.execute("create table public.t (id int primary key)")
        conn.execute("alter publication supabase_realtime add table public.t")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("copy public.t from program 'id'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select pg_read_file('/etc/passwd')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("alter role current_user superuser")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set session_replication_role = replica")  # would disable the event triggers
        # a failing CREATE EXTENSION rolls the elevation back with it
        with pytest.raises(psycopg.Error):
            conn.execute("create extension no_such_extension_here")
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)


def test_plain_bootstrap_has_no_supabase_objects(pg_url: str) -> None:
    assert "auth.uid" not in bootstrap_sql(supabase=False)
    assert bootstrap_hash(False) != bootstrap_hash(True)
    with psycopg.connect(pg_url) as conn:
        apply_bootstrap(conn, supabase=False)
        assert conn.execute("select 1 from pg_namespace where nspname = 'auth'").fetchone() is None
        owner = conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = current_database()")
        assert owner.fetchone() == (MIGRATION_ROLE,)
