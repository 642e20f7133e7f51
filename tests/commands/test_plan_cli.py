"""`migration-guard plan` as a real subprocess: exit codes, teardown on signals, --cache-dir,
--stub-extension, the seed and --base."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dryrun_servers import assert_nothing_left, private_tmp, processes_mentioning
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir, major_version

__all__ = ["private_tmp"]  # the fixture, from dryrun_servers

CLI = [sys.executable, "-m", "migration_guard", "plan"]


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    for name, sql in files.items():
        (d / name).write_text(sql)
    return d


def committed_project(tmp_path: Path, files: dict[str, str]) -> Path:
    """`project`, committed to a new git repository: the base that files written later are new against."""
    d = project(tmp_path, files)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    return d


def assert_interrupt_tears_down(cmd: list[str], private_tmp: Path, sig: int, cwd: Path | None = None) -> None:
    """Runs `cmd` with TMPDIR=`private_tmp`, sends `sig` while its dry-run server runs the slow
    statement, and checks the run ends as interrupted (130), without a traceback, leaving nothing."""
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        # Wait until the server exists and the slow statement runs (its backend's title says SELECT).
        while time.monotonic() < deadline and proc.poll() is None:
            if processes_mentioning(str(private_tmp)) and processes_mentioning("migration_guard_dryrun [local] SELECT"):
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert processes_mentioning(str(private_tmp)), "the server should be running under our TMPDIR"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert_nothing_left(private_tmp)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_run_leaves_no_server_and_no_temp_dir(tmp_path: Path, private_tmp: Path, sig: int) -> None:
    d = project(tmp_path, {"1_base.sql": "create table t (id int);\n", "2_slow.sql": "select pg_sleep(120);\n"})
    assert_interrupt_tears_down([*CLI, "--dir", str(d), "--supabase", "off", "--postgres", "local"], private_tmp, sig)


def test_cache_dir_is_filled_once_and_reused(tmp_path: Path, private_tmp: Path) -> None:
    d = project(tmp_path, {"1_a.sql": "create table a (id int);\n", "2_b.sql": "alter table a add column b text;\n"})
    cache = private_tmp / "cache"
    args = [*CLI, "--dir", str(d), "--supabase", "on", "--postgres", "local", "--cache-dir", str(cache)]
    args += ["--format", "json"]
    first = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in cache.iterdir())
    major = major_version(find_bin_dir())
    # keyed by major version and bootstrap hash; the private install tree is kept next to it
    assert len(entries) == 2 and entries[0] == ".trees" and entries[1].startswith(f"pg{major}-"), entries
    trees = sorted((cache / ".trees").iterdir())
    assert len(trees) == 1
    stamp = (cache / entries[1] / "PG_VERSION").stat().st_mtime_ns
    tree_stamp = trees[0].stat().st_mtime_ns
    second = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in cache.iterdir()) == entries
    assert sorted((cache / ".trees").iterdir()) == trees and trees[0].stat().st_mtime_ns == tree_stamp
    assert (cache / entries[1] / "PG_VERSION").stat().st_mtime_ns == stamp
    assert json.loads(first.stdout)["affected"] == json.loads(second.stdout)["affected"]
    assert any(a["name"] == "public.a.b" for a in json.loads(second.stdout)["affected"])


def test_stub_extension_lets_the_plan_continue_and_says_so(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(
        tmp_path,
        {
            "1_ext.sql": "create extension if not exists pg_net with schema extensions;\ncreate table jobs (id int);\n",
            "2_call.sql": "select net.http_post('https://example.invalid/hook');\n",
        },
    )
    base = [*CLI, "--dir", str(d), "--postgres-url", pg_server.url(), "--format", "json"]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=300, check=False)
    assert refused.returncode == 1
    # Not on this server (a url server offers no stand-ins): refused or missing, located, with the way past it.
    assert 'extension "pg_net"' in refused.stderr and "1_ext.sql:1:" in refused.stderr
    assert "--stub-extension pg_net" in refused.stderr
    stubbed = subprocess.run([*base, "--stub-extension", "pg_net"], capture_output=True, text=True, timeout=300,
                             check=False)
    assert stubbed.returncode == 0, stubbed.stderr
    data = json.loads(stubbed.stdout)
    assert data["ok"]
    assert any("pg_net is stubbed" in w and "1_ext.sql:1" in w for w in data["warnings"])


def test_seed_next_to_the_migrations_folder_is_loaded(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(
        tmp_path,
        {"1_a.sql": "create table items (id int primary key, n int);\n", "2_b.sql": "update items set n = 1;\n"},
    )
    (d.parent / "seed.sql").write_text("insert into items select g, 0 from generate_series(1, 7) g;\n")
    proc = subprocess.run([*CLI, "--dir", str(d), "--postgres-url", pg_server.url(), "--format", "json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["migrations"][-1]["statements"][0]["rows"] == 7
    assert "replaying 1/1 1_a.sql" in proc.stderr  # the progress line (one per 25 files off a terminal)


def test_base_selects_changed_files_as_new(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = committed_project(tmp_path, {"1_a.sql": "create table a (id int);\n"})
    (d / "2_b.sql").write_text("alter table a add column b int;\n")
    (d / "3_c.sql").write_text("create index on a (b);\n")
    proc = subprocess.run([*CLI, "--dir", str(d), "--base", "HEAD", "--postgres-url", pg_server.url(),
                           "--format", "json"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    flags = [(Path(m["path"]).name, m["new"]) for m in json.loads(proc.stdout)["migrations"]]
    assert flags == [("1_a.sql", False), ("2_b.sql", True), ("3_c.sql", True)]


def test_text_output_and_usage_errors(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {"1_a.sql": "create table a (id int);\n", "2_b.sql": "create index a_id on a (id);\n"})
    proc = subprocess.run([*CLI, "--dir", str(d), "--postgres-url", pg_server.url()], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "lock ShareLock on public.a" in proc.stdout
    assert "created index public.a_id" in proc.stdout
    missing = subprocess.run([*CLI, "--dir", str(tmp_path / "nope")], capture_output=True, text=True, check=False)
    assert missing.returncode == 2
    assert missing.stderr.startswith("migration-guard: error:") and "Traceback" not in missing.stderr
    bad_url = subprocess.run([*CLI, "--dir", str(d), "--postgres-url", "postgresql://u:s3cret@127.0.0.1:1/x"],
                             capture_output=True, text=True, check=False)
    assert bad_url.returncode == 2 and "s3cret" not in bad_url.stderr and "127.0.0.1:1/x" in bad_url.stderr


def test_seed_needing_a_missing_extension_is_one_located_error(tmp_path: Path, pg_server: LocalPostgres) -> None:
    d = project(tmp_path, {"1_a.sql": "create table a (id int);\n", "2_b.sql": "alter table a add column b int;\n"})
    (d.parent / "seed.sql").write_text("-- demo data\ncreate extension if not exists vector;\n")
    proc = subprocess.run([*CLI, "--dir", str(d), "--postgres-url", pg_server.url(), "--no-progress"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1
    errors = [x for x in proc.stderr.splitlines() if x.startswith("migration-guard: error:")]
    assert len(errors) == 1 and "seed.sql:2:" in errors[0] and 'extension "vector"' in errors[0]


def test_sigterm_during_check_leaves_no_server_and_no_temp_dir(tmp_path: Path, private_tmp: Path) -> None:
    """The runner's cancel sends SIGTERM to `check`: the dry-run server and its folder must go too."""
    d = committed_project(tmp_path, {"1_base.sql": "create table t (id int);\n"})
    (d / "2_slow.sql").write_text("select pg_sleep(120);\n")
    cmd = [sys.executable, "-m", "migration_guard", "check", "--base", "HEAD", "--supabase", "off",
           "--postgres", "local"]
    assert_interrupt_tears_down(cmd, private_tmp, signal.SIGTERM, cwd=tmp_path)


