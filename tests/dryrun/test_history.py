"""Histories as they are (issue 12): out-of-order files named with the fix, a baseline schema kept
outside the folder, seeds as `supabase db reset` loads them, and the PostgreSQL major the project runs.

The plan runs as the real CLI on a real server (the session server through --postgres-url, or local
binaries where the provider choice is the point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from migration_guard.dryrun import history
from migration_guard.dryrun.local import LocalPostgres
from migration_guard.dryrun.plan import PlanOptions, provider_attempts, run_plan
from migration_guard.plan_model import StatementError

CLI = [sys.executable, "-m", "migration_guard", "plan", "--no-progress", "--format", "json"]


def project(root: Path, files: dict[str, str], config: str | None = None) -> Path:
    d = root / "supabase" / "migrations"
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    if config is not None:
        (root / "supabase" / "config.toml").write_text(config)
    return d


def plan(d: Path, *flags: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = subprocess.run([*CLI, "--dir", str(d), *flags], capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_a_missing_table_created_by_a_later_file_is_out_of_order(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {
        "20250501000000_policy.sql": "create index kyc_status on public.kyc_reviews (status);\n",
        "20250509000000_x.sql": "create table public.kyc_reviews (id bigint primary key, status text);\n",
        "20250510000000_y.sql": "select 1;\n",
    })
    proc, data = plan(d, "--supabase", "off", "--postgres-url", pg_server.url())
    assert proc.returncode == 1
    failed = data["migrations"][0]
    assert failed["status"] == "failed" and failed["error"]["sqlstate"] == "42P01"
    assert failed["error"]["hint"].startswith(
        "out of order: `public.kyc_reviews` is created by 20250509000000_x.sql, which sorts after this file; "
        "Supabase applies files in version order. Fix: give 20250501000000_policy.sql a version after 20250509000000"
    )
    assert [m["status"] for m in data["migrations"][1:]] == ["skipped", "skipped"]


def test_a_missing_table_nobody_creates_gets_no_out_of_order_hint(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {"1_a.sql": "select 1;\n", "2_b.sql": "alter table nowhere add column x int;\n"})
    proc, data = plan(d, "--supabase", "off", "--postgres-url", pg_server.url())
    assert proc.returncode == 1
    assert data["migrations"][1]["error"]["sqlstate"] == "42P01"
    assert "out of order" not in (data["migrations"][1]["error"]["hint"] or "")


DUMP = """\
--
-- PostgreSQL database dump (as `supabase db dump` writes it)
--
SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET row_security = off;
CREATE SCHEMA IF NOT EXISTS "billing";
CREATE TABLE IF NOT EXISTS "public"."accounts" ("id" bigint NOT NULL, "email" "text" NOT NULL);
ALTER TABLE ONLY "public"."accounts" ADD CONSTRAINT "accounts_pkey" PRIMARY KEY ("id");
CREATE TABLE IF NOT EXISTS "billing"."invoices" ("id" bigint NOT NULL, "account_id" bigint);
INSERT INTO "public"."accounts" VALUES (1, 'a@example.org'), (2, 'b@example.org');
RESET ALL;
"""


def test_a_baseline_dump_replays_before_the_history(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {
        # Unqualified names: the dump's empty search_path must not leak into the history.
        "1_a.sql": "alter table accounts add column plan text;\n",
        "2_b.sql": "update accounts set plan = 'free';\nalter table billing.invoices add column total int;\n",
    })
    dump = tmp_path / "schema.sql"
    dump.write_text(DUMP.replace("RESET ALL;\n", ""))  # plain pg_dump output has no RESET ALL
    without, _ = plan(d, "--supabase", "off", "--postgres-url", pg_server.url())
    assert without.returncode == 1  # the history assumes the schema kept outside the folder
    proc, data = plan(d, "--supabase", "off", "--postgres-url", pg_server.url(), "--baseline", str(dump))
    assert proc.returncode == 0, proc.stderr
    assert [(Path(m["path"]).name, m["status"], m["new"]) for m in data["migrations"]] == [
        ("schema.sql", "applied", False), ("1_a.sql", "applied", False), ("2_b.sql", "applied", True)]
    assert data["migrations"][-1]["statements"][0]["rows"] == 2
    missing = subprocess.run([*CLI, "--dir", str(d), "--baseline", str(tmp_path / "nope.sql")], capture_output=True,
                             text=True, check=False)
    assert missing.returncode == 2 and "nope.sql: no such baseline file" in missing.stderr


def test_baseline_from_the_project_settings(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {"1_a.sql": "alter table accounts add column plan text;\n"})
    (tmp_path / "schema.sql").write_text(DUMP)
    (tmp_path / "migration-guard.toml").write_text('baseline = ["schema.sql"]\n')
    proc = subprocess.run([*CLI, "--dir", str(d), "--supabase", "off", "--postgres-url", pg_server.url()],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert Path(json.loads(proc.stdout)["migrations"][0]["path"]).name == "schema.sql"


SEED_CONFIG = """\
[db]
major_version = 15

