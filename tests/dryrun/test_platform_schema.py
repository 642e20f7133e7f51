"""The Supabase platform schemas of the dry-run bootstrap on real PostgreSQL: what seeds, triggers,
policies and `supabase db dump` output do with auth, storage and realtime works as the migration role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dryrun_servers import as_migration_role, bootstrapped_database
from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, SUPERUSER, apply_bootstrap
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.sharetree import build

USER_ID = "39418e3b-0258-4452-af60-7acfcc1263ff"  # the user of Quivr's seed


@pytest.fixture
def db(dry_server: LocalPostgres) -> Iterator[str]:
    with bootstrapped_database(dry_server) as url:
        yield url


def statements(path: Path) -> list[str]:
    """A pg_dump-style file's statements (each ends a line with ';'; no function bodies in these)."""
    parts = re.split(r";\n", path.read_text())
    cleaned = ("\n".join(ln for ln in p.splitlines() if not ln.startswith("--")).strip() for p in parts)
    return [s for s in cleaned if s]


def test_auth_has_the_gotrue_tables_columns_and_sequence(db: str) -> None:
    with psycopg.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'auth'").fetchall()}
        assert {
            "users", "identities", "sessions", "refresh_tokens", "audit_log_entries", "instances",
            "schema_migrations", "mfa_factors", "mfa_challenges", "mfa_amr_claims", "flow_state",
            "one_time_tokens", "sso_providers", "sso_domains", "saml_providers", "saml_relay_states",
        } <= tables  # fmt: skip
        cols = {r[0] for r in conn.execute(
            "select attname from pg_attribute where attrelid = 'auth.users'::regclass and attnum > 0"
        ).fetchall()}  # fmt: skip
        assert {"raw_user_meta_data", "confirmed_at", "is_sso_user", "is_anonymous", "deleted_at"} <= cols
        owner = conn.execute("select pg_get_userbyid(relowner) from pg_class where oid = 'auth.users'::regclass")
        assert owner.fetchone() == ("supabase_auth_admin",)
        assert conn.execute("select to_regclass('auth.refresh_tokens_id_seq')::text").fetchone() == (
            "auth.refresh_tokens_id_seq",
        )


def test_quivr_seed_auth_rows_load_as_the_migration_role(db: str, corpus: Path) -> None:
    # QuivrHQ__quivr/seed.sql is `supabase db dump --data-only` output: auth.audit_log_entries,
    # auth.users (33 named columns), auth.identities, then setval on auth.refresh_tokens_id_seq.
    auth = [s for s in statements(corpus / "QuivrHQ__quivr" / "seed.sql") if '"auth".' in s]
    assert len(auth) == 4
    with as_migration_role(db) as conn:
        for statement in auth:
            conn.execute(statement)
        assert conn.execute("select count(*) from auth.audit_log_entries").fetchone() == (28,)
        user = conn.execute("select email, confirmed_at is not null from auth.users where id = %s", (USER_ID,))
        assert user.fetchone() == ("admin@quivr.app", True)
        assert conn.execute("select email from auth.identities where user_id = %s", (USER_ID,)).fetchone() == (
            "admin@quivr.app",
        )
        assert conn.execute("select nextval('auth.refresh_tokens_id_seq')").fetchone() == (14,)


def test_signup_trigger_on_auth_users_fires_as_on_supabase(db: str, corpus: Path) -> None:
    # QuivrHQ__quivr/20240103173626_init.sql: public.users, handle_new_user() and its trigger.
    text = (corpus / "QuivrHQ__quivr" / "20240103173626_init.sql").read_text()
    start = text.index("CREATE TABLE IF NOT EXISTS public.users (")
    end = text.index("END $$;", text.index("on_auth_user_created", start)) + len("END $$;")
    with as_migration_role(db) as conn:
        conn.execute(text[start:end])
        conn.execute("insert into auth.users (id, email, raw_user_meta_data) values (%s, 'a@b.io', '{}')", (USER_ID,))
        assert conn.execute("select email from public.users").fetchall() == [("a@b.io",)]
        # GoTrue's unique partial index: a second non-SSO account with the same email is refused
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into auth.users (id, email) values (gen_random_uuid(), 'a@b.io')")


