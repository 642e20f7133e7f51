"""concurrent-in-transaction, transaction-control, enum-add-value-in-transaction."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]


def test_concurrently_in_wrapped_file(hits: Hits) -> None:
    sql = (
        "CREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;\n"
        "REINDEX INDEX CONCURRENTLY k;\nALTER TABLE p DETACH PARTITION c CONCURRENTLY;"
    )
    assert hits("concurrent-in-transaction", sql) == [(1, 1), (2, 1), (3, 1), (4, 1)]


def test_concurrently_in_no_transaction_files(hits: Hits) -> None:
    for header in ("-- migration-guard: no-transaction", "-- +goose NO TRANSACTION"):
        assert hits("concurrent-in-transaction", f"{header}\nCREATE INDEX CONCURRENTLY i ON t (a);") == []


def test_concurrently_inside_explicit_begin_in_no_transaction_file(hits: Hits) -> None:
    sql = (
        "-- migration-guard: no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n"
        "CREATE INDEX CONCURRENTLY j ON t (b);"
    )
    assert hits("concurrent-in-transaction", sql) == [(3, 1)]
    assert hits("transaction-control", sql) == []


def test_transaction_control_in_wrapped_file(hits: Hits) -> None:
    sql = "BEGIN;\nCREATE TABLE t (id int);\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\n  COMMIT;\nCREATE TABLE u (a int);"
    assert hits("transaction-control", sql) == [(1, 1), (5, 3)]
    middle = "CREATE TABLE t (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE u (id int);\nCOMMIT;"
    assert hits("transaction-control", middle) == [(2, 1), (3, 1), (5, 1)]
    assert hits("transaction-wrapper", sql) == hits("transaction-wrapper", middle) == []


def test_file_wrapped_whole_in_begin_commit_is_a_warning(hits: Hits) -> None:
    sql = "BEGIN;\nCREATE TABLE t (id int);\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\n  COMMIT;"
    assert hits("transaction-control", sql) == []
    assert hits("transaction-wrapper", sql) == [(1, 1)]
    assert hits("transaction-wrapper", "START TRANSACTION;\nSELECT 1;\nEND;") == [(1, 1)]
    # ROLLBACK at the end, or a no-transaction file, is not the harmless wrapper.
    assert hits("transaction-wrapper", "BEGIN;\nSELECT 1;\nROLLBACK;") == []
    assert hits("transaction-control", "BEGIN;\nSELECT 1;\nROLLBACK;") == [(1, 1), (3, 1)]
    no_tx = "-- migration-guard: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;"
    assert hits("transaction-wrapper", no_tx) == hits("transaction-control", no_tx) == []


def test_unbalanced_transaction_in_no_transaction_file(hits: Hits) -> None:
    sql = (
        "-- migration-guard: no-transaction\nBEGIN;\nCREATE TABLE t (id int);\n  BEGIN;\nCOMMIT;\n"
        "CREATE INDEX CONCURRENTLY i ON t (id);\nBEGIN;\nCREATE TABLE u (id int);"
    )
    assert hits("unbalanced-transaction", sql) == [(4, 3), (7, 1)]
    balanced = "-- migration-guard: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nEND;"
    assert hits("unbalanced-transaction", balanced) == []
    # A wrapped file is transaction-control's business; DO blocks run in their own statement.
    assert hits("unbalanced-transaction", "BEGIN;\nSELECT 1;") == []


def test_enum_value_used_in_same_transaction(hits: Hits) -> None:
    sql = (
        "ALTER TYPE status ADD VALUE 'refunded';\n"
        "UPDATE orders SET status = 'refunded' WHERE paid;\n"
        "SELECT 'refunded-not-the-value';"
    )
    assert hits("enum-add-value-in-transaction", sql) == [(2, 28)]


def test_enum_value_not_used_or_in_no_transaction_file_or_type_created_here(hits: Hits) -> None:
    assert hits("enum-add-value-in-transaction", "ALTER TYPE status ADD VALUE 'x';\nSELECT 1;") == []
    no_tx = "-- migration-guard: no-transaction\nALTER TYPE status ADD VALUE 'x';\nUPDATE t SET s = 'x' WHERE id = 1;"
    assert hits("enum-add-value-in-transaction", no_tx) == []
    created = (
        "CREATE TYPE status AS ENUM ('a');\nALTER TYPE status ADD VALUE 'x';\nCREATE TABLE t (s status DEFAULT 'x');"
    )
    assert hits("enum-add-value-in-transaction", created) == []


def test_enum_value_used_in_a_later_file_is_fine(hits: Hits) -> None:
    files = ("ALTER TYPE s ADD VALUE 'x';", "UPDATE t SET s = 'x' WHERE id = 1;")
    assert hits("enum-add-value-in-transaction", *files) == []


def test_concurrently_inside_a_do_block_always_fails(hits: Hits) -> None:
    sql = (
        "-- migration-guard: no-transaction\n"
        "DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY i ON t (a)'; END $$;\n"
        "CREATE INDEX CONCURRENTLY j ON t (b);"
    )
    assert hits("concurrent-in-transaction", sql) == [(2, 22)]


def test_concurrently_per_runner_supabase_cli_runs_it_outside_its_batch(hits: Hits) -> None:
    sql = (
        "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;\n"
        "REINDEX INDEX CONCURRENTLY k;\nALTER TABLE p DETACH PARTITION c CONCURRENTLY;\n"
        "BEGIN;\nCREATE INDEX CONCURRENTLY m ON t (b);\nCOMMIT;"
    )
    # Supabase project, Supabase-named file: the CLI runs the three index forms standalone;
    # DETACH … CONCURRENTLY is not in its list, and an explicit BEGIN still wraps.
    assert hits("concurrent-in-transaction", sql, supabase=True) == [(5, 1), (7, 1)]
    assert hits("concurrent-splits-migration", sql, supabase=True) == [(2, 1), (3, 1), (4, 1)]
    # Other runners (no Supabase project, or a goose/Flyway file): every form fails in the wrapped file.
    every = [(2, 1), (3, 1), (4, 1), (5, 1), (7, 1)]
    assert hits("concurrent-in-transaction", sql) == every
    assert hits("concurrent-in-transaction", ("V2__x.sql", sql), supabase=True) == every
    assert hits("concurrent-splits-migration", sql) == []
    # Alone in its file (SET lines and other standalone statements aside): nothing is split.
    assert hits("concurrent-splits-migration", "CREATE INDEX CONCURRENTLY i ON t (a);", supabase=True) == []
    alone = "SET statement_timeout = 0;\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;"
    assert hits("concurrent-splits-migration", alone, supabase=True) == []
    assert hits("concurrent-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);", supabase=True) == []


def test_enum_values_with_quotes_backslashes_and_accents_are_matched_as_constants_only(hits: Hits) -> None:
    # The rule's prefilter reads each statement's JSON: escaped strings must compare as their values.
    sql = (
        "ALTER TYPE status ADD VALUE 'it''s';\n"
        "ALTER TYPE status ADD VALUE 'a\\b';\n"
        "ALTER TYPE status ADD VALUE 'été';\n"
        'UPDATE orders SET "été" = 1 WHERE id = 1;\n'  # a column named like the value: not a use
        "UPDATE orders SET status = 'it''s' WHERE id = 1;\n"
        "UPDATE orders SET status = 'a\\b' WHERE id = 2;\n"
        "UPDATE orders SET status = 'été' WHERE id = 3;\n"
        "UPDATE orders SET status = 'ete' WHERE id = 4;"
    )
    assert hits("enum-add-value-in-transaction", sql) == [(5, 28), (6, 28), (7, 28)]


def test_enum_value_used_after_hundreds_of_other_values_were_added(hits: Hits) -> None:
    added = "".join(f"ALTER TYPE status ADD VALUE 'v{i}';\n" for i in range(300))
    sql = added + "UPDATE orders SET status = 'v150' WHERE id = 1;\nUPDATE orders SET status = 'w1' WHERE id = 2;"
    assert hits("enum-add-value-in-transaction", sql) == [(301, 28)]
