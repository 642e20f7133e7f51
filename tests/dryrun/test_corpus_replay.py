"""The corpus (../shared/corpus, REPLAY.md): real projects' histories through the real CLI.

Four replay fully; four stop before running anything, naming the extension this server lacks,
with its file and line. Most runs use the session server through --postgres-url (the dry run makes
and drops its own database there) to keep the suite fast; atuin and dbdev use the default local
provider, so the whole default path (initdb, bootstrap, pg_cron preload when installed) is covered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from migration_guard.dryrun.local import LocalPostgres


def plan_cli(directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "migration_guard", "plan", "--dir", str(directory), "--format", "json", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def available(server: LocalPostgres) -> set[str]:
    with psycopg.connect(server.conninfo()) as conn:
        return {r[0] for r in conn.execute("select name from pg_available_extensions").fetchall()}


@pytest.mark.parametrize(
    "project",
    ["usebasejump__basejump", "makerkit__nextjs-saas-starter-kit-lite", "onlook-dev__onlook"],
)
def test_supabase_projects_replay_fully(corpus: Path, pg_server: LocalPostgres, project: str) -> None:
    proc = plan_cli(corpus / project, "--postgres-url", pg_server.url())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert data["ok"] is True
    assert all(m["status"] == "applied" for m in data["migrations"])
    assert data["migrations"][-1]["new"] is True and data["migrations"][-1]["statements"]
    assert data["affected"], "the newest migration changes something"


def test_atuin_replays_fully_on_the_default_local_server(corpus: Path) -> None:
    proc = plan_cli(corpus / "atuinsh__atuin")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert data["ok"] and data["postgres"]["provider"] == "local"
    assert len(data["migrations"]) == 20 and all(m["status"] == "applied" for m in data["migrations"])


@pytest.mark.parametrize(
    ("project", "file", "line", "extension"),
    [
        ("mckaywrigley__chatbot-ui", "20240108234540_setup.sql", 2, "http"),
        ("QuivrHQ__quivr", "20240103173626_init.sql", 1, "vector"),
        ("pgflow-dev__pgflow", "20250429164909_pgflow_initial.sql", 6, "pgmq"),
    ],
)
def test_missing_extension_stops_before_anything_runs(
    corpus: Path, pg_server: LocalPostgres, project: str, file: str, line: int, extension: str
) -> None:
    assert extension not in available(pg_server)
    proc = plan_cli(corpus / project, "--postgres-url", pg_server.url())
    assert proc.returncode == 1
    err_lines = [x for x in proc.stderr.splitlines() if x.startswith("migration-guard: error:")]
    assert len(err_lines) == 1, proc.stderr
    assert f"{file}:{line}:" in err_lines[0] and f'extension "{extension}"' in err_lines[0]
    assert f"--stub-extension {extension}" in err_lines[0] and "--postgres docker" in err_lines[0]
    data = json.loads(proc.stdout)
    failed = [m for m in data["migrations"] if m["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["path"].endswith(file)
    assert failed[0]["error"]["line"] == line
    assert all(m["status"] in ("failed", "skipped") for m in data["migrations"])  # nothing ran


def test_dbdev_depends_on_pg_cron_being_installed(corpus: Path, pg_server: LocalPostgres) -> None:
    proc = plan_cli(corpus / "supabase__dbdev")
    if "pg_cron" in available(pg_server):
        # postgresql-15-cron is installed: the local server preloads it, and the history replays.
        assert proc.returncode == 0, proc.stderr[-2000:]
    else:
        assert proc.returncode == 1
        assert "20220117141357_extensions.sql:4:" in proc.stderr
        assert 'extension "pg_cron" is not available' in proc.stderr
