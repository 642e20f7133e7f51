"""pglast's AST classes and enums are deferred by the lint command: absent while only the parser's JSON is
read, complete and ordinary as soon as a fix deparses a statement. Each case runs in a fresh
interpreter (the deferral only applies before pglast is first imported)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from migration_guard.pglast_deferred import defer_ast
defer_ast()
from pglast import parser
parser.parse_sql_json("select 1")
list(parser.scan("select 1"))
print(type(sys.modules["pglast.ast"]).__name__, type(sys.modules["pglast.enums"]).__name__)
import pglast
from pglast import ast, parse_sql
from pglast.enums import ConstrType
from pglast.stream import RawStream
node = parse_sql("create index i on t (a)")[0].stmt
node.concurrent = True
print(RawStream()(node), type(node) is ast.IndexStmt, pglast.ast is ast, ConstrType.CONSTR_CHECK.name)
print(type(sys.modules["pglast.ast"]).__name__, type(sys.modules["pglast.enums"]).__name__)
"""


def run(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args] if args else [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_ast_and_enums_load_on_first_use_and_then_work_as_usual() -> None:
    proc = run(PROBE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "_Deferred _Deferred",  # parsing to JSON and scanning never touched them
        "CREATE INDEX CONCURRENTLY i ON t (a) True True CONSTR_CHECK",
        "module module",
    ]


def test_deferral_does_nothing_once_pglast_is_imported() -> None:
    code = (
        "import sys, pglast\n"
        "from migration_guard.pglast_deferred import defer_ast\n"
        "defer_ast()\n"
        "print(type(sys.modules['pglast.ast']).__name__)\n"
    )
    proc = run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "module"


def test_lint_fix_text_deparsed_under_the_deferral(tmp_path: Path) -> None:
    # A foreign key on a table from an earlier file: foreign-key-not-valid's fix is pglast's deparse.
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_t.sql").write_text("-- intent: t\ncreate table t (a int, u int);\n")
    (folder / "20240102000000_f.sql").write_text(
        "-- intent: f\nalter table t add constraint t_u_fkey foreign key (u) references t (a);\n"
    )
    proc = run("", "-m", "migration_guard", "lint", "--format", "json", str(folder / "20240102000000_f.sql"))
    assert "Traceback" not in proc.stderr
    assert "ALTER TABLE t ADD CONSTRAINT t_u_fkey FOREIGN KEY (u) REFERENCES t (a) NOT VALID;" in proc.stdout


def test_index_fix_is_written_without_loading_the_deparser(tmp_path: Path) -> None:
    # The commonest finding's fix is an edit of the statement's own tokens: pglast's AST stays unloaded.
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_t.sql").write_text("-- intent: t\ncreate table t (a int);\n")
    (folder / "20240102000000_i.sql").write_text("-- intent: i\ncreate index t_a on t (a);\n")
    code = (
        "import sys\n"
        "from migration_guard.cli import main\n"
        f"main(['lint', '--format', 'json', {str(folder / '20240102000000_i.sql')!r}])\n"
        "print('ast loaded:', type(sys.modules['pglast.ast']).__name__ == 'module', file=sys.stderr)\n"
    )
    proc = run(code)
    assert "create index concurrently if not exists t_a on t (a);" in proc.stdout
    assert "ast loaded: False" in proc.stderr
