"""Fixtures shared by the dry-run tests on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dryrun_servers import dry_run_server
from migration_guard.dryrun.local import LocalPostgres


@pytest.fixture(scope="module")
def dry_server() -> Iterator[LocalPostgres]:
    """A server shaped like the dry run's (superuser supabase_admin, the private install tree), one
    per test module so that no module sees another's leftovers."""
    with dry_run_server() as server:
        yield server
