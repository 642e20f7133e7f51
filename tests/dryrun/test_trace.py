"""Per-statement tracing on real PostgreSQL: lock modes, rewrites, rows, dependents, error lines.

Each test writes a tiny migrations folder (a baseline file and a new file) and runs the real
``run_plan`` against the session server (``--postgres url``: its own database, dropped after).
"""

from __future__ import annotations

from pathlib import Path

from migration_guard.dryrun.local import LocalPostgres
from migration_guard.dryrun.plan import PlanOptions, plan_to_json, run_plan
from migration_guard.plan_model import PlanResult, StatementTrace

BASE = """
create table public.accounts (id bigint primary key, email text, balance int);
insert into public.accounts select g, 'u' || g || '@x.io', g from generate_series(1, 50) g;
create index accounts_email_idx on public.accounts (email);
"""


def plan(tmp_path: Path, server: LocalPostgres, new_sql: str, base_sql: str = BASE, **kw: object) -> PlanResult:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "20240101000000_base.sql").write_text(base_sql)
    (d / "20240102000000_change.sql").write_text(new_sql)
    settings: dict[str, object] = {"supabase": "off", **kw}
    opts = PlanOptions(migrations_dir=d, postgres="url", postgres_url=server.url(), **settings)  # type: ignore[arg-type]
    return run_plan(opts)


def new_statements(result: PlanResult) -> tuple[StatementTrace, ...]:
    return next(r for r in result.migrations if r.new).statements


def modes(trace: StatementTrace, relation: str) -> set[str]:
    return {lk.mode for lk in trace.locks if lk.relation == relation}


