"""The corpus (../shared/corpus, REPLAY.md): real projects' whole histories through the real CLI.

Every Supabase project replays fully on the default local provider (the private install tree with
the stand-in extensions, `postgres` as a non-superuser), and the report lists the stand-ins it used.
e2b's history conflicts with a real Supabase environment and the report says so; the other runners
replay with their runners' settings (supabase/storage: its own schema, not a Supabase project's
history, with the `search_path` its runner injects). A prepared data folder (`--cache-dir`) keeps the suite fast.
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


# supabase/storage's runner (postgres-migrations in storage-api) connects with
# `-c search_path=storage,public`; its files create their own roles (anon, authenticated, service_role,
# authenticator, supabase_storage_admin), so the Supabase bootstrap must not have made them first.
STORAGE_RUNNER = ("--supabase", "off", "--session-setting", "search_path=storage, public")


def test_supabase_storage_replays_fully_with_its_runners_settings(corpus: Path, cache_dir: Path) -> None:
    """63 files in numeric-id order (00010- is id 10), 8 `disable-transaction` files, roles created by
    the history and then made owners (`ALTER TABLE ... OWNER TO supabase_storage_admin`), all as the
    non-superuser `postgres`."""
    proc, data = plan(corpus / "supabase__storage", cache_dir, *STORAGE_RUNNER)
    failed = [m for m in data["migrations"] if m["status"] != "applied"]
    assert proc.returncode == 0 and not failed, (failed[:1], proc.stderr[-1500:])
    names = [Path(m["path"]).name for m in data["migrations"]]
    assert len(names) == 63 and names[9] == "00010-search-files-search-function.sql"
    assert data["migrations"][-1]["new"] is True


def test_supabase_storage_without_its_search_path_stops_where_its_runner_would_not(
    corpus: Path, cache_dir: Path
) -> None:
    """The unqualified `iceberg_namespaces` of 0047 resolves only through the injected search_path."""
    proc, data = plan(corpus / "supabase__storage", cache_dir, "--supabase", "off")
    assert proc.returncode == 1
    [failed] = [m for m in data["migrations"] if m["status"] == "failed"]
    assert Path(failed["path"]).name == "0047-iceberg-table-metadata.sql", failed
    assert 'relation "iceberg_namespaces" does not exist' in failed["error"]["message"]
    assert sum(m["status"] == "applied" for m in data["migrations"]) == 46


def test_supabase_storage_as_a_supabase_project_names_the_role_loop(corpus: Path, cache_dir: Path) -> None:
    """Auto-detected as Supabase (it references storage.objects), `grant postgres to authenticator`
    is the loop it would be on Supabase, and the hint names the way out."""
    proc, data = plan(corpus / "supabase__storage", cache_dir, "--session-setting", "search_path=storage, public")
    assert proc.returncode == 1
    [failed] = [m for m in data["migrations"] if m["status"] == "failed"]
    assert Path(failed["path"]).name == "0002-storage-schema.sql" and failed["error"]["line"] == 41
    assert failed["error"]["message"] == 'role "postgres" is a member of role "authenticator"'
    assert "already a member of `authenticator` on every Supabase project" in failed["error"]["hint"]
    assert "--supabase off" in failed["error"]["hint"]
