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
    # The counts are those of the rows listed (c is listed as pending), and the problem is counted.
    assert "1 applied, 1 pending, 1 drifted; 1 problem(s), so apply would refuse to run anything" in proc.stdout
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
    assert data["pending"] == ["20240103000000"]  # as listed; a drifted history still blocks it
    assert data["counts"] == {"applied": 1, "pending": 1, "drifted": 1, "missing-locally": 0, "out-of-order": 0}
    assert len(data["problems"]) == 1


def test_status_of_a_fresh_database(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    proc = cli("status", "--database-url", pg_url, "--dir", d, "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["pending"] == ["20240101000000"]


def test_counts_agree_with_every_state_listed(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    (d / "20240103000000_c.sql").write_text("create table c (id int);\n")
    _apply_now(pg_url, d)
    (d / "20240101000000_a.sql").unlink()  # applied, now missing locally
    (d / "20240102000000_b.sql").write_text("create table b (id int);\n")  # older than applied c
    (d / "20240104000000_d.sql").write_text("create table d (id int);\n")  # pending
    proc = cli("status", "--database-url", pg_url, "--dir", d)
    assert proc.returncode == 1
    rows = [line.split()[1] for line in proc.stdout.splitlines()[2:6]]
    assert rows == ["missing-locally", "out-of-order", "applied", "pending"]
    assert ("1 applied, 1 pending, 0 drifted, 1 missing locally, 1 out of order; 2 problem(s), so apply would "
            "refuse to run anything") in proc.stdout
    assert proc.stdout.count("\nproblem: ") == 2


def test_unreachable_database_exits_2(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    proc = cli("status", "--database-url", "postgresql://x:pw@/nope?host=/nonexistent-socket-dir", "--dir", d)
    assert proc.returncode == 2 and proc.stderr.startswith("migration-guard: error: cannot connect to ")
