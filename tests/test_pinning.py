"""Digests that pin a deploy to what the PR check saw: comments don't change them, anything that runs does."""

from __future__ import annotations

from pathlib import Path

from migration_guard.migrations.loader import parse_migration
from migration_guard.model import Migration
from migration_guard.pinning import Pins, file_digest, unreviewed

NAME = "20240101000000_backfill.sql"


def _m(sql: str, name: str = NAME) -> Migration:
    return parse_migration(Path(name), sql.encode())


BASE = "alter table t add column c int;\nupdate t set c = 1 where id = 1;\n"


def test_comment_and_whitespace_edits_keep_the_digest() -> None:
    edited = (
        "-- migration-guard: allow mixed-schema-and-data -- one small table\n"
        "alter table t   add column c int; /* explained */\n\n"
        "update t set c = 1\n  where id = 1;  -- trailing note\n"
    )
    assert file_digest(_m(edited)) == file_digest(_m(BASE))


def test_a_changed_constant_changes_the_digest() -> None:
    """pglast's fingerprint alone would miss this: it ignores constants."""
    assert file_digest(_m(BASE.replace("where id = 1", "where id = 2"))) != file_digest(_m(BASE))
    assert file_digest(_m(BASE.replace("set c = 1", "set c = 10"))) != file_digest(_m(BASE))


def test_a_renamed_file_or_an_added_statement_changes_the_digest() -> None:
    assert file_digest(_m(BASE, "20240101000001_backfill.sql")) != file_digest(_m(BASE))
    assert file_digest(_m(BASE + "drop table old;\n")) != file_digest(_m(BASE))


def test_pins_round_trip_through_a_comment_marker_and_reject_tampering() -> None:
    pins = Pins.of([_m(BASE)], "pass", "abc123")
    body = "### Migration Guard\n\nall clear\n\n" + pins.marker() + "\n"
    assert Pins.from_comment(body) == pins
    assert Pins.from_comment("no marker here") is None
    assert Pins.from_comment("<!-- migration-guard:pins {not json} -->") is None
    assert Pins.from_comment('<!-- migration-guard:pins {"files": [1], "verdict": "pass"} -->') is None


def test_unreviewed_names_each_reason() -> None:
    reviewed = _m(BASE)
    pins = Pins.of([reviewed], "pass")
    assert unreviewed([reviewed], pins, 7) == []
    [edited] = unreviewed([_m(BASE.replace("id = 1", "id = 3"))], pins, 7)
    assert edited.file == NAME and "edited after the check" in edited.reason and "#7" in edited.reason
    [never] = unreviewed([reviewed], None, 7)
    assert "no Migration Guard check ran on #7" in never.reason
    [failed] = unreviewed([reviewed], Pins.of([reviewed], "fail"), 7)
    assert "did not pass (fail)" in failed.reason
    [unseen] = unreviewed([_m(BASE, "20240102000000_other.sql")], pins, 7)
    assert "never saw this file" in unseen.reason
    assert unreviewed([reviewed], Pins.of([reviewed], "override"), 7) == []


def test_every_position_field_of_pglast_is_left_out_of_digests() -> None:
    """Digests and drift ignore positions: every field of pglast's nodes that holds one (a ParseLoc)."""
    import inspect

    import pglast.ast

    from migration_guard.model import POSITION_KEYS

    fields = {
        name
        for cls in vars(pglast.ast).values()
        if inspect.isclass(cls) and issubclass(cls, pglast.ast.Node) and isinstance(cls.__slots__, dict)
        for name, info in cls.__slots__.items()
        if getattr(info, "c_type", None) == "ParseLoc"
    }
    assert fields == POSITION_KEYS


def test_a_tablespace_path_is_not_a_position() -> None:
    from migration_guard.apply.drift import what_runs

    assert what_runs("create tablespace t location '/a'") != what_runs("create tablespace t location '/b'")
