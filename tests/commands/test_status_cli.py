"""`migration-guard status`: applied / pending / drifted, as a table and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _apply_now(url: str, directory: Path) -> None:
    """Set-up in process; `status` itself runs as the real CLI."""
    from migration_guard.apply.service import ApplyRequest, run_apply
    from migration_guard.audit import AuditContext, AuditLog

    assert run_apply(ApplyRequest(url, directory), AuditLog(None, AuditContext()), lambda _l: None).exit_code == 0


def _setup(tmp_path: Path, pg_url: str) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    (d / "20240102000000_b.sql").write_text("create table b (id int);\n")
    _apply_now(pg_url, d)
    (d / "20240102000000_b.sql").write_text("create table b (id bigint);\n")  # edited after apply
    (d / "20240103000000_c.sql").write_text("create table c (id int);\n")
    return d


def test_status_text(tmp_path: Path, pg_url: str) -> None:
    d = _setup(tmp_path, pg_url)
    proc = cli("status", "--database-url", pg_url, "--dir", d)
    assert proc.returncode == 1  # drift is a problem
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("database: localhost")
    assert lines[1].split() == ["VERSION", "STATE", "NAME", "APPLIED", "AT", "DETAIL"]
    assert lines[2].split()[:3] == ["20240101000000", "applied", "a"]
    assert lines[3].split()[:3] == ["20240102000000", "drifted", "b"]
    assert "edited after apply: statement 1 differs" in lines[3]
    assert lines[4].split() == ["20240103000000", "pending", "c"]
    assert "1 applied, 0 pending, 1 drifted" in proc.stdout
    assert "problem: 20240102000000_b.sql: edited after it was applied" in proc.stdout


def test_status_json(tmp_path: Path, pg_url: str) -> None:
    d = _setup(tmp_path, pg_url)
    proc = cli("status", "--database-url", pg_url, "--dir", d, "--format", "json")
    data = json.loads(proc.stdout)
    assert [(m["version"], m["state"]) for m in data["migrations"]] == [
        ("20240101000000", "applied"),
        ("20240102000000", "drifted"),
        ("20240103000000", "pending"),
    ]
    assert data["migrations"][0]["applied_at"]
    assert data["pending"] == []  # a drifted history blocks everything
    assert len(data["problems"]) == 1


def test_status_of_a_fresh_database(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    proc = cli("status", "--database-url", pg_url, "--dir", d, "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["pending"] == ["20240101000000"]
