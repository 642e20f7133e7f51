"""The per-file state a deferred file judgment restores is exactly what a new file resets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from migration_guard.model import LintOptions
from migration_guard.rules.context import Context


def test_file_state_names_every_attribute_new_file_state_sets() -> None:
    # ``Context.FILE_STATE`` is written out by hand (the compiled build has no ``vars()``); an
    # attribute added to ``_new_file_state`` but not there would leak from one file into the
    # judgment of another when files of a change are judged together.
    if not hasattr(Context([], LintOptions()), "__dict__"):
        pytest.skip("compiled build (native class): checked on the interpreted build")
    state = SimpleNamespace()
    Context._new_file_state(state)  # type: ignore[arg-type]
    assert sorted(vars(state)) == sorted(Context.FILE_STATE)
