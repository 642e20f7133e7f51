"""The rules reference (``docs/rules.md``), rendered from the rule declarations in the registry.

Regenerate after changing a rule: ``python -m migration_guard.rules.docs > docs/rules.md``
(``tests/test_rules_docs.py`` fails while the committed file is stale).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from migration_guard.rules.base import Rule

REGENERATE = "python -m migration_guard.rules.docs > docs/rules.md"


def _sql(text: str) -> str:
    return f"```sql\n{text.strip()}\n```"


def _prose(text: str) -> str:
    """Escape ``<``/``>`` outside code spans: GitHub would take ``<name>`` for an HTML tag and hide it."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _cell(text: str) -> str:
    return _prose(text).replace("|", "\\|")


def render_rule(rule: Rule) -> str:
    lines = [
        f"## `{rule.id}`",
        "",
        f"**Severity:** {rule.severity.value} "
        + ("(blocks the check)" if rule.severity.value == "error" else "(informs, does not block)"),
        "",
        *_checked_by(rule),
        _prose(rule.summary),
        "",
        "### Why",
        "",
        _prose(rule.why.strip()),
        "",
        "### Example",
        "",
        _sql(rule.example) if rule.example.strip() else "_(file-level rule: no single statement)_",
        "",
        "### Use instead",
        "",
        _sql(rule.fix),
        "",
        *_autofix(rule),
        "### Suppress",
        "",
        *_suppress(rule),
    ]
    return "\n".join(lines)


DRY_RUN_NOTE = (
    "the dry run (`plan`, `check`), on the database the migrations built, so it needs PostgreSQL "
    "(`lint` alone does not run it); reported at the statement that created or last changed the object"
)
BOTH_NOTE = "lint, and the dry run on the database it built (the same problem found both ways is one finding)"


def autofix_summary(rule: Rule) -> str | None:
    """What `lint --fix` does for this rule, or None: the fixers are data keyed by rule id."""
    from migration_guard.autofix.fixers import FIXERS  # lazy: lint without --fix never loads them

    fixer = FIXERS.get(rule.id)
    return None if fixer is None else fixer.summary


def _autofix(rule: Rule) -> list[str]:
    summary = autofix_summary(rule)
    if summary is None:
        return []
    line = f"`migration-guard lint --fix` (or `--diff` to preview): {_prose(summary)}."
    return ["### Fix automatically", "", line, ""]


def _checked_by(rule: Rule) -> list[str]:
    if not rule.dry_run:
        return []
    return [f"**Checked by:** {DRY_RUN_NOTE if not rule.linted else BOTH_NOTE}.", ""]


def suppressible(rule: Rule) -> bool:
    from migration_guard.linter import UNSUPPRESSIBLE

    return rule.id not in UNSUPPRESSIBLE


def _suppress(rule: Rule) -> list[str]:
    if not suppressible(rule):
        return ["This finding is about a suppression comment itself and cannot be suppressed: fix the comment.", ""]
    where = "the statement" if rule.linted else "the statement the advisory points at"
    return [
        f"On the line(s) directly above {where}, with a reason"
        + (" (an error-level suppression without a reason is itself an error):" if rule.severity.value == "error"
           else ":"),
        "",
        _sql(f"-- migration-guard: allow {rule.id} -- <reason>"),
        "",
        "or for the whole file, in its header: "
        f"`-- migration-guard: allow-file {rule.id} -- <reason>`.",
        "",
    ]


FOOTER = """## Suppressed findings in reports

A suppressed finding never disappears: `migration-guard lint` prints it marked
`suppressed: <reason>`, the JSON report has `"suppressed": true` and `"reason"`, SARIF carries a
`suppressions` entry (`"kind": "inSource"`, the reason as `justification`) so code scanning shows
it as dismissed in source, and GitHub annotations show it as a notice. Only unsuppressed errors
fail the check (exit status 1).

SARIF results have a `partialFingerprints["migrationGuard/v1"]`: a hash of the rule id, the file
path and the statement's text with whitespace collapsed and case folded (plus a counter when the
same statement appears twice in a file). Line numbers are not part of it, so adding or moving
lines keeps an alert's identity and its history in code scanning.
"""


def render_markdown(rules: Sequence[Rule]) -> str:
    head = [
        "# Migration Guard rules",
        "",
        f"<!-- Generated from the rule declarations; do not edit. Regenerate: {REGENERATE} -->",
        "",
        "Each rule has a stable id (other tools key on it). **error** findings block the check; "
        "**warning** findings inform. `migration-guard rules ID` shows the same text in the terminal.",
        "",
        "Rules checked by the **dry run** need a database: `plan` and `check` report them from the "
        "schema the migrations built; they are listed, suppressed and configured like the others.",
        "",
        "Rules marked **fix** have a mechanical rewrite: `migration-guard lint --fix` applies it to the "
        "files being checked (`--diff` shows it without writing).",
        "",
        "| id | severity | checked by | fix | summary |",
        "|---|---|---|---|---|",
    ]
    head += [
        f"| [`{r.id}`](#{r.id}) | {r.severity.value} | {r.checked_by} | {'fix' if autofix_summary(r) else ''} "
        f"| {_cell(r.summary)} |"
        for r in rules
    ]
    head.append("")
    return "\n".join(head) + "\n" + "\n".join(render_rule(r) for r in rules) + "\n" + FOOTER


def main() -> int:
    from migration_guard.rules.registry import all_rules

    sys.stdout.write(render_markdown(list(all_rules())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
