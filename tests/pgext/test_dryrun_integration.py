"""Both libraries on the real dry-run server: the local provider (private share tree, superuser
supabase_admin, the Supabase bootstrap) with pgext installed. The migration role `postgres` gets
CREATEROLE because mg_guard is preloaded, creates our `vector` stand-in itself, and still cannot
reach a shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, apply_bootstrap
from migration_guard.dryrun.providers import local_server
from migration_guard.dryrun.server import Server


def _prepare(server: Server) -> None:
    with psycopg.connect(server.conninfo()) as conn:
        apply_bootstrap(conn)


@pytest.fixture(scope="module")
def dry_run(pgext_installed: Path) -> Iterator[Server]:
    with local_server(None, None, _prepare, "pgext-test") as server:
        tree = server.extra.get("sharetree")
        if tree is None or "vector" not in tree.standins:
            pytest.fail(
                "the dry run's share tree does not offer the vector stand-in: it was built before "
                "mg_vector.so was installed (run make -C pgext install first)"
            )
        yield server


def test_dry_run_server_preloads_the_guard_and_offers_vector(dry_run: Server) -> None:
    with psycopg.connect(dry_run.role_conninfo(MIGRATION_ROLE), autocommit=True) as conn:
        assert conn.execute("show mg_guard.reserved_roles").fetchone() == ("supabase_admin",)  # loaded
        row = conn.execute("select rolsuper, rolcreaterole from pg_roles where rolname = current_user").fetchone()
        assert row == (False, True)
        comment = conn.execute("select comment from pg_available_extensions where name = 'vector'").fetchone()
        assert comment is not None and str(comment[0]).startswith("Migration Guard stand-in:")


def test_chatbot_ui_vector_statements_as_the_migration_role(dry_run: Server) -> None:
    with psycopg.connect(dry_run.role_conninfo(MIGRATION_ROLE), autocommit=True) as conn:
        conn.execute("create extension vector with schema extensions")
        conn.execute("create table file_items (id bigserial primary key, openai_embedding vector(1536))")
        conn.execute(
            "CREATE INDEX file_items_embedding_idx ON file_items USING hnsw (openai_embedding vector_cosine_ops)"
        )
        conn.execute("insert into file_items (openai_embedding) select array_fill(1, ARRAY[1536])")
        distance = conn.execute("select openai_embedding <=> array_fill(2, ARRAY[1536])::vector from file_items")
        assert distance.fetchone() == (pytest.approx(0.0),)
        conn.execute("drop extension vector cascade")


def test_the_migration_role_cannot_grant_itself_a_shell(dry_run: Server) -> None:
    with psycopg.connect(dry_run.role_conninfo(MIGRATION_ROLE), autocommit=True) as conn:
        conn.execute("create role pr_made_role")
        conn.execute("grant anon to pr_made_role")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Migration Guard dry-run sandbox"):
            conn.execute(f"grant pg_execute_server_program to {MIGRATION_ROLE}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Migration Guard dry-run sandbox"):
            conn.execute("alter role supabase_admin password 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("copy (select 1) to program 'cat > /dev/null'")
        conn.execute("drop role pr_made_role")
