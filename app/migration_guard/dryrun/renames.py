"""Show a rename as a rename: the catalog diff sees an object dropped and another created.

Pure: the dry run's affected objects and the new migrations' traced statements in, the affected
objects out, with each ``ALTER TABLE … RENAME [COLUMN] … TO …`` that ran turned into one
``renamed`` entry (a renamed table's columns, indexes and constraints are not repeated).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from migration_guard.plan_model import AffectedObject, PlanResult

DEFAULT_SCHEMA = "public"


def _renames(plan: PlanResult) -> list[tuple[str, str, str]]:
    """(kind, old full name, new full name) for every RENAME of a table or column that ran."""
    from pglast import parser

    out: list[tuple[str, str, str]] = []
    for run in plan.migrations:
        if not run.new:
            continue
        for st in run.statements:
            if st.kind != "RenameStmt":
                continue
            try:
                stmts = json.loads(parser.parse_sql_json(st.sql)).get("stmts") or []
            except Exception:  # not parseable alone: leave the diff as it is
                continue
            node: dict[str, Any] = (stmts[0].get("stmt") or {}).get("RenameStmt", {}) if stmts else {}
            rel = node.get("relation") or {}
            schema = rel.get("schemaname") or DEFAULT_SCHEMA
            table = rel.get("relname")
            new = node.get("newname")
            if not table or not new:
                continue
            kind = node.get("renameType")
            if kind == "OBJECT_COLUMN" and node.get("subname"):
                out.append(("column", f"{schema}.{table}.{node['subname']}", f"{schema}.{table}.{new}"))
            elif kind == "OBJECT_TABLE":
                out.append(("table", f"{schema}.{table}", f"{schema}.{new}"))
    return out


def merge_renames(plan: PlanResult) -> tuple[AffectedObject, ...]:
    """The plan's affected objects with each rename shown once, as ``renamed`` (detail: from what)."""
    affected = list(plan.affected)
    for kind, old, new in _renames(plan):
        dropped = next((a for a in affected if a.kind == kind and a.change == "dropped" and a.name == old), None)
        created = next((a for a in affected if a.kind == kind and a.change == "created" and a.name == new), None)
        if dropped is None or created is None:
            continue
        detail = f"renamed from {old.rsplit('.', 1)[-1]}" + (f"; {created.detail}" if created.detail else "")
        merged = replace(created, change="renamed", detail=detail,
                         dependents=tuple(dict.fromkeys((*dropped.dependents, *created.dependents))))
        affected[affected.index(created)] = merged
        affected.remove(dropped)
        if kind == "table":
            # The table's columns, indexes and constraints moved with it: drop the pairs that match.
            for a in list(affected):
                if a.change != "dropped" or not a.name.startswith(old + "."):
                    continue
                twin = next((b for b in affected if b.change == "created" and b.kind == a.kind
                             and b.name == new + a.name[len(old):] and b.detail == a.detail), None)
                if twin is not None:
                    affected.remove(a)
                    affected.remove(twin)
    return tuple(affected)
