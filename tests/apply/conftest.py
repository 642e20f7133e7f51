"""Fixtures for apply tests (the helpers live in apply_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apply_helpers import Folder, RunMG, make_mg


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "supabase" / "migrations")


@pytest.fixture
def mg() -> RunMG:
    return make_mg()
