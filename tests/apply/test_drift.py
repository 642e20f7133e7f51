"""Pending and drift are decided before anything runs, and refusals name the versions."""

from __future__ import annotations

from pathlib import Path

from apply_helpers import Folder, RunMG, apply_now, query, table_exists

from migration_guard.apply.drift import compare
from migration_guard.apply.files import load_local
from migration_guard.apply.ledger import LedgerRow


def _local(folder: Folder, *versions: str) -> Path:
    for v in versions:
        folder.add(v, f"m{v}", f"create table t{v} (id int);\n")
    return folder.path


def test_versions_compare_as_strings(folder: Folder) -> None:
    # "10" sorts before "9" as a string (the CLI's rule): with "9" applied, "10" is out of order.
    files = load_local(_local(folder, "10", "9"))
    state = compare(files.migrations, [LedgerRow("9", "m9", ("create table t9 (id int)",))])
    assert [(e.version, e.state) for e in state.entries] == [("10", "out-of-order"), ("9", "applied")]
    assert state.pending == ()
    assert "older than the newest applied version 9" in state.problems[0]


def test_out_of_order_allowed_when_asked(folder: Folder) -> None:
    files = load_local(_local(folder, "20240101000000", "20240102000000"))
    ledger = [LedgerRow("20240102000000", "m", ("create table t20240102000000 (id int)",))]
    assert compare(files.migrations, ledger).problems
    allowed = compare(files.migrations, ledger, allow_out_of_order=True)
    assert allowed.problems == ()
    assert [m.version for m in allowed.pending] == ["20240101000000"]


def test_statements_not_recorded_are_not_drift(folder: Folder) -> None:
    files = load_local(_local(folder, "1"))
    state = compare(files.migrations, [LedgerRow("1", "m1", None)])
    assert state.problems == ()
    assert state.entries[0].state == "applied"


