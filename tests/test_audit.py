"""Audit records: the keys, one file per run, and no secret in any record or output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from migration_guard.audit import AuditContext, AuditLog
from migration_guard.dryrun.local import LocalPostgres

KEYS = [
    "time",
    "event",
    "outcome",
    "version",
    "checksum",
    "environment",
    "actor",
    "triggering_actor",
    "sha",
    "ref",
    "run_url",
    "database",
    "override",
    "reason",
    "findings",
]
PASSWORD = "Aud1t-Pa55word-Xy7"
TOKEN = "ghp_AuditTokenAbcdefghijklmnopqrstuvwxyz012"


def test_records_have_every_key_and_go_to_one_file_per_run(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "99",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_ACTOR": "alice",
        "GITHUB_TRIGGERING_ACTOR": "bob",
        "GITHUB_SHA": "abc",
        "GITHUB_REF": "refs/heads/main",
    }
    ctx = AuditContext.from_env(env, "postgresql://app:pw-secret-1@db.internal:5432/prod", "production")
    log = AuditLog(tmp_path / "audit", ctx)
    log.record("migration", "applied", version="20240101000000", checksum="c" * 64, name="a")
    log.record("gate:review", "refused", reason="no approval")
    assert log.path == tmp_path / "audit" / "99-2.jsonl"
    records = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert [list(r)[: len(KEYS)] for r in records] == [KEYS, KEYS]
    first = records[0]
    assert first["database"] == "db.internal:5432/prod"
    assert first["run_url"] == "https://github.com/acme/app/actions/runs/99"
    assert (first["actor"], first["triggering_actor"], first["environment"]) == ("alice", "bob", "production")
    assert first["time"].endswith("Z")
    assert "pw-secret-1" not in log.path.read_text()


def test_outcome_is_one_of_four(tmp_path: Path) -> None:
    log = AuditLog(None, AuditContext())
    with pytest.raises(ValueError, match="applied"):
        log.record("migration", "done")
    assert log.path is None


def test_given_secrets_are_scrubbed_everywhere_in_a_record(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, AuditContext(), secrets=("s3cr3t-value",))
    entry = log.record("deploy", "failed", reason="boom s3cr3t-value", extra={"nested": ["x s3cr3t-value"]})
    assert "s3cr3t-value" not in json.dumps(entry)
    assert log.path is not None and "s3cr3t-value" not in log.path.read_text()


def test_no_password_or_token_in_any_output_or_audit_file(
    tmp_path: Path, pg_url: str, pg_server: LocalPostgres
) -> None:
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'mg_auditor'").fetchone():
            conn.execute(f"CREATE ROLE mg_auditor LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    # The session server trusts local connections; the password is in the URL all the same.
    url = pg_url.replace(f"postgresql://{pg_server.user}@", f"postgresql://mg_auditor:{PASSWORD}@")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "20240101000000_ok.sql").write_text("create table ok (id int);\n")
    # An error message that quotes the password on its own must be scrubbed too.
    (migrations / "20240102000000_bad.sql").write_text(f"select '{PASSWORD}'::int;\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
    env.update({"GITHUB_TOKEN": TOKEN, "GITHUB_RUN_ID": "7", "GITHUB_ACTOR": "alice", "GITHUB_REPOSITORY": "a/b"})
    outputs = []
    for args in (
        ["apply", "--database-url", url, "--dir", str(migrations), "--yes", "--audit-dir", str(tmp_path / "audit")],
        ["status", "--database-url", url, "--dir", str(migrations), "--format", "json"],
        ["status", "--database-url", url, "--dir", str(migrations)],
        ["apply", "--database-url", url.replace("/t_", "/missing_t_"), "--dir", str(migrations), "--yes"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "migration_guard", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=120,
            cwd=tmp_path,  # runs without --audit-dir write to ./migration-guard-audit
        )
        outputs.append(proc.stdout + proc.stderr)
    assert "invalid input syntax for type integer" in outputs[0]  # the failure was reported…
    assert "***" in outputs[0]  # …with the password masked
    audit_files = list((tmp_path / "audit").glob("*.jsonl"))
    assert len(audit_files) == 1
    records = [json.loads(line) for line in audit_files[0].read_text().splitlines()]
    assert [(r["event"], r["outcome"]) for r in records] == [("migration", "applied"), ("migration", "failed")]
    assert records[1]["database"].startswith("localhost") and records[1]["reason"]
    every_audit_file = list(tmp_path.rglob("*.jsonl"))  # --audit-dir, and any default folder written
    assert audit_files[0] in every_audit_file
    for text in [*outputs, *(p.read_text() for p in every_audit_file)]:
        assert PASSWORD not in text
        assert TOKEN not in text
