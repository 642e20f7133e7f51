"""Reading a migration file's text and honouring other runners' conventions.

Line numbers must stay those of the file on disk, so parts that are not the migration (goose's
``-- +goose Down`` section, dbmate's ``-- migrate:down``, psql meta-command lines) are blanked out
(replaced by spaces, newlines kept) rather than cut.
"""

from __future__ import annotations

from typing import NamedTuple

from migration_guard.model import SourceError

BOM = "\ufeff"

# Markers that tell a runner not to wrap the file in a transaction.
NO_TRANSACTION_MARKERS = (
    "-- migration-guard: no-transaction",
    "-- +goose no transaction",
    "-- postgres-migrations disable-transaction",
)


class Source(NamedTuple):
    text: str
    no_transaction: bool
    meta_commands: tuple[tuple[int, str], ...]


def decode(data: bytes) -> str | SourceError:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start]
        line = prefix.count(b"\n") + 1
        column = exc.start - (prefix.rfind(b"\n") + 1) + 1
        return SourceError(
            "encoding",
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}); save the file as UTF-8",
            line,
            column,
        )
    return text[1:] if text.startswith(BOM) else text


def _blank(line: str) -> str:
    return " " * len(line.rstrip("\r\n")) + line[len(line.rstrip("\r\n")) :]


def _marker(line: str) -> str:
    return " ".join(line.strip().lower().split())


def apply_conventions(text: str) -> Source:
    lines = text.splitlines(keepends=True)
    markers = [_marker(line) for line in lines]
    no_tx = False

    # goose: only the section after "-- +goose Up" (up to "-- +goose Down") is the migration.
    # dbmate: the same with "-- migrate:up" / "-- migrate:down".
    up_markers = {"-- +goose up", "-- migrate:up"}
    down_markers = {"-- +goose down", "-- migrate:down"}
    if any(m in up_markers or m.startswith("-- migrate:up ") for m in markers):
        keep = False
        for i, m in enumerate(markers):
            if m in up_markers or m.startswith("-- migrate:up "):
                keep = True
                if "transaction:false" in m:
                    no_tx = True
                continue
            if m in down_markers or m.startswith("-- migrate:down"):
                keep = False
                continue
            if not keep:
                lines[i] = _blank(lines[i])

    meta: list[tuple[int, str]] = []
    in_dollar = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        m = markers[i]
        if any(m.startswith(marker) for marker in NO_TRANSACTION_MARKERS):
            no_tx = True
        # A psql meta-command is a line starting with a backslash; skip those inside $$ bodies.
        if line.count("$$") % 2 == 1:
            in_dollar = not in_dollar
        if not in_dollar and stripped.startswith("\\"):
            meta.append((i + 1, stripped.rstrip("\r\n")))
            lines[i] = _blank(line)
    return Source("".join(lines), no_tx, tuple(meta))
