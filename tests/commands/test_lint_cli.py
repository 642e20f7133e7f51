"""`migration-guard lint` through the real CLI (a subprocess): formats, exit codes, context, bad input."""

from __future__ import annotations

import codecs
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from migration_guard.rules.registry import all_rules

INIT = """-- intent: users
create table public.users (
  id bigint generated always as identity primary key,
  email text not null
);
alter table public.users enable row level security;
create policy "users read self" on public.users for select to authenticated using (true);
"""

DROP = """-- intent: email moved to auth.users
ALTER TABLE public.users DROP COLUMN email;
"""
DROP_PATH = "supabase/migrations/20240102000000_drop_email.sql"


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )


def project(root: Path, files: dict[str, str | bytes]) -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def dropping(tmp_path: Path) -> Path:
    project(tmp_path, {"20240101000000_users.sql": INIT, "20240102000000_drop_email.sql": DROP})
    return tmp_path


def assert_clean_stderr(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr


# --- formats -----------------------------------------------------------------------------------


def test_text_is_compiler_style_with_why_fix_and_summary(dropping: Path) -> None:
    proc = cli(cwd=dropping)  # default folder: supabase/migrations
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    head = f"{DROP_PATH}:2:1: error[drop-column] "
    assert any(line.startswith(head) for line in lines), proc.stdout
    at = next(i for i, line in enumerate(lines) if line.startswith(head))
    assert lines[at + 2].startswith(" 2 | ") and lines[at + 3].endswith("| ^")  # source line, caret at col 1
    assert lines[at + 4] == "  why:"
    assert "  fix:" in lines[at + 5 :]
    assert any(line.startswith("  docs: https://") for line in lines[at + 5 :])
    assert lines[-1].startswith("1 error, 0 warnings, 0 suppressed (2 files, ")
    assert "\033[" not in proc.stdout
    assert_clean_stderr(proc)


def test_json_keeps_the_contract_keys(dropping: Path) -> None:
    proc = cli("--format", "json", cwd=dropping)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"findings", "files", "statements"}
    assert data["files"] == 2
    assert data["statements"] == 4
    keys = {"rule", "severity", "path", "line", "column", "message", "why", "fix", "suppressed", "reason"}
    assert all(set(f) == keys for f in data["findings"])
    drop = [f for f in data["findings"] if f["rule"] == "drop-column"]
    assert len(drop) == 1
    assert (drop[0]["path"], drop[0]["line"], drop[0]["column"]) == (DROP_PATH, 2, 1)
    assert drop[0]["severity"] == "error" and drop[0]["suppressed"] is False and drop[0]["reason"] is None
    assert drop[0]["why"] and drop[0]["fix"]


def test_sarif_has_rule_metadata_results_and_fingerprints(dropping: Path) -> None:
    proc = cli("--format", "sarif", cwd=dropping)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in all_rules()]
    result = next(r for r in run["results"] if r["ruleId"] == "drop-column")
    assert result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "drop-column"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == DROP_PATH
    assert location["region"] == {"startLine": 2, "startColumn": 1}
    assert result["partialFingerprints"]["migrationGuard/v1"]
    assert "suppressions" not in result


def test_github_annotations(dropping: Path) -> None:
    proc = cli("--format", "github", cwd=dropping)
    assert proc.returncode == 1, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"::error file={DROP_PATH},line=2,col=1,title=migration-guard drop-column::")
    assert "%0A" in first and "\n" not in first
    assert proc.stdout.splitlines()[-1].startswith("1 error, ")


