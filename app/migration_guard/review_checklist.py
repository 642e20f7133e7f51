"""Make AI-authored migrations visible to the reviewer, with a short checklist of what they do.

A changed migration gets a checklist when it has no ``-- intent:`` line, when it says it was written
through ``migration-guard mcp``, or when a commit that touched it carries a ``Co-authored-by:``
trailer naming a known assistant. The checklist is built from the dry run (what the file locks,
rewrites and drops; the RLS state of the tables it creates) and asks for an explicit human approval
(the deploy's review gate requires one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration_guard.model import Migration
from migration_guard.plan_model import AffectedObject, MigrationRun
from migration_guard.report import escape as esc

# Names assistants put in Co-authored-by trailers (case-insensitive, whole words).
ASSISTANTS = re.compile(
    r"\b(claude|anthropic|copilot|cursor(?:[ -]?agent)?|chatgpt|openai|codex|gemini|devin|aider|windsurf|codeium|"
    r"amazon q|tabnine|jules|sweep(?:ai)?|cline|roo code)\b",
    re.IGNORECASE,
)
_TRAILER = re.compile(r"^co-authored-by:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
MCP_HEADER = "-- authored-by: an AI assistant"
_STRONG = ("AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock")


def assistant_coauthors(messages: str) -> list[str]:
    """The Co-authored-by trailers in commit messages that name a known assistant."""
    return sorted({t.strip() for t in _TRAILER.findall(messages) if ASSISTANTS.search(t)})


def commit_messages(root: Path, base: str | None, head: str | None, path: Path) -> str:
    """Messages of the commits in base..head that touched ``path`` ('' outside git or without a base)."""
    from migration_guard.gitdiff import run_git

    if not base:
        return ""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return ""
    proc = run_git(root, "log", "--format=%B%x00", f"{base}..{head or 'HEAD'}", "--", str(rel))
    return proc.stdout if proc.returncode == 0 else ""


@dataclass(frozen=True)
class Authorship:
    path: str
    reasons: tuple[str, ...]


def why_review(migration: Migration, coauthors: Iterable[str] = ()) -> Authorship | None:
    """Why a reviewer should look closely at this file, or None."""
    reasons = []
    names = list(coauthors)
    if names:
        reasons.append(f"co-authored by {', '.join(names)}")
    if MCP_HEADER in migration.text[:2000]:
        reasons.append("written by an AI assistant through migration-guard mcp")
    if not (migration.header.intent or "").strip():
        reasons.append("no `-- intent:` line says what it is for")
    return Authorship(migration.display_path, tuple(reasons)) if reasons else None


def _relation(node: dict[str, Any]) -> str:
    rel = node.get("relation", {})
    return f"{rel.get('schemaname', 'public')}.{rel.get('relname', '?')}"


def new_tables_rls(migration: Migration) -> tuple[list[str], set[str]]:
    """Tables the file creates, and those it enables row-level security on (from the parse trees:
    the dry run's catalog diff reports a new table, not its RLS flag)."""
    tables: list[str] = []
    rls_on: set[str] = set()
    for st in migration.statements:
        if st.kind == "CreateStmt":
            tables.append(_relation(st.node))
        elif st.kind == "AlterTableStmt":
            node = st.node
            if any(c.get("AlterTableCmd", {}).get("subtype") == "AT_EnableRowSecurity" for c in node.get("cmds", [])):
                rls_on.add(_relation(node))
    return tables, rls_on


def checklist(
    who: Authorship, migration: Migration, run: MigrationRun | None, affected: Iterable[AffectedObject]
) -> str:
    """Markdown: the reasons, then what the file locks, rewrites and drops, and new tables' RLS."""
    # Names and co-author trailers come from the pull request: escaped like the rest of the report.
    why = esc.text("; ".join(who.reasons), one_line=True)
    lines = [f"**Review carefully: {esc.code(Path(who.path).name)}** ({why}). Before approving, check:"]
    locks: dict[str, str] = {}
    rewrites: list[str] = []
    for st in run.statements if run is not None else ():
        for lock in st.locks:
            name = f"{lock.schema}.{lock.relation}"
            if lock.mode in _STRONG and (name not in locks or _STRONG.index(lock.mode) < _STRONG.index(locks[name])):
                locks[name] = lock.mode
        rewrites.extend(r for r in st.rewrites if r not in rewrites)
    objects = list(affected)
    dropped = [f"{o.kind} {esc.code(o.name)}" for o in objects if o.change == "dropped"]
    tables, rls_on = new_tables_rls(migration)
    shown = ", ".join(f"{esc.code(t)} {m}" for t, m in sorted(locks.items()))
    lines.append("- [ ] locks: " + (shown if locks else "none strong"))
    lines.append("- [ ] rewrites: " + (", ".join(esc.code(r) for r in rewrites) if rewrites else "none"))
    lines.append("- [ ] drops: " + (", ".join(dropped) if dropped else "none"))
    if tables:
        states = [f"{esc.code(t)} RLS {'on' if t in rls_on else '**off**'}" for t in tables]
        lines.append("- [ ] new tables: " + ", ".join(states))
    lines.append("- [ ] a human approves this pull request (the deploy's review gate requires one)")
    if run is None:
        lines.append("- the dry run did not trace this file: read it statement by statement")
    return "\n".join(lines)
