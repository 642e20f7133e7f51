"""How long until the dry-run server is ready, with the full bootstrap? Side by side with a peer, in one run.

The dry run's server is "ready" when it accepts connections as the migration role (``postgres``)
in its database with the bootstrap applied: the roles of Supabase (``supabase_admin`` superuser,
``postgres`` as the migration role, anon/authenticated/...), the platform schemas (auth, storage,
realtime, vault, graphql, ...) and, on the local provider, the private install tree with the
stand-in extensions. Measured, alternating, for several rounds:

- peer: plain ``initdb`` + ``pg_ctl start -w`` (PostgreSQL's own tools, default settings; what a
  CI script would do), until ``pg_ctl`` says the server accepts connections;
- ours, bare: ``LocalPostgres`` (initdb with our fast settings, start, readiness by polling
  ``postmaster.pid``), no database, no bootstrap;
- ours, cold: ``ephemeral_postgres("local")`` with the Supabase bootstrap (initdb, start, create the
  dry-run database, run the bootstrap), then one connection as ``postgres``: what ``plan`` pays
  without ``--cache-dir``;
- ours, prepared: the same from a prepared data folder (``--cache-dir``, filled once before the
  rounds; the action's image bakes one): copy the folder, start, connect.

Each "ours" round starts as a new ``plan`` process would: the per-process memos (the private install
tree, the installation's layout) are cleared, so the tree comes from the cache dir (prepared) or is
built (cold). Each figure is the median wall time; ratios are ours / peer. Teardown is not counted.
The phase tables split the cold and prepared medians (each phase's own median, so they need not add
up exactly; "other" is the rest of the round's median).

Run: .venv/bin/python bench/bootstrap_speed.py [--rounds N] [--no-peer] [--dir /tmp] [--cache DIR]
Goal (issue 12): ready <= 0.2 s from a prepared folder.
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


# Phase timings of the current round, filled by the wrappers below.
PHASES: dict[str, float] = {}


def _timed(owner: Any, name: str, label: str) -> None:
    """Wrap ``owner.name`` so each call adds its wall time to ``PHASES[label]`` (absent: skipped)."""
    inner = getattr(owner, name, None)
    if inner is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            PHASES[label] = PHASES.get(label, 0.0) + time.perf_counter() - t0

    setattr(owner, name, wrapper)


def instrument() -> None:
    from migration_guard.dryrun import local, providers, sharetree

    _timed(providers, "find_bin_dir", "find binaries")
    _timed(providers, "local_settings", "settings (pg_config)")
    _timed(sharetree, "build", "private install tree")
    _timed(providers, "major_version", "postgres --version")
    _timed(local, "clone_data_dir", "copy data folder")
    _timed(local, "copy_data_dir", "copy data folder")
    _timed(local.LocalPostgres, "initdb", "initdb")
    _timed(local.LocalPostgres, "_launch", "start postgres until ready")
    _timed(providers, "_local_version", "first connection (version)")
    _timed(providers, "create_database", "create database")
    _timed(sys.modules[__name__], "prepare", "bootstrap SQL")


def ours(cache: Path | None) -> float:
    from migration_guard.dryrun import sharetree

    sharetree._BUILT.clear()  # as a new process: the tree comes from the cache dir or is built
    sharetree.layout.cache_clear()
    PHASES.clear()
    t0 = time.perf_counter()
    with ephemeral_postgres("local", None, None, cache, prepare=prepare, prepare_key=KEY) as server:
        t1 = time.perf_counter()
        with psycopg.connect(server.role_conninfo("postgres"), autocommit=True) as conn:
            conn.execute("select 1")
        elapsed = time.perf_counter() - t0
        PHASES["connection as postgres"] = time.perf_counter() - t1
        return elapsed


def phase_table(title: str, rounds: list[dict[str, float]], total: float) -> None:
    names = list(dict.fromkeys(name for r in rounds for name in r))
    meds = {name: statistics.median(r.get(name, 0.0) for r in rounds) for name in names}
    print(f"\n  {title} (median ms of {len(rounds)} rounds; total {total * 1000:.0f} ms)")
    for name in names:
        print(f"    {name:<32} {meds[name] * 1000:7.1f}")
    print(f"    {'other (our Python code)':<32} {max(total - sum(meds.values()), 0) * 1000:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="skip the initdb + pg_ctl peer and the bare start")
    parser.add_argument("--dir", default="/tmp", help="where the servers' folders and the cache go (default /tmp)")
    parser.add_argument("--cache", type=Path, help="an existing cache dir to start from (e.g. the image's baked "
                        "/opt/migration-guard/pgcache); measures the prepared start only")
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    work = Path(tempfile.mkdtemp(prefix="mg-bench-boot-", dir=args.dir))
    work.chmod(0o755)
    os.environ["TMPDIR"] = str(work)  # our servers' temp folders too, so everything is removed at the end
    tempfile.tempdir = None
    cache = args.cache or work / "cache"
    instrument()
    try:
        if args.cache is None:
            ours(cache)  # fills the cache (data folder and private install tree) outside the timed rounds
        else:
            args.no_peer = True
        times: dict[str, list[float]] = {"peer": [], "bare": [], "cold": [], "prepared": []}
        phases: dict[str, list[dict[str, float]]] = {"cold": [], "prepared": []}
        for _ in range(args.rounds):  # alternating, so a busy moment hits every contender alike
            # Each start on a settled disk (untimed): the previous one's teardown deletes thousands of
            # files, and on a file system mounted with `discard` (this VM) file creation then waits
            # for those discards, up to 1 ms per file.
            if not args.no_peer:
                os.sync()
                times["peer"].append(peer(bin_dir, work))
                os.sync()
                times["bare"].append(bare())
            if args.cache is None:
                os.sync()
                times["cold"].append(ours(None))
                phases["cold"].append(dict(PHASES))
            os.sync()
            times["prepared"].append(ours(cache))
            phases["prepared"].append(dict(PHASES))
        med = {k: statistics.median(v) for k, v in times.items() if v}
        load = os.getloadavg()[0]
        print(f"dry-run server ready ({args.rounds} rounds, medians; {os.cpu_count()} CPUs, load {load:.1f})\n")
        rows = [
            ("peer: initdb + pg_ctl start -w", "peer"),
            ("ours, bare: initdb + start (no bootstrap)", "bare"),
            ("ours, cold: + database + Supabase bootstrap", "cold"),
            ("ours, prepared data folder (--cache-dir)", "prepared"),
        ]
        for label, key in rows:
            if key not in med:
                continue
            spread = f"(min {min(times[key]):.3f}, max {max(times[key]):.3f})"
            ratio = "" if key == "peer" or "peer" not in med else f"  ratio {med[key] / med['peer']:.2f}x peer"
            print(f"  {label:<46} {med[key]:.3f} s {spread}{ratio}")
        if "cold" in med:
            phase_table("cold", phases["cold"], med["cold"])
        phase_table("prepared", phases["prepared"], med["prepared"])
        bare_cost = f"bootstrap cost (cold - bare): {med['cold'] - med['bare']:.3f} s; " if "bare" in med else ""
        print(f"\n{bare_cost}goal ready <= 0.2 s from a prepared folder: "
              f"{'met' if med['prepared'] <= 0.2 else 'not met'} ({med['prepared']:.3f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
