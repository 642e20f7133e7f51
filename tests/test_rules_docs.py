"""docs/rules.md is generated from the rule declarations; it must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from migration_guard.linter import UNSUPPRESSIBLE
from migration_guard.rules.docs import REGENERATE, render_markdown
from migration_guard.rules.registry import all_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def test_committed_rules_reference_is_up_to_date() -> None:
    expected = render_markdown(all_rules())
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert current == expected, f"docs/rules.md is stale; regenerate it with: {REGENERATE}"


def test_every_rule_has_a_section_with_why_example_fix_and_suppression() -> None:
    text = render_markdown(all_rules())
    for rule in all_rules():
        start = text.index(f"\n## `{rule.id}`\n")
        section = text[start : text.find("\n## `", start + 1)]
        assert f"**Severity:** {rule.severity.value}" in section
        for heading in ("### Why", "### Example", "### Use instead", "### Suppress"):
            assert heading in section
        assert rule.fix.strip() in section
        if rule.id in UNSUPPRESSIBLE:
            assert "cannot be suppressed" in section
        else:
            assert f"-- migration-guard: allow {rule.id} -- <reason>" in section


def test_module_entry_point_prints_the_same_text() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard.rules.docs"], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout == render_markdown(all_rules())


def test_fixable_rules_say_what_lint_fix_does_and_the_others_do_not() -> None:
    from migration_guard.autofix.fixers import FIXERS

    text = render_markdown(all_rules())
    ids = {r.id for r in all_rules()}
    assert set(FIXERS) <= ids, set(FIXERS) - ids  # a fixer for a rule that does not exist
    for rule in all_rules():
        start = text.index(f"\n## `{rule.id}`\n")
        section = text[start : text.find("\n## `", start + 1)]
        row = next(line for line in text.splitlines() if line.startswith(f"| [`{rule.id}`]"))
        if rule.id in FIXERS:
            assert "### Fix automatically" in section and "migration-guard lint --fix" in section
            assert "| fix |" in row
        else:
            assert "### Fix automatically" not in section and "| fix |" not in row
