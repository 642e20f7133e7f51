"""Statements from PostgreSQL's parser: kinds, exact positions (multibyte text), syntax errors."""

from __future__ import annotations

from migration_guard.migrations.splitting import LineIndex, split_statements


def test_positions_point_at_the_first_token_after_comments() -> None:
    text = "-- header\n/* block\n comment */  CREATE TABLE a (id int);\n\n  -- c\n  DROP TABLE a"
    statements, error = split_statements(text)
    assert error is None
    assert [(s.kind, s.line, s.column) for s in statements] == [("CreateStmt", 3, 14), ("DropStmt", 6, 3)]
    assert statements[0].sql == "CREATE TABLE a (id int)"
    assert statements[1].sql == "DROP TABLE a"
    assert text[statements[1].raw_start : statements[1].start].strip() == "-- c"


def test_positions_after_multibyte_text_are_character_based() -> None:
    text = "SELECT 'é😀';  SELECT\n  'ü' AS \"ñ\";SELECT 3"
    statements, error = split_statements(text)
    assert error is None
    assert [(s.line, s.column) for s in statements] == [(1, 1), (1, 15), (2, 14)]
    assert [s.sql for s in statements] == ["SELECT 'é😀'", "SELECT\n  'ü' AS \"ñ\"", "SELECT 3"]
    assert all(text[s.start : s.end] == s.sql for s in statements)


def test_syntax_error_position_after_multibyte_text() -> None:
    statements, error = split_statements("SELECT 'ééé';\nALTER TABLEX t;")
    assert statements == () and error is not None
    assert (error.kind, error.line, error.column) == ("syntax", 2, 7)
    assert "TABLEX" in error.message


def test_syntax_error_at_end_of_input() -> None:
    _, error = split_statements("CREATE TABLE a (")
    assert error is not None and error.line == 1 and 1 <= error.column <= 16


def test_node_is_the_json_tree_under_its_kind() -> None:
    (stmt,), _ = split_statements('ALTER TABLE public."T" DROP COLUMN c')
    assert stmt.kind == "AlterTableStmt"
    assert stmt.node["relation"]["schemaname"] == "public" and stmt.node["relation"]["relname"] == "T"


def test_line_index() -> None:
    lines = LineIndex("ab\ncd\n\nx")
    assert [lines.position(i) for i in (0, 2, 3, 6, 7)] == [(1, 1), (1, 3), (2, 1), (3, 1), (4, 1)]


def test_every_kind_of_whitespace_and_comments_before_a_statement_are_skipped() -> None:
    text = "SELECT 1;\r\f\v\t SELECT 2;\n-- c\n/* d */ SELECT 3;  \n"
    statements, error = split_statements(text)
    assert error is None
    assert [(s.line, s.column) for s in statements] == [(1, 1), (1, 15), (3, 9)]
    assert [s.sql for s in statements] == ["SELECT 1", "SELECT 2", "SELECT 3"]
    assert [s.raw_start for s in statements] == [0, 9, 23]
