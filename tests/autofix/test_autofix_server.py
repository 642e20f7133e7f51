"""Each `lint --fix` rewrite, run for real: the fixed file(s) applied in order by Migration Guard's
own runner (the deploy's: one transaction per file, no-transaction files statement by statement,
so CONCURRENTLY runs outside a transaction) on a real PostgreSQL with rows in the table; then the
end state is read from the catalog, and linting the result no longer finds what was fixed."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from autofix_helpers import BASE, BASE_NAME, cli, lint_folder, project, rules_in

from migration_guard.apply.files import load_local
from migration_guard.local.replay import replay


def _apply_all(url: str, folder: Path, notices: list[str] | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        if notices is not None:
            conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
            conn.execute("set client_min_messages = debug1")
        replay(conn, list(load_local(folder).migrations), lambda _msg: None)


def _fix(tmp_path: Path, name: str, sql: str) -> Path:
    folder = project(tmp_path, {BASE_NAME: BASE, name: sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert " fixed " in proc.stdout, proc.stdout + proc.stderr
    return folder


def test_create_index_gets_concurrently_and_runs_outside_a_transaction(tmp_path: Path, pg_url: str) -> None:
    folder = _fix(
        tmp_path,
        "20240102000000_orders_customer_idx.sql",
        "-- intent: orders by customer\nCREATE INDEX orders_customer_id_idx ON public.orders (customer_id);\n",
    )
    text = (folder / "20240102000000_orders_customer_idx.sql").read_text()
    assert "-- migration-guard: no-transaction\nCREATE INDEX CONCURRENTLY orders_customer_id_idx" in text
    _apply_all(pg_url, folder)  # CONCURRENTLY inside a transaction would fail here
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "select indisvalid, indisready from pg_index where indexrelid = 'public.orders_customer_id_idx'::regclass"
        ).fetchone()
    assert row == (True, True)
    assert not rules_in(lint_folder(folder)) & {"index-not-concurrent", "concurrent-in-transaction"}


def test_drop_index_gets_concurrently(tmp_path: Path, pg_url: str) -> None:
    folder = project(
        tmp_path,
        {
            BASE_NAME: BASE + "create index orders_amount_idx on public.orders (amount);\n",
            "20240102000000_drop_amount_idx.sql": "-- intent: unused index\nDROP INDEX public.orders_amount_idx;\n",
        },
    )
    proc = cli("--fix", cwd=tmp_path)
    assert "fixed drop-index-not-concurrent" in proc.stdout, proc.stdout + proc.stderr
    assert (
        "DROP INDEX CONCURRENTLY public.orders_amount_idx"
        in (folder / "20240102000000_drop_amount_idx.sql").read_text()
    )
    _apply_all(pg_url, folder)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select to_regclass('public.orders_amount_idx')").fetchone() == (None,)
    assert "drop-index-not-concurrent" not in rules_in(lint_folder(folder))


@pytest.mark.parametrize(
    ("constraint", "name"),
    [
        ("FOREIGN KEY (customer_id) REFERENCES public.customers (id)", "orders_customer_id_fkey"),
        ("CHECK (amount > 0)", "orders_amount_positive"),
    ],
)
def test_constraint_gets_not_valid_and_is_validated_in_a_new_file(
    tmp_path: Path, pg_url: str, constraint: str, name: str
) -> None:
    folder = _fix(
        tmp_path,
        "20240102000000_constraint.sql",
        f"-- intent: constraint\nALTER TABLE public.orders ADD CONSTRAINT {name} {constraint};\n",
    )
    fixed = (folder / "20240102000000_constraint.sql").read_text()
    assert f"ADD CONSTRAINT {name} {constraint} NOT VALID;" in fixed
    follow = folder / f"20240102000001_validate_{name}.sql"
    assert f"ALTER TABLE public.orders VALIDATE CONSTRAINT {name};" in follow.read_text()
    _apply_all(pg_url, folder)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("select convalidated from pg_constraint where conname = %s", (name,)).fetchone()
        # The constraint holds for new rows (no customer 999, no amount 0).
        bad = "insert into public.orders (id, customer_id, amount) values (100001, 999, 0)"
        with pytest.raises((psycopg.errors.ForeignKeyViolation, psycopg.errors.CheckViolation)):
            conn.execute(bad)
    assert row == (True,)
    found = rules_in(lint_folder(folder))
    assert not found & {"foreign-key-not-valid", "check-constraint-not-valid", "validate-in-same-transaction"}


def test_set_not_null_becomes_the_check_sequence_and_skips_the_scan(tmp_path: Path, pg_url: str) -> None:
    folder = _fix(
        tmp_path,
        "20240102000000_email_required.sql",
        "-- intent: email required\nALTER TABLE public.orders ALTER COLUMN email SET NOT NULL;\n",
    )
    fixed = (folder / "20240102000000_email_required.sql").read_text()
    assert (
        "ALTER TABLE public.orders ADD CONSTRAINT orders_email_not_null CHECK (email IS NOT NULL) NOT VALID;" in fixed
    )
    follow = (folder / "20240102000001_set_orders_email_not_null.sql").read_text()
    assert follow.index("VALIDATE CONSTRAINT") < follow.index("SET NOT NULL") < follow.index("DROP CONSTRAINT")
    notices: list[str] = []
    _apply_all(pg_url, folder, notices)
    with psycopg.connect(pg_url) as conn:
        attnotnull = conn.execute(
            "select attnotnull from pg_attribute where attrelid = 'public.orders'::regclass and attname = 'email'"
        ).fetchone()
        left = conn.execute("select count(*) from pg_constraint where conname = 'orders_email_not_null'").fetchone()
    assert attnotnull == (True,)
    assert left == (0,)  # the helper check is gone
    # PostgreSQL said it used the validated check instead of scanning the table (DEBUG1, 12+).
    assert any("sufficient to prove that it does not contain nulls" in n for n in notices), notices
    assert "set-not-null" not in rules_in(lint_folder(folder))


def test_goose_file_gets_goose_directive_and_runs(tmp_path: Path, pg_url: str) -> None:
    goose = (
        "-- +goose Up\nCREATE INDEX orders_amount_idx ON public.orders (amount);\n\n"
        "-- +goose Down\nDROP INDEX orders_amount_idx;\n"
    )
    folder = _fix(tmp_path, "20240102000000_amount_idx.sql", goose)
    text = (folder / "20240102000000_amount_idx.sql").read_text()
    assert text.startswith("-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY orders_amount_idx")
    assert text.endswith("-- +goose Down\nDROP INDEX orders_amount_idx;\n")  # the down part is not touched
    _apply_all(pg_url, folder)
    with psycopg.connect(pg_url) as conn:
        valid = conn.execute(
            "select indisvalid from pg_index where indexrelid = 'public.orders_amount_idx'::regclass"
        ).fetchone()
    assert valid == (True,)


def test_reindex_gets_concurrently(tmp_path: Path, pg_url: str) -> None:
    folder = project(
        tmp_path,
        {
            BASE_NAME: BASE + "create index orders_amount_idx on public.orders (amount);\n",
            "20240102000000_reindex.sql": "-- intent: rebuild indexes\nREINDEX (VERBOSE) TABLE public.orders;\n",
        },
    )
    proc = cli("--fix", cwd=tmp_path)
    assert "fixed reindex-not-concurrent" in proc.stdout, proc.stdout + proc.stderr
    assert "REINDEX (VERBOSE) TABLE CONCURRENTLY public.orders;" in (folder / "20240102000000_reindex.sql").read_text()
    _apply_all(pg_url, folder)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "select c.relname, i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid "
            "where i.indrelid = 'public.orders'::regclass order by 1"
        ).fetchall()
    assert rows == [("orders_amount_idx", True), ("orders_pkey", True)]  # rebuilt in place, no _ccnew left
    assert "reindex-not-concurrent" not in rules_in(lint_folder(folder))


def test_several_set_not_null_among_other_sub_commands(tmp_path: Path, pg_url: str) -> None:
    sql = (
        "-- intent: email and amount required\n"
        "ALTER TABLE public.orders\n"
        "  ALTER COLUMN email SET NOT NULL,\n"
        "  ALTER COLUMN amount SET DEFAULT 1, -- new rows\n"
        "  ALTER amount SET NOT NULL;\n"
    )
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_required.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert proc.stdout.count("fixed set-not-null") == 2, proc.stdout  # one finding per column, one rewrite
    assert (folder / "20240102000000_required.sql").read_text() == (
        "-- intent: email and amount required\n"
        "ALTER TABLE public.orders\n"
        "  ADD CONSTRAINT orders_email_not_null CHECK (email IS NOT NULL) NOT VALID,\n"
        "  ALTER COLUMN amount SET DEFAULT 1, -- new rows\n"
        "  ADD CONSTRAINT orders_amount_not_null CHECK (amount IS NOT NULL) NOT VALID;\n"
    )
    assert (folder / "20240102000001_set_orders_email_amount_not_null.sql").exists()
    notices: list[str] = []
    _apply_all(pg_url, folder, notices)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "select attname, attnotnull, pg_get_expr(d.adbin, d.adrelid) from pg_attribute a "
            "left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
            "where attrelid = 'public.orders'::regclass and attname in ('email', 'amount') order by 1"
        ).fetchall()
        left = conn.execute("select count(*) from pg_constraint where conname like 'orders_%_not_null'").fetchone()
    assert rows == [("amount", True, "1"), ("email", True, None)]
    assert left == (0,)
    proofs = [n for n in notices if "sufficient to prove that it does not contain nulls" in n]
    assert len(proofs) == 2, notices
    assert "set-not-null" not in rules_in(lint_folder(folder))
