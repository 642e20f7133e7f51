"""The pure parts of `lint --fix`: naming the follow-up file, planning edits from findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.autofix.files import changes
from migration_guard.autofix.fixers import FIXERS
from migration_guard.autofix.followup import follow_up_name
from migration_guard.autofix.plan import apply_edits, plan
from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions, Migration


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("20241231235959_a.sql", "20250101000000_validate_x.sql"),  # a timestamp: one second later
        ("00041_a.sql", "00042_validate_x.sql"),  # goose-style numbers keep their width
        ("V1.2__a.sql", "V1.2.1__validate_x.sql"),  # Flyway: between 1.2 and 1.3
        ("0007-a.sql", "0008-validate_x.sql"),
    ],
)
def test_follow_up_takes_the_version_right_after_the_file(source: str, expected: str) -> None:
    assert follow_up_name(Path("m") / source, [source], "validate x") == expected


def test_follow_up_refuses_a_taken_version_or_one_that_would_not_come_next() -> None:
    with pytest.raises(ValueError, match=r"taken by 20240101000001_b\.sql"):
        follow_up_name(Path("20240101000000_a.sql"), ["20240101000000_a.sql", "20240101000001_b.sql"], "v")
    with pytest.raises(ValueError, match="carries no version"):
        follow_up_name(Path("schema.sql"), ["schema.sql"], "v")
    # 9 + 1 = 10 sorts before 9 as a string (the Supabase CLI compares versions as strings).
    with pytest.raises(ValueError, match=r"would not run right after 9_a\.sql"):
        follow_up_name(Path("9_a.sql"), ["9_a.sql"], "v")


def _migrations(*files: tuple[str, str]) -> list[Migration]:
    return [parse_migration(Path("db") / name, sql.encode()) for name, sql in files]


BASE = ("20240101000000_t.sql", "create table t (id int primary key, a int, b int, c text);")


def test_plan_skips_every_fix_needing_a_follow_up_when_no_file_can_follow() -> None:
    ms = _migrations(BASE, ("20240101000001_c.sql", "alter table t add constraint t_a check (a > 0);"))
    result = lint(ms, LintOptions())
    folders = {Path("db"): ["20240101000000_t.sql", "20240101000001_c.sql", "20240101000002_next.sql"]}
    p = plan(result, ms, frozenset({"db/20240101000001_c.sql"}), folders)
    assert p.edits == () and p.new_files == ()
    assert p.lines == (
        "db/20240101000001_c.sql:1:19: skipped check-constraint-not-valid: no follow-up migration file can be "
        "made: the version after it (20240101000002) is taken by 20240101000002_next.sql; fix it by hand",
    )


def test_plan_edits_keep_everything_else_byte_for_byte() -> None:
    sql = (
        "/* keep */ alter table t\n"
        "  add constraint t_a check (a > 0),  -- positive\n"
        "  add constraint t_b check ((b < 10) /* small */);\n"
        "select 1; -- untouched\n"
    )
    ms = _migrations(BASE, ("20240101000001_c.sql", sql))
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_c.sql"}), {Path("db"): []})
    (fe,) = p.edits
    assert apply_edits(ms[1].text, fe.edits) == (
        "/* keep */ alter table t\n"
        "  add constraint t_a check (a > 0) NOT VALID,  -- positive\n"
        "  add constraint t_b check ((b < 10) /* small */) NOT VALID;\n"
        "select 1; -- untouched\n"
    )
    (nf,) = p.new_files
    assert nf.path == Path("db/20240101000002_validate_2_constraints.sql")
    assert "ALTER TABLE t VALIDATE CONSTRAINT t_a;\nALTER TABLE t VALIDATE CONSTRAINT t_b;\n" in nf.text


def test_quoted_names_are_copied_as_written() -> None:
    sql = 'ALTER TABLE "Sales"."Orders" ALTER COLUMN "Email" SET NOT NULL;'
    ms = _migrations(
        ("20240101000000_t.sql", 'create schema "Sales"; create table "Sales"."Orders" ("Email" text);'),
        ("20240101000001_nn.sql", sql),
    )
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_nn.sql"}), {Path("db"): []})
    (fe,) = p.edits
    assert apply_edits(ms[1].text, fe.edits) == (
        'ALTER TABLE "Sales"."Orders" ADD CONSTRAINT "Orders_Email_not_null" CHECK ("Email" IS NOT NULL) NOT VALID;'
    )
    assert 'ALTER TABLE "Sales"."Orders" ALTER COLUMN "Email" SET NOT NULL;' in p.new_files[0].text


def test_changes_refuse_a_file_edited_since_it_was_linted(tmp_path: Path) -> None:
    path = tmp_path / "20240101000001_i.sql"
    path.write_text("create index i on t (a);")
    base = parse_migration(tmp_path / BASE[0], BASE[1].encode())
    m = parse_migration(path, path.read_bytes())
    p = plan(lint([base, m], LintOptions()), [base, m], frozenset({str(path)}), {tmp_path: []})
    path.write_text("create index i on t (b);")
    from migration_guard.errors import UserError

    with pytest.raises(UserError, match="changed while it was being fixed"):
        changes(p.edits, p.new_files)


def test_every_fixer_names_a_real_rule() -> None:
    from migration_guard.rules.registry import get_rule

    assert all(get_rule(rule) is not None for rule in FIXERS)


def test_the_docs_describe_every_fixer() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    section = docs[docs.index("**`--fix` and `--diff`.**") : docs.index("### migration-guard rules")]
    assert [rule for rule in FIXERS if f"`{rule}`" not in section] == []


def test_multibyte_text_before_and_in_the_statement_keeps_positions() -> None:
    sql = "-- intent: café ☕\nALTER TABLE café ADD CONSTRAINT «ç» CHECK (naïve > 0);\n"
    ms = _migrations(
        ("20240101000000_t.sql", "create table café (naïve int);"),
        ("20240101000001_c.sql", sql.replace("«ç»", '"ç✓"')),
    )
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_c.sql"}), {Path("db"): []})
    (fe,) = p.edits
    assert apply_edits(ms[1].text, fe.edits) == (
        '-- intent: café ☕\nALTER TABLE café ADD CONSTRAINT "ç✓" CHECK (naïve > 0) NOT VALID;\n'
    )
    assert 'ALTER TABLE café VALIDATE CONSTRAINT "ç✓";' in p.new_files[0].text


def test_partitioned_table_gets_no_concurrently_and_old_postgres_no_check_sequence() -> None:
    ms = _migrations(
        ("20240101000000_t.sql", "create table p (a int) partition by range (a);"),
        ("20240101000001_i.sql", "create index p_a_idx on p (a);"),
    )
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_i.sql"}), {Path("db"): []})
    assert p.edits == ()
    assert p.lines[0].endswith(
        "skipped index-not-concurrent: a partitioned table: PostgreSQL cannot build its "
        "index CONCURRENTLY; index each partition"
    )
    ms = _migrations(BASE, ("20240101000001_nn.sql", "alter table t alter column c set not null;"))
    findings = lint(ms, LintOptions())
    p = plan(findings, ms, frozenset({"db/20240101000001_nn.sql"}), {Path("db"): []}, pg_version=11)
    assert p.edits == () and "skipped set-not-null: PostgreSQL 11 scans" in p.lines[0]
    assert plan(findings, ms, frozenset({"db/20240101000001_nn.sql"}), {Path("db"): []}, pg_version=15).edits


def test_write_is_all_or_nothing(tmp_path: Path) -> None:
    from migration_guard.autofix.files import Change, write
    from migration_guard.errors import UserError

    edited = tmp_path / "20240101000001_a.sql"
    edited.write_text("old")
    taken = tmp_path / "20240101000002_b.sql"
    taken.write_text("someone else's")
    # A new file that cannot be staged (its folder is missing): nothing is written, no temp file left.
    with pytest.raises(UserError, match="nothing was changed"):
        write([Change(edited, "old", "new"), Change(tmp_path / "gone" / "x.sql", None, "v")])
    # A new file whose name got taken meanwhile: the edit is not made either.
    with pytest.raises(UserError, match="already exists; nothing was changed"):
        write([Change(edited, "old", "new"), Change(taken, None, "v")])
    assert edited.read_text() == "old" and taken.read_text() == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [edited.name, taken.name]
    write([Change(edited, "old", "new"), Change(tmp_path / "20240101000003_c.sql", None, "v")])
    assert edited.read_text() == "new" and (tmp_path / "20240101000003_c.sql").read_text() == "v"


def test_index_of_a_partitioned_table_is_not_dropped_concurrently() -> None:
    ms = _migrations(
        ("20240101000000_t.sql", "create table p (a int) partition by range (a); create index p_a_idx on p (a);"),
        ("20240101000001_d.sql", "drop index p_a_idx;"),
    )
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_d.sql"}), {Path("db"): []})
    assert p.edits == ()
    assert p.lines[0].endswith("an index of a partitioned table: PostgreSQL cannot drop it CONCURRENTLY")


def test_only_is_kept_for_the_validate() -> None:
    ms = _migrations(BASE, ("20240101000001_c.sql", "alter table only t add constraint t_a check (a > 0);"))
    p = plan(lint(ms, LintOptions()), ms, frozenset({"db/20240101000001_c.sql"}), {Path("db"): []})
    assert "ALTER TABLE ONLY t VALIDATE CONSTRAINT t_a;" in p.new_files[0].text