def test_add_column_with_volatile_default_takes_access_exclusive_and_rewrites(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    result = plan(tmp_path, pg_server, "alter table public.accounts add column token uuid default gen_random_uuid();")
    assert result.ok
    (st,) = new_statements(result)
    assert "AccessExclusiveLock" in modes(st, "accounts")
    assert "public.accounts" in st.rewrites
    assert "public.accounts_email_idx" in st.rewrites  # the indexes are rebuilt with the table


def test_add_column_with_constant_default_does_not_rewrite(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "alter table public.accounts add column plan text default 'free';")
    (st,) = new_statements(result)
    assert "AccessExclusiveLock" in modes(st, "accounts")
    assert st.rewrites == ()


def test_create_index_takes_share_lock(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "create index accounts_balance_idx on public.accounts (balance);")
    (st,) = new_statements(result)
    assert "ShareLock" in modes(st, "accounts")
    assert "AccessExclusiveLock" not in modes(st, "accounts")
    assert st.rewrites == ()


def test_create_index_concurrently_takes_share_update_exclusive_without_rewrite(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    sql = (
        "-- migration-guard: no-transaction\n"
        "create index concurrently accounts_balance_idx on public.accounts (balance);\n"
    )
    result = plan(tmp_path, pg_server, sql)
    assert result.ok, plan_to_json(result)
    (st,) = new_statements(result)
    assert st.line == 2
    assert modes(st, "accounts") >= {"ShareUpdateExclusiveLock"}
    assert "ShareLock" not in modes(st, "accounts")
    assert st.rewrites == ()
    assert any(a.kind == "index" and a.name == "public.accounts_balance_idx" and a.change == "created"
               for a in result.affected)


def test_column_type_change_rewrites_and_shows_old_and_new_type(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "alter table public.accounts alter column balance type bigint;")
    (st,) = new_statements(result)
    assert "AccessExclusiveLock" in modes(st, "accounts")
    assert "public.accounts" in st.rewrites
    col = next(a for a in result.affected if a.kind == "column" and a.name == "public.accounts.balance")
    assert col.change == "altered"
    assert col.detail == "integer → bigint"


def test_update_reports_rows_and_row_exclusive_lock(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "update public.accounts set balance = 0 where id <= 20;\n")
    (st,) = new_statements(result)
    assert st.rows == 20
    assert modes(st, "accounts") == {"RowExclusiveLock"}
    assert st.rewrites == ()


def test_dropped_column_lists_the_view_that_depended_on_it(tmp_path: Path, pg_server: LocalPostgres) -> None:
    base = BASE + "create view public.rich as select id, balance from public.accounts where balance > 10;\n"
    result = plan(tmp_path, pg_server, "alter table public.accounts drop column balance cascade;", base_sql=base)
    assert result.ok
    col = next(a for a in result.affected if a.kind == "column" and a.name == "public.accounts.balance")
    assert col.change == "dropped"
    assert "view public.rich" in col.dependents
    assert any(a.kind == "view" and a.name == "public.rich" and a.change == "dropped" for a in result.affected)


def test_dropping_a_column_a_view_needs_fails_at_its_line(tmp_path: Path, pg_server: LocalPostgres) -> None:
    base = BASE + "create view public.rich as select id, balance from public.accounts;\n"
    new = "-- intent: drop balance\n\nalter table public.accounts\n  drop column balance;\n"
    result = plan(tmp_path, pg_server, new, base_sql=base)
    assert not result.ok
    run = next(r for r in result.migrations if r.new)
    assert run.status == "failed" and run.error is not None
    assert run.error.line == 3
    assert run.error.sqlstate == "2BP01"  # dependent_objects_still_exist
    assert "depend" in run.error.message


def test_failing_statement_reports_exact_line_and_column(tmp_path: Path, pg_server: LocalPostgres) -> None:
    new = (
        "-- a comment line\n"
        "create table public.t1 (id int);\n"
        "\n"
        "select id,\n"
        "       no_such_column\n"
        "from public.accounts;\n"
        "create table public.t2 (id int);\n"
    )
    result = plan(tmp_path, pg_server, new)
    run = next(r for r in result.migrations if r.new)
    assert run.status == "failed" and run.error is not None
    assert (run.error.line, run.error.column) == (5, 8)
    assert run.error.sqlstate == "42703"
    # the file's transaction rolled back: t1 is not reported as created
    assert not any(a.name == "public.t1" for a in result.affected)
    assert [s.line for s in run.statements] == [2, 4]


def test_baseline_failure_is_the_root_cause_and_later_files_are_skipped(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "1_a.sql").write_text("create table a (id int);\n")
    (d / "2_b.sql").write_text("create table b (id int);\n\ninsert into missing values (1);\n")
    (d / "3_c.sql").write_text("insert into b values (1);\n")
    (d / "4_d.sql").write_text("select 1;\n")
    result = run_plan(PlanOptions(d, supabase="off", postgres="url", postgres_url=pg_server.url()))
    assert [r.status for r in result.migrations] == ["applied", "failed", "skipped", "skipped"]
    err = result.migrations[1].error
    assert err is not None and err.line == 3 and err.sqlstate == "42P01"
    assert not result.ok


def test_copy_from_program_is_refused_at_its_line(tmp_path: Path, pg_server: LocalPostgres) -> None:
    new = "create table public.loot (line text);\n\ncopy public.loot from program 'id';\n"
    result = plan(tmp_path, pg_server, new)
    run = next(r for r in result.migrations if r.new)
    assert run.status == "failed" and run.error is not None
    assert run.error.line == 3
    assert run.error.sqlstate == "42501"  # insufficient_privilege: migrations are not superuser
    assert "program" in run.error.message


def test_json_has_exactly_the_contract_keys(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "alter table public.accounts add column note text;\n")
    data = plan_to_json(result)
    assert {"ok", "postgres", "migrations", "affected", "advisories", "findings"} <= set(data)
    assert set(data["postgres"]) == {"version", "provider"} and data["postgres"]["provider"] == "url"
    m = data["migrations"][-1]
    assert set(m) == {"path", "version", "new", "status", "error", "statements"}
    assert m["new"] is True and m["status"] == "applied" and m["version"] == "20240102000000"
    st = m["statements"][0]
    assert set(st) == {"line", "kind", "sql", "duration_ms", "rows", "locks", "rewrites"}
    assert st["kind"] == "AlterTableStmt"
    assert {"schema": "public", "relation": "accounts", "mode": "AccessExclusiveLock"} in st["locks"]
    a = next(a for a in data["affected"] if a["name"] == "public.accounts.note")
    assert set(a) == {"kind", "name", "change", "detail", "dependents"}
    assert data["migrations"][0]["statements"] == []  # the baseline is replayed, not traced


def test_advisories_report_only_what_the_new_migration_introduced(tmp_path: Path, pg_server: LocalPostgres) -> None:
    base = "create table public.old_open (id int primary key);\n"  # already unprotected: not new
    new = (
        "create table public.notes (id int primary key, body text);\n"
        "create table public.locked (id int primary key);\n"
        "alter table public.locked enable row level security;\n"
        "create table public.tags (id int primary key, note_id int references public.notes (id));\n"
        "alter table public.tags enable row level security;\n"
        "create policy tags_read on public.tags for select using (true);\n"
        "create function public.f() returns int language sql as 'select 1';\n"
    )
    result = plan(tmp_path, pg_server, new, base_sql=base, supabase="on")
    assert result.ok
    found = {(a.rule, a.object) for a in result.advisories}
    assert ("rls-disabled-in-exposed-schema", "public.notes") in found
    assert ("rls-disabled-in-exposed-schema", "public.old_open") not in found
    assert ("rls-enabled-no-policy", "public.locked") in found
    assert ("unindexed-foreign-key", "public.tags (tags_note_id_fkey)") in found
    assert ("function-search-path-mutable", "public.f()") in found
    assert not any(o == "public.tags" for r, o in found if r.startswith("rls"))


def test_error_inside_a_do_block_points_at_the_body_line(tmp_path: Path, pg_server: LocalPostgres) -> None:
    new = (
        "create table public.t3 (id int);\n"  # 1
        "do $$\n"  # 2: body line 1
        "begin\n"  # 3
        "  perform 1;\n"  # 4
        "  raise exception 'stop here';\n"  # 5
        "end $$;\n"
    )
    result = plan(tmp_path, pg_server, new)
    run = next(r for r in result.migrations if r.new)
    assert run.error is not None and run.error.message == "stop here"
    assert run.error.line == 5


def test_concurrently_without_marker_runs_outside_a_transaction_with_a_warning(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    sql = "create index concurrently accounts_id_balance on public.accounts (id, balance);\n"
    result = plan(tmp_path, pg_server, sql)
    assert result.ok
    (st,) = new_statements(result)
    assert "ShareUpdateExclusiveLock" in modes(st, "accounts")
    assert any("runs outside a transaction" in w for w in result.warnings)


def test_grants_are_reported_as_added_and_removed_privileges(tmp_path: Path, pg_server: LocalPostgres) -> None:
    new = "grant select, insert on public.accounts to public;\nrevoke insert on public.accounts from public;\n"
    result = plan(tmp_path, pg_server, new)
    grant = next(a for a in result.affected if a.kind == "grant" and a.name == "table public.accounts")
    assert grant.change == "created"
    assert grant.detail == "+public: SELECT"


def test_psql_meta_commands_are_not_run_and_are_said(tmp_path: Path, pg_server: LocalPostgres) -> None:
    result = plan(tmp_path, pg_server, "\\set ON_ERROR_STOP on\nalter table public.accounts add column z int;\n")
    assert result.ok
    assert any("change.sql:1: psql meta-command not run (\\set ON_ERROR_STOP on)" in w for w in result.warnings)
