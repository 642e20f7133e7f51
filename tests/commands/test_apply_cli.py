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
    assert proc.returncode == 1
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
