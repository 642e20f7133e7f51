"""Workflow commands, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY writers."""

from __future__ import annotations

import io
from pathlib import Path

from migration_guard.github import workflow
from runner_files import parse_outputs


def test_outputs_use_the_multiline_syntax(tmp_path: Path) -> None:
    out = tmp_path / "output"
    workflow.set_outputs({"verdict": "pass", "evil": "a\nverdict<<X\nfail\nX", "n": 3}, str(out))
    text = out.read_text()
    assert parse_outputs(text) == {"verdict": "pass", "evil": "a\nverdict<<X\nfail\nX", "n": "3"}


def test_summary_is_capped_at_one_mebibyte(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert workflow.append_summary("é" * 800_000, str(summary)) is True
    data = summary.read_bytes()
    assert len(data) <= workflow.SUMMARY_LIMIT
    assert "cut here" in data.decode("utf-8")  # still valid UTF-8, with a note
    assert workflow.append_summary("small", str(tmp_path / "other.md")) is False


def test_commands_escape_their_data() -> None:
    stream = io.StringIO()
    workflow.warning("50% done\nnext line", title="a,b:c", stream=stream)
    workflow.add_mask("s3cret\nline2", stream=stream)
    assert stream.getvalue().splitlines() == [
        "::warning title=a%2Cb%3Ac::50%25 done%0Anext line",
        "::add-mask::s3cret",
        "::add-mask::line2",
    ]


def test_nothing_written_without_runner_files(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    workflow.set_outputs({"a": "b"})
    assert workflow.append_summary("x") is False
