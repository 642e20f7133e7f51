"""Audit records: one JSON line per decision and per migration, appended to ``<audit-dir>/<run>.jsonl``.

Every record carries the same keys (a contract for whoever reads the artifact), the run's context
(who, which commit, which environment, which database by host and name only) and is passed
through ``redact`` with every known secret before it is written. Each line is written (and the file
closed) at once, so a killed process still leaves the records written so far.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migration_guard.redact import describe_database, redact

OUTCOMES = frozenset({"applied", "refused", "failed", "skipped", "cancelled"})


@dataclass(frozen=True)
class AuditContext:
    environment: str | None = None
    actor: str | None = None
    triggering_actor: str | None = None
    sha: str | None = None
    ref: str | None = None
    run_url: str | None = None
    database: str | None = None  # host:port/name, never a URL
    run_id: str = ""

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        database_url: str | None,
        environment: str | None,
    ) -> AuditContext:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        repo, run = environ.get("GITHUB_REPOSITORY"), environ.get("GITHUB_RUN_ID")
        run_url = f"{server}/{repo}/actions/runs/{run}" if repo and run else None
        attempt = environ.get("GITHUB_RUN_ATTEMPT")
        run_id = f"{run}-{attempt}" if run and attempt else (run or "")
        return cls(
            environment=environment or None,
            actor=environ.get("GITHUB_ACTOR") or _local_user(environ),
            triggering_actor=environ.get("GITHUB_TRIGGERING_ACTOR") or environ.get("GITHUB_ACTOR") or None,
            sha=environ.get("GITHUB_SHA") or None,
            ref=environ.get("GITHUB_REF") or None,
            run_url=run_url,
            database=describe_database(database_url) if database_url else None,
            run_id=run_id,
        )


def _local_user(environ: Mapping[str, str]) -> str | None:
    """Who runs it outside GitHub: $USER, else the account name."""
    if environ.get("USER") or environ.get("LOGNAME"):
        return environ.get("USER") or environ.get("LOGNAME")
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    return value


class AuditLog:
    """Appends records to one file per run (or only keeps them in memory when no folder is given)."""

    def __init__(self, directory: Path | None, context: AuditContext, secrets: tuple[str, ...] = ()) -> None:
        self.context = context
        self.secrets = tuple(s for s in secrets if s)
        self.records: list[dict[str, Any]] = []
        self.path: Path | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            run = context.run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            self.path = directory / f"{run}.jsonl"

    def record(
        self,
        event: str,
        outcome: str,
        *,
        version: str | None = None,
        checksum: str | None = None,
        reason: str | None = None,
        override: bool = False,
        findings: tuple[str, ...] | list[str] = (),
        **extra: Any,
    ) -> dict[str, Any]:
        if outcome not in OUTCOMES:
            raise ValueError(f"audit outcome must be one of {sorted(OUTCOMES)}, not {outcome!r}")
        c = self.context
        entry: dict[str, Any] = {
            "time": _now(),
            "event": event,
            "outcome": outcome,
            "version": version,
            "checksum": checksum,
            "environment": c.environment,
            "actor": c.actor,
            "triggering_actor": c.triggering_actor,
            "sha": c.sha,
            "ref": c.ref,
            "run_url": c.run_url,
            "database": c.database,
            "override": override,
            "reason": reason,
            "findings": list(findings),
        }
        entry.update(extra)
        entry = _scrub(entry, self.secrets)
        self.records.append(entry)
        if self.path is not None:
            line = json.dumps(entry, sort_keys=False, default=str)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return entry
