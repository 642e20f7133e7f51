"""--stats-url (real row counts from a read-only connection) and pg_cron preloading settings."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg

from migration_guard.dryrun.local import LocalPostgres
from migration_guard.dryrun.plan import PlanOptions, run_plan
from migration_guard.dryrun.providers import cron_available, local_settings


def test_stats_url_adds_real_row_counts_and_ranks_by_them(tmp_path: Path, pg_server: LocalPostgres) -> None:
    prod = f"prod_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(f'create database "{prod}"')
    try:
        with psycopg.connect(pg_server.conninfo(prod), autocommit=True) as conn:
            conn.execute("create table public.small (id int); insert into public.small values (1)")
            conn.execute("create table public.big (id int); insert into public.big select generate_series(1, 5000)")
            conn.execute("analyze")
        d = tmp_path / "m"
        d.mkdir()
        (d / "1_a.sql").write_text("create table small (id int);\ncreate table big (id int);\n")
        (d / "2_b.sql").write_text("alter table small add column x int;\nalter table big add column y int;\n")
        result = run_plan(PlanOptions(d, supabase="off", postgres="url", postgres_url=pg_server.url(),
                                      stats_url=pg_server.url(prod)))
        assert result.ok
        assert result.table_stats["public.big"]["rows"] == 5000
        assert result.table_stats["public.small"]["rows"] == 1
        assert result.table_stats["public.big"]["bytes"] > 0
        names = [a.name for a in result.affected]
        assert names.index("public.big.y") < names.index("public.small.x")  # riskiest (largest) first
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{prod}" with (force)')


def test_pg_cron_is_preloaded_only_when_its_package_is_installed(tmp_path: Path) -> None:
    bin_dir = tmp_path / "usr" / "lib" / "postgresql" / "16" / "bin"
    bin_dir.mkdir(parents=True)
    assert not cron_available(bin_dir)
    assert local_settings(bin_dir, "dry") == {}
    ext = tmp_path / "usr" / "share" / "postgresql" / "16" / "extension"
    ext.mkdir(parents=True)
    (ext / "pg_cron.control").write_text("comment = 'stand-in control file'\n")
    assert cron_available(bin_dir)
    assert local_settings(bin_dir, "dry") == {"shared_preload_libraries": "pg_cron", "cron.database_name": "dry"}
