"""The corpus (../shared/corpus, REPLAY.md): real projects' whole histories through the real CLI.

Every Supabase project replays fully on the default local provider (the private install tree with
the stand-in extensions, `postgres` as a non-superuser), and the report lists the stand-ins it used.
e2b's history conflicts with a real Supabase environment and the report says so; the other runners
replay with their runners' settings. A prepared data folder (`--cache-dir`) keeps the suite fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dryrun-cache")


def plan(directory: Path, cache: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    cmd = [sys.executable, "-m", "migration_guard", "plan", "--dir", str(directory), "--format", "json",
           "--no-progress", "--cache-dir", str(cache), *extra]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc, json.loads(proc.stdout)


def _stand_ins(data: dict[str, Any]) -> set[str]:
    for warning in data["warnings"]:
        if warning.startswith("dry run used stand-ins for: "):
            names = warning.removeprefix("dry run used stand-ins for: ").split(":", 1)[0]
            return {n.strip() for n in names.split(",")}
    return set()


@pytest.mark.parametrize(
    ("project", "files", "stand_ins", "extra"),
    [
        ("mckaywrigley__chatbot-ui", 25, {"http", "vector"}, ()),
        ("usebasejump__basejump", 4, set(), ()),
        ("makerkit__nextjs-saas-starter-kit-lite", 1, set(), ()),
        ("supabase__dbdev", 54, {"pg_cron"}, ()),
        ("pgflow-dev__pgflow", 20, {"pgmq", "pg_net", "pg_cron"}, ()),
        ("onlook-dev__onlook", 20, set(), ()),
        # vector and the Stripe wrapper on stand-ins; its seed (a db dump: session_replication_role) loads.
        ("QuivrHQ__quivr", 69, {"vector", "wrappers"}, ()),
    ],
)
def test_supabase_projects_replay_fully_with_their_stand_ins_listed(
    corpus: Path, cache_dir: Path, project: str, files: int, stand_ins: set[str], extra: tuple[str, ...]
) -> None:
    proc, data = plan(corpus / project, cache_dir, *extra)
    failed = [m for m in data["migrations"] if m["status"] != "applied"]
    assert proc.returncode == 0 and not failed, (failed[:1], proc.stderr[-1500:])
    assert len(data["migrations"]) == files
    assert data["postgres"]["provider"] == "local"
    assert stand_ins <= _stand_ins(data), data["warnings"]
    assert data["migrations"][-1]["new"] is True


def test_e2b_names_its_conflict_with_the_supabase_platform(corpus: Path, cache_dir: Path) -> None:
    """e2b's first file is a local stub of Supabase (`create role authenticated`): on Supabase it fails."""
    proc, data = plan(corpus / "e2b-dev__infra", cache_dir)
    assert proc.returncode == 1
    [failed] = [m for m in data["migrations"] if m["status"] == "failed"]
    assert failed["path"].endswith("20000101000000_auth.sql") and failed["error"]["line"] == 5
    assert failed["error"]["message"] == 'role "authenticated" already exists'
    assert "conflicts with the Supabase platform: role `authenticated`" in failed["error"]["hint"]
    assert "--supabase off" in failed["error"]["hint"]


def test_e2b_replays_as_the_plain_postgres_history_it_is(corpus: Path, cache_dir: Path) -> None:
    """goose: Up sections only, 40 NO TRANSACTION files with CREATE INDEX CONCURRENTLY."""
    proc, data = plan(corpus / "e2b-dev__infra", cache_dir, "--supabase", "off")
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert len(data["migrations"]) == 131 and all(m["status"] == "applied" for m in data["migrations"])


@pytest.mark.parametrize(("project", "files"), [("MarquezProject__marquez", 84), ("atuinsh__atuin", 20)])
def test_other_runners_replay_in_their_order(corpus: Path, cache_dir: Path, project: str, files: int) -> None:
    proc, data = plan(corpus / project, cache_dir)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert len(data["migrations"]) == files and all(m["status"] == "applied" for m in data["migrations"])
