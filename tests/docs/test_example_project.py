"""The bundled example project (README's main command) shows what it promises, and replays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "supabase-project"
MIGRATIONS = EXAMPLE / "supabase" / "migrations"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_layout() -> None:
    config = (EXAMPLE / "supabase" / "config.toml").read_text()
    assert 'schemas = ["public", "graphql_public"]' in config
    assert len(list(MIGRATIONS.glob("*.sql"))) == 4
    assert (EXAMPLE / "supabase" / "seed.sql").is_file()


def test_lint_one_blocking_finding_and_one_suppressed() -> None:
    proc = cli("lint", "--format", "json", "--dir", str(MIGRATIONS))
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    newest = "20240610120000_todos_due_date_and_search.sql"
    assert all(Path(f["path"]).name == newest for f in findings), findings
    blocking = [f["rule"] for f in findings if f["severity"] == "error" and not f["suppressed"]]
    suppressed = [(f["rule"], f["reason"]) for f in findings if f["suppressed"]]
    assert blocking == ["index-not-concurrent"]
    assert len(suppressed) == 1 and suppressed[0][0] == "drop-not-null" and suppressed[0][1]
    assert [f for f in findings if f["severity"] == "warning" and not f["suppressed"]] == []


def test_earlier_migrations_are_clean() -> None:
    earlier = sorted(MIGRATIONS.glob("*.sql"))[:-1]
    proc = cli("lint", "--format", "json", *map(str, earlier))
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["findings"] == []


def test_replays_with_seed_on_postgres(pg_url: str) -> None:
    # `reset` on a plain PostgreSQL installs the Supabase compatibility bootstrap, replays every
    # migration with the deploy's runner and loads seed.sql.
    proc = cli("reset", "--database-url", pg_url, "--dir", str(MIGRATIONS), "--yes")
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone() == (4,)
        assert conn.execute("select count(*) from public.todos").fetchone() == (3,)
        assert conn.execute("select count(*) from public.profiles").fetchone() == (2,)
        # the trigger works
        conn.execute("update public.todos set done = true where title = 'Write a safe migration'")
        row = conn.execute("select updated_at > created_at from public.todos where done and title like 'Write%'")
        assert row.fetchone() == (True,)
