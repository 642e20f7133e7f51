"""The action's inputs (INPUT_<NAME>, hyphens kept, empty = unset) and the project's CLI defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migration_guard.errors import UserError
from migration_guard.settings import ActionSettings, ProjectSettings, load_project_settings

ROOT = Path(__file__).resolve().parents[2]


def test_hyphenated_inputs_and_empty_values() -> None:
    s = ActionSettings.from_env({
        "INPUT_MIGRATIONS-DIR": "db/migrations", "INPUT_FAIL-ON": "warning", "INPUT_COMMENT": "false",
        "INPUT_STUB-EXTENSIONS": "pg_net, pg_graphql vector", "INPUT_PROTECTED-ENVIRONMENTS": "production,prod-eu",
        "INPUT_SARIF-FILE": "", "INPUT_RETRIES": "2", "INPUT_OVERRIDE": "true", "INPUT_REQUIRE-APPROVAL": "false",
        "INPUT_GITHUB-TOKEN": "ghs_abc", "INPUT_DATABASE-URL": "postgres://u:pw@db/x", "PATH": "/bin",
    })
    assert s.migrations_dir == "db/migrations" and s.fail_on == "warning" and s.comment is False
    assert s.stub_extensions == ["pg_net", "pg_graphql", "vector"]
    assert s.protected_environments == ["production", "prod-eu"]
    assert s.sarif_file is None and s.retries == 2 and s.override is True and s.require_approval is False
    assert s.secrets() == ["ghs_abc", "postgres://u:pw@db/x"]
    assert "ghs_abc" not in repr(s) and "pw@" not in repr(s)


def test_defaults() -> None:
    s = ActionSettings.from_env({})
    assert (s.command, s.migrations_dir, s.fail_on, s.comment, s.audit_dir) == (
        "check", "supabase/migrations", "error", True, "migration-guard-audit")
    assert (s.require_approval, s.protected_environments, s.lock_timeout, s.retries) == (True, ["production"], "3s", 5)


@pytest.mark.parametrize(("name", "value"), [("FAIL-ON", "sometimes"), ("COMMAND", "destroy"), ("RETRIES", "-1"),
                                             ("COMMENT", "maybe")])
def test_bad_input_is_one_line_naming_the_input(name: str, value: str) -> None:
    with pytest.raises(UserError) as err:
        ActionSettings.from_env({f"INPUT_{name}": value})
    assert err.value.message.startswith(f"input `{name.lower()}`")
    assert "\n" not in err.value.message


def test_every_action_input_is_a_setting_and_back() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    fields = {ActionSettings.input_name(f) for f in ActionSettings.model_fields}
    assert set(action["inputs"]) == fields
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    for field in ActionSettings.model_fields.values():
        assert field.description


def test_project_settings_env_beats_file_beats_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.migration-guard]\nmigrations-dir = "db/m"\nfail-on = "warning"\n')
    monkeypatch.delenv("MIGRATION_GUARD_FAIL_ON", raising=False)
    monkeypatch.delenv("MIGRATION_GUARD_MIGRATIONS_DIR", raising=False)
    s = load_project_settings(tmp_path)
    assert (s.migrations_dir, s.fail_on, s.supabase) == ("db/m", "warning", "auto")
    monkeypatch.setenv("MIGRATION_GUARD_FAIL_ON", "never")
    assert load_project_settings(tmp_path).fail_on == "never"
    (tmp_path / "migration-guard.toml").write_text('migrations_dir = "x"\n')  # own file wins over pyproject
    assert load_project_settings(tmp_path).migrations_dir == "x"
    for field in ProjectSettings.model_fields.values():
        assert field.description


def test_project_settings_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    cfg = tmp_path / "migration-guard.toml"
    cfg.write_text('migrations-dirr = "x"\n')
    with pytest.raises(UserError, match="unknown setting 'migrations-dirr'"):
        load_project_settings(tmp_path)
    cfg.write_text('fail-on = "sometimes"\n')
    with pytest.raises(UserError, match=r"migration-guard\.toml: setting `fail-on`"):
        load_project_settings(tmp_path)
    cfg.write_text("fail-on = \n")
    with pytest.raises(UserError, match="invalid TOML"):
        load_project_settings(tmp_path)
