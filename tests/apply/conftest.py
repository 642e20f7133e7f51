"""Fixtures for apply tests (the helpers live in apply_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apply_helpers import Folder, RunMG, make_mg


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "supabase" / "migrations")


@pytest.fixture
def mg(tmp_path: Path) -> RunMG:
    return make_mg(tmp_path)  # the default audit folder lands in tmp_path
