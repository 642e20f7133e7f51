"""Talking to the runner: workflow commands on stdout, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files.

Shared by the `check` and `deploy` commands of the action. Every writer takes an explicit path or
falls back to the variable the runner sets; without it (a laptop) the write is skipped.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

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
