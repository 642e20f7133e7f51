"""Properties of the Docker action's packaging: action.yml and the Dockerfile.

These checks read the files; tests/container/ builds the image and runs the action in it, and
tests/commands/test_action.py runs `migration-guard action` with GitHub's environment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from migration_guard.settings import ActionSettings

ROOT = Path(__file__).resolve().parents[1]
ISSUE_4_INPUTS = {
    "command": "check", "migrations-dir": "supabase/migrations", "github-token": "${{ github.token }}",
    "database-url": "", "environment": "", "supabase": "auto", "postgres": "auto", "postgres-url": "",
    "stub-extensions": "", "fail-on": "error", "comment": "true", "sarif-file": "",
    "audit-dir": "migration-guard-audit",
    "override": "false", "override-reason": "", "stats-url": "",
}
ISSUE_5_INPUTS = {
    "require-approval": "true", "protected-environments": "production", "lock-timeout": "3s",
    "statement-timeout": "", "retries": "5", "allow-out-of-order": "false",
}
LATER_INPUTS = {  # rules configuration, dry-run limits, strict extensions, PostgreSQL version, baseline
    "disable-rules": "", "rule-severity": "", "exclude-paths": "", "dry-run-statement-timeout": "60s",
    "dry-run-time-budget": "10min", "dry-run-disk-limit": "2GB", "strict-extensions": "false", "pg-version": "",
    "baseline": "", "require-checked": "true",
}
OUTPUTS = {"verdict", "blocking-count", "warning-count", "report-file", "sarif-file", "comment-url", "audit-file",
           "applied-count", "pending-count"}


def action() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_action_runs_the_dockerfile() -> None:
    data = action()
    assert data["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert set(data["branding"]) == {"icon", "color"}  # type: ignore[arg-type]


def test_every_input_documented_with_its_default() -> None:
    inputs = action()["inputs"]
    assert isinstance(inputs, dict)
    expected = ISSUE_4_INPUTS | ISSUE_5_INPUTS | LATER_INPUTS
    assert set(inputs) == set(expected)
    for name, default in expected.items():
        assert str(inputs[name]["default"]) == default, name
        assert len(inputs[name]["description"]) > 20, name
    # the defaults action.yml gives are the defaults the code applies when an input is empty
    settings = ActionSettings.from_env({})
    for name, default in expected.items():
        field = name.replace("-", "_")
        value = getattr(settings, field)
        if default in ("", "${{ github.token }}"):
            assert value in (None, [], "", False), name
        elif isinstance(value, bool):
            assert value is (default == "true"), name
        elif isinstance(value, list):
            assert value == default.split(), name
        else:
            assert str(value) == default, name


def test_outputs() -> None:
    outputs = action()["outputs"]
    assert isinstance(outputs, dict)
    assert set(outputs) == OUTPUTS
    assert all(spec["description"] for spec in outputs.values())


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for word, args in dockerfile():
        if word == "FROM":
            out.append([])
        if out:
            out[-1].append((word, args))
    return out


def test_dockerfile_base_is_pinned_and_slim() -> None:
    froms = [args for word, args in dockerfile() if word == "FROM"]
    assert len(froms) == 2  # a build stage, then the image
    images = {args.split()[0] for args in froms}
    assert len(images) == 1  # both on the same base: the compiled .so files match its PostgreSQL
    image = images.pop()
    assert re.fullmatch(r"python:3\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", image), image


def test_final_image_has_no_build_tools_llvm_or_optional_extras() -> None:
    final = " ".join(args for _, args in stages()[-1])
    for tool in ("gcc", "make ", "binutils", "postgresql-server-dev", "build-essential", "clang"):
        assert tool not in final, tool
    assert "--purge" in final and "libllvm14" in final and "bitcode" in final  # JIT off in the dry run: no LLVM
    assert "COPY --from=build /opt/migration-guard /opt/migration-guard" in " ".join(
        f"{w} {a}" for w, a in stages()[-1]
    )
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.lower().startswith("faker") for d in project["dependencies"])  # the `seed` extra only
    assert any(d.lower().startswith("faker") for d in project["optional-dependencies"]["seed"])
    for ext in ("cron", "pgtap", "hypopg", "plpgsql-check", "partman", "rum", "pgaudit"):
        assert f'"postgresql-${{PG_MAJOR}}-{ext}"' in final, ext


def test_dockerfile_installs_postgres_server_and_git() -> None:
    runs = " ".join(args for word, args in dockerfile() if word == "RUN")
    args = dict(a.split("=", 1) for w, a in dockerfile() if w == "ARG" and "=" in a)
    assert args["PG_MAJOR"] == "15"
    assert '"postgresql-${PG_MAJOR}"' in runs and " git " in f" {runs} "
    assert "--no-install-recommends" in runs and "rm -rf /var/lib/apt/lists/*" in runs
    assert "apt.postgresql.org" in (ROOT / "Dockerfile").read_text()  # says how to pick another major
    env = " ".join(args for word, args in dockerfile() if word == "ENV")
    assert "/usr/lib/postgresql/${PG_MAJOR}/bin" in env


def test_dockerfile_layers_are_cache_friendly() -> None:
    steps = dockerfile()
    copies = [(i, args) for i, (word, args) in enumerate(steps) if word == "COPY"]
    assert copies[0][1].startswith("pyproject.toml ")  # dependencies first
    app_copy = next(i for i, args in copies if args.startswith("app "))
    deps_install = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "-r /tmp/requirements.txt" in a)
    assert copies[0][0] < deps_install < app_copy
    for word, args in steps:
        if word == "RUN" and "pip install" in args:
            assert "--no-cache-dir" in args


def test_dockerfile_entrypoint_exec_form_no_user_no_workdir() -> None:
    steps = dockerfile()
    words = [w for w, _ in steps]
    assert "USER" not in words and "WORKDIR" not in words
    entry = [args for word, args in steps if word == "ENTRYPOINT"]
    assert len(entry) == 1
    # exec form (JSON array): /bin/sh would drop the INPUT_<NAME> variables with hyphens
    assert json.loads(entry[0]) == ["migration-guard", "action"]
    assert "CMD" not in words


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [x for x in (ROOT / ".dockerignore").read_text().splitlines() if x and not x.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!app/"} <= set(lines)


def test_console_script_exists() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["migration-guard"] == "migration_guard.cli:main"
