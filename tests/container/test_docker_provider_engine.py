"""`plan --postgres docker` against a real engine, on this machine and from inside the action's image.

The dry-run server is a container of a small PostgreSQL image built from the same stand-in base
(Debian's postgresql-15; postgres.Dockerfile). From the action container it goes through the
mounted socket and joins the action container's network namespace (a sibling, as on GitHub); on
this machine the engine has no bridge network, so it shares the host's network on 127.0.0.1. In
every case (success, a failing migration, SIGTERM) no container is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from container.conftest import docker, leftover_containers

SLEEP = "-- intent: a long one\nselect pg_sleep(120);\n"


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (tmp_path / "supabase" / "config.toml").write_text('[api]\nschemas = ["public"]\n')
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


GOOD = {
    "20240101000000_a.sql": "create table public.a (id bigint primary key, n text);\n",
    "20240102000000_b.sql": "-- intent: b\nalter table public.a add column b text;\n",
}
BROKEN = {**GOOD, "20240102000000_b.sql": "-- intent: b\ninsert into public.nowhere values (1);\n"}


def plan_on_host(folder: Path, pg_image: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "plan", "--dir", str(folder), "--postgres", "docker",
         "--postgres-image", pg_image, "--format", "json", "--no-progress"],
        capture_output=True, text=True, timeout=300, check=False,
    )


def plan_in_action_image(image: str, folder: Path, pg_image: str, name: str, detach: bool = False) -> list[str]:
    return [
        "docker", "run", "--name", name, "--label", "migration-guard-test", "--network", "host", "--rm",
        "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", f"{folder.parent.parent}:/github/workspace",
        "--workdir", "/github/workspace", "--entrypoint", "migration-guard", image,
        "plan", "--dir", "supabase/migrations", "--postgres", "docker", "--postgres-image", pg_image,
        "--format", "json", "--no-progress",
    ]  # fmt: skip


def wait_for_dry_run_container(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    """The dry-run container's network mode, once it runs the endless migration."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        running = leftover_containers()
        if running:
            time.sleep(3)  # the server is up and the migration is running (pg_sleep)
            return docker("inspect", "--format", "{{.HostConfig.NetworkMode}}", running[0]).stdout.strip()
        time.sleep(0.2)
    raise AssertionError("no dry-run container appeared")


def test_on_this_machine_success_failure_and_sigterm(pg_image: str, tmp_path: Path) -> None:
    ok = plan_on_host(project(tmp_path / "ok", GOOD), pg_image)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["postgres"]["provider"] == "docker" and data["ok"] is True
    assert data["postgres"]["version"].startswith("15.")
    assert leftover_containers() == []

    bad = plan_on_host(project(tmp_path / "bad", BROKEN), pg_image)
    assert bad.returncode == 1, bad.stderr
    assert "nowhere" in bad.stdout + bad.stderr
    assert leftover_containers() == []

    folder = project(tmp_path / "slow", {**GOOD, "20240103000000_c.sql": SLEEP})
    proc = subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "plan", "--dir", str(folder), "--postgres", "docker",
         "--postgres-image", pg_image, "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_for_dry_run_container(proc) == "host"  # no bridge on this engine: host network, 127.0.0.1
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # the runner's cancel
        proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert leftover_containers() == []


def test_from_inside_the_action_container_through_the_socket(image: str, pg_image: str, tmp_path: Path) -> None:
    folder = project(tmp_path / "ok", GOOD)
    ok = subprocess.run(plan_in_action_image(image, folder, pg_image, "mg-plan-ok"), capture_output=True, text=True,
                        timeout=300, check=False)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["postgres"]["provider"] == "docker" and data["ok"] is True
    assert leftover_containers() == []

    bad_folder = project(tmp_path / "bad", BROKEN)
    bad = subprocess.run(plan_in_action_image(image, bad_folder, pg_image, "mg-plan-bad"), capture_output=True,
                         text=True, timeout=300, check=False)
    assert bad.returncode == 1, bad.stderr
    assert leftover_containers() == []

    slow = project(tmp_path / "slow", {**GOOD, "20240103000000_c.sql": SLEEP})
    proc = subprocess.Popen(plan_in_action_image(image, slow, pg_image, "mg-plan-cancel"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        mode = wait_for_dry_run_container(proc)
        action_id = docker("inspect", "--format", "{{.Id}}", "mg-plan-cancel").stdout.strip()
        assert mode == f"container:{action_id}"  # a sibling in the action container's network namespace
    finally:
        docker("kill", "--signal", "TERM", "mg-plan-cancel")  # what `docker stop` sends first on a cancel
        proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert leftover_containers() == []


def test_an_image_the_engine_lacks_is_one_line_naming_it(engine: None, tmp_path: Path) -> None:
    """The real SDK's ImageNotFound from a real engine (it was a traceback): one line, nothing left."""
    folder = project(tmp_path, GOOD)
    proc = plan_on_host(folder, "migration-guard-test-absent:1")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "migration-guard: error: migration-guard-test-absent:1 is not on this Docker engine; the dry run does not "
        "pull images (`docker pull migration-guard-test-absent:1` first)"
    ]
    assert leftover_containers() == []
