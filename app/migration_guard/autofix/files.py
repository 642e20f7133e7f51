"""The I/O of a fix: read each file as it is on disk, show the change as a unified diff, and write
everything or nothing (each file through a temporary file and a rename)."""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from migration_guard.autofix.model import FileEdit, NewFile
from migration_guard.autofix.plan import apply_edits
from migration_guard.autofix.runners import newline
from migration_guard.errors import UserError
from migration_guard.migrations.source import BOM


class Change(NamedTuple):
    path: Path
    old: str | None  # None: a new file
    new: str


def changes(edits: Sequence[FileEdit], new_files: Sequence[NewFile]) -> list[Change]:
    """The files' new text. The edits' offsets are into the text the linter read, so each file must
    still be exactly what was linted (same checksum)."""
    out: list[Change] = []
    line_ends: dict[str, str] = {}
    for fe in edits:
        m = fe.migration
        try:
            data = m.path.read_bytes()
        except OSError as exc:
            raise UserError(f"{m.path}: cannot read: {exc.strerror}; nothing was changed") from None
        if hashlib.sha256(data).hexdigest() != m.checksum:
            raise UserError(f"{m.path}: changed while it was being fixed; run again (nothing was changed)")
        text = data.decode("utf-8")
        bom = BOM if text.startswith(BOM) else ""
        body = text[len(bom) :]
        if len(body) != len(m.text):  # pragma: no cover - the loader keeps offsets; a last guard
            raise UserError(f"{m.path}: cannot map the findings onto the file; nothing was changed")
        out.append(Change(m.path, text, bom + apply_edits(body, fe.edits)))
        line_ends[m.path.name] = newline(body)
    for nf in new_files:
        nl = line_ends.get(nf.after, "\n")
        out.append(Change(nf.path, None, nf.text.replace("\n", nl)))
    return out


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff(items: Sequence[Change]) -> str:
    """One unified diff for all files (``patch -p0`` applies it); new files come from /dev/null."""
    out: list[str] = []
    for c in items:
        old = "/dev/null" if c.old is None else str(c.path)
        out.extend(difflib.unified_diff(_lines(c.old or ""), _lines(c.new), old, str(c.path)))
    return "".join(out)


def _temp_beside(path: Path, text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(name, path.stat().st_mode & 0o7777)  # keep the file's permissions
        else:
            os.chmod(name, 0o666 & ~_umask())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _staged(items: Sequence[Change]) -> Iterator[tuple[Change, Path]]:
    for c in items:
        yield c, _temp_beside(c.path, c.new)


def write(items: Sequence[Change]) -> None:
    """Write every change: all temporary files first (a failure there changes nothing), then the
    renames. Edited files go before new ones, so an interruption never leaves a VALIDATE file
    whose NOT VALID constraint is not written."""
    staged: list[tuple[Change, Path]] = []
    try:
        for c, tmp in _staged(items):
            staged.append((c, tmp))
    except OSError as exc:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        where = exc.filename or "a migration"
        raise UserError(f"cannot write beside {where}: {exc.strerror}; nothing was changed") from None
    for c, _tmp in staged:
        if c.old is None and c.path.exists():
            for _, t in staged:
                t.unlink(missing_ok=True)
            raise UserError(f"{c.path}: already exists; nothing was changed")
    staged.sort(key=lambda item: item[0].old is None)
    for c, tmp in staged:
        if c.old is None:
            try:
                os.link(tmp, c.path)  # never replaces a file that appeared meanwhile
            except FileExistsError:
                tmp.unlink(missing_ok=True)
                raise UserError(f"{c.path}: already exists; the fix did not create it") from None
            tmp.unlink()
        else:
            os.replace(tmp, c.path)
