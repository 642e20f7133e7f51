"""Runner conventions: goose/dbmate up/down parts, no-transaction markers, psql meta-commands, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.migrations.loader import load_migration, load_migrations, parse_migration
from migration_guard.model import Migration


def load(sql: str | bytes, name: str = "20240101000000_x.sql") -> Migration:
    return parse_migration(Path(name), sql.encode() if isinstance(sql, str) else sql)


def test_goose_only_the_up_part_is_the_migration_with_lines_kept() -> None:
    m = load(
        "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE a (id int);\n-- +goose StatementEnd\n"
        "-- +goose Down\nDROP TABLE a;; this is ( not sql\n"
    )
    assert m.error is None
    assert [(s.kind, s.line) for s in m.statements] == [("CreateStmt", 3)]
    assert m.text.count("\n") == 6  # the down part is blanked, not cut


def test_goose_markers_are_case_and_space_insensitive_and_no_transaction() -> None:
    m = load(
        "--+goose up\n-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY i ON t (a);\n--  +goose   down\nSELECT (;"
    )
    assert m.error is None and m.no_transaction
    assert [s.kind for s in m.statements] == ["IndexStmt"]


def test_dbmate_up_down_and_transaction_false() -> None:
    m = load("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;")
    assert m.no_transaction and [s.line for s in m.statements] == [2]
    plain = load("-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;")
    assert not plain.no_transaction and len(plain.statements) == 1


@pytest.mark.parametrize(
    "marker",
    ["-- migration-guard: no-transaction", "-- postgres-migrations disable-transaction", "-- +goose NO TRANSACTION"],
)
def test_no_transaction_markers(marker: str) -> None:
    assert load(f"{marker}\nSELECT 1;").no_transaction
    assert not load("SELECT 1;").no_transaction


def test_psql_meta_commands_are_removed_and_reported() -> None:
    m = load("\\set ON_ERROR_STOP on\nCREATE TABLE a (id int);\n  \\i other.sql\nSELECT 1;")
    assert m.error is None
    assert m.meta_commands == ((1, "\\set ON_ERROR_STOP on"), (3, "\\i other.sql"))
    assert [s.line for s in m.statements] == [2, 4]


def test_backslash_lines_inside_strings_bodies_and_comments_are_not_meta_commands() -> None:
    m = load(
        "-- a comment mentioning $$ once\n"
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$\n\\not_meta\n$body$;\n"
        "SELECT E'line\n\\still a string';\n/*\n\\in a comment */\n\\echo real"
    )
    assert m.error is None
    assert m.meta_commands == ((9, "\\echo real"),)
    assert "\\not_meta" in m.statements[0].sql


def test_meta_command_with_an_unbalanced_quote_does_not_hide_later_lines() -> None:
    m = load("\\echo it's\nSELECT 'é';\n\\q")
    assert m.error is None and [line for line, _ in m.meta_commands] == [1, 3]


def test_line_numbers_survive_form_feeds_and_unicode_line_separators() -> None:
    m = load("-- page\x0c break \u2028 here\n\\set x 1\nSELECT 1;")
    assert m.meta_commands == ((2, "\\set x 1"),)
    assert m.statements[0].line == 3


def test_bom_is_dropped_and_crlf_positions() -> None:
    m = load(b"\xef\xbb\xbf-- intent: bom\r\nSELECT 1;\r\n  SELECT 2;\r\n")
    assert m.header.intent == "bom"
    assert [(s.line, s.column) for s in m.statements] == [(2, 1), (3, 3)]


def test_invalid_utf8_is_an_encoding_error_naming_the_line() -> None:
    m = load(b"SELECT 1;\nSELECT '\xff';")
    assert m.error is not None and m.error.kind == "encoding" and m.error.line == 2
    assert "UTF-8" in m.error.message and m.statements == ()


def test_empty_file() -> None:
    m = load(b"")
    assert m.error is None and m.statements == () and m.checksum


def test_load_errors_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        load_migration(tmp_path / "missing.sql")
    with pytest.raises(UserError, match="is a directory"):
        load_migration(tmp_path)
    with pytest.raises(UserError, match="no such file or directory"):
        load_migrations([tmp_path / "nope"])


def test_corpus_goose_file_with_broken_down_part_parses(corpus: Path) -> None:
    migrations = load_migrations([corpus / "e2b-dev__infra"])
    assert migrations and all(m.error is None for m in migrations)
    assert sum(m.no_transaction for m in migrations) >= 40