def test_edited_history_is_refused_and_nothing_runs(folder: Folder, mg: RunMG, pg_url: str) -> None:
    first = folder.add("20240101000000", "a", "create table a (id int);\n")
    apply_now(pg_url, folder.path)
    first.write_text("create table a (id int, extra text);\n")
    folder.add("20240102000000", "b", "create table b (id int);\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    assert "20240101000000_a.sql: edited after it was applied (statement 1 differs)" in proc.stdout
    assert not table_exists(pg_url, "b")
    assert query(pg_url, "SELECT version FROM supabase_migrations.schema_migrations") == [("20240101000000",)]


def test_applied_version_missing_locally_is_refused(folder: Folder, mg: RunMG, pg_url: str) -> None:
    gone = folder.add("20240101000000", "a", "create table a (id int);\n")
    apply_now(pg_url, folder.path)
    gone.unlink()
    folder.add("20240102000000", "b", "create table b (id int);\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    assert "version 20240101000000 (a) is applied on the database but has no local file" in proc.stdout
    assert not table_exists(pg_url, "b")


def test_out_of_order_file_refused_then_allowed(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240102000000", "b", "create table b (id int);\n")
    apply_now(pg_url, folder.path)
    folder.add("20240101000000", "a", "create table a (id int);\n")
    refused = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert refused.returncode == 1
    assert "20240101000000_a.sql: pending but older than the newest applied version 20240102000000" in refused.stdout
    assert not table_exists(pg_url, "a")
    allowed = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes", "--allow-out-of-order")
    assert allowed.returncode == 0, allowed.stdout
    assert table_exists(pg_url, "a")


def test_syntax_error_in_a_pending_file_is_refused_with_file_and_line(folder: Folder, mg: RunMG, pg_url: str) -> None:
    folder.add("20240101000000", "a", "create table a (id int);\n")
    bad = folder.add("20240102000000", "b", "create table b (id int);\n\ncreate tabel c (id int);\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 1
    assert f"{bad}:3:" in proc.stdout
    assert not table_exists(pg_url, "a")  # refused before anything ran


# --- drift judged on what runs ---------------------------------------------------------------------
APPLIED = (
    "-- intent: prices\ncreate table prices (id bigint primary key, amount int);\n"
    "update prices set amount = 1 where id = 7;\nalter table prices drop column amount;\n"
)


def _applied_then_edited(folder: Folder, edited: str) -> tuple[LedgerRow, Path]:
    path = folder.add("20240101000000", "prices", APPLIED)
    stored = load_local(folder.path).migrations[0].statements
    path.write_text(edited)
    return LedgerRow("20240101000000", "prices", stored), path


def test_comment_and_whitespace_edits_are_a_warning_not_drift(folder: Folder) -> None:
    # The suppression comment our own lint asks for, plus reflowed whitespace and a trailing note.
    edited = APPLIED.replace(
        "alter table prices drop column amount;",
        "-- migration-guard: allow drop-column -- amount moved to price_items in v2\n"
        "alter table   prices\n    drop column amount;",
    ) + "-- end of file\n"
    row, _ = _applied_then_edited(folder, edited)
    state = compare(load_local(folder.path).migrations, [row])
    assert state.problems == ()
    assert [(e.state, e.detail) for e in state.entries] == [
        ("applied", "edited after apply: only comments or whitespace changed; what runs is the same")
    ]
    assert state.warnings == (
        "20240101000000_prices.sql: edited after it was applied, but only comments or whitespace changed; "
        "what runs is the same",
    )


def test_a_reindented_function_is_not_drift() -> None:
    # The body's position is in the tree too (``arg_location``): moving it is not an edit.
    from migration_guard.apply.drift import what_runs

    applied = "create function f() returns int language sql as $$ select 1 $$;"
    assert what_runs(applied) == what_runs("create function f()\n  returns int\n  language sql\n  as $$ select 1 $$;")
    assert what_runs(applied) != what_runs("create function f() returns int language sql as $$ select 2 $$;")


def test_a_trailing_comment_is_not_an_extra_statement(folder: Folder) -> None:
    row, _ = _applied_then_edited(folder, APPLIED + "-- reviewed by ops\n")
    state = compare(load_local(folder.path).migrations, [row])
    assert state.problems == () and "statements" not in state.entries[0].detail


def test_a_changed_constant_is_drift_even_though_pglast_fingerprints_match(folder: Folder) -> None:
    from pglast.parser import fingerprint

    assert fingerprint("update prices set amount = 1") == fingerprint("update prices set amount = 2")
    row, _ = _applied_then_edited(folder, APPLIED.replace("amount = 1", "amount = 2"))
    state = compare(load_local(folder.path).migrations, [row])
    assert state.entries[0].state == "drifted"
    assert "edited after it was applied (statement 2 differs)" in state.problems[0]


def test_an_added_statement_is_drift(folder: Folder) -> None:
    row, _ = _applied_then_edited(folder, APPLIED + "create index on prices (id);\n")
    state = compare(load_local(folder.path).migrations, [row])
    assert state.entries[0].detail == "edited after apply: 4 statements run locally, 3 were recorded"


def test_apply_goes_on_after_a_comment_only_edit_and_still_refuses_a_real_one(
    folder: Folder, mg: RunMG, pg_url: str
) -> None:
    first = folder.add("20240101000000", "a", "-- intent: a\ncreate table a (id bigint primary key);\n")
    apply_now(pg_url, folder.path)
    first.write_text("-- intent: a, the table of As\ncreate table a (\n  id bigint primary key\n);\n-- done\n")
    folder.add("20240102000000", "b", "-- intent: b\ncreate table b (id bigint primary key);\n")
    proc = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("warning: 20240101000000_a.sql: edited after it was applied, but only comments")
    assert table_exists(pg_url, "b")
    first.write_text("-- intent: a\ncreate table a (id bigint primary key, extra text);\n")
    folder.add("20240103000000", "c", "-- intent: c\ncreate table c (id bigint primary key);\n")
    refused = mg("apply", "--database-url", pg_url, "--dir", folder.path, "--yes")
    assert refused.returncode == 1
    assert "20240101000000_a.sql: edited after it was applied (statement 1 differs)" in refused.stdout
    assert not table_exists(pg_url, "c")
