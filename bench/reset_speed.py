"""`migration-guard reset` on a generated 100-migration Supabase project, side by side with psql.

Generates N migrations (default 100: a table each with an identity key, a foreign key to the
previous table and to auth.users, two indexes, RLS and a policy) and a seed, starts a local
PostgreSQL, then alternates for several rounds, on the same server:

    migration-guard reset --database-url URL --dir DIR --yes      (whole command, a fresh process)
    psql -X -1 -v ON_ERROR_STOP=1 -f FILE   for each file, on a fresh database with the same bootstrap

and prints the median wall time of each and the ratio. reset also drops the previous schema,
writes the Supabase ledger and loads the seed; psql does neither. Usage:

    python bench/reset_speed.py [--migrations 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from migration_guard.dryrun.bootstrap import apply_bootstrap
from migration_guard.dryrun.local import LocalPostgres


def generate(root: Path, count: int) -> Path:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('[api]\nschemas = ["public"]\n')
    for i in range(count):
        version = f"2024{i // 28 + 1:02d}{i % 28 + 1:02d}000000"
        t = f"t{i}"
        parent = f"  parent_id bigint references public.t{i - 1} (id) on delete cascade,\n" if i else ""
        parent_index = f"create index {t}_parent_idx on public.{t} (parent_id);\n" if i else ""
        (migrations / f"{version}_create_{t}.sql").write_text(
            f"-- intent: table {t}\n"
            f"create table public.{t} (\n  id bigint generated always as identity primary key,\n{parent}"
            f"  owner uuid not null default auth.uid() references auth.users (id) on delete cascade,\n"
            f"  title text not null,\n  created_at timestamptz not null default now()\n);\n"
            f"{parent_index}create index {t}_owner_idx on public.{t} (owner);\n"
            f"alter table public.{t} enable row level security;\n"
            f'create policy "{t} own" on public.{t} for all to authenticated using ((select auth.uid()) = owner);\n'
        )
    (root / "supabase" / "seed.sql").write_text(
        "insert into auth.users (id, email) values (gen_random_uuid(), 'dev@example.com');\n"
    )
    return migrations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--migrations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalPostgres() as pg:
        migrations = generate(Path(tmp), args.migrations)
        files = sorted(str(p) for p in migrations.iterdir())
        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            conn.execute("create database dev")
        reset_cmd = [
            sys.executable, "-m", "migration_guard", "reset", "--database-url", pg.url("dev"),
            "--dir", str(migrations), "--yes",
        ]  # fmt: skip
        psql = [str(pg.bin_dir / "psql"), "-q", "-X", "-1", "-v", "ON_ERROR_STOP=1", "-h", str(pg.socket_dir)]
        ours: list[float] = []
        peer: list[float] = []
        for round_no in range(args.rounds):
            started = time.perf_counter()
            proc = subprocess.run(reset_cmd, capture_output=True, text=True, check=False)
            ours.append(time.perf_counter() - started)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            name = f"peer{round_no}"
            with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
                conn.execute(f"create database {name}")
            with psycopg.connect(pg.conninfo(name), autocommit=True) as conn:
                apply_bootstrap(conn)
            started = time.perf_counter()
            for f in files:
                subprocess.run([*psql, "-U", "postgres", "-d", name, "-f", f], check=True, capture_output=True)
            peer.append(time.perf_counter() - started)
            print(f"round {round_no + 1}: reset {ours[-1]:.2f}s ({proc.stdout.strip()}); psql {peer[-1]:.2f}s")
        a, b = statistics.median(ours), statistics.median(peer)
        print(f"{args.migrations} migrations: reset median {a:.2f}s, psql -f per file median {b:.2f}s, "
              f"ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