def test_storage_buckets_policies_and_helpers(db: str) -> None:
    with as_migration_role(db) as conn:
        # mckaywrigley__chatbot-ui/20240108234541_add_profiles.sql
        conn.execute("INSERT INTO storage.buckets (id, name, public) VALUES ('profile_images', 'profile_images', true)")
        conn.execute(
            'CREATE POLICY "Allow authenticated insert access to own profile images" ON storage.objects '
            "FOR INSERT TO authenticated WITH CHECK (bucket_id = 'profile_images' AND "
            "(storage.foldername(name))[1] = auth.uid()::text)"
        )
        conn.execute(
            "insert into storage.objects (bucket_id, name, owner_id, metadata) values "
            "('profile_images', %s || '/avatars/me.png', %s, '{\"size\": 10}'), "
            "('profile_images', %s || '/cv.pdf', %s, '{\"size\": 5}')",
            (USER_ID, USER_ID, USER_ID, USER_ID),
        )
        bucket = conn.execute("select type::text, public, versioning_status from storage.buckets").fetchone()
        assert bucket == ("STANDARD", True, "DISABLED")
        row = conn.execute(
            "select storage.foldername(%s), storage.filename(%s), storage.extension(%s)", ("a/b/c.png",) * 3
        ).fetchone()
        assert row == (["a", "b"], "c.png", "png")
        listing = conn.execute("select name, id is null from storage.search(%s, 'profile_images', 100, 2)", (
            USER_ID + "/",)).fetchall()  # fmt: skip
        assert listing == [("avatars", True), ("cv.pdf", False)]
        assert conn.execute("select size, bucket_id from storage.get_size_by_bucket()").fetchall() == [
            (15, "profile_images")
        ]
        # onlook-dev__onlook/0008_preview-img-storage.sql deletes straight from the tables
        conn.execute("delete from storage.objects where bucket_id = 'profile_images'")
        conn.execute("delete from storage.buckets where id = 'profile_images'")


def test_realtime_broadcast_changes_and_send_write_messages(db: str, corpus: Path) -> None:
    # onlook-dev__onlook/0007_realtime_rls.sql: a trigger calling realtime.broadcast_changes(...) and
    # policies on realtime.messages; pgflow calls realtime.send(payload, event, topic, false).
    onlook = (corpus / "onlook-dev__onlook" / "0007_realtime_rls.sql").read_text()
    trigger_fn = onlook[onlook.index("CREATE OR REPLACE FUNCTION public.project_changes()") : onlook.index("$$;") + 3]
    with as_migration_role(db) as conn:
        conn.execute("create table public.conversations (id uuid primary key, project_id uuid)")
        conn.execute("create table public.messages (id uuid primary key, conversation_id uuid)")
        conn.execute(trigger_fn)
        conn.execute(
            "create trigger handle_conversations_changes after insert or update or delete on public.conversations "
            "for each row execute function project_changes()"
        )
        conn.execute(
            'CREATE POLICY "Authenticated users can receive broadcasts" ON "realtime"."messages" '
            "FOR SELECT TO authenticated USING ( TRUE )"
        )
        conn.execute("alter publication supabase_realtime add table public.conversations")
        conn.execute("insert into public.conversations values (gen_random_uuid(), %s)", (USER_ID,))
        topic, event, payload = conn.execute("select topic, event, payload from realtime.messages").fetchone()  # type: ignore[misc]
        assert (topic, event) == (f"topic:{USER_ID}", "INSERT")
        assert payload["operation"] == "INSERT" and payload["table"] == "conversations"
        conn.execute("select realtime.send(jsonb_build_object('run_id', 1), 'run:started', 'pgflow:run:1', false)")
        assert conn.execute("select count(*) from realtime.messages where topic = 'pgflow:run:1'").fetchone() == (1,)
        conn.commit()
        # As anon there is no insert policy: Realtime's send() turns that into a WARNING, not an error.
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        conn.execute("set role anon")
        conn.execute("select realtime.send('{}'::jsonb, 'e', 't', true)")
        assert any(n.startswith("ErrorSendingBroadcastMessage") for n in notices)


