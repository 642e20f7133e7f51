"""Resource limits for PR SQL in the dry run (issue 10): each hostile statement ends cleanly, the report
names the limit, the file and the line, and no server process or temp folder is left behind.

Every run is the real CLI as a subprocess on a real local server, with a private TMPDIR so leftovers
are visible, and small limits so each test takes seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dryrun_servers import assert_nothing_left, private_tmp
from migration_guard.dryrun.limits import (
    Limits,
    hit_from_error,
    parse_duration,
    parse_size,
    role_settings,
    show_duration,
    show_size,
)

__all__ = ["private_tmp"]  # the fixture, from dryrun_servers

CLI = [sys.executable, "-m", "migration_guard", "plan", "--supabase", "off", "--postgres", "local",
       "--no-progress", "--format", "json"]


def plan(tmp_path: Path, private_tmp: Path, new_sql: str, *flags: str) -> tuple[subprocess.CompletedProcess[str],
                                                                                   dict[str, object]]:
    d = tmp_path / "supabase" / "migrations"
    d.mkdir(parents=True)
    (d / "1_base.sql").write_text("create table t (id int);\n")
    (d / "2_new.sql").write_text(new_sql)
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    proc = subprocess.run([*CLI, "--dir", str(d), *flags], capture_output=True, text=True, env=env, timeout=240,
                          check=False)
    assert "Traceback" not in proc.stderr
    # Torn down: no server process under our TMPDIR, no temp folder left in it.
    assert_nothing_left(private_tmp)
    return proc, json.loads(proc.stdout)


def _failure(data: dict[str, object]) -> dict[str, object]:
    runs = data["migrations"]
    assert isinstance(runs, list)
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(failed) == 1, runs
    assert failed[0]["path"].endswith("2_new.sql")
    error = failed[0]["error"]
    assert isinstance(error, dict)
    return error


def test_endless_sleep_stops_at_the_statement_timeout(tmp_path: Path, private_tmp: Path) -> None:
    proc, data = plan(tmp_path, private_tmp, "select 1;\nselect pg_sleep(1e6);\n", "--statement-timeout", "1s")
    assert proc.returncode == 1 and not data["ok"]
    error = _failure(data)
    assert error["line"] == 2
    assert "statement_timeout (1s)" in error["message"] and "--statement-timeout" in error["hint"]
    assert "2_new.sql:2: dry-run limit reached: statement_timeout (1s)" in proc.stderr


def test_turning_the_timeout_off_does_not_escape_it(tmp_path: Path, private_tmp: Path) -> None:
    # Every pg_dump output starts with this line; hostile SQL can write it too.
    sql = "set statement_timeout = 0;\nselect pg_sleep(1e6);\n"
    proc, data = plan(tmp_path, private_tmp, sql, "--statement-timeout", "1s")
    assert proc.returncode == 1
    error = _failure(data)
    assert error["line"] == 2 and "statement_timeout (1s)" in error["message"] and "watchdog" in error["message"]


def test_endless_recursive_cte_stops_at_the_temp_file_limit(tmp_path: Path, private_tmp: Path) -> None:
    sql = "-- forever\nwith recursive r(n) as (select 1 union all select n + 1 from r)\nselect count(*) from r;\n"
    proc, data = plan(tmp_path, private_tmp, sql, "--disk-limit", "16MB", "--statement-timeout", "60s")
    assert proc.returncode == 1
    error = _failure(data)
    assert error["line"] == 2 and "temp_file_limit (16MB)" in error["message"] and "--disk-limit" in error["hint"]


def test_an_insert_that_would_fill_the_disk_stops_at_the_disk_limit(tmp_path: Path, private_tmp: Path) -> None:
    # generate_series in the select list streams (no temp file): the table itself grows, and only the
    # watchdog measuring the database sees it.
    sql = ("create table big (id int, pad text);\n"
           "insert into big select g, repeat('x', 1000) from (select generate_series(1, 100000000) g) s;\n")
    proc, data = plan(tmp_path, private_tmp, sql, "--disk-limit", "16MB", "--statement-timeout", "60s")
    assert proc.returncode == 1
    error = _failure(data)
    assert error["line"] == 2 and "disk limit (16MB)" in error["message"]
    assert any("2_new.sql:2: the dry run stopped at its disk limit" in w for w in data["warnings"])  # type: ignore[attr-defined]


def test_the_whole_plan_has_a_time_budget(tmp_path: Path, private_tmp: Path) -> None:
    proc, data = plan(tmp_path, private_tmp, "select pg_sleep(1e6);\n", "--time-budget", "3s",
                      "--statement-timeout", "10min")
    assert proc.returncode == 1
    error = _failure(data)
    assert error["line"] == 1 and "time budget (3s)" in error["message"] and "--time-budget" in error["hint"]


def test_a_bad_limit_is_one_usage_line(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "1_a.sql").write_text("select 1;\n")
    proc = subprocess.run([*CLI, "--dir", str(d), "--statement-timeout", "soon"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("migration-guard: error: dry-run limit: 'soon' is not a duration "
                                   "(e.g. 30s, 500ms, 2min, 1h)")


def test_parsing_and_showing_limits() -> None:
    assert parse_duration("60s") == 60 and parse_duration("500ms") == 0.5 and parse_duration("2min") == 120
    assert parse_duration("1h") == 3600 and parse_duration("7") == 7
    assert parse_size("2GB") == 2 << 30 and parse_size("500MB") == 500 << 20 and parse_size("64kB") == 64 << 10
    for bad in ("0s", "-1s", "fast", "10 parsecs"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_size("lots")
    assert (show_duration(0.25), show_duration(60), show_duration(600)) == ("250ms", "60s", "10min")
    assert (show_size(16 << 20), show_size(2 << 30)) == ("16MB", "2GB")
    limits = Limits.parse("1s", None, "16MB")
    assert role_settings(limits) == {"statement_timeout": "1000ms", "temp_file_limit": "16384kB"}
    assert hit_from_error("57014", "canceling statement due to statement timeout", limits) is not None
    assert hit_from_error("57014", "canceling statement due to user request", limits) is None
    hit = hit_from_error("53400", "temporary file size exceeds temp_file_limit (16384kB)", limits)
    assert hit is not None and hit.name == "temp_file_limit"
