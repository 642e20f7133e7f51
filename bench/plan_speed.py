"""How fast is `migration-guard plan`? Side by side with `psql -f`, in one run.

For a generated 200-migration project and the largest corpus history that replays (Marquez, 84
Flyway files), it measures:

- the whole `migration-guard plan` command, end to end (a subprocess: start-up, server, bootstrap,
  baseline, tracing of the newest file, catalog diff, report), cold and with --cache-dir;
- the baseline replay alone (our ``replay_file``, one transaction per file) against
  ``psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f`` per file, both on one already running
  server, into fresh databases with the same bootstrap, as the same non-superuser role;
- the ephemeral server's time to ready: cold (initdb) and from a prepared data dir (--cache-dir).

Run: .venv/bin/python bench/plan_speed.py [--rounds N]
Goals (issue 3): ready ≤ 0.5 s cold, ≤ 0.2 s cached; baseline ≤ 1.3× psql; 200-migration plan < 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from migration_guard.dryrun.bootstrap import MIGRATION_ROLE, SUPERUSER, apply_bootstrap, bootstrap_hash
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir
from migration_guard.dryrun.providers import ephemeral_postgres
from migration_guard.dryrun.trace import replay_file
from migration_guard.migrations import discover, load_migration

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def generate(root: Path, count: int = 200) -> Path:
    """A Supabase-style project: tables, indexes, columns, functions, RLS policies, data."""
    d = root / "supabase" / "migrations"
    d.mkdir(parents=True)
    for i in range(count):
        t = f"t{i // 4}"
        step = i % 4
        if step == 0:
            sql = (
                f"create table public.{t} (\n  id bigint generated always as identity primary key,\n"
                f"  owner uuid not null default gen_random_uuid(),\n  name text not null,\n"
                f"  created_at timestamptz not null default now()\n);\n"
                f"alter table public.{t} enable row level security;\n"
                f"create policy {t}_owner on public.{t} for select to authenticated using (owner = auth.uid());\n"
                f"insert into public.{t} (name) select 'row ' || g from generate_series(1, 100) g;\n"
            )
        elif step == 1:
            sql = (
                f"alter table public.{t} add column status text not null default 'new';\n"
                f"create index {t}_status_idx on public.{t} (status);\n"
                f"comment on column public.{t}.status is 'workflow state';\n"
            )
        elif step == 2:
            sql = (
                f"create or replace function public.{t}_touch() returns trigger language plpgsql\n"
                f"set search_path = '' as $$\nbegin\n  new.created_at := now();\n  return new;\nend $$;\n"
                f"create trigger {t}_touch before update on public.{t} for each row "
                f"execute function public.{t}_touch();\n"
            )
        else:
            sql = (
                f"update public.{t} set status = 'active' where id % 2 = 0;\n"
                f"create view public.{t}_active with (security_invoker = on) as "
                f"select id, name from public.{t} where status = 'active';\n"
                f"grant select on public.{t}_active to authenticated;\n"
            )
        (d / f"2024{i // 60 + 1:02d}{i % 28 + 1:02d}{i:06d}_step_{i}.sql").write_text(sql)
    return d


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0,):
        print(f"  ! {' '.join(cmd[:6])}… exit {proc.returncode}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
    return elapsed, proc.returncode


def dry_run_server() -> LocalPostgres:
    """Shaped like the dry run's: superuser supabase_admin, private install tree (postgres is not superuser)."""
    from migration_guard.dryrun.sharetree import build

    tree = build(find_bin_dir())
    return LocalPostgres(superuser=SUPERUSER, executable=tree.postgres if tree else None)


def fresh_db(server: LocalPostgres, name: str, supabase: bool) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    with psycopg.connect(server.conninfo(name), autocommit=True) as conn:
        apply_bootstrap(conn, supabase=supabase)


