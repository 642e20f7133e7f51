"""Replay every project of the shared corpus through `migration-guard plan` and print one table.

    .venv/bin/python bench/corpus_replay.py [--corpus ../shared/corpus] [--cache-dir DIR]

One row per project: the runner settings it needs (none for a Supabase project; the storage
service's own schema and the plain-PostgreSQL histories say theirs), migrations applied / total,
the stand-in extensions the dry run used, and the first failure (file:line and message) if any.
Fidelity, not speed: no timings. The settings below are the ones tests/dryrun/test_corpus_replay.py
asserts; this script shows the whole picture in one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
# Runner settings per project (REPLAY.md): the history is not a Supabase project's, or its runner
# injects session state. Everything else runs with the defaults a Supabase project gets.
RUNNER_SETTINGS: dict[str, tuple[str, ...]] = {
    "supabase__storage": ("--supabase", "off", "--session-setting", "search_path=storage, public"),
    "e2b-dev__infra": ("--supabase", "off"),
}
STAND_INS = "dry run used stand-ins for: "


def replay(folder: Path, cache: Path, extra: tuple[str, ...]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "migration_guard", "plan", "--dir", str(folder), "--format", "json",
           "--no-progress", "--cache-dir", str(cache), *extra]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    try:
        data: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return data


def row(name: str, data: dict[str, Any], extra: tuple[str, ...]) -> str:
    settings = " ".join(extra) or "defaults"
    if "migrations" not in data:
        return f"| {name} | {settings} | — | — | {data.get('error', 'no result')} |"
    migrations = data["migrations"]
    applied = sum(1 for m in migrations if m["status"] == "applied")
    stand_ins = next((w.removeprefix(STAND_INS).split(":", 1)[0] for w in data.get("warnings", [])
                      if w.startswith(STAND_INS)), "")  # fmt: skip
    failed = next((m for m in migrations if m["status"] == "failed"), None)
    failure = ""
    if failed is not None:
        error = failed.get("error") or {}
        failure = f"{Path(failed['path']).name}:{error.get('line', '?')} {error.get('message', '')}"
    return f"| {name} | {settings} | {applied}/{len(migrations)} | {stand_ins} | {failure} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--cache-dir", type=Path, help="a prepared data folder to reuse (default: a temp one)")
    args = parser.parse_args()
    folders = sorted(p for p in args.corpus.resolve().iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="mg-corpus-") as tmp:
        cache = args.cache_dir or Path(tmp)
        print("| project | runner settings | applied | stand-ins | first failure |")
        print("|---|---|---:|---|---|")
        for folder in folders:
            extra = RUNNER_SETTINGS.get(folder.name, ())
            print(row(folder.name, replay(folder, cache, extra), extra), flush=True)
            if folder.name in RUNNER_SETTINGS:  # and as a Supabase project, which it is not
                print(row(folder.name, replay(folder, cache, ()), ()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
