"""`migration-guard rules [ID]`: list every rule, or explain one (rendered from its declaration)."""

from __future__ import annotations

import argparse
import textwrap

from migration_guard.errors import UserError
from migration_guard.report.text import wrap_prose
from migration_guard.rules.base import Rule
from migration_guard.rules.docs import suppressible

HELP = "list the lint rules, or explain one"
DESCRIPTION = (
    "Without ID: every rule's id, severity and one-line summary. With ID: what the rule flags, why "
    "it is dangerous (the lock taken, what breaks, what is lost), an example that triggers it, and "
    "the safe alternative as SQL steps. Suppress a finding with "
    "`-- migration-guard: allow <id> -- <reason>` on the line above the statement."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", nargs="?", metavar="ID", help="a rule id, e.g. drop-column (omit to list all)")


def _rules() -> list[Rule]:
    from migration_guard.rules.registry import all_rules  # lazy: keeps `--help` fast

    return list(all_rules())


def render_list(rules: list[Rule]) -> str:
    width = max((len(r.id) for r in rules), default=0)
    lines = [f"{r.id:<{width}}  {r.severity.value:<7}  {r.summary}" for r in rules]
    lines.append("")
    lines.append("Explain one: migration-guard rules ID")
    return "\n".join(lines) + "\n"


def _block(title: str, body: str) -> str:
    return f"{title}:\n{textwrap.indent(body.strip(), '    ')}\n"


def render_rule(rule: Rule) -> str:
    parts = [
        f"{rule.id} ({rule.severity.value})\n",
        f"{rule.summary}\n",
        _block("Why", wrap_prose(rule.why)),
        _block("Example", rule.example),
        _block("Use instead", rule.fix),
    ]
    if suppressible(rule):
        parts.append(_block("Suppress (with a reason)", f"-- migration-guard: allow {rule.id} -- <reason>"))
    else:
        parts.append("Cannot be suppressed: it is about a suppression comment itself; fix the comment.\n")
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    rules = _rules()
    if args.rule_id is None:
        print(render_list(rules), end="")
        return 0
    wanted = args.rule_id.strip().lower()
    by_id = {r.id: r for r in rules}
    if wanted not in by_id:
        from migration_guard.rules.registry import similar_ids

        close = similar_ids(wanted)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `migration-guard rules` to list them"
        raise UserError(f"unknown rule {args.rule_id!r}{hint}")
    print(render_rule(by_id[wanted]), end="")
    return 0
