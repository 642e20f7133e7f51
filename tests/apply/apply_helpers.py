"""Helpers for apply tests: a migrations folder in tmp_path, the real CLI as a subprocess, SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg


class Folder:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def add(self, version: str, name: str, sql: str) -> Path:
        p = self.path / f"{version}_{name}.sql"
        p.write_text(sql, encoding="utf-8")
        return p


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


RunMG = Callable[..., subprocess.CompletedProcess[str]]


def make_mg(cwd: Path) -> RunMG:
    """Run `python -m migration_guard ARGS` in ``cwd`` (stdin not a terminal), return the completed process."""

    def run(
        *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "migration_guard", *map(str, args)],
            capture_output=True,
            text=True,
            env=env or clean_env(),
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            timeout=timeout,
        )

    return run


def query(url: str, sql: str, params: tuple[object, ...] | None = None) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []


def table_exists(url: str, name: str) -> bool:
    return bool(query(url, "SELECT to_regclass(%s) IS NOT NULL", (name,))[0][0])


def apply_now(url: str, directory: Path) -> None:
    """Set-up step: apply a folder in this process (the behaviour under test runs the real CLI)."""
    from migration_guard.apply.service import ApplyRequest, run_apply
    from migration_guard.audit import AuditContext, AuditLog

    outcome = run_apply(ApplyRequest(url, directory), AuditLog(None, AuditContext()), lambda _line: None)
    assert outcome.exit_code == 0, outcome.reason
