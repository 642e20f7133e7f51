"""Random and malformed input through the real loader and linter: always findings or a clean
SourceError, never an exception; and the CLI on garbage files: exit 1 or 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions, LintResult, Migration
from migration_guard.rules.registry import get_rule

BASE = parse_migration(
    Path("m/20240101000000_base.sql"),
    b"-- intent: base\ncreate table public.users (id bigint primary key, email text);\n"
    b"create type mood as enum ('ok');\ncreate index users_email on public.users (email);\n",
)

TOKENS = [
    "CREATE", "TABLE", "INDEX", "CONCURRENTLY", "ON", "ALTER", "DROP", "COLUMN", "ADD", "CONSTRAINT", "NOT",
    "NULL", "DEFAULT", "now()", "gen_random_uuid()", "random()", "REFERENCES", "users", "public.users", '"Users"',
    "(", ")", ",", ";", "id", "email", "bigint", "int", "serial", "varchar(20)", "timestamp", "text", "TYPE",
    "SET", "RENAME", "TO", "TRUNCATE", "CASCADE", "DELETE", "FROM", "UPDATE", "WHERE", "INSERT", "INTO", "SELECT",
    "VALUES", "1", "'x'", "E'\\n'", "$$", "$f$", "DO", "BEGIN", "COMMIT", "END", "POLICY", "ENABLE", "ROW", "LEVEL",
    "SECURITY", "USING", "auth.uid()", "VALID", "VALIDATE", "UNIQUE", "PRIMARY", "KEY", "FOREIGN", "CHECK",
    "VACUUM", "FULL", "CLUSTER", "TYPE mood ADD VALUE 'x'", "--", "/*", "*/", "\\i x.sql", "\n",
    "-- migration-guard: allow drop-table -- because", "-- migration-guard: allow-file truncate",
    "-- migration-guard: no-transaction", "-- +goose Up", "-- +goose Down", "-- intent: fuzz", "\ufeff", "é",
]

SAMPLE = (
    "-- intent: sample\ncreate table public.notes (id bigint generated always as identity primary key, "
    "body text, owner uuid references auth.users(id));\nalter table public.notes enable row level security;\n"
    "create policy p on public.notes for select to authenticated using (owner = auth.uid());\n"
    "create function public.f() returns trigger language plpgsql as $$ begin drop table x; return new; end $$;\n"
    "do $$ begin alter table public.users add column x int; end $$;\n"
    "alter table public.users alter column email set not null;\nupdate public.users set email = 'a';\n"
)


def check(data: bytes, name: str = "20240102000000_fuzz.sql") -> LintResult:
    migration = parse_migration(Path("m") / name, data)
    result = lint([BASE, migration], LintOptions(supabase=True, report_paths=frozenset({migration.display_path})))
    lines = migration.text.count("\n") + 2
    for f in result.findings:
        assert get_rule(f.rule) is not None, f.rule
        assert f.path == migration.display_path
        assert 1 <= f.line <= max(lines, 2) and f.column >= 1, f
    if migration.error is not None:
        assert_clean_error(migration)
    return result


def assert_clean_error(migration: Migration) -> None:
    error = migration.error
    assert error is not None
    assert error.kind in {"syntax", "encoding", "unreadable"}
    assert error.message.strip()
    assert error.line >= 1 and error.column >= 1


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    check(text.encode("utf-8", "replace"))


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.lists(st.sampled_from([" ", "\n", ";\n", ""]), min_size=1))
def test_sql_shaped_token_soup(tokens: list[str], seps: list[str]) -> None:
    out = []
    for i, token in enumerate(tokens):
        out.append(token)
        out.append(seps[i % len(seps)])
    check("".join(out).encode())


@FUZZ
@given(st.data())
def test_mutated_real_migration(data: st.DataObject) -> None:
    text = SAMPLE
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if op == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = text[:pos] + data.draw(st.sampled_from(TOKENS)) + text[pos:]
        else:
            text = text[:pos] + text[max(0, pos - 30) : pos] + text[pos:]
    check(text.encode())


@FUZZ
@given(st.text(alphabet="abc_.-V0123456789", min_size=1, max_size=20))
def test_odd_file_names(stem: str) -> None:
    check(b"-- intent: x\nselect 1;\n", name=f"{stem}.sql")


GARBAGE = {
    "20240101000000_random.sql": bytes(range(256)) * 3,
    "20240101000000_nul.sql": b"select 1;\x00drop table users;\n",
    "20240101000000_dollar.sql": b"-- intent: x\ncreate function f() returns int language sql as $$ select 1;\n",
    "20240101000000_comment.sql": b"/* never closed\nselect 1;\n",
    "20240101000000_bom.sql": b"\xef\xbb\xbf\xef\xbb\xbfselect 1;",
    "20240101000000_deep.sql": b"select " + b"1+" * 3000 + b"1;\n",
    "20240101000000_parens.sql": b"select " + b"(" * 20000 + b"1" + b")" * 20000 + b";\n",
    "20240101000000_latin1.sql": "select 'd\xe9j\xe0';".encode("latin-1"),
    "20240101000000_crlf.sql": b"-- intent: x\r\nalter table t drop column c;\r\n\r\n\\set x 1\r\n",
    "20240101000000_long.sql": b"select '" + b"x" * 2_000_000 + b"\n",  # never-closed 2 MB string
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_cli_on_garbage_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    # One format per file keeps the suite fast; both renderers see garbage across the set.
    fmt = "json" if sorted(GARBAGE).index(name) % 2 else "text"
    proc = subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", "--format", fmt, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )
    assert proc.returncode in (1, 2), (proc.returncode, proc.stdout[-500:], proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 2:
        assert len(proc.stderr.splitlines()) == 1
        assert proc.stderr.startswith(f"migration-guard: error: {path}")
