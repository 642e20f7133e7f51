"""Which runner a file is written for, as far as the fix needs it: how it says "no transaction"
and how a new file must start.

The markers are those ``migrations.source`` honours: goose's ``-- +goose Up`` sections and its
``-- +goose NO TRANSACTION``, dbmate's ``-- migrate:up`` with ``transaction:false``; everything else
(the Supabase CLI, Migration Guard's apply, plain psql) takes ``-- migration-guard: no-transaction``
(the Supabase CLI runs a lone CREATE/DROP INDEX CONCURRENTLY outside its batch by itself).
"""

from __future__ import annotations

from typing import Literal

from migration_guard.autofix.model import Edit
from migration_guard.model import Migration, Statement

Style = Literal["goose", "dbmate", "default"]

MIGRATION_GUARD = "-- migration-guard: no-transaction"
GOOSE = "-- +goose NO TRANSACTION"
DBMATE_OPTION = "transaction:false"


def _marker(line: str) -> str:
    marker = " ".join(line.strip().lower().split())
    if marker.startswith("--") and not marker.startswith("-- "):
        marker = "-- " + marker[2:].lstrip()  # goose also accepts "--+goose Up"
    return marker


def _up_lines(text: str) -> list[tuple[int, str, str]]:
    """(offset, line without its end, marker) of each goose / dbmate "up" marker line."""
    found: list[tuple[int, str, str]] = []
    offset = 0
    for line in text.split("\n"):
        if line.lstrip().startswith("--"):
            m = _marker(line)
            if m == "-- +goose up" or m == "-- migrate:up" or m.startswith("-- migrate:up "):
                found.append((offset, line.rstrip("\r"), m))
        offset += len(line) + 1
    return found


def style(migration: Migration) -> Style:
    ups = _up_lines(migration.text)
    if any(m == "-- +goose up" for _, _, m in ups):
        return "goose"
    if ups:
        return "dbmate"
    return "default"


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def no_transaction(migration: Migration, stmt: Statement) -> tuple[Edit | None, str]:
    """The edit that tells the file's runner not to wrap it in a transaction, and its text.
    ``None`` when the file already says so."""
    if migration.no_transaction:
        return None, ""
    text = migration.text
    nl = newline(text)
    kind = style(migration)
    if kind == "goose":
        return Edit(0, 0, GOOSE + nl), GOOSE  # goose reads the annotation anywhere; the top is the custom
    if kind == "dbmate":
        offset, line, _ = _up_lines(text)[0]
        said = f"-- migrate:up {DBMATE_OPTION}"
        on = line.lower().find("transaction:true")
        if on >= 0:  # the option written the other way: flip it
            return Edit(offset + on, offset + on + len("transaction:true"), DBMATE_OPTION), said
        end = offset + len(line.rstrip())
        return Edit(end, end, " " + DBMATE_OPTION), said
    line_start = text.rfind("\n", 0, stmt.start) + 1  # on its own line, right above the statement
    return Edit(line_start, line_start, MIGRATION_GUARD + nl), MIGRATION_GUARD


def follow_up_text(kind: Style, header: list[str], statements: list[str]) -> str:
    """A new migration file in the runner's shape: header comments, then the statements."""
    body = "\n".join([*header, "", *statements]) + "\n"
    if kind == "goose":
        return "-- +goose Up\n" + body
    if kind == "dbmate":
        return "-- migrate:up\n" + body + "\n-- migrate:down\n"
    return body