def baseline_vs_psql(server: LocalPostgres, files: list[Path], supabase: bool, rounds: int) -> tuple[float, float]:
    migrations = [load_migration(f) for f in files]
    # The server's own psql binary: Debian's /usr/bin/psql is a Perl wrapper that adds ~50 ms per call.
    psql = str(server.bin_dir / "psql") if (server.bin_dir / "psql").exists() else shutil.which("psql") or "psql"
    ours, theirs = [], []
    for r in range(rounds):
        fresh_db(server, f"bench_psql_{r}", supabase)
        t0 = time.perf_counter()
        for f in files:
            cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(f),
                   "-h", str(server.socket_dir), "-p", "5432", "-U", MIGRATION_ROLE, "-d", f"bench_psql_{r}"]
            single = subprocess.run([*cmd, "--single-transaction"], capture_output=True, check=False)
            if single.returncode != 0:  # CONCURRENTLY (Marquez V47): again without a transaction, as Flyway does
                subprocess.run(cmd, check=True, capture_output=True)
        theirs.append(time.perf_counter() - t0)
        fresh_db(server, f"bench_ours_{r}", supabase)
        with psycopg.connect(server.conninfo(f"bench_ours_{r}", user=MIGRATION_ROLE), autocommit=True) as conn:
            t0 = time.perf_counter()
            for m in migrations:
                run = replay_file(conn, m)
                if run.status != "applied":
                    raise SystemExit(f"{m.path.name}: {run.error}")
            ours.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(theirs)


def start_times(cache: Path, rounds: int) -> tuple[float, float]:
    cold, cached = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with dry_run_server() as pg:
            cold.append(time.perf_counter() - t0)
            assert pg.proc is not None

    def prepare(server: object) -> None:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:  # type: ignore[attr-defined]
            apply_bootstrap(conn, supabase=True, elevate=server.extra.get("sharetree") is None)  # type: ignore[attr-defined]

    key = bootstrap_hash(True) + "-sb"
    with ephemeral_postgres("local", None, None, cache, prepare=prepare, prepare_key=key):
        pass  # fills the cache
    for _ in range(rounds):
        t0 = time.perf_counter()
        with ephemeral_postgres("local", None, None, cache, prepare=prepare, prepare_key=key):
            cached.append(time.perf_counter() - t0)
    return statistics.median(cold), statistics.median(cached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mg-bench-", dir="/tmp"))
    work.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(work)}
    try:
        generated = generate(work / "gen")
        projects = [("generated 200 migrations (Supabase)", generated, True)]
        marquez = CORPUS / "MarquezProject__marquez"
        if marquez.is_dir():
            projects.append(("MarquezProject/marquez (84 Flyway files)", marquez, False))
        cli = [sys.executable, "-m", "migration_guard", "plan", "--no-progress", "--format", "json"]

        print(f"migration-guard plan benchmark ({args.rounds} rounds, medians; {os.cpu_count()} CPUs)\n")
        cache = work / "cache"
        cold_ready, cached_ready = start_times(work / "startcache", args.rounds)
        print(f"ephemeral server ready: cold (initdb) {cold_ready:.3f} s, from --cache-dir {cached_ready:.3f} s")
        with dry_run_server() as server:
            for label, directory, supabase in projects:
                files = discover(directory)
                mode = ["--supabase", "on" if supabase else "off"]
                ours, theirs = baseline_vs_psql(server, files[:-1], supabase, args.rounds)
                plan_cold = statistics.median(
                    timed([*cli, "--dir", str(directory), *mode, "--postgres", "local"], env)[0]
                    for _ in range(args.rounds)
                )
                timed([*cli, "--dir", str(directory), *mode, "--postgres", "local", "--cache-dir", str(cache)], env)
                plan_cached = statistics.median(
                    timed([*cli, "--dir", str(directory), *mode, "--postgres", "local", "--cache-dir", str(cache)],
                          env)[0]
                    for _ in range(args.rounds)
                )
                print(f"\n{label}: {len(files)} files")
                print(f"  baseline replay ({len(files) - 1} files): migration-guard {ours:.3f} s, "
                      f"psql -f per file {theirs:.3f} s, ratio {ours / theirs:.2f}x")
                print(f"  plan end to end: cold {plan_cold:.3f} s, with --cache-dir {plan_cached:.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