[db.seed]
enabled = true
sql_paths = ["./seeds/*.sql", "./late.sql"]
"""


def test_seed_sql_paths_load_in_order_and_a_seed_for_the_new_schema_loads_after_it(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    d = project(tmp_path, {
        "1_a.sql": "create table items (id int primary key, n int);\n",
        "2_b.sql": "alter table items add column tag text;\nupdate items set n = 1;\n",
    }, SEED_CONFIG)
    seeds = tmp_path / "supabase" / "seeds"
    seeds.mkdir()
    (seeds / "02_more.sql").write_text("insert into items select id + 3, 0 from items;\n")  # doubles what is there
    (seeds / "01_first.sql").write_text("insert into items select g, 0 from generate_series(1, 3) g;\n")
    (tmp_path / "supabase" / "late.sql").write_text("insert into items (id, n, tag) values (100, 0, 'needs 2_b');\n")
    (tmp_path / "supabase" / "seed.sql").write_text("insert into items values (999, 0);\n")  # not in sql_paths
    proc, data = plan(d, "--supabase", "off", "--postgres-url", pg_server.url())
    assert proc.returncode == 0, proc.stderr
    # 01_first then 02_more (glob matches sorted): 3 rows doubled to 6; seed.sql is not in sql_paths.
    update = data["migrations"][-1]["statements"][1]
    assert update["rows"] == 6
    assert any(w.endswith("late.sql: seed loaded after the whole history (it needs the new schema), as "
                          "`supabase db reset` does; the new migrations ran on tables without its rows")
               for w in data["warnings"])


def test_a_seed_that_fails_everywhere_says_db_reset_would_stop(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {"1_a.sql": "create table items (id int);\n", "2_b.sql": "select 1;\n"})
    (tmp_path / "supabase" / "seed.sql").write_text("insert into nothing values (1);\n")
    proc, data = plan(d, "--supabase", "off", "--postgres-url", pg_server.url())
    assert proc.returncode == 0
    assert any("seed.sql:1: seed not loaded" in w and "`supabase db reset` would stop here" in w
               for w in data["warnings"])


def test_a_different_major_is_said_on_the_first_line(tmp_path: Path) -> None:
    d = project(tmp_path, {"1_a.sql": "create table a (id int);\n"}, "[db]\nmajor_version = 17\n")
    proc = subprocess.run([*CLI[:-2], "--dir", str(d), "--supabase", "off", "--postgres", "local"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("⚠ PostgreSQL 15 ran this dry run, but the project runs PostgreSQL 17 "
                            "(`[db] major_version` in supabase/config.toml): syntax and behaviour new in 16–17")
    same = subprocess.run([*CLI, "--dir", str(d), "--supabase", "off", "--postgres", "local", "--pg-version", "15"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert json.loads(same.stdout)["version_note"] is None  # the setting wins over config.toml


class _NoPull:
    """Stands in for the Docker SDK client, whose image pull cannot run here (no registry access)."""

    class containers:  # mirrors docker.DockerClient.containers
        @staticmethod
        def run(**kwargs: Any) -> Any:
            raise RuntimeError(f"pull access denied for {kwargs['image']}")


def test_auto_prefers_the_projects_major_and_falls_back_when_docker_cannot(tmp_path: Path) -> None:
    d = project(tmp_path, {"1_a.sql": "create table a (id int);\n"}, "[db]\nmajor_version = 17\n")
    result = run_plan(PlanOptions(d, supabase="off", docker_client=_NoPull(), progress=False))
    assert result.ok and result.provider == "local"
    assert any(w.startswith("could not start supabase/postgres:17") and "pull access denied" in w
               for w in result.warnings)
    assert result.version_note.startswith("PostgreSQL 15 ran this dry run, but the project runs PostgreSQL 17")


def test_provider_attempts() -> None:
    opts = PlanOptions(Path("m"))
    p15, p17 = Path("/pg/15/bin"), Path("/pg/17/bin")
    assert provider_attempts(opts, None, {15: p15}, True) == [(None, None, None)]
    assert provider_attempts(opts, 17, {15: p15, 17: p17}, True) == [("local", p17, None)]
    assert provider_attempts(opts, 17, {15: p15}, True) == [("docker", None, "supabase/postgres:17.4.1.067"),
                                                            (None, None, None)]
    assert provider_attempts(opts, 17, {15: p15}, False) == [(None, None, None)]
    explicit = PlanOptions(Path("m"), postgres="local")
    assert provider_attempts(explicit, 17, {15: p15}, True) == [("local", None, None)]


def test_seed_files_and_version_notes(tmp_path: Path) -> None:
    sb = tmp_path / "supabase"
    (sb / "migrations").mkdir(parents=True)
    (sb / "seed.sql").write_text("")
    config = sb / "config.toml"
    config.write_text("[db]\nmajor_version = 17\n")
    assert history.seed_files(sb / "migrations", config).paths == (sb / "seed.sql",)
    config.write_text("[db.seed]\nenabled = false\n")
    assert history.seed_files(sb / "migrations", config).paths == ()
    config.write_text('[db.seed]\nsql_paths = ["./none/*.sql"]\n')
    found = history.seed_files(sb / "migrations", config)
    assert found.paths == () and "nothing matches './none/*.sql'" in found.warnings[0]
    assert history.project_major(None) is None
    assert history.version_note(15, 15, "x") is None and history.version_note(15, None, "x") is None
    older = history.version_note(17, 15, "the `pg-version` setting")
    assert older is not None and "SQL that needs PostgreSQL 16–17 passes here but fails there" in older
    err = StatementError(1, 1, "42883", "function public.touch(integer) does not exist")
    assert history.missing_name(err) == ("public", "touch")
    assert history.missing_name(StatementError(1, 1, "42601", "syntax error")) is None
