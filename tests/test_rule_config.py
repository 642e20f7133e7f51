"""Rule configuration (`disable`, `severity`, `exclude`) through the real CLI and the action's inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.model import Finding, Severity
from migration_guard.rule_config import RuleConfig, parse_severity_pairs
from migration_guard.settings import ActionSettings

FILES = {
    "20240101000000_users.sql": "-- intent: users\ncreate table users (id bigint primary key, email varchar(80));\n",
    "20240102000000_drop_email.sql": "-- intent: drop email\nalter table users drop column email;\n",
    "legacy/20230101000000_old.sql": "-- intent: old\ndrop table if exists gone;\n",
}


def _project(tmp_path: Path, config: str) -> Path:
    folder = tmp_path / "supabase" / "migrations"
    for name, sql in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(sql)
    (tmp_path / ".git").mkdir()  # the config search stops at the repository root
    (tmp_path / "migration-guard.toml").write_text(config)
    return tmp_path


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", "--format", "json", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _rules(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in json.loads(proc.stdout)["findings"]}


def test_without_configuration_the_drop_column_blocks(tmp_path: Path) -> None:
    proc = _lint(_project(tmp_path, ""), "supabase/migrations")
    assert proc.returncode == 1 and _rules(proc)["drop-column"] == "error"


def test_disable_and_severity_from_the_settings_file(tmp_path: Path) -> None:
    cwd = _project(tmp_path, 'disable = ["prefer-text"]\n[severity]\ndrop-column = "warning"\n')
    proc = _lint(cwd, "supabase/migrations")
    rules = _rules(proc)
    assert "prefer-text" not in rules
    assert rules["drop-column"] == "warning"
    assert proc.returncode == 0, proc.stdout  # nothing blocks any more


def test_exclude_globs_hide_findings_in_matching_paths(tmp_path: Path) -> None:
    cwd = _project(tmp_path, 'exclude = ["legacy/*"]\n')
    proc = _lint(cwd, "supabase/migrations")
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert paths and not any("legacy" in p for p in paths)


def test_an_unknown_rule_id_is_one_clear_error(tmp_path: Path) -> None:
    cwd = _project(tmp_path, 'disable = ["drop-colum"]\n')
    proc = _lint(cwd, "supabase/migrations")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "migration-guard.toml: disable: unknown rule 'drop-colum'; did you mean drop-column" in line
    assert "Traceback" not in proc.stderr


def test_a_bad_severity_and_syntax_error_are_refused() -> None:
    with pytest.raises(UserError, match="must be error or warning"):
        RuleConfig.build(severity={"drop-column": "info"})
    with pytest.raises(UserError, match="cannot be disabled"):
        RuleConfig.build(disable=["syntax-error"])


def test_the_action_inputs_parse_into_the_same_configuration() -> None:
    settings = ActionSettings.from_env(
        {"INPUT_DISABLE-RULES": "prefer-text, missing-intent", "INPUT_RULE-SEVERITY": "drop-column=warning",
         "INPUT_EXCLUDE-PATHS": "legacy/*"}
    )  # fmt: skip
    config = RuleConfig.build(
        settings.disable_rules, parse_severity_pairs(settings.rule_severity or "", "input `rule-severity`"),
        settings.exclude_paths, origin="action inputs",
    )  # fmt: skip
    finding = Finding("drop-column", Severity.ERROR, "supabase/migrations/x.sql", 1, 1, "m", "w", "f")
    [changed] = config.apply([finding])
    assert changed.severity is Severity.WARNING and not changed.blocking
    assert config.apply([Finding("prefer-text", Severity.WARNING, "a.sql", 1, 1, "m", "w", "f")]) == ()
    assert config.excluded("supabase/migrations/legacy/1_x.sql") and not config.excluded("supabase/migrations/1_x.sql")
    with pytest.raises(UserError, match="expected RULE=error"):
        parse_severity_pairs("drop-column", "input `rule-severity`")
