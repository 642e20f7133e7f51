"""Reading a migration file's text and honouring other runners' conventions.

Line numbers must stay those of the file on disk, so parts that are not the migration (goose's
``-- +goose Down`` section, dbmate's ``-- migrate:down``, psql meta-command lines) are blanked out
(replaced by spaces, newlines kept) rather than cut.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, NamedTuple

from pglast import parser

from migration_guard.errors import UserError
from migration_guard.model import SourceError

BOM = "\ufeff"

# Markers that tell a runner not to wrap the file in a transaction.
NO_TRANSACTION_MARKERS = (
    "-- migration-guard: no-transaction",
    "-- +goose no transaction",
    "-- postgres-migrations disable-transaction",
)


def repository_root(folder: Path) -> Path:
    """The repository a migrations folder belongs to: the nearest folder holding ``.git``, else the
    migrations folder itself (a symlink may never lead out of it then)."""
    start = folder.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def check_entry(path: Path, root: Path) -> bool:
    """Whether a folder entry is a migration file to read. Never opens it.

    ``False`` for what is plainly not a migration (``seed.sql`` handled by the caller, a README);
    a ``UserError`` naming the path for anything named like one that must not be read: a folder
    named ``*.sql``, a FIFO or device (reading would block or read a device), a dangling symlink,
    or a symlink leading outside the repository (a checkout could otherwise make us read any file
    on the runner, e.g. ``/proc/self/environ``).
    """
    if path.suffix != ".sql":
        return False
    try:
        info = os.stat(path)  # follows symlinks: what would be read
    except FileNotFoundError:
        raise UserError(f"{path}: a symlink to a missing file; remove it or point it at a migration") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    if path.is_symlink() and not path.resolve().is_relative_to(root):
        raise UserError(
            f"{path}: a symlink to {path.resolve()}, outside the repository; migrations must be files in it"
        )
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{path}: a folder named like a migration; rename it (migrations are files)")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise UserError(f"{path}: {kind}, not a regular file; it is not read")
    return True


def require_regular_file(path: Path) -> None:
    """For a file named explicitly: reading a FIFO or device would block or never end."""
    try:
        info = os.stat(path)
    except OSError:
        return  # the caller's read reports a missing or unreadable file
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise UserError(f"{path}: {kind}, not a regular file; it is not read")


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
    marker = " ".join(line.strip().lower().split())
    if marker.startswith("--") and not marker.startswith("-- "):
        marker = "-- " + marker[2:].lstrip()  # goose also accepts "--+goose Up"
    return marker


def _lines(text: str) -> list[str]:
    """Lines with their endings, split on "\n" only (str.splitlines also splits on form feeds and
    U+2028, which would shift every line number after them)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


_CANDIDATE = re.compile(r"^[ \t]*\\", re.MULTILINE)  # a prefilter only; the scanner decides
_MAX_META_LINES = 200


def _may_have_meta(text: str) -> bool:
    # Most files hold no backslash at all: one C scan instead of the line-anchored regex (~13 ms on 2 MB).
    return "\\" in text and _CANDIDATE.search(text) is not None


def _scan(text: str) -> list[Any]:
    """Tokens of ``text``; on a scan error (an unterminated quote, often opened on a meta line
    such as ``\\echo it's``) the tokens before the error."""
    for _ in range(8):
        try:
            return list(parser.scan(text))
        except parser.ParseError as exc:
            offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
            if not 0 < offset < len(text):
                return []
            text = text[:offset]
    return []


def _first_meta_line(text: str) -> int | None:
    """0-based index of the first line whose first token is a backslash (a psql meta-command).

    PostgreSQL's own scanner knows strings, dollar-quoted bodies ($$, $tag$) and comments, so a
    backslash inside them never counts.
    """
    for token in _scan(text):  # offsets are character offsets
        if token.name != "ASCII_92":
            continue
        line_start = text.rfind("\n", 0, token.start) + 1
        if not text[line_start : token.start].strip():
            return text.count("\n", 0, token.start)
    return None


def _meta_command_lines(lines: list[str]) -> list[int]:
    """Indexes of psql meta-command lines. Each one found is blanked before scanning again, so a
    quote on a meta line (``\\echo it's``) cannot hide the lines after it."""
    text = "".join(lines)
    if not _may_have_meta(text):
        return []
    work = list(lines)
    found: list[int] = []
    for _ in range(_MAX_META_LINES):
        index = _first_meta_line("".join(work))
        if index is None:
            break
        found.append(index)
        work[index] = _blank(work[index])
    return sorted(found)


# Words that must appear in a file for any runner marker to be there (cheap test before reading
# every line as a possible marker: most files have none).
_MARKER_WORDS = ("goose", "migrate:", "transaction")


def _markers(lines: list[str]) -> list[str]:
    """The normalised marker text of each comment line ("" for other lines)."""
    return [_marker(line) if line.lstrip().startswith("--") else "" for line in lines]


def apply_conventions(text: str) -> Source:
    lowered = text.lower()
    has_markers = any(word in lowered for word in _MARKER_WORDS)
    if not has_markers and not _may_have_meta(text):
        return Source(text, False, ())  # nothing to blank (the common case): no line-by-line pass
    lines = _lines(text)
    markers = _markers(lines) if has_markers else []
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

    if any(m.startswith(NO_TRANSACTION_MARKERS) for m in markers if m):
        no_tx = True

    meta: list[tuple[int, str]] = []
    for i in _meta_command_lines(lines):
        meta.append((i + 1, lines[i].strip()))
        lines[i] = _blank(lines[i])
    return Source("".join(lines), no_tx, tuple(meta))
