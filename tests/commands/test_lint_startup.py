"""What a lint loads: the dry run's data classes and OpenSSL (for checksums) stay unloaded, since
every lint pays for what it imports (the findings-heavy benchmark's start-up). A fresh interpreter
runs the real command in-process, then lists its modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from migration_guard.cli import main
main(["lint", "--format", "json", sys.argv[1]])
print(",".join(sorted(sys.modules)), file=sys.stderr)
"""


def test_lint_loads_neither_the_plan_model_nor_hashlib(tmp_path: Path) -> None:
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_t.sql").write_text("-- intent: t\ncreate table t (id bigint primary key);\n")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, timeout=120, check=False
    )
    assert '"findings"' in proc.stdout, proc.stderr[-2000:]
    loaded = set(proc.stderr.strip().splitlines()[-1].split(","))
    assert "migration_guard.linter" in loaded  # the probe really saw the lint's modules
    assert "migration_guard.plan_model" not in loaded
    assert "hashlib" not in loaded and "_hashlib" not in loaded


def test_the_checksum_is_still_the_files_sha256(tmp_path: Path) -> None:
    import hashlib

    from migration_guard.migrations.loader import load_migration

    path = tmp_path / "20240101000000_t.sql"
    path.write_bytes(b"-- intent: t\r\ncreate table t (id int);\n")
    assert load_migration(path).checksum == hashlib.sha256(path.read_bytes()).hexdigest()
