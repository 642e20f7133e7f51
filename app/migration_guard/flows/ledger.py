"""The deploy's first database step: read the ledger and compare it with the files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migration_guard.apply.files import LocalMigration


@dataclass(frozen=True)
class LedgerStep:
    pending: tuple[LocalMigration, ...]
    problems: tuple[str, ...]  # drift: edited, missing or out-of-order history


def ledger_step(url: str, directory: Path, allow_out_of_order: bool) -> LedgerStep:
    """Load the files, read the ledger (connection errors are a ``UserError``), compare."""
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import connect, database_error, read_state

    files = load_local(directory)
    conn = connect(url)
    try:
        comparison = read_state(conn, files, allow_out_of_order)
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    finally:
        conn.close()
    return LedgerStep(tuple(comparison.pending), tuple(comparison.problems))
