"""Apply overhead: `migration-guard apply` vs `psql -f` on the same generated migrations.

Generates N migration files (default 200; each a table, an index, a function with a $$ body, a
comment, a few rows), then, in the same run on one ephemeral PostgreSQL server and alternating
for several rounds, each time on a fresh database:

    psql -X -q -v ON_ERROR_STOP=1 -1 -f F1 … (one psql per file, each file one transaction)
    psql -X -q -v ON_ERROR_STOP=1 -f F1 -f F2 … -f FN (one session, no per-file transaction)
    migration-guard apply --yes --dir DIR (a subprocess: startup, lock, ledger, sidecar, per-file tx)

and prints the median wall time of each and the ratios. psql keeps no ledger and takes no lock;
the difference is what the ledger rows, the drift check, the advisory lock, the timeouts and
Python cost. A run of the CLI on an empty folder gives the fixed start-up cost, so the per-file
overhead is printed too. Usage:

    python bench/apply_speed.py [--files 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from migration_guard.dryrun.local import LocalPostgres


def migration(i: int) -> str:
    return (
        f"-- intent: benchmark table {i}\n"
        f"create table public.bench_{i} (\n"
        f"  id bigint generated always as identity primary key,\n"
        f"  name text not null,\n  created_at timestamptz not null default now()\n);\n"
        f"create index bench_{i}_name_idx on public.bench_{i} (name);\n"
        f"comment on table public.bench_{i} is 'generated; has a ; inside';\n"
        f"create function public.bench_{i}_count() returns bigint language plpgsql as $$\n"
        f"begin\n  return (select count(*) from public.bench_{i});\nend;\n$$;\n"
        f"insert into public.bench_{i} (name) values ('a'), ('b'), ('c');\n"
    )


def write_files(directory: Path, n: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = directory / f"{20240101000000 + i}_bench_{i}.sql"
        p.write_text(migration(i))
        paths.append(p)
    return paths


def fresh_db(server: LocalPostgres) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_db(server: LocalPostgres, name: str) -> None:
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stdout[-500:]}{proc.stderr[-500:]}")
    return elapsed


def psql_per_file(server: LocalPostgres, db: str, paths: list[Path], env: dict[str, str]) -> float:
    conninfo = server.conninfo(db)
    start = time.perf_counter()
    for p in paths:
        proc = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", conninfo, "-f", str(p)],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise SystemExit(f"psql failed on {p.name}: {proc.stderr[-500:]}")
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}

    results: dict[str, list[float]] = {
        "psql per file (-1)": [],
        "psql one session": [],
        "migration-guard apply": [],
        "migration-guard, 0 files": [],  # the fixed cost: interpreter, imports, connect, lock
    }
    with tempfile.TemporaryDirectory() as tmp, LocalPostgres() as server:
        paths = write_files(Path(tmp) / "migrations", args.files)
        for _ in range(args.rounds):
            db = fresh_db(server)
            results["psql per file (-1)"].append(psql_per_file(server, db, paths, env))
            drop_db(server, db)

            db = fresh_db(server)
            files = [a for p in paths for a in ("-f", str(p))]
            results["psql one session"].append(
                timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server.conninfo(db), *files], env)
            )
            drop_db(server, db)

            db = fresh_db(server)
            cmd = [
                sys.executable,
                "-m",
                "migration_guard",
                "apply",
                "--yes",
                "--database-url",
                server.url(db),
                "--dir",
                str(Path(tmp) / "migrations"),
            ]
            results["migration-guard apply"].append(timed(cmd, env))
            with psycopg.connect(server.conninfo(db)) as conn:
                count = conn.execute("SELECT count(*) FROM supabase_migrations.schema_migrations").fetchone()
            assert count is not None and count[0] == args.files, count
            drop_db(server, db)

            db = fresh_db(server)
            empty = Path(tmp) / "empty"
            empty.mkdir(exist_ok=True)
            cmd = [
                sys.executable,
                "-m",
                "migration_guard",
                "apply",
                "--yes",
                "--database-url",
                server.url(db),
                "--dir",
                str(empty),
            ]
            results["migration-guard, 0 files"].append(timed(cmd, env))
            drop_db(server, db)

    medians = {k: statistics.median(v) for k, v in results.items()}
    print(f"{args.files} migration files, {args.rounds} rounds, median wall time:")
    for name, value in medians.items():
        if name.endswith("0 files"):
            print(f"  {name:<24} {value:7.2f} s")
            continue
        print(f"  {name:<24} {value:7.2f} s   ({value / args.files * 1000:6.1f} ms/file)")
    ours = medians["migration-guard apply"]
    print(f"ratio migration-guard / psql per file : {ours / medians['psql per file (-1)']:.2f}")
    print(f"ratio migration-guard / psql one session: {ours / medians['psql one session']:.2f}")
    per_file = (ours - medians["migration-guard, 0 files"]) / args.files * 1000
    psql_per_file_ms = medians["psql one session"] / args.files * 1000
    print(f"migration-guard per file after start-up: {per_file:.1f} ms (psql one session: {psql_per_file_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
