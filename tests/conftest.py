"""Shared fixtures: one real ephemeral PostgreSQL server per test session, a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

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
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not found")  # pragma: no cover - CI always has it
    return CORPUS
