"""Shared by the `lint --fix` tests: a temp project, the real CLI, and lint of a folder in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from migration_guard.linter import lint
from migration_guard.migrations.loader import load_migrations
from migration_guard.model import Finding, LintOptions

BASE_NAME = "20240101000000_tables.sql"
# Existing tables with rows: what every fix must be safe for.
BASE = """-- intent: the tables, with data
create table public.customers (id bigint primary key);
create table public.orders (
  id bigint primary key,
  customer_id bigint,
  amount int,
  email text
);
insert into public.customers select g from generate_series(1, 50) g;
insert into public.orders select g, 1 + g % 50, g % 90 + 1, 'u' || g || '@example.com' from generate_series(1, 500) g;
"""


def project(root: Path, files: dict[str, str], folder: str = "supabase/migrations") -> Path:
    where = root / folder
    where.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (where / name).write_bytes(text.encode("utf-8"))
    return where


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", "--supabase", "off", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def lint_folder(folder: Path) -> list[Finding]:
    return list(lint(load_migrations([folder]), LintOptions()).findings)


def rules_in(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}
