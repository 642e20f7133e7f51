"""How long until the dry-run server is ready, with the full bootstrap? Side by side with a peer, in one run.

The dry run's server is "ready" when its database exists with the bootstrap applied: the roles of
Supabase (``supabase_admin`` superuser, ``postgres`` as the migration role, anon/authenticated/...),
the platform schemas (auth, storage, realtime, vault, graphql, ...) and, on the local provider, the
private install tree with the stand-in extensions. Measured, alternating, for several rounds:

- peer: plain ``initdb`` + ``pg_ctl start -w`` (PostgreSQL's own tools, default settings; what a
  CI script would do), until ``pg_ctl`` says the server accepts connections;
- ours, bare: ``LocalPostgres`` (initdb with our fast settings, start, readiness by polling
  ``postmaster.pid``), no database, no bootstrap;
- ours, cold: ``ephemeral_postgres("local")`` with the Supabase bootstrap (initdb, start, create the
  dry-run database, run the bootstrap): what ``plan`` pays without ``--cache-dir``;
- ours, prepared: the same from a prepared data folder (``--cache-dir``, filled once before the
  rounds): copy the folder, start.

Each figure is the median wall time; ratios are ours / peer. Teardown is not counted.

Run: .venv/bin/python bench/bootstrap_speed.py [--rounds N]
Goal (issue 12): ready ≤ 0.2 s from a prepared folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from migration_guard.dryrun.bootstrap import apply_bootstrap, bootstrap_hash
from migration_guard.dryrun.local import LocalPostgres, _run_as, find_bin_dir, minimal_env
from migration_guard.dryrun.providers import Server, ephemeral_postgres


def prepare(server: Server) -> None:
    """The plan's own prepare step (dryrun/plan.py), Supabase on."""
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        apply_bootstrap(conn, supabase=True, elevate=server.extra.get("sharetree") is None)


KEY = bootstrap_hash(True) + "-sb"


def peer(bin_dir: Path, work: Path) -> float:
    """initdb + pg_ctl start -w, as the server's user; returns seconds to ready."""
    root = Path(tempfile.mkdtemp(prefix="peer-", dir=work))
    ids = _run_as()
    kwargs: dict[str, Any] = {"env": minimal_env(), "capture_output": True, "check": True}
    if ids is not None:
        os.chown(root, *ids)
        kwargs.update(user=ids[0], group=ids[1], extra_groups=[])
    data = root / "data"
    sock = f"-k {root} -c listen_addresses=''"
    try:
        t0 = time.perf_counter()
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"], **kwargs)
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", sock, "-l", str(root / "log"), "-w",
                        "start"], **kwargs)
        elapsed = time.perf_counter() - t0
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], **kwargs)
        return elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bare() -> float:
    t0 = time.perf_counter()
    with LocalPostgres():
        return time.perf_counter() - t0


def ours(cache: Path | None) -> float:
    t0 = time.perf_counter()
    with ephemeral_postgres("local", None, None, cache, prepare=prepare, prepare_key=KEY):
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    work = Path(tempfile.mkdtemp(prefix="mg-bench-boot-", dir="/tmp"))
    work.chmod(0o755)
    os.environ["TMPDIR"] = str(work)  # our servers' temp folders too, so everything is removed at the end
    tempfile.tempdir = None
    cache = work / "cache"
    try:
        ours(cache)  # fills the cache (and builds the private install tree) outside the timed rounds
        times: dict[str, list[float]] = {"peer": [], "bare": [], "cold": [], "prepared": []}
        for _ in range(args.rounds):  # alternating, so a busy moment hits every contender alike
            times["peer"].append(peer(bin_dir, work))
            times["bare"].append(bare())
            times["cold"].append(ours(None))
            times["prepared"].append(ours(cache))
        med = {k: statistics.median(v) for k, v in times.items()}
        load = os.getloadavg()[0]
        print(f"dry-run server ready ({args.rounds} rounds, medians; {os.cpu_count()} CPUs, load {load:.1f})\n")
        rows = [
            ("peer: initdb + pg_ctl start -w", "peer"),
            ("ours, bare: initdb + start (no bootstrap)", "bare"),
            ("ours, cold: + database + Supabase bootstrap", "cold"),
            ("ours, prepared data folder (--cache-dir)", "prepared"),
        ]
        for label, key in rows:
            spread = f"(min {min(times[key]):.3f}, max {max(times[key]):.3f})"
            ratio = "" if key == "peer" else f"  ratio {med[key] / med['peer']:.2f}x peer"
            print(f"  {label:<46} {med[key]:.3f} s {spread}{ratio}")
        print(f"\nbootstrap cost (cold - bare): {med['cold'] - med['bare']:.3f} s; "
              f"goal ready <= 0.2 s from a prepared folder: {'met' if med['prepared'] <= 0.2 else 'not met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
