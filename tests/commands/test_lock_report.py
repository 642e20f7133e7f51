"""The dry-run report tells the truth about locks (real CLI, real throwaway PostgreSQL).

A lock taken inside a migration's transaction is held until it commits: the report says from which
line, across which later statements, flags a lock held through a backfill, a scan or a rewrite, and
tells a metadata-only moment from a lock held while rows are read or rewritten. Renames read as
renames, tables created earlier in the same file list no locks, internal role names never show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
ENV["NO_COLOR"] = "1"
INIT = """\
-- intent: accounts
create table public.accounts (id bigint primary key, email text, legacy text);
insert into public.accounts select g, 'a' || g, 'x' from generate_series(1, 500) g;
"""
CHANGE = """\
-- intent: plan column, backfilled, plus a side table
alter table public.accounts add column plan text;
update public.accounts set plan = 'free';
alter table public.accounts alter column plan set not null;
alter table public.accounts rename column legacy to old_legacy;
create table public.notes (id bigint primary key, body text);
insert into public.notes values (1, 'x');
create index notes_body on public.notes (body);
alter table public.notes add column title text;
alter table public.accounts alter column id type numeric;
create schema app;
"""
QUICK = """\
-- intent: one instant column
alter table public.accounts add column nick text;
"""


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migration_guard", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "20240101000000_init.sql").write_text(INIT)
    (mig / "20240201000000_change.sql").write_text(CHANGE)
    return tmp_path


def _block(out: str, start: str) -> list[str]:
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if line.strip().startswith(start))
    return lines[i:]


def test_plan_reports_lock_spans_long_holds_and_moments(project: Path) -> None:
    result = cli(project, "plan", "--dir", "migrations", "--no-progress", "--supabase", "off")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # The moment: ADD COLUMN is a metadata-only change, not "a lock held while rows are read".
    assert ("lock AccessExclusiveLock on public.accounts  ⚠ blocks reads and writes by a brief catalog change, "
            "but it waits behind running transactions and every query queues behind it (keep lock_timeout short)"
            ) in out
    # Later statements run under the lock taken at line 2: said at each slow one.
    assert ("held AccessExclusiveLock on public.accounts (since line 2)  ⚠ blocks reads and writes through this "
            "backfill: UPDATE of 500 rows in the dry run") in out
    assert "through this scan: SET NOT NULL reads every row" in out
    assert "through this rewrite: rewrites public.accounts" in out
    span = _block(out, "lock spans")
    assert span[1].strip() == ("AccessExclusiveLock on public.accounts (blocks reads and writes): held from line 2 "
                               "until commit, across 9 later statements (lines 3–11), " + span[1].split(", ")[-1])
    assert span[2].strip().startswith(
        "⚠ long hold: AccessExclusiveLock on public.accounts is taken at line 2 and held through a backfill "
        "(line 3), a full scan (line 4) and a rewrite (line 10)")
    # notes is created at line 6: inserting into it, indexing it and altering it lists no locks,
    # and its index build is no "full scan" (it is new and empty).
    assert not [line for line in out.splitlines() if line.strip().startswith("lock ") and "public.notes" in line]
    assert "through this scan: the index is built" not in out
    # The rename reads as a rename; the internal role owning the new schema is not named.
    assert "renamed column public.accounts.old_legacy: renamed from legacy; text" in out
    assert "dropped column public.accounts.legacy" not in out
    assert "mg_migrator" not in out and "created schema app: <migration role>" in out


def test_check_tells_a_brief_lock_from_a_long_hold(project: Path) -> None:
    mig = project / "migrations"
    (mig / "20240201000000_change.sql").unlink()
    (mig / "20240301000000_quick.sql").write_text(QUICK)
    quick = cli(project, "check", "--dir", "migrations", "--all", "--supabase", "off")
    lines = _block(quick.stdout, "lock     AccessExclusiveLock on public.accounts")
    assert lines[0].strip() == "lock     AccessExclusiveLock on public.accounts  (blocks reads and writes)"
    assert lines[1].strip().startswith("taken at line 2 by a brief catalog change, but it waits behind running")
    assert lines[2].strip() == "held from line 2 until commit (the file's last statement)"
    assert "long hold" not in quick.stdout

    (mig / "20240201000000_change.sql").write_text(CHANGE)
    md = cli(project, "check", "--dir", "migrations", "--all", "--supabase", "off", "--format", "markdown").stdout
    assert "`public.accounts` **AccessExclusive** line 2→commit ⚠️" in md
    assert "⚠️ `20240201000000_change.sql:2`: long hold: AccessExclusiveLock on public.accounts" in md
    assert "ℹ️ `20240301000000_quick.sql:2`: `public.accounts` AccessExclusive taken by a brief catalog change" in md
    assert "mg_migrator" not in md
