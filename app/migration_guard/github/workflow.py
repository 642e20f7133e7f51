"""Talking to the runner: workflow commands on stdout, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files.

Shared by the `check` and `deploy` commands of the action. Every writer takes an explicit path or
falls back to the variable the runner sets; without it (a laptop) the write is skipped.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from migration_guard.report.annotations import escape_data, escape_property

SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB


def _out(stream: TextIO | None) -> TextIO:
    return stream or sys.stdout


def add_mask(value: str, stream: TextIO | None = None) -> None:
    """Ask the runner to mask ``value`` in every later log line (one command per line of it)."""
    for line in value.splitlines():
        if line.strip():
            print(f"::add-mask::{escape_data(line)}", file=_out(stream), flush=True)


def command(level: str, message: str, title: str | None = None, stream: TextIO | None = None) -> None:
    """``::warning::``/``::error::``/``::notice::`` without a file location."""
    props = f" title={escape_property(title)}" if title else ""
    print(f"::{level}{props}::{escape_data(message)}", file=_out(stream), flush=True)


def warning(message: str, title: str | None = None, stream: TextIO | None = None) -> None:
    command("warning", message, title, stream)


def error(message: str, title: str | None = None, stream: TextIO | None = None) -> None:
    command("error", message, title, stream)


def set_outputs(values: Mapping[str, str | int], path: str | None = None) -> None:
    """Append outputs with the multiline-safe ``name<<DELIM`` syntax (a value cannot forge another)."""
    target = path if path is not None else os.environ.get("GITHUB_OUTPUT", "")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            text = str(value)
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            while delimiter in text:  # pragma: no cover - a uuid inside a value is astronomically rare
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
            fh.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def append_summary(markdown: str, path: str | None = None, limit: int = SUMMARY_LIMIT) -> bool:
    """Append to the step summary, cut to what still fits under GitHub's 1 MiB; True if cut."""
    target = path if path is not None else os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not target:
        return False
    existing = Path(target).stat().st_size if Path(target).exists() else 0
    room = max(0, limit - existing)
    data = markdown.encode("utf-8")
    cut = False
    if len(data) + 1 > room:
        note = (
            "\n\n> ✂️ The step summary is cut here: GitHub keeps at most 1 MiB. "
            "The full report is in the JSON report file.\n"
        )
        keep = max(0, room - len(note.encode()) - 1)
        data = data[:keep].decode("utf-8", errors="ignore").encode() + note.encode()
        cut = True
    with open(target, "ab") as fh:
        fh.write(data + b"\n")
    return cut


# A line the runner would read as a workflow command: it trims leading whitespace, then looks for
# `::name` (or the older `##[name]`), on stdout and stderr alike.
# The runner splits lines at CR as well as LF.
_COMMAND_LINE = re.compile(r"(^|[\r\n])([^\S\r\n]*)(?=::|##\[)")


def no_commands(text: str) -> str:
    """``text`` with a backslash before every line start the runner would read as a workflow command."""
    return _COMMAND_LINE.sub(lambda m: m.group(1) + m.group(2) + "\\", text)


class CommandSafeStream:
    """A text stream on which no line can be a workflow command: one that would be gets a leading
    backslash. The CLI wraps stdout and stderr with it inside a workflow (``GITHUB_ACTIONS=true``),
    because its reports quote pull-request text (object names, server error messages) that may hold
    a newline and then ``::stop-commands::``, ``::add-mask::`` or a forged ``::error``. Not used for
    ``--format github`` (annotations are meant as commands, and are escaped) or the action (it
    escapes everything it prints)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._line_start = True

    def write(self, text: str) -> int:
        if text:
            escaped = _COMMAND_LINE.sub(
                lambda m: m.group(1) + m.group(2) + "\\" if m.group(1) or self._line_start else m.group(0), text
            )
            self._stream.write(escaped)
            self._line_start = text.endswith(("\n", "\r"))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, …
        return getattr(self._stream, name)


def in_workflow() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"