def test_standins_are_used_by_default_and_listed_and_strict_stops(tmp_path: Path) -> None:
    d = project(tmp_path, {
        "1_ext.sql": "create extension if not exists http with schema extensions;\n"
                     "create extension if not exists pgmq;\n",
        "2_call.sql": "select extensions.http_get('https://example.invalid/hook');\n",
    })
    args = [*CLI, "--dir", str(d), "--supabase", "on", "--postgres", "local", "--no-progress"]
    proc = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"]
    # Read from the server after the run: ours are marked by their control file's comment. Stand-ins
    # the bootstrap installs (pg_graphql, supabase_vault) are not listed when no migration names them.
    assert ("dry run used stand-ins for: http, pgmq: locks and row counts on their objects are not measured "
            "(--strict-extensions stops on them instead)") in data["warnings"]
    (d / "1_ext.sql").write_text("-- queues\ncreate extension if not exists pgmq;\n")
    (d / "2_call.sql").write_text("select pgmq.create('jobs');\n")
    strict = subprocess.run([*args, "--strict-extensions"], capture_output=True, text=True, timeout=300, check=False)
    assert strict.returncode == 1
    error = [x for x in strict.stderr.splitlines() if x.startswith("migration-guard: error:")]
    assert len(error) == 1 and "1_ext.sql:2:" in error[0] and 'extension "pgmq"' in error[0]
    assert error[0].endswith("Migration Guard has a stand-in for pgmq; --strict-extensions (strict-extensions) "
                             "turned it off")
    # The project setting does the same as the flag.
    env = {**os.environ, "MIGRATION_GUARD_STRICT_EXTENSIONS": "true"}
    by_setting = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert by_setting.returncode == 1 and "1_ext.sql:" in by_setting.stderr


def test_check_takes_the_dry_run_limits_from_flags_and_settings(tmp_path: Path, private_tmp: Path) -> None:
    d = committed_project(tmp_path, {"1_base.sql": "create table t (id int);\n"})
    (d / "2_slow.sql").write_text("-- intent: wait\nselect pg_sleep(1e6);\n")
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    cmd = [sys.executable, "-m", "migration_guard", "check", "--base", "HEAD", "--supabase", "off",
           "--postgres", "local", "--format", "json"]
    by_flag = subprocess.run([*cmd, "--statement-timeout", "1s"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
    (tmp_path / "migration-guard.toml").write_text('dry-run-time-budget = "3s"\n')
    by_setting = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    for proc, limit in ((by_flag, "statement_timeout (1s)"), (by_setting, "time budget (3s)")):
        assert proc.returncode == 1, proc.stderr
        report = json.loads(proc.stdout)
        assert report["verdict"] == "fail"
        failed = [m for m in report["plan"]["migrations"] if m["status"] == "failed"]
        assert failed[0]["path"].endswith("2_slow.sql") and failed[0]["error"]["line"] == 2
        assert limit in failed[0]["error"]["message"]
    assert_nothing_left(private_tmp)
