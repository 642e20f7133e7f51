"""Per-rule finding counts of `migration-guard lint` over every folder of the shared corpus.

    .venv/bin/python bench/rule_counts.py [--corpus ../shared/corpus] [--json out.json]
    .venv/bin/python bench/rule_counts.py --before bench/results/rule_counts_before_issue13.json

Runs the real CLI (`python -m migration_guard lint --format json FOLDER`) once per corpus folder
and prints a markdown table: one row per rule, one column per folder, plus the total. Suppressed
findings are counted apart (they are not noise a user sees as a blocker). Used to compare the
rules before and after a change (accuracy, not speed: no timings here). With ``--before`` (a file an
earlier ``--json`` wrote) it prints, per rule, the totals before → after over the whole corpus.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def count(folder: Path) -> Counter[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{folder}: exit {proc.returncode}: {proc.stderr.strip()[:300]}")
    data = json.loads(proc.stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    return Counter(f["rule"] for f in findings if not f.get("suppressed"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--json", type=Path, help="also write {folder: {rule: n}} here")
    parser.add_argument("--before", type=Path, help="a --json output of an earlier run: print before → after")
    args = parser.parse_args()
    folders = sorted(p for p in args.corpus.resolve().iterdir() if p.is_dir())
    counts = {f.name: count(f) for f in folders}
    if args.before:
        print_comparison(json.loads(args.before.read_text()), counts)
        print()
    rules = sorted({r for c in counts.values() for r in c})
    short = [name.split("__", 1)[-1][:10] for name in counts]
    print("| rule | " + " | ".join(short) + " | total |")
    print("|---|" + "---:|" * (len(short) + 1))
    for rule in rules:
        row = [counts[name][rule] for name in counts]
        print(f"| {rule} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    totals = [sum(c.values()) for c in counts.values()]
    print("| **total** | " + " | ".join(str(n) for n in totals) + f" | {sum(totals)} |")
    if args.json:
        args.json.write_text(json.dumps({k: dict(v) for k, v in counts.items()}, indent=1, sort_keys=True))
    return 0


def print_comparison(before: dict[str, dict[str, int]], after: dict[str, Counter[str]]) -> None:
    """Per-rule corpus totals before → after; only rules whose count changed get a delta."""
    old: Counter[str] = Counter()
    new: Counter[str] = Counter()
    for folder in before.values():
        old.update(folder)
    for folder in after.values():
        new.update(folder)
    print("| rule | before | after | change |")
    print("|---|---:|---:|---:|")
    for rule in sorted(set(old) | set(new)):
        delta = new[rule] - old[rule]
        change = f"{delta:+d}" if delta else ""
        print(f"| {rule} | {old[rule]} | {new[rule]} | {change} |")
    total_old, total_new = sum(old.values()), sum(new.values())
    print(f"| **total** | {total_old} | {total_new} | {total_new - total_old:+d} |")


if __name__ == "__main__":
    raise SystemExit(main())
