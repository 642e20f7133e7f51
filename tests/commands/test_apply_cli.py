"""`migration-guard apply` as the real CLI: confirmation, --yes, --dry-run, bad input."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
ENV.pop("DATABASE_URL", None)


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    return d


def _versions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('supabase_migrations.schema_migrations')").fetchone()[0]:  # type: ignore[index]
            return []
        return [r[0] for r in conn.execute("SELECT version FROM supabase_migrations.schema_migrations")]


def test_without_a_terminal_and_without_yes_it_refuses(tmp_path: Path, pg_url: str) -> None:
    proc = cli("apply", "--database-url", pg_url, "--dir", _folder(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "migration-guard: error: not a terminal, so no one can confirm: pass --yes to apply without asking (CI)"
    )
    assert _versions(pg_url) == []


def test_dry_run_shows_the_plan_and_changes_nothing(tmp_path: Path, pg_url: str) -> None:
    proc = cli("apply", "--database-url", pg_url, "--dir", _folder(tmp_path), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 pending migration(s) for localhost/" in proc.stdout
    assert "20240101000000_a.sql  (1 statement, one transaction)" in proc.stdout
    assert "dry run: nothing applied" in proc.stdout
    assert _versions(pg_url) == []


def test_missing_database_url_is_one_clear_line(tmp_path: Path) -> None:
    proc = cli("apply", "--dir", _folder(tmp_path), "--yes", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "migration-guard: error: no database URL: pass --database-url or set MIGRATION_GUARD_DATABASE_URL"
    )


def test_unreachable_database_is_one_clear_line_without_password(tmp_path: Path) -> None:
    url = "postgresql://app:Sup3rSecretPw@/nope?host=/nonexistent-socket-dir&port=5432"
    proc = cli("apply", "--database-url", url, "--dir", _folder(tmp_path), "--yes", cwd=tmp_path)
    assert proc.returncode == 2  # a connection error, the same exit code for every command
    assert proc.stderr.startswith("migration-guard: error: cannot connect to localhost/nope: ")
    assert "Traceback" not in proc.stderr
    assert "Sup3rSecretPw" not in proc.stdout + proc.stderr


def test_bad_duration_is_refused(tmp_path: Path, pg_url: str) -> None:
    proc = cli(
        "apply", "--database-url", pg_url, "--dir", _folder(tmp_path), "--yes", "--lock-timeout", "soon", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "--lock-timeout: 'soon' is not a duration" in proc.stderr


def _interactive(args: list[str], answer: bytes, cwd: Path) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, answer the prompt, return (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the real CLI with the pty as its terminal
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "migration_guard", *args], ENV)
    out = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not answered and b"[y/N]" in out:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_interactive_run_shows_plan_and_asks(tmp_path: Path, pg_url: str) -> None:
    folder = _folder(tmp_path)
    code, out = _interactive(["apply", "--database-url", pg_url, "--dir", str(folder)], b"n\n", tmp_path)
    assert code == 1
    assert "20240101000000_a.sql" in out and "Apply 1 migration(s)? [y/N]" in out
    assert _versions(pg_url) == []
    code, out = _interactive(["apply", "--database-url", pg_url, "--dir", str(folder)], b"y\n", tmp_path)
    assert code == 0, out
    assert "done: 1 migration(s) applied" in out
    assert _versions(pg_url) == ["20240101000000"]


# --- the lint gate -------------------------------------------------------------------------------
RISKY = "-- intent: drop legacy\nalter table a drop column legacy;\n"


def _risky(tmp_path: Path, pg_url: str) -> Path:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    (d / "20240101000000_a.sql").write_text("-- intent: a\ncreate table a (id bigint primary key, legacy text);\n")
    assert cli("apply", "--database-url", pg_url, "--yes", cwd=tmp_path).returncode == 0
    (d / "20240102000000_drop.sql").write_text(RISKY)
    return d


def _audit(tmp_path: Path) -> list[dict[str, object]]:
    import json

    files = sorted((tmp_path / ".migration-guard" / "audit").glob("*.jsonl"))
    return [json.loads(line) for line in files[-1].read_text().splitlines()]


def test_blocking_findings_are_refused_before_anything_runs(tmp_path: Path, pg_url: str) -> None:
    _risky(tmp_path, pg_url)
    proc = cli("apply", "--database-url", pg_url, "--yes", cwd=tmp_path)
    assert proc.returncode == 1
    assert "supabase/migrations/20240102000000_drop.sql:2:1: error[drop-column]" in proc.stdout
    assert "refused: 1 blocking finding(s) in the pending migrations" in proc.stdout
    assert "--override-reason TEXT" in proc.stdout
    assert _versions(pg_url) == ["20240101000000"]
    (gate,) = [r for r in _audit(tmp_path) if r["event"] == "gate:findings"]
    assert gate["outcome"] == "refused"
    assert gate["findings"] == ["drop-column@supabase/migrations/20240102000000_drop.sql:2"]


def test_override_reason_lets_them_through_and_is_recorded(tmp_path: Path, pg_url: str) -> None:
    _risky(tmp_path, pg_url)
    short = cli("apply", "--database-url", pg_url, "--yes", "--override-reason", "because", cwd=tmp_path)
    assert short.returncode == 2 and "at least 15 characters" in short.stderr
    reason = "legacy is unused since v2.3 (checked in prod logs)"
    proc = cli("apply", "--database-url", pg_url, "--yes", "--override-reason", reason, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert f"override: 1 blocking finding(s) let through: {reason}" in proc.stdout
    assert _versions(pg_url) == ["20240101000000", "20240102000000"]
    records = _audit(tmp_path)
    gate = next(r for r in records if r["event"] == "gate:findings")
    assert gate["outcome"] == "skipped" and gate["override"] is True and gate["reason"] == reason
    applied = next(r for r in records if r["event"] == "migration" and r["outcome"] == "applied")
    assert applied["reason"] == reason and applied["findings"] == gate["findings"]
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("select override_reason, findings_overridden from migration_guard.applied "
                           "where version = '20240102000000'").fetchone()
    assert row == (reason, ["drop-column@supabase/migrations/20240102000000_drop.sql:2"])


def test_a_suppressed_finding_does_not_block(tmp_path: Path, pg_url: str) -> None:
    d = _risky(tmp_path, pg_url)
    (d / "20240102000000_drop.sql").write_text(
        "-- intent: drop legacy\n-- migration-guard: allow drop-column -- unused since v2.3\n"
        "alter table a drop column legacy;\n")
    proc = cli("apply", "--database-url", pg_url, "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


# --- ledger repair ---------------------------------------------------------------------------------
def _ledger(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("select version, name, statements from supabase_migrations.schema_migrations "
                            "order by 1").fetchall()


def test_ledger_repair_applied_and_reverted(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    (d / "20240102000000_b.sql").write_text("create table b (id int);\n-- ran by hand in the SQL editor\n")
    repair = ["ledger", "repair", "--database-url", pg_url]
    # Without a terminal and without --yes nothing changes.
    refused = cli(*repair, "--status", "applied", "20240101000000", "20240102000000", cwd=tmp_path)
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    proc = cli(*repair, "--status", "applied", "20240101000000", "20240102000000", "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "record 20240101000000_a.sql as applied (1 statement), without running it" in proc.stdout
    assert "Repaired migration history: 20240101000000, 20240102000000 => applied" in proc.stdout
    assert _ledger(pg_url) == [
        ("20240101000000", "a", ["create table a (id int)"]),
        ("20240102000000", "b", ["create table b (id int)", "-- ran by hand in the SQL editor"]),
    ]
    with psycopg.connect(pg_url) as conn:  # nothing ran: the tables were never created
        assert conn.execute("select to_regclass('a'), to_regclass('b')").fetchone() == (None, None)
    status = cli("status", "--database-url", pg_url, cwd=tmp_path)
    assert "2 applied, 0 pending, 0 drifted" in status.stdout
    again = cli(*repair, "--status", "applied", "20240101000000", "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to repair" in again.stdout
    # An edited applied file: repair applied records its new statements (a hand-fixed history).
    (d / "20240101000000_a.sql").write_text("create table a (id bigint);\n")
    assert cli("status", "--database-url", pg_url, cwd=tmp_path).returncode == 1
    fixed = cli(*repair, "--status", "applied", "20240101000000", "--yes", cwd=tmp_path)
    assert "replace the recorded row of 20240101000000" in fixed.stdout
    assert cli("status", "--database-url", pg_url, cwd=tmp_path).returncode == 0
    gone = cli(*repair, "--status", "reverted", "20240102000000", "--yes", cwd=tmp_path)
    assert gone.returncode == 0 and "remove 20240102000000 (b) from the ledger" in gone.stdout
    assert [r[0] for r in _ledger(pg_url)] == ["20240101000000"]
    records = _audit(tmp_path)
    assert [(r["event"], r["outcome"], r["version"], r["status"]) for r in records] == [
        ("ledger-repair", "applied", "20240102000000", "reverted")]
    assert not (tmp_path / "migration-guard-audit").exists()


def test_ledger_repair_asks_first_on_a_terminal(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    (d / "20240101000000_a.sql").write_text("create table a (id int);\n")
    args = ["ledger", "repair", "--database-url", pg_url, "--status", "applied", "20240101000000"]
    code, out = _interactive(args, b"n\n", tmp_path)
    assert code == 1 and "Change 1 ledger row(s)? [y/N]" in out and "cancelled" in out
    assert _versions(pg_url) == []
    code, out = _interactive(args, b"y\n", tmp_path)
    assert code == 0, out
    assert _versions(pg_url) == ["20240101000000"]


def test_ledger_repair_bad_input(tmp_path: Path, pg_url: str) -> None:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    base = ["ledger", "repair", "--database-url", pg_url, "--yes"]
    no_file = cli(*base, "--status", "applied", "20240101000000", cwd=tmp_path)
    assert no_file.returncode == 2 and "no local file for version 20240101000000" in no_file.stderr
    not_version = cli(*base, "--status", "reverted", "v1", cwd=tmp_path)
    assert not_version.returncode == 2 and "'v1' is not a migration version" in not_version.stderr
    no_status = cli(*base, "20240101000000", cwd=tmp_path)
    assert no_status.returncode == 2 and "--status" in no_status.stderr
