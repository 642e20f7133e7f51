"""File names, versions and run order for each runner's convention."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.migrations.naming import discover, order, parse_name


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("20240101120000_create_users.sql", ("20240101120000", "create_users", True)),
        ("1_init.sql", ("1", "init", True)),
        ("20240101_langchain@embedding_search-1.1.1.sql", ("20240101", "langchain@embedding_search-1.1.1", True)),
        ("0000_same_human_robot.sql", ("0000", "same_human_robot", True)),
        ("V1__init.sql", ("1", "init", False)),
        ("V1_2__more.sql", ("1.2", "more", False)),
        ("V44.1__x.sql", ("44.1", "x", False)),
        ("R__views.sql", ("", "views", False)),
        ("00010-search-files.sql", ("00010", "search-files", False)),
        ("local_20240107152745_ollama.sql", ("", "local_20240107152745_ollama", False)),
        ("notes.txt", ("", "notes.txt", False)),
    ],
)
def test_parse_name(filename: str, expected: tuple[str, str, bool]) -> None:
    assert tuple(parse_name(filename)) == expected


def names(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_supabase_order_compares_versions_as_strings_like_the_cli() -> None:
    files = [Path(n) for n in ("20240102_b.sql", "9_x.sql", "20240101_a.sql", "notes.sql")]
    # "9" > "2…" as strings; unversioned files (the CLI skips them) come last.
    assert names(order(files)) == ["20240101_a.sql", "20240102_b.sql", "9_x.sql", "notes.sql"]


def test_numeric_dash_order_is_numeric_not_lexical() -> None:
    files = [Path(n) for n in ("0001-initialmigration.sql", "00010-search-files.sql", "0002-storage.sql", "0009-x.sql")]
    assert names(order(files)) == [
        "0001-initialmigration.sql",
        "0002-storage.sql",
        "0009-x.sql",
        "00010-search-files.sql",
    ]


def test_flyway_versioned_by_numeric_parts_then_repeatables_by_name() -> None:
    files = [Path(n) for n in ("R__z.sql", "V10__c.sql", "V2__b.sql", "V1.1__a.sql", "R__a.sql", "V1__x.sql")]
    assert names(order(files)) == ["V1__x.sql", "V1.1__a.sql", "V2__b.sql", "V10__c.sql", "R__a.sql", "R__z.sql"]


def test_discover_lists_sql_files_in_run_order_without_seed(tmp_path: Path) -> None:
    for n in ("20240102_b.sql", "20240101_a.sql", "seed.sql", "README.md"):
        (tmp_path / n).write_text("SELECT 1;")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "20230101_nested.sql").write_text("SELECT 1;")
    assert names(discover(tmp_path)) == ["20240101_a.sql", "20240102_b.sql"]


def test_corpus_storage_folder_runs_00010_tenth(corpus: Path) -> None:
    ordered = names(discover(corpus / "supabase__storage"))
    assert ordered.index("00010-search-files-search-function.sql") == 9
    assert ordered[:2] == ["0001-initialmigration.sql", "0002-storage-schema.sql"]


def test_corpus_flyway_folder_puts_repeatables_last(corpus: Path) -> None:
    ordered = names(discover(corpus / "MarquezProject__marquez"))
    assert all(n.startswith("R__") for n in ordered[-3:])
    assert ordered[0] == "V1__initial_schema.sql"