def test_clean_project_exits_zero(tmp_path: Path) -> None:
    project(tmp_path, {"20240101000000_users.sql": INIT})
    proc = cli(cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "0 errors, 0 warnings, 0 suppressed (1 file, 3 statements)"


def test_reasoned_suppression_is_reported_but_does_not_block(tmp_path: Path) -> None:
    allowed = DROP.replace(
        "ALTER TABLE", "-- migration-guard: allow drop-column -- email now lives in auth.users (#12)\nALTER TABLE"
    )
    project(tmp_path, {"20240101000000_users.sql": INIT, "20240102000000_drop_email.sql": allowed})
    proc = cli(cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert f"{DROP_PATH}:3:1: error[drop-column]" in proc.stdout
    assert "    suppressed: email now lives in auth.users (#12)" in proc.stdout
    assert "1 suppressed" in proc.stdout.splitlines()[-1]
    data = json.loads(cli("--format", "json", cwd=tmp_path).stdout)
    drop = next(f for f in data["findings"] if f["rule"] == "drop-column")
    assert drop["suppressed"] is True and drop["reason"] == "email now lives in auth.users (#12)"
    sarif = json.loads(cli("--format", "sarif", cwd=tmp_path).stdout)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "drop-column")
    assert result["suppressions"] == [{"kind": "inSource", "justification": "email now lives in auth.users (#12)"}]
    gh = cli("--format", "github", cwd=tmp_path).stdout
    assert "::notice file=" in gh and "title=migration-guard drop-column (suppressed)" in gh


def test_error_suppression_without_reason_is_itself_an_error(tmp_path: Path) -> None:
    bare = DROP.replace("ALTER TABLE", "-- migration-guard: allow drop-column\nALTER TABLE")
    project(tmp_path, {"20240101000000_users.sql": INIT, "20240102000000_drop_email.sql": bare})
    proc = cli("--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"] if not f["suppressed"]}
    assert "suppression-without-reason" in rules


# --- what is linted and reported -----------------------------------------------------------------


def test_named_file_is_checked_in_the_context_of_earlier_files(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        {
            "20240101000000_users.sql": INIT.replace("-- intent: users\n", ""),  # missing-intent here
            "20240102000000_index.sql": "-- intent: index\ncreate index users_email_idx on public.users (email);\n",
        },
    )
    proc = cli("--format", "json", str(folder / "20240102000000_index.sql"), cwd=tmp_path)
    data = json.loads(proc.stdout)
    paths = {f["path"] for f in data["findings"]}
    # The earlier file created users (so it holds data now), but only the named file is reported.
    assert paths == {str(folder / "20240102000000_index.sql")}
    assert [f["rule"] for f in data["findings"]] == ["index-not-concurrent"]
    assert data["files"] == 1
    assert proc.returncode == 1

    # The same statement on a table created in the same file is fine (the table is new and empty).
    same = folder / "20240103000000_new.sql"
    same.write_text(
        "-- intent: new table\ncreate table public.tags (id bigint generated always as identity primary key, "
        "name text);\nalter table public.tags enable row level security;\n"
        "create policy p on public.tags for select to authenticated using (true);\n"
        "create index tags_name_idx on public.tags (name);\n",
        encoding="utf-8",
    )
    proc = cli("--format", "json", str(same), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["findings"] == []


def test_folder_paths_and_dir_flag(dropping: Path) -> None:
    folder = dropping / "supabase" / "migrations"
    by_path = json.loads(cli("--format", "json", str(folder), cwd=dropping.parent).stdout)
    by_dir = json.loads(cli("--format", "json", "--dir", str(folder), cwd=dropping.parent).stdout)
    assert by_path == by_dir
    assert by_path["files"] == 2
    assert {f["rule"] for f in by_path["findings"]} == {"drop-column"}


def test_supabase_flag_switches_rls_rules(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"20240101000000_notes.sql": "-- intent: notes\ncreate table public.notes (id bigint primary key);\n"},
    )
    on = json.loads(cli("--format", "json", "--supabase", "on", cwd=tmp_path).stdout)
    off = json.loads(cli("--format", "json", "--supabase", "off", cwd=tmp_path).stdout)
    assert "table-without-rls" in {f["rule"] for f in on["findings"]}
    assert "table-without-rls" not in {f["rule"] for f in off["findings"]}
    # auto: a supabase/config.toml above the folder makes it a Supabase project; its [api] schemas count.
    (tmp_path / "supabase" / "config.toml").write_text('[api]\nschemas = ["public", "api"]\n', encoding="utf-8")
    auto = json.loads(cli("--format", "json", cwd=tmp_path).stdout)
    assert "table-without-rls" in {f["rule"] for f in auto["findings"]}


