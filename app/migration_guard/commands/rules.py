"""`migration-guard rules [ID]`: list every rule, or explain one (rendered from its declaration)."""

from __future__ import annotations

import argparse
import textwrap

from migration_guard.errors import UserError
from migration_guard.report.text import wrap_prose
from migration_guard.rules.base import Rule
from migration_guard.rules.docs import BOTH_NOTE, DRY_RUN_NOTE, autofix_summary, suppressible

HELP = "list the rules (lint and dry run), or explain one"
DESCRIPTION = (
    "Without ID: every rule's id, severity, [dry run] when the dry run reports it from the database "
    "(plan, check), and one-line summary. With ID: what the rule flags, why "
    "it is dangerous (the lock taken, what breaks, what is lost), an example that triggers it, and "
    "the safe alternative as SQL steps. Suppress a finding with "
    "`-- migration-guard: allow <id> -- <reason>` on the line above the statement."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", nargs="?", metavar="ID", help="a rule id, e.g. drop-column (omit to list all)")


def _rules() -> list[Rule]:
    from migration_guard.rules.registry import all_rules  # lazy: keeps `--help` fast

    return list(all_rules())


def _marker(rule: Rule) -> str:
    return "" if not rule.dry_run else "[dry run]" if not rule.linted else "[lint+dry run]"


def render_list(rules: list[Rule]) -> str:
    width = max((len(r.id) for r in rules), default=0)
    marks = max((len(_marker(r)) for r in rules), default=0)
    lines = [f"{r.id:<{width}}  {r.severity.value:<7}  {_marker(r):<{marks}}  {r.summary}" for r in rules]
    lines.append("")
    if any(r.dry_run for r in rules):
        lines.append("[dry run]: reported by `plan` and `check` from the database the dry run built (needs PostgreSQL)")
    lines.append("Explain one: migration-guard rules ID")
    return "\n".join(lines) + "\n"


def _block(title: str, body: str) -> str:
    return f"{title}:\n{textwrap.indent(body.strip(), '    ')}\n"


def render_rule(rule: Rule) -> str:
    parts = [
        f"{rule.id} ({rule.severity.value})\n",
        f"{rule.summary}\n",
        *([f"Checked by: {wrap_prose(DRY_RUN_NOTE if not rule.linted else BOTH_NOTE)}.\n"] if rule.dry_run else []),
        _block("Why", wrap_prose(rule.why)),
        _block("Example", rule.example),
        _block("Use instead", rule.fix),
    ]
    fix = autofix_summary(rule)
    if fix is not None:
        parts.append(_block("Fix automatically (lint --fix, or --diff to preview)", wrap_prose(fix)))
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
