"""The plan as JSON: the issue's contract (scripts and the action rely on these keys)."""

from __future__ import annotations

from typing import Any

from migration_guard.plan_model import MigrationRun, PlanResult, StatementTrace


def _statement(t: StatementTrace) -> dict[str, Any]:
    return {
        "line": t.line,
        "kind": t.kind,
        "sql": t.sql,
        "duration_ms": t.duration_ms,
        "rows": t.rows,
        "locks": [{"schema": lk.schema, "relation": lk.relation, "mode": lk.mode} for lk in t.locks],
        "rewrites": list(t.rewrites),
    }


def _migration(run: MigrationRun) -> dict[str, Any]:
    error = run.error
    return {
        "path": run.path,
        "version": run.version,
        "new": run.new,
        "status": run.status,
        "error": None
        if error is None
        else {
            "line": error.line,
            "column": error.column,
            "sqlstate": error.sqlstate,
            "message": error.message,
            "hint": error.hint,
        },
        "statements": [_statement(t) for t in run.statements],
    }


def plan_to_json(result: PlanResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "postgres": {"version": result.postgres_version, "provider": result.provider},
        "migrations": [_migration(r) for r in result.migrations],
        "affected": [
            {"kind": a.kind, "name": a.name, "change": a.change, "detail": a.detail, "dependents": list(a.dependents)}
            for a in result.affected
        ],
        "advisories": [a.to_json() for a in result.advisories],
        "findings": [f.to_json() for f in result.findings],
        # additions beyond the contract's keys
        "warnings": list(result.warnings),
        "version_note": result.version_note or None,
        "table_stats": result.table_stats,
    }