def test_colour_on_a_terminal_unless_no_color(dropping: Path) -> None:
    def run_on_tty(env: dict[str, str]) -> str:
        master, slave = pty.openpty()
        proc = subprocess.run(
            [sys.executable, "-m", "migration_guard", "lint"],
            cwd=dropping,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        assert proc.returncode == 1
        return b"".join(chunks).decode()

    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\033[1;31merror[drop-column]\033[0m" in run_on_tty(base)
    assert "\033[" not in run_on_tty({**base, "NO_COLOR": "1"})


def test_help_explains_every_flag(tmp_path: Path) -> None:
    proc = cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for flag in ("PATH", "--dir", "--base", "--supabase", "--format", "auto", "sarif", "github", "NO_COLOR"):
        assert flag in proc.stdout


# --- bad input ---------------------------------------------------------------------------------


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("nope.sql", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "migration-guard: error: nope.sql: no such file or directory\n"
    assert proc.stdout == ""


def test_missing_default_folder(tmp_path: Path) -> None:
    proc = cli(cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("migration-guard: error: supabase/migrations: no such migrations folder;")
    assert len(proc.stderr.splitlines()) == 1


def test_folder_without_sql_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("not sql\n", encoding="utf-8")
    proc = cli("empty", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "migration-guard: error: empty: no .sql migration files in this folder\n"


def test_non_utf8_file_is_one_clear_line(tmp_path: Path) -> None:
    project(tmp_path, {"20240101000000_latin1.sql": "-- intent: x\nselect 'caf\xe9';\n".encode("latin-1")})
    proc = cli(cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    where = "supabase/migrations/20240101000000_latin1.sql:2"
    assert lines[0].startswith(f"migration-guard: error: {where}: not valid UTF-8")
    assert_clean_stderr(proc)


def test_nul_byte_is_refused_not_silently_truncated(tmp_path: Path) -> None:
    # PostgreSQL's parser stops at a NUL byte, so whatever follows would go unchecked.
    project(tmp_path, {"20240101000000_nul.sql": b"-- intent: x\nselect 1;\x00\ndrop table users;\n"})
    proc = cli(cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("migration-guard: error: supabase/migrations/20240101000000_nul.sql:2: ")
    assert "NUL" in proc.stderr and len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize("content", ["", "   \n\n", "-- only a comment\n"])
def test_empty_file_gives_a_note_not_a_crash(tmp_path: Path, content: str) -> None:
    project(tmp_path, {"20240101000000_users.sql": INIT, "20240102000000_empty.sql": content})
    proc = cli(cwd=tmp_path)
    assert_clean_stderr(proc)
    assert "note: supabase/migrations/20240102000000_empty.sql: " in proc.stdout
    assert "nothing to check" in proc.stdout
    # Missing intent on a comment-only file is a warning at most: never an error exit.
    assert proc.returncode == 0, proc.stdout
    as_json = cli("--format", "json", cwd=tmp_path)
    json.loads(as_json.stdout)
    assert "nothing to check" in as_json.stderr


def test_unparseable_sql_is_a_syntax_error_finding_at_the_right_place(tmp_path: Path) -> None:
    broken = "-- intent: broken\ncreate table ok (id bigint primary key);\n\ncreate table t2 (id bigint,, name text);\n"
    project(tmp_path, {"20240101000000_broken.sql": broken})
    proc = cli("--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "syntax-error"]
    assert len(found) == 1
    assert (found[0]["line"], found[0]["column"]) == (4, 28)  # the second comma
    assert "syntax error" in found[0]["message"]
    text = cli(cwd=tmp_path)
    assert "supabase/migrations/20240101000000_broken.sql:4:28: error[syntax-error]" in text.stdout
    assert_clean_stderr(text)


def test_unknown_format_is_a_usage_error(dropping: Path) -> None:
    proc = cli("--format", "xml", cwd=dropping)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_project_settings_give_the_defaults_and_flags_win(tmp_path: Path) -> None:
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_notes.sql").write_text(
        "-- intent: notes\ncreate table public.notes (id bigint primary key);\n", encoding="utf-8"
    )
    (tmp_path / "migration-guard.toml").write_text('migrations-dir = "db/migrations"\nsupabase = "on"\n')
    proc = cli("--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"] == 1
    assert "table-without-rls" in {f["rule"] for f in data["findings"]}
    off = json.loads(cli("--format", "json", "--supabase", "off", cwd=tmp_path).stdout)
    assert "table-without-rls" not in {f["rule"] for f in off["findings"]}
    from_env = cli("--format", "json", cwd=tmp_path, env={"MIGRATION_GUARD_SUPABASE": "off"})
    assert "table-without-rls" not in {f["rule"] for f in json.loads(from_env.stdout)["findings"]}
    # A bad setting is one clear line, exit 2.
    (tmp_path / "migration-guard.toml").write_text('migrations-dir = "db/migrations"\nsupabase = "maybe"\n')
    bad = cli(cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("migration-guard: error: ") and len(bad.stderr.splitlines()) == 1


def test_earlier_file_that_does_not_parse_is_named_in_a_note(tmp_path: Path) -> None:
    folder = project(
        tmp_path,
        {
            "20240101000000_broken.sql": "-- intent: x\ncreate table public.a (id bigint,,);\n",
            "20240102000000_next.sql": "-- intent: y\nselect 1;\n",
        },
    )
    proc = cli(str(folder / "20240102000000_next.sql"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert f"note: {folder / '20240101000000_broken.sql'}:2: does not parse" in proc.stdout
    assert "error[syntax-error]" not in proc.stdout  # only the named file is reported


def test_github_format_caps_annotations_at_ten_per_level_and_says_so(tmp_path: Path) -> None:
    columns = ", ".join(f"c{i} text" for i in range(12))
    drops = "".join(f"alter table public.wide drop column c{i};\n" for i in range(12))
    project(
        tmp_path,
        {
            "20240101000000_wide.sql": "-- intent: wide\n"
            f"create table public.wide (id bigint primary key, {columns});\n"
            "alter table public.wide enable row level security;\n"
            "create policy p on public.wide for select to authenticated using (true);\n",
            "20240102000000_drops.sql": f"-- intent: drops\n{drops}",
        },
    )
    proc = cli("--format", "github", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 10
    notice = next(line for line in lines if line.startswith("::notice::"))
    assert "2 more errors not shown" in notice
    assert lines[-1].startswith("12 errors, ")


def test_pg_version_setting_gives_version_dependent_advice(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "20240101000000_users.sql": INIT,
            "20240102000000_plan.sql": "-- intent: plans\nalter table public.users add column plan text default 'x';\n",
        },
    )
    (tmp_path / ".git").mkdir()  # the settings file is looked up to the repository root

    def rules() -> list[str]:
        proc = cli("--format", "json", cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        return [f["rule"] for f in json.loads(proc.stdout)["findings"]]

    assert "add-column-volatile-default" not in rules()  # a constant default is stored once (11+)
    (tmp_path / "migration-guard.toml").write_text("pg-version = 10\n")
    assert "add-column-volatile-default" in rules()  # before 11 it rewrites the table


def test_json_report_is_the_same_bytes_written_as_bytes_or_as_text(dropping: Path) -> None:
    # A plain UTF-8 stdout gets the report's bytes straight from orjson; any other encoding gets it as
    # text (utf-8-sig: the same UTF-8 after a BOM). Both must be byte for byte the same report.
    def lint_json(encoding: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "migration_guard", "lint", "--format", "json"],
            cwd=dropping,
            capture_output=True,
            env={**os.environ, "PYTHONIOENCODING": encoding},
            timeout=120,
        )

    as_bytes, as_text = lint_json("utf-8"), lint_json("utf-8-sig")
    assert as_bytes.returncode == as_text.returncode == 1
    assert as_text.stdout.startswith(codecs.BOM_UTF8)
    assert as_bytes.stdout == as_text.stdout.removeprefix(codecs.BOM_UTF8)
    assert [f["rule"] for f in json.loads(as_bytes.stdout)["findings"]] == ["drop-column"]
