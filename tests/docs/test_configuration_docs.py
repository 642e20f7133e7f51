"""docs/configuration.md documents every option that exists in code.

Generic on purpose: it walks whatever exists — every subcommand of `migration_guard.cli.build_parser()`
(each option string must appear in that command's section), every input and output of action.yml, and
every field of every pydantic-settings model in `migration_guard.settings` (action inputs by their
input name; project settings by their config key and their environment variable).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from migration_guard.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "configuration.md").read_text()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _section(heading: str) -> str:
    """The text under a markdown heading (any level) up to the next heading of the same or higher level."""
    lines = DOC.splitlines()
    fenced = [False] * len(lines)  # lines inside ``` blocks are never headings
    inside = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            inside = not inside
        fenced[i] = inside or line.startswith("```")
    for i, line in enumerate(lines):
        m = None if fenced[i] else re.match(r"^(#+)\s+(.*)$", line)
        if m and m.group(2).strip().strip("`") == heading:
            level = len(m.group(1))
            body = []
            for j in range(i + 1, len(lines)):
                n = None if fenced[j] else re.match(r"^(#+)\s", lines[j])
                if n and len(n.group(1)) <= level:
                    break
                body.append(lines[j])
            return "\n".join(body)
    raise AssertionError(f"docs/configuration.md has no heading {heading!r}")


def _mentioned(text: str, word: str) -> bool:
    """``word`` inside a code span (`…`), as a whole word."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    return any(pattern.search(span) for span in re.findall(r"`+([^`]+)`+", text))


COMMANDS = sorted(_subcommands())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_cli_option_is_documented(command: str) -> None:
    section = _section(f"migration-guard {command}")
    missing = []
    for action in _subcommands()[command]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            missing += [o for o in action.option_strings if not _mentioned(section, o)]
        else:
            name = action.metavar if isinstance(action.metavar, str) else action.dest
            if not _mentioned(section, str(name)):
                missing.append(str(name))
    assert missing == [], f"docs/configuration.md, section `migration-guard {command}`: document {missing}"


def test_every_action_input_and_output_is_documented() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = _section("Action inputs")
    outputs = _section("Action outputs")
    missing = [f"input {name}" for name in action.get("inputs", {}) if not _mentioned(inputs, name)]
    missing += [f"output {name}" for name in action.get("outputs", {}) if not _mentioned(outputs, name)]
    assert missing == []


def _settings_models() -> list[type[BaseSettings]]:
    module = importlib.import_module("migration_guard.settings")
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, BaseSettings) and obj is not BaseSettings and obj.__module__ == module.__name__
    ]


def test_settings_models_exist() -> None:
    assert _settings_models(), "migration_guard.settings defines no settings models"


@pytest.mark.parametrize("model", _settings_models(), ids=lambda m: m.__name__)
def test_every_settings_key_is_documented(model: type[BaseSettings]) -> None:
    prefix = str(model.model_config.get("env_prefix") or "")
    missing = []
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, str) and alias.upper().startswith("INPUT_"):
            key = alias[len("INPUT_") :].lower()
            if not _mentioned(_section("Action inputs"), key):
                missing.append(f"{model.__name__}.{name} (input {key})")
            continue
        section = _section("Settings file and environment")
        for word in (name.replace("_", "-"), f"{prefix}{name}".upper()):
            if not _mentioned(section, word):
                missing.append(f"{model.__name__}.{name} ({word})")
    assert missing == []
