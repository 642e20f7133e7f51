"""The bootstrap on real PostgreSQL, on a server shaped like the dry run's (superuser supabase_admin,
private install tree): migrations run as `postgres`, which is not a superuser but can do what
Supabase lets `postgres` do (CREATE EXTENSION, ownership and grants to the API roles, SET ROLE,
policies on storage/auth tables); JWT helpers read claims."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from dryrun_servers import fresh_database
from migration_guard.dryrun.bootstrap import (
    FALLBACK_ROLE,
    MIGRATION_ROLE,
    apply_bootstrap,
    bootstrap_hash,
    bootstrap_sql,
)
from migration_guard.dryrun.local import LocalPostgres


@pytest.fixture
def db(dry_server: LocalPostgres) -> Iterator[str]:
    """A fresh database on the dry-run-shaped server; yields its name."""
    with fresh_database(dry_server) as name:
        yield name


def test_bootstrap_is_idempotent_and_the_role_is_not_superuser(dry_server: LocalPostgres, db: str) -> None:
    with psycopg.connect(dry_server.conninfo(db)) as conn:
        assert apply_bootstrap(conn) == MIGRATION_ROLE
        apply_bootstrap(conn)  # twice: no error
        q = "select rolsuper, rolcreatedb, rolreplication, rolbypassrls from pg_roles where rolname = %s"
        assert conn.execute(q, (MIGRATION_ROLE,)).fetchone() == (False, True, True, True)
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace").fetchall()}
        assert {"auth", "storage", "realtime", "extensions", "graphql", "vault"} <= schemas
        assert "migration_guard_internal" not in schemas  # no elevation machinery with a private tree
        assert conn.execute("select 1 from pg_publication where pubname = 'supabase_realtime'").fetchone()
        owners = conn.execute(
            "select pg_get_userbyid(datdba), (select pg_get_userbyid(nspowner) from pg_namespace where nspname = "
            "'public') from pg_database where datname = current_database()"
        ).fetchone()
        assert owners == (MIGRATION_ROLE, MIGRATION_ROLE)


def test_jwt_helpers_read_request_jwt_claims_as_authenticated(dry_server: LocalPostgres, db: str) -> None:
    with psycopg.connect(dry_server.conninfo(db)) as conn:
        apply_bootstrap(conn)
    with psycopg.connect(dry_server.conninfo(db, user=MIGRATION_ROLE)) as conn:
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


def test_migration_role_can_do_what_supabase_allows_and_no_more(dry_server: LocalPostgres, db: str) -> None:
    with psycopg.connect(dry_server.conninfo(db)) as conn:
        apply_bootstrap(conn)
    with psycopg.connect(dry_server.conninfo(db, user=MIGRATION_ROLE), autocommit=True) as conn:
        conn.execute("create extension if not exists citext")  # trusted by PostgreSQL
        conn.execute("create extension pg_stat_statements")  # trusted by our policy, in the private tree
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
        conn.execute("alter table public.t owner to postgres")
        conn.execute("grant select on public.t to anon")
        conn.execute("alter publication supabase_realtime add table public.t")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("copy public.t from program 'id'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select pg_read_file('/etc/passwd')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("alter role current_user superuser")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create extension adminpack")  # refused by policy: not trusted in the tree
        with pytest.raises(psycopg.Error):
            conn.execute("create extension no_such_extension_here")
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (False,)


def test_plain_bootstrap_has_no_supabase_objects(dry_server: LocalPostgres, db: str) -> None:
    assert "auth.uid" not in bootstrap_sql(supabase=False)
    assert bootstrap_hash(False) != bootstrap_hash(True)
    with psycopg.connect(dry_server.conninfo(db)) as conn:
        apply_bootstrap(conn, supabase=False)
        assert conn.execute("select 1 from pg_namespace where nspname = 'auth'").fetchone() is None
        owner = conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = current_database()")
        assert owner.fetchone() == (MIGRATION_ROLE,)


def test_on_a_server_whose_postgres_is_a_superuser_migrations_run_as_a_non_superuser_stand_in(pg_url: str) -> None:
    """A plain postgres image behind --postgres-url: `postgres` is its superuser, so the migration role
    is another non-superuser with the same rights (the plan warns; see errortext.py)."""
    with psycopg.connect(pg_url) as conn:
        assert apply_bootstrap(conn, elevate=True) == FALLBACK_ROLE
        row = conn.execute("select rolsuper from pg_roles where rolname = %s", (FALLBACK_ROLE,)).fetchone()
        assert row == (False,)
