"""The action's image on a real Docker engine, run the way GitHub's runner runs a container action.

Skipped (with the reason) when no engine answers; `.ci/run` starts one. The image is built once per
session from the repository's Dockerfile, on the stand-in base `.ci/base-image` makes (no registry
here). Host networking only: the container reaches the fake GitHub API and a PostgreSQL on
127.0.0.1, and the engine needs no bridge.

``ActionRunner.run`` mirrors actions/runner's ContainerActionHandler: `docker run --workdir
/github/workspace`, the workspace, /github/home, /github/workflow and /github/file_commands
mounted plus /var/run/docker.sock, every input as INPUT_<NAME> (hyphens kept, action.yml defaults
filled in), the GITHUB_* and RUNNER_* variables passed by name (`-e NAME`), and all runner folders
owned by the runner's user (uid 1001) while the container runs as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner_files import parse_outputs

ROOT = Path(__file__).resolve().parents[2]
RUNNER_UID = 1001
IMAGE = "migration-guard:test"
PG_IMAGE = "migration-guard-test-postgres:15"
LABEL = "migration-guard-test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.container)


def docker(*args: str, timeout: float = 1800, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="session")
def engine() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no Docker engine: the docker CLI is not installed (.ci/run installs docker.io)")
    if os.geteuid() != 0:
        pytest.skip("the container tests chown folders to the runner's uid: they need root")
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                           timeout=60, check=False)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
        pytest.skip(f"no Docker engine answers ({last}); .ci/run starts one")


def timed(label: str, seconds: float) -> None:
    """Measurements for docs/action.md (printed with -s; never asserted)."""
    print(f"[container timing] {label}: {seconds:.1f}s", flush=True)


@pytest.fixture(scope="session")
def base_image(engine: None) -> str:
    tag = next(line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("FROM "))
    has_base = docker("image", "inspect", tag, check=False).returncode == 0
    if not has_base and shutil.which("debootstrap") is None:
        pytest.skip("no base image and no debootstrap to make one (.ci/run installs it)")
    start = time.monotonic()
    proc = subprocess.run([str(ROOT / ".ci" / "base-image")], capture_output=True, text=True, timeout=1800,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    timed("base image", time.monotonic() - start)
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def image(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    start = time.monotonic()
    iidfile = tmp_path_factory.mktemp("image") / "iid"
    docker("build", "--network", "host", "--iidfile", str(iidfile), "-t", IMAGE, str(ROOT))
    timed("docker build", time.monotonic() - start)
    # By id: another checkout on this engine building the same tag meanwhile must not swap the image
    # under this session's tests.
    return iidfile.read_text().strip()


@pytest.fixture(scope="session")
def pg_image(base_image: str) -> str:
    """A small PostgreSQL image from the same stand-in base (Debian's postgresql-15)."""
    docker("build", "--network", "host", "-t", PG_IMAGE, "-f", str(Path(__file__).parent / "postgres.Dockerfile"),
           str(Path(__file__).parent))
    return PG_IMAGE


def leftover_containers() -> list[str]:
    out = docker("ps", "-a", "--filter", "label=migration-guard", "--format", "{{.Names}}").stdout
    return [line for line in out.splitlines() if line.strip()]


# --- the runner ----------------------------------------------------------------------------------


def action_defaults() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    return {name: str(data.get("default", "")) for name, data in spec["inputs"].items()}


def chown_tree(root: Path, uid: int) -> None:
    os.lchown(root, uid, uid)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(Path(folder, name), uid, uid)


def root_owned(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        if root.lstat().st_uid == 0:
            found.append(str(root))
        for folder, dirs, files in os.walk(root):
            found += [str(Path(folder, n)) for n in (*dirs, *files) if Path(folder, n).lstat().st_uid == 0]
    return found


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    seconds: float
    mounted: list[Path] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


@dataclass
class ActionRunner:
    """One job's folders, laid out as on a hosted runner (/home/runner/work/...)."""

    image: str
    base: Path
    api_url: str
    repository: str = "acme/app"

    def __post_init__(self) -> None:
        self.workspace = self.base / "work" / "app" / "app"
        self.temp = self.base / "work" / "_temp"
        self.home = self.temp / "_github_home"
        self.workflow = self.temp / "_github_workflow"
        self.file_commands = self.temp / "_runner_file_commands"
        for folder in (self.workspace, self.home, self.workflow, self.file_commands):
            folder.mkdir(parents=True, exist_ok=True)

    def run(
        self,
        inputs: dict[str, str],
        event_name: str,
        event: dict[str, Any],
        sha: str,
        ref: str,
        token: str = "ghs_FakeToken0123456789abcdefghijklmnopqrst",
        name: str | None = None,
        detach: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> ActionRun | subprocess.Popen[str]:
        (self.workflow / "event.json").write_text(json.dumps(event))
        step = uuid.uuid4().hex
        output, summary = f"set_output_{step}", f"step_summary_{step}"
        for f in (output, summary, f"add_path_{step}", f"set_env_{step}", f"save_state_{step}"):
            (self.file_commands / f).write_text("")
        # The runner's user owns everything it prepared; the container runs as root.
        for folder in (self.workspace, self.home, self.workflow, self.file_commands):
            chown_tree(folder, RUNNER_UID)
        values = action_defaults()
        values["github-token"] = token  # `${{ github.token }}`, evaluated by the runner
        values.update(inputs)
        env: dict[str, str] = {f"INPUT_{k.replace(' ', '_').upper()}": v for k, v in values.items()}
        ref_name = ref.split("/", 2)[-1]
        env.update(
            {
                "HOME": "/github/home",
                "GITHUB_JOB": "migrations",
                "GITHUB_REF": ref,
                "GITHUB_REF_NAME": ref_name,
                "GITHUB_REF_TYPE": "branch",
                "GITHUB_SHA": sha,
                "GITHUB_REPOSITORY": self.repository,
                "GITHUB_REPOSITORY_OWNER": self.repository.split("/")[0],
                "GITHUB_RUN_ID": "4242",
                "GITHUB_RUN_NUMBER": "17",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_RETENTION_DAYS": "90",
                "GITHUB_ACTOR": "alice",
                "GITHUB_TRIGGERING_ACTOR": "alice",
                "GITHUB_WORKFLOW": "Migrations",
                "GITHUB_HEAD_REF": event.get("pull_request", {}).get("head", {}).get("ref", ""),
                "GITHUB_BASE_REF": event.get("pull_request", {}).get("base", {}).get("ref", ""),
                "GITHUB_EVENT_NAME": event_name,
                "GITHUB_SERVER_URL": "https://github.example",
                "GITHUB_API_URL": self.api_url,
                "GITHUB_GRAPHQL_URL": f"{self.api_url}/graphql",
                "GITHUB_WORKSPACE": "/github/workspace",
                "GITHUB_ACTION": "guard",
                "GITHUB_EVENT_PATH": "/github/workflow/event.json",
                "GITHUB_ACTION_REPOSITORY": "",
                "GITHUB_ACTION_REF": "",
                "GITHUB_PATH": f"/github/file_commands/add_path_{step}",
                "GITHUB_ENV": f"/github/file_commands/set_env_{step}",
                "GITHUB_STEP_SUMMARY": f"/github/file_commands/step_summary_{step}",
                "GITHUB_STATE": f"/github/file_commands/save_state_{step}",
                "GITHUB_OUTPUT": f"/github/file_commands/set_output_{step}",
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "RUNNER_NAME": "GitHub Actions 2",
                "RUNNER_ENVIRONMENT": "github-hosted",
                "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
                "RUNNER_TEMP": "/home/runner/work/_temp",
                "RUNNER_WORKSPACE": "/home/runner/work/app",
                "ACTIONS_RUNTIME_URL": "",
                "ACTIONS_RUNTIME_TOKEN": "",
                "ACTIONS_CACHE_URL": "",
                "GITHUB_ACTIONS": "true",
                "CI": "true",
            }
        )
        env.update(extra_env or {})  # a workflow's own `env:` (e.g. GITHUB_TOKEN), passed like the rest
        argv = ["docker", "run", "--name", name or f"mg-action-{step[:12]}", "--label", LABEL,
                "--workdir", "/github/workspace", "--rm", "--network", "host"]
        for key in env:
            argv += ["-e", key]  # by name: the value comes from docker's own environment, as the runner does
        argv += [
            "-v", "/var/run/docker.sock:/var/run/docker.sock",
            "-v", f"{self.home}:/github/home",
            "-v", f"{self.workflow}:/github/workflow",
            "-v", f"{self.file_commands}:/github/file_commands",
            "-v", f"{self.workspace}:/github/workspace",
            self.image,
        ]  # fmt: skip
        full_env = {"PATH": os.environ["PATH"], **env}
        if detach:
            return subprocess.Popen(argv, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=600, check=False)
        seconds = time.monotonic() - start
        timed(f"docker run ({inputs.get('command', 'check')}, {event_name})", seconds)
        return ActionRun(
            proc.returncode,
            proc.stdout,
            proc.stderr,
            parse_outputs((self.file_commands / output).read_text()),
            (self.file_commands / summary).read_text(),
            seconds,
            [self.workspace, self.home, self.workflow, self.file_commands],
        )


@pytest.fixture
def runner_dirs(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    # Whatever the run left (root- or 1001-owned) goes with the test's temp folder.
    shutil.rmtree(tmp_path, ignore_errors=True)
