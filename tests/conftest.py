"""Shared fixtures: one real ephemeral PostgreSQL server per test session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dryrun_servers import fresh_database
from migration_guard.dryrun.local import LocalPostgres

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
if not CORPUS.is_dir():  # CI clones main next to shared/ too; fall back to the env for other layouts
    import os

    CORPUS = Path(os.environ.get("MIGRATION_GUARD_CORPUS", "../shared/corpus")).resolve()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server (local binaries, unix socket, torn down at the end of the session)."""
    with LocalPostgres() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database on the session server, dropped after the test; yields its URL."""
    with fresh_database(pg_server) as name:
        yield pg_server.url(name)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not found")  # pragma: no cover - CI always has it
    return CORPUS
