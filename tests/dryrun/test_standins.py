"""Stand-in extensions on real PostgreSQL: the calls real Supabase migrations make resolve, type-check
and do what the docs say, as the non-superuser migration role; nothing leaves the database.

The server is shaped like the dry run's (superuser supabase_admin, the private install tree that
offers the stand-ins), and each stand-in is created the way a migration creates it: CREATE EXTENSION
as `postgres`, which PostgreSQL runs as a trusted extension (objects owned by the superuser).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dryrun_servers import as_migration_role, bootstrapped_database, dry_run_server
from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, SUPERUSER
from migration_guard.dryrun.local import LocalPostgres

STANDINS = Path(__file__).resolve().parents[2] / "app" / "migration_guard" / "dryrun" / "standins"
OURS = ["pg_net", "http", "pgjwt", "pgsodium", "supabase_vault", "pg_graphql", "pgmq", "wrappers"]
# The schema the real extension's control file fixes (None: relocatable to WITH SCHEMA, or none).
REAL_SCHEMA = {"pgsodium": "pgsodium", "supabase_vault": "vault", "pg_graphql": "graphql", "pgmq": "pgmq"}


def control(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (STANDINS / name / f"{name}.control").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip().strip("'")
    return out


def script(name: str) -> Path:
    return STANDINS / name / f"{name}--{control(name)['default_version']}.sql"


@pytest.fixture(scope="module")
def dry_server() -> Iterator[LocalPostgres]:
    with dry_run_server(OURS) as server:
        yield server


@pytest.fixture
def db(dry_server: LocalPostgres) -> Iterator[str]:
    """A dry-run database: the Supabase bootstrap, as the dry run prepares it; yields its URL."""
    with bootstrapped_database(dry_server) as url:
        yield url


def install(url: str, name: str, schema: str | None = None) -> None:
    """CREATE EXTENSION as a migration does it (as `postgres`, not a superuser)."""
    with psycopg.connect(url, user=MIGRATION_ROLE, autocommit=True) as conn:
        where = f' with schema "{schema}"' if schema else ""
        conn.execute(f'create extension if not exists "{name}"{where}')


def corpus_text(corpus: Path, rel: str, start: str, end: str = r"\$\$;") -> str:
    """The statement of a corpus file that starts at ``start`` and ends at the first ``end`` after it."""
    text = (corpus / rel).read_text()
    m = re.search(start + r".*?" + end, text, re.S | re.I)
    assert m, f"{rel}: {start!r} not found"
    return m.group(0)


# ---- the files themselves ------------------------------------------------------------------------


@pytest.mark.parametrize("name", OURS)
def test_standin_files_follow_the_share_tree_contract(name: str) -> None:
    ctl = control(name)
    assert ctl["trusted"] == "true"
    assert ctl["comment"].startswith("Migration Guard stand-in:")
    assert ctl["relocatable"] == "false"
    assert ctl.get("schema") == REAL_SCHEMA.get(name)
    assert "module_pathname" not in ctl  # SQL only: offered on every server
    text = script(name).read_text()
    assert re.search(r"^\\echo Use \"CREATE EXTENSION " + name + r"\"", text, re.M)
    # Nothing that reaches outside the database or runs with more rights than the caller (code, not comments).
    code = "\n".join(line.split("--", 1)[0] for line in text.lower().splitlines())
    for forbidden in (
        "security definer",
        "from program",
        "dblink",
        "postgres_fdw",
        "file_fdw",
        "pg_read_file",
        "lo_import",
        "lo_export",
        "pg_ls_dir",
        "copy ",
    ):
        assert forbidden not in code, f"{name}: {forbidden}"


def test_standin_functions_run_as_their_caller_and_cannot_be_replaced(db: str) -> None:
    for name in OURS:
        install(db, name, "public" if name in ("pg_net", "wrappers") else None if name in REAL_SCHEMA else "extensions")
    with psycopg.connect(db, user=SUPERUSER) as su:
        owners = su.execute(
            "select e.extname, pg_get_userbyid(e.extowner), "
            "(select array_agg(distinct pg_get_userbyid(p.proowner)) from pg_depend d "
            " join pg_proc p on p.oid = d.objid "
            " where d.refobjid = e.oid and d.classid = 'pg_proc'::regclass and d.deptype = 'e') "
            "from pg_extension e where e.extname = any(%s) order by 1",
            (OURS,),
        ).fetchall()
        # Created by `postgres` (owner of the extension; the bootstrap creates pg_graphql and
        # supabase_vault, as the platform does), every function owned by the superuser.
        platform = ("pg_graphql", "supabase_vault")
        assert owners == sorted((n, SUPERUSER if n in platform else MIGRATION_ROLE, [SUPERUSER]) for n in OURS)
        definer = su.execute(
            "select p.oid::regprocedure::text from pg_depend d join pg_proc p on p.oid = d.objid "
            "join pg_extension e on e.oid = d.refobjid "
            "where d.classid = 'pg_proc'::regclass and d.deptype = 'e' and e.extname = any(%s) and p.prosecdef",
            (OURS,),
        ).fetchall()
        assert definer == []  # every stand-in function runs with its caller's rights
    with as_migration_role(db) as conn:
        for ddl in (
            "create or replace function net.http_post(url text, body jsonb, params jsonb, headers jsonb, "
            "timeout_milliseconds integer) returns bigint language sql as 'select 1::bigint'",
            "create or replace function public.stripe_fdw_handler() returns fdw_handler language internal "
            "as 'fdw_handler_in'",
            "create or replace function extensions.http(request extensions.http_request) returns "
            "extensions.http_response language sql as 'select null::extensions.http_response'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(ddl)
            conn.rollback()


# ---- pg_net --------------------------------------------------------------------------------------


def test_pg_net_queues_the_requests_pgflow_makes_and_sends_nothing(db: str, corpus: Path) -> None:
    # pgflow-dev__pgflow/20251209074533_pgflow_worker_management.sql: CREATE EXTENSION ... WITH SCHEMA
    # "public", then net.http_post(url => ..., headers => jsonb_build_object(...), body => '{}'::jsonb).
    use = corpus_text(
        corpus,
        "pgflow-dev__pgflow/20251209074533_pgflow_worker_management.sql",
        r"net\.http_post\(",
        r"\) as request_id",
    )
    assert "url =>" in use and "headers =>" in use and "body =>" in use
    install(db, "pg_net", "public")
    with as_migration_role(db) as conn:
        request_id = conn.execute(
            "select net.http_post(url => 'https://p.supabase.co/functions/v1/worker', "
            "headers => jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer x'), "
            "body => '{}'::jsonb) as request_id"
        ).fetchone()
        get_id = conn.execute("select net.http_get('https://example.com/a', params => '{\"q\": \"a b\"}')").fetchone()
        del_id = conn.execute("select net.http_delete('https://example.com/b')").fetchone()
        assert request_id and get_id and del_id and len({request_id, get_id, del_id}) == 3
        queued = conn.execute("select method, url from net.http_request_queue order by id").fetchall()
        assert queued == [
            ("POST", "https://p.supabase.co/functions/v1/worker"),
            ("GET", "https://example.com/a?q=a%20b"),
            ("DELETE", "https://example.com/b"),
        ]
        # pgflow's cleanup comment reads net._http_response; it exists and never fills.
        assert conn.execute("select count(*) from net._http_response").fetchone() == (0,)
        status = conn.execute("select (net.http_collect_response(%s)).status::text", request_id).fetchone()
        assert status == ("PENDING",)
        # pg_net's own checks: a non-JSON content type is refused, as on Supabase.
        with pytest.raises(psycopg.errors.RaiseException, match="Content-Type"):
            conn.execute(
                "select net.http_post('https://x', '{}'::jsonb, headers => '{\"Content-Type\": \"text/xml\"}')"
            )


# ---- http ----------------------------------------------------------------------------------------


def test_http_runs_chatbot_ui_delete_storage_object_without_sending(db: str, corpus: Path) -> None:
    # mckaywrigley__chatbot-ui/20240108234540_setup.sql: `create extension http with schema extensions`,
    # then delete_storage_object() builds an extensions.http_request with extensions.http_header(...).
    install(db, "http", "extensions")
    function = corpus_text(
        corpus,
        "mckaywrigley__chatbot-ui/20240108234540_setup.sql",
        r"CREATE OR REPLACE FUNCTION delete_storage_object\(bucket TEXT",
    )
    with as_migration_role(db) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        conn.execute(function)
        row = conn.execute("select status, content from delete_storage_object('files', 'a/b.txt')").fetchone()
        assert row == (0, "Migration Guard dry run: HTTP requests are not sent")
        assert any(
            "DELETE http://supabase_kong_chatbotui:8000/storage/v1/object/files/a/b.txt was not sent" in n
            for n in notices
        )
        # supabase__dbdev: ('apiKey', ...)::http_header casts; the other http_* forms.
        assert conn.execute("select ('apiKey', 'k')::http_header").fetchone() == ("(apiKey,k)",)
        assert conn.execute("select (http_get('https://a', '{\"x\": \"1 2\"}'::jsonb)).status").fetchone() == (0,)
        assert conn.execute("select (http_post('https://a', 'x', 'text/plain')).content_type").fetchone() == (
            "text/plain",
        )
        assert conn.execute("select urlencode('a b/é'), urlencode('{\"q\": \"x&y\"}'::jsonb)").fetchone() == (
            "a%20b%2F%C3%A9",
            "q=x%26y",
        )


# ---- pgjwt ---------------------------------------------------------------------------------------


def test_pgjwt_signs_and_verifies_real_hs256_tokens(db: str) -> None:
    install(db, "pgjwt", "extensions")
    with as_migration_role(db) as conn:
        # The HS256 example token of RFC 7519 tooling (jwt.io): proves real HMAC, not a stub.
        token = conn.execute(
            'select extensions.sign(\'{"sub":"1234567890","name":"John Doe","iat":1516239022}\'::json, '
            "'your-256-bit-secret')"
        ).fetchone()
        assert token == (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
            "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        )
        ok = conn.execute(
            "select payload ->> 'role', valid from verify(sign('{\"role\":\"anon\"}', 's', 'HS512'), 's', 'HS512')"
        ).fetchone()
        assert ok == ("anon", True)
        assert conn.execute("select valid from verify(sign('{}', 's'), 'other')").fetchone() == (False,)
        expired = conn.execute("select valid from verify(sign(json_build_object('exp', 1), 's'), 's')").fetchone()
        assert expired == (False,)


# ---- supabase_vault ------------------------------------------------------------------------------


def test_vault_runs_quivr_secret_functions_and_pgflow_lookups(db: str, corpus: Path) -> None:
    install(db, "supabase_vault")
    init = "QuivrHQ__quivr/20240103173626_init.sql"
    functions = [
        corpus_text(corpus, init, r"create or replace function insert_secret\(name text, secret text\)"),
        corpus_text(corpus, init, r"create or replace function read_secret\(secret_name text\)"),
        corpus_text(corpus, init, r"create or replace function delete_secret\(secret_name text\)"),
    ]
    with as_migration_role(db) as conn:
        for f in functions:
            conn.execute(f)
        secret_id = conn.execute("select insert_secret('supabase_service_role_key', 'not-a-real-key')").fetchone()
        assert secret_id is not None
        # pgflow-dev__pgflow/20260124113408_pgflow_auth_secret_support.sql reads it like this:
        assert conn.execute(
            "select nullif((select decrypted_secret from vault.decrypted_secrets "
            "where name = 'supabase_service_role_key'), '')"
        ).fetchone() == ("not-a-real-key",)
        conn.execute("select vault.update_secret(%s, new_description => 'rotated')", secret_id)
        assert conn.execute("select read_secret('supabase_service_role_key')").fetchone() == ("not-a-real-key",)
        # delete_secret deletes through the view and returns text
        assert conn.execute("select delete_secret('supabase_service_role_key')").fetchone() == ("true",)
        assert conn.execute("select delete_secret('supabase_service_role_key')").fetchone() == ("false",)


# ---- pg_graphql ----------------------------------------------------------------------------------


def test_pg_graphql_resolve_answers_with_a_graphql_error(db: str) -> None:
    install(db, "pg_graphql")
    with as_migration_role(db) as conn:
        out = conn.execute("select graphql.resolve('{ __typename }')").fetchone()
        assert out and out[0]["data"] is None and "not resolved in a dry run" in out[0]["errors"][0]["message"]
        # the platform's endpoint now routes to it
        routed = conn.execute("select graphql_public.graphql(query => '{ x }')").fetchone()
        assert routed == out
        directive = conn.execute('select graphql.comment_directive(\'@graphql({"name": "Account"})\')').fetchone()
        assert directive == ({"name": "Account"},)


# ---- pgmq ----------------------------------------------------------------------------------------


def test_pgmq_passes_pgflow_version_guard_and_moves_messages(db: str, corpus: Path) -> None:
    initial = (corpus / "pgflow-dev__pgflow" / "20250429164909_pgflow_initial.sql").read_text()
    head = initial[: initial.index('CREATE EXTENSION IF NOT EXISTS "pgmq" WITH SCHEMA "pgmq";') + 57]
    assert head.count(";") == 3  # CREATE SCHEMA pgflow, CREATE SCHEMA pgmq, CREATE EXTENSION pgmq in it
    guard = corpus_text(
        corpus, "pgflow-dev__pgflow/20251104080523_pgflow_upgrade_pgmq_1_5_1.sql", r"DO \$\$", r"END \$\$;"
    )
    read_with_poll = corpus_text(
        corpus,
        "pgflow-dev__pgflow/20250429164909_pgflow_initial.sql",
        r'CREATE FUNCTION "pgflow"\."read_with_poll"',
        r"\$\$;",
    )
    with as_migration_role(db) as conn:
        conn.execute(head)
        conn.execute(guard)  # raises "INCOMPATIBLE PGMQ VERSION DETECTED" without message_record.headers
        conn.execute(read_with_poll)  # SETOF pgmq.message_record, pgmq.format_table_name(...)
        # pgflow's create-flow pattern
        conn.execute(
            "select pgmq.create('flow_a') where not exists "
            "(select 1 from pgmq.list_queues() where queue_name = 'flow_a')"
        )
        assert conn.execute("select queue_name from pgmq.list_queues()").fetchall() == [("flow_a",)]
        first = conn.execute("select pgmq.send('flow_a', jsonb_build_object('run', 1))").fetchone()
        assert first == (1,)
        assert conn.execute("select pgmq.send('flow_a', '{\"run\": 2}', 0)").fetchone() == (2,)
        # pgflow: CROSS JOIN LATERAL pgmq.send_batch(mb.flow_slug, mb.messages, mb.delay) WITH ORDINALITY
        batch = conn.execute(
            "select msg_id, msg_ord from (values ('flow_a', array['{\"m\":1}','{\"m\":2}']::jsonb[], 0)) "
            "as mb(flow_slug, messages, delay) cross join lateral pgmq.send_batch(mb.flow_slug, mb.messages, "
            "mb.delay) with ordinality as msg_ids(msg_id, msg_ord)"
        ).fetchall()
        assert batch == [(3, 1), (4, 2)]
        read = conn.execute("select msg_id, read_ct, message from pgmq.read('flow_a', 30, 1)").fetchall()
        assert read == [(1, 1, {"run": 1})]
        polled = conn.execute("select msg_id from pgflow.read_with_poll('flow_a', 30, 2, 1, 10)").fetchall()
        assert polled == [(2,), (3,)]
        # pgflow: pgmq.set_vt(queue, msg_id, delay) makes a message visible again
        assert conn.execute("select msg_id from pgmq.set_vt('flow_a', 1, 0)").fetchall() == [(1,)]
        assert conn.execute("select msg_id, read_ct from pgmq.read_with_poll('flow_a', 30, 1, 1, 10)").fetchall() == [
            (1, 2)
        ]
        assert conn.execute("select pgmq.archive('flow_a', 1::bigint)").fetchone() == (True,)
        assert conn.execute("select * from pgmq.archive('flow_a', array[2, 3]::bigint[])").fetchall() == [(2,), (3,)]
        assert conn.execute("select count(*) from pgmq.a_flow_a").fetchone() == (3,)
        assert conn.execute("select pgmq.delete('flow_a', 4::bigint)").fetchone() == (True,)
        conn.execute("select pgmq.send('flow_a', '{\"last\": true}')")
        assert conn.execute("select message from pgmq.pop('flow_a')").fetchall() == [({"last": True},)]
        metrics = conn.execute("select queue_length, total_messages from pgmq.metrics('flow_a')").fetchone()
        assert metrics == (0, 5)
        conn.commit()
        with pytest.raises(psycopg.errors.RaiseException, match="invalid characters"):
            conn.execute("select pgmq.format_table_name('x; drop table y', 'q')")
        conn.rollback()
        # pgflow seed.sql: PERFORM pgmq.drop_queue(queue_name) FROM pgmq.list_queues();
        conn.execute("select pgmq.create('flow_b')")
        assert conn.execute("select pgmq.drop_queue('flow_b')").fetchone() == (True,)
        assert conn.execute("select pgmq.drop_queue('flow_b')").fetchone() == (False,)
        assert conn.execute("select to_regclass('pgmq.q_flow_b')").fetchone() == (None,)


# ---- wrappers ------------------------------------------------------------------------------------


def test_wrappers_take_quivrs_stripe_wrapper_server_and_foreign_table(db: str, corpus: Path) -> None:
    # QuivrHQ__quivr/20240103173626_init.sql: `create extension if not exists "wrappers" with schema
    # "public"`, then DO blocks: CREATE FOREIGN DATA WRAPPER stripe_wrapper HANDLER stripe_fdw_handler,
    # CREATE SERVER stripe_server ... OPTIONS (api_key ...), CREATE FOREIGN TABLE public.customers.
    install(db, "wrappers", "public")
    init = "QuivrHQ__quivr/20240103173626_init.sql"
    blocks = [
        corpus_text(
            corpus,
            init,
            r"DO \$\$\s*BEGIN\s*IF NOT EXISTS \(\s*SELECT 1\s*FROM information_schema\."
            r"foreign_data_wrappers",
            r"END \$\$;",
        ),
        corpus_text(corpus, init, r"DO \$\$\s*BEGIN\s*IF NOT EXISTS \(SELECT 1 FROM pg_foreign_server", r"END \$\$;"),
        corpus_text(
            corpus,
            init,
            r"DO \$\$\s*BEGIN\s*IF NOT EXISTS \(\s*SELECT 1\s*FROM information_schema\.tables"
            r"\s*WHERE table_name = 'customers'",
            r"END \$\$;",
        ),
    ]
    # Only a superuser may create a foreign-data wrapper (Supabase lets `postgres` through supautils;
    # the dry run's elevation is the sandbox's). The handler and validator are ours either way.
    with psycopg.connect(db, user=SUPERUSER) as su:
        su.execute("set search_path = public")
        for block in blocks:
            su.execute(block)
        su.execute(
            "create foreign data wrapper stripe_wrapper_v handler stripe_fdw_handler validator stripe_fdw_validator"
        )
        su.execute(
            "create server s3_server foreign data wrapper stripe_wrapper_v "
            "options (api_key_id 'id', api_key_name 'stripe')"
        )
        su.commit()
        assert su.execute("select name, version from stripe_fdw_meta()").fetchone() == ("StripeFdw", "0.5.3")
        # Reading it never reaches Stripe: planning fails before anything is called.
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="fdw_handler"):
            su.execute("select * from public.customers")
        su.rollback()
        assert su.execute("select 1").fetchone() == (1,)  # the server is fine


# ---- pgsodium ------------------------------------------------------------------------------------


def test_pgsodium_keys_and_aead_round_trip_without_cryptography(db: str) -> None:
    install(db, "pgsodium")
    with as_migration_role(db) as conn:
        key = conn.execute("select (pgsodium.create_key(name => 'app_key')).id").fetchone()
        assert key and conn.execute("select count(*) from pgsodium.valid_key where name = 'app_key'").fetchone() == (1,)
        row = conn.execute(
            "select convert_from(pgsodium.crypto_aead_det_decrypt(pgsodium.crypto_aead_det_encrypt("
            "convert_to('hello', 'utf8'), 'ad'::bytea, %s::uuid), 'ad'::bytea, %s::uuid), 'utf8')",
            (key[0], key[0]),
        ).fetchone()
        assert row == ("hello",)
        assert conn.execute("select length(pgsodium.randombytes_buf(40))").fetchone() == (40,)
