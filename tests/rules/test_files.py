"""syntax-error, migration-file-name, duplicate-version, out-of-order, missing-intent, psql-meta-command."""

from __future__ import annotations

from collections.abc import Callable

Hits = Callable[..., list[tuple[int, int]]]
Lint = Callable[..., list]


def test_syntax_error_at_parser_position(lint_sql: Lint) -> None:
    found = lint_sql("-- intent: x\nCREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int,;")
    (f,) = [f for f in found if f.rule == "syntax-error"]
    assert (f.line, f.column) == (3, 32)
    assert "syntax error" in f.message


def test_syntax_error_after_multibyte_text(lint_sql: Lint) -> None:
    found = lint_sql("-- intent: ü\nCOMMENT ON TABLE a IS 'héllo wörld';\nSELEC 1;")
    assert [(f.line, f.column) for f in found if f.rule == "syntax-error"] == [(3, 1)]


def test_encoding_errors_are_left_to_the_cli(lint_sql: Lint) -> None:
    from pathlib import Path

    from migration_guard.linter import lint
    from migration_guard.migrations.loader import parse_migration
    from migration_guard.model import LintOptions

    bad = parse_migration(Path("20240101000000_x.sql"), b"SELECT '\xff';")
    assert bad.error is not None and bad.error.kind == "encoding"
    assert lint([bad], LintOptions()).findings == ()


def test_file_names(hits: Hits) -> None:
    assert hits("migration-file-name", ("20240101000000_ok.sql", "SELECT 1;")) == []
    assert hits("migration-file-name", ("1_ok.sql", "SELECT 1;")) == []
    assert hits("migration-file-name", ("add_users.sql", "SELECT 1;")) == [(1, 1)]
    assert hits("migration-file-name", ("local_20240107152745_ollama.sql", "SELECT 1;")) == [(1, 1)]
    assert hits("migration-file-name", ("20240101000000-dash.sql", "SELECT 1;"), ("20240102_x.sql", "")) == [(1, 1)]


def test_other_runners_naming_is_respected(hits: Hits) -> None:
    flyway = (("V1__init.sql", "SELECT 1;"), ("V1.1__more.sql", "SELECT 1;"), ("R__views.sql", "SELECT 1;"))
    assert hits("migration-file-name", *flyway) == []
    numeric = (("0001-init.sql", "SELECT 1;"), ("00010-more.sql", "SELECT 1;"))
    assert hits("migration-file-name", *numeric) == []


def test_duplicate_version(hits: Hits) -> None:
    files = (("20240101000000_a.sql", "SELECT 1;"), ("20240101000000_b.sql", "SELECT 1;"), ("20240102000000_c.sql", ""))
    assert hits("duplicate-version", *files) == [(1, 1)]


def test_out_of_order(lint_sql: Lint) -> None:
    files = (("20230101000000_late.sql", "SELECT 1;"), ("20250101000000_new.sql", "SELECT 1;"))
    base = ("20220101000000", "20240101000000")
    found = [f for f in lint_sql(*files, base=base) if f.rule == "out-of-order"]
    assert [f.path for f in found] == ["20230101000000_late.sql"]
    assert "20240101000000" in found[0].message
    # Files already on the base are never out of order, and without --base nothing is checked.
    assert [f for f in lint_sql(("20220101000000_a.sql", ""), base=base) if f.rule == "out-of-order"] == []
    assert [f for f in lint_sql(*files) if f.rule == "out-of-order"] == []


def test_out_of_order_numeric_versions_compare_as_numbers(hits: Hits) -> None:
    assert hits("out-of-order", ("0009-x.sql", "SELECT 1;"), base=("10",)) == [(1, 1)]
    assert hits("out-of-order", ("00011-x.sql", "SELECT 1;"), base=("10", "9")) == []


def test_missing_intent(hits: Hits) -> None:
    assert hits("missing-intent", "CREATE TABLE a (id int);") == [(1, 1)]
    assert hits("missing-intent", "-- intent: add a\nCREATE TABLE a (id int);") == []
    assert hits("missing-intent", "/* intent: add a */\nCREATE TABLE a (id int);") == []


def test_psql_meta_commands(lint_sql: Lint) -> None:
    sql = (
        "\\set ON_ERROR_STOP on\n"
        "CREATE TABLE a (id int);\n"
        "\\i other.sql\n"
        "CREATE FUNCTION f() RETURNS int AS $$\n"
        "\\n"
        "ot_meta\n"
        "$$ LANGUAGE sql;"
    )
    found = [f for f in lint_sql(sql) if f.rule == "psql-meta-command"]
    assert [(f.line, f.column) for f in found] == [(1, 1), (3, 1)]
    assert "\\i other.sql" in found[1].message


def test_duplicate_version_reported_on_the_new_file_even_when_it_sorts_first(lint_sql: Lint) -> None:
    old = ("20240101000000_orgs.sql", "SELECT 1;")
    new = ("20240101000000_accounts.sql", "SELECT 2;")  # sorts before orgs, but it is the new one
    found = lint_sql(new, old, report=frozenset({"20240101000000_accounts.sql"}))
    assert [(f.rule, f.path) for f in found if f.rule == "duplicate-version"] == [
        ("duplicate-version", "20240101000000_accounts.sql")
    ]
    both = lint_sql(new, old)  # both reported: only the later one carries it
    assert [f.path for f in both if f.rule == "duplicate-version"] == ["20240101000000_orgs.sql"]