def test_platform_extensions_vault_and_graphql_endpoint(db: str) -> None:
    with psycopg.connect(db) as conn:
        have = {r[0] for r in conn.execute("select name from pg_available_extensions").fetchall()}
        installed = {r[0] for r in conn.execute("select extname from pg_extension").fetchall()}
        # Installed by default on Supabase, here whenever this server offers them (the dry run's does).
        assert {"pg_graphql", "supabase_vault"} <= have
        assert {"pg_graphql", "supabase_vault", "pgcrypto", "uuid-ossp"} <= installed
        assert not {"pg_net", "pgmq", "pg_cron"} & installed  # created only when a migration enables them
    with as_migration_role(db) as conn:
        # pgflow-dev__pgflow/20251209074533_pgflow_worker_management.sql reads Vault in a SQL function
        # body without ever creating the extension: it must exist before the first migration.
        conn.execute(
            "create function public.service_key() returns text language sql stable as $$ "
            "select nullif((select decrypted_secret from vault.decrypted_secrets "
            "where name = 'supabase_service_role_key'), '') $$"
        )
        assert conn.execute("select public.service_key()").fetchone() == (None,)
        answer = conn.execute("select graphql_public.graphql(query => '{ __typename }')").fetchone()
        assert answer is not None and "not resolved in a dry run" in answer[0]["errors"][0]["message"]
    # Without pg_graphql the endpoint answers as Supabase's placeholder does.
    with psycopg.connect(db, autocommit=True) as su:
        su.execute("drop extension pg_graphql")
    with as_migration_role(db) as conn:
        assert conn.execute("select graphql_public.graphql(query => '{ x }')").fetchone() == (
            {"errors": [{"message": "pg_graphql extension is not enabled."}]},
        )


def test_pg_cron_as_postgres_schedules_its_own_jobs_only() -> None:
    # supabase__dbdev/20230405163940_download_metrics.sql: select cron.schedule('refresh download
    # metrics', '*/30 * * * *', 'refresh materialized view public.download_metrics;')
    tree = build(find_bin_dir())
    assert tree is not None
    if "pg_cron" not in tree.extensions():
        pytest.skip("pg_cron is not installed next to these binaries")  # pragma: no cover - CI installs it
    settings = {"shared_preload_libraries": "pg_cron", "cron.database_name": "crondb"}
    with LocalPostgres(superuser=SUPERUSER, executable=tree.postgres, settings=settings) as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("create database crondb")
        with psycopg.connect(server.conninfo("crondb")) as conn:
            apply_bootstrap(conn)
        with psycopg.connect(server.conninfo("crondb", user=MIGRATION_ROLE)) as conn:
            conn.execute("create extension if not exists pg_cron")
            job = conn.execute(
                "select cron.schedule('refresh download metrics', '*/30 * * * *', 'select 1')"
            ).fetchone()
            assert job is not None
            assert conn.execute("select jobname, username from cron.job").fetchall() == [
                ("refresh download metrics", MIGRATION_ROLE)
            ]
            # pgflow-dev__pgflow/20251209074533_pgflow_worker_management.sql cleans the run log
            conn.execute("delete from cron.job_run_details where end_time < now() - interval '24 hours'")
            assert conn.execute("select cron.unschedule('refresh download metrics')").fetchone() == (True,)
            conn.commit()
            # Jobs run as the role they name: postgres may not name another one, nor edit cron.job.
            # pg_cron says "must be superuser"; the stand-in (preferred over Debian's 1.4) says why too.
            with pytest.raises((psycopg.errors.InternalError_, psycopg.errors.InsufficientPrivilege),
                               match="superuser"):
                conn.execute("select cron.schedule_in_database('x', '* * * * *', 'select 1', 'crondb', %s)",
                             (SUPERUSER,))  # fmt: skip
            conn.rollback()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    "insert into cron.job (schedule, command, nodename, nodeport, database, username) "
                    "values ('* * * * *', 'select 1', '', 0, 'crondb', %s)",
                    (SUPERUSER,),
                )
            conn.rollback()
            conn.execute("select cron.schedule('own job', '0 * * * *', 'select 1')")
            conn.commit()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("update cron.job set username = %s", (SUPERUSER,))
