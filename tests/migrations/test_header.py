"""Header lines (intent, depends-on, data-migration) and suppression comments."""

from __future__ import annotations

from pathlib import Path

from migration_guard.migrations.header import parse_directive
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import Migration, Suppression


def load(sql: str) -> Migration:
    return parse_migration(Path("20240101000000_x.sql"), sql.encode())


def test_header_fields() -> None:
    m = load(
        "-- intent: add plans so billing can charge\n-- depends-on: 20231201000000, 20231202000000\n"
        "-- data-migration: yes\nALTER TABLE a ADD COLUMN plan text;\n-- intent: not a header any more\n"
    )
    assert m.header.intent == "add plans so billing can charge"
    assert m.header.depends_on == ("20231201000000", "20231202000000")
    assert m.header.data_migration is True


def test_header_in_block_comment_and_data_migration_no() -> None:
    m = load("/*\n * intent: block style\n * data-migration: no\n */\nSELECT 1;")
    assert (m.header.intent, m.header.data_migration) == ("block style", False)


def test_header_lines_inside_statements_do_not_count() -> None:
    m = load(
        "SELECT '-- intent: in a string';\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- intent: body\nSELECT 1 $$;"
    )
    assert m.header.intent is None


def test_suppressions_attach_to_the_following_statement() -> None:
    m = load(
        "-- intent: x\n-- migration-guard: allow-file missing-primary-key -- logs need none\n"
        "CREATE TABLE a (x int);\n"
        "-- migration-guard: allow drop-column, set-not-null -- verified\n-- another comment\n"
        "ALTER TABLE b DROP COLUMN c;\n"
        "SELECT '-- migration-guard: allow drop-table -- in a string';\n"
        "/* migration-guard: allow truncate -- block */ TRUNCATE c;"
    )
    assert m.suppressions == (
        Suppression(("missing-primary-key",), "logs need none", 2, True, None),
        Suppression(("drop-column", "set-not-null"), "verified", 4, False, 1),
        Suppression(("truncate",), "block", 8, False, 3),
    )


def test_parse_directive() -> None:
    assert parse_directive("migration-guard: allow a, b -- because -- really") == (
        "allow",
        ("a", "b"),
        "because -- really",
    )
    assert parse_directive("Migration-Guard: ALLOW Drop-Table") == ("allow", ("drop-table",), None)
    assert parse_directive("migration-guard: allow x --") == ("allow", ("x",), None)
    assert parse_directive("migration-guard: no-transaction") == ("no-transaction", (), None)
    assert parse_directive("something else") is None


def test_a_directive_in_any_case_deep_in_a_file_is_read() -> None:
    # Files without "-guard:" skip every gap after the header; the check must not miss upper case.
    body = "".join(f"CREATE TABLE t{i} (id int);\n" for i in range(50))
    m = load(
        "-- intent: many\n" + body + "-- MIGRATION-GUARD: Allow drop-table -- gone since v2\nDROP TABLE t1;\n"
        "/* Migration-Guard: allow-file prefer-text -- legacy names */\nSELECT 1;\n"
    )
    assert m.header.intent == "many"
    assert [(s.rules, s.reason, s.file_wide, s.statement_index) for s in m.suppressions] == [
        (("drop-table",), "gone since v2", False, 50),
        (("prefer-text",), "legacy names", True, None),
    ]
    plain = load("-- intent: none here\n" + body + "-- just a note: migration guard\nSELECT 1;\n")
    assert plain.header.intent == "none here" and plain.suppressions == ()
