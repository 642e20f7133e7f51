"""Attacks on the inputs, one test each: database URLs, secrets in errors, hostile SQL shapes, and
hostile migrations folders. The real CLI in a subprocess, a real PostgreSQL, real git folders.

Each failed on main before issue 10 (the docstrings say how).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from migration_guard.dryrun.local import LocalPostgres

PASSWORD = "Sekr3t-pw-Zq8"


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_", "PG")) and k != "DATABASE_URL"
    }
    env.update(extra)
    return env


def mg(cwd: Path, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", *map(str, args)],
        capture_output=True,
        text=True,
        env=env or _env(),
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        timeout=180,
    )


def _one_clean_line(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert "Traceback" not in out
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository with an empty supabase/migrations folder."""
    root = tmp_path / "repo"
    (root / "supabase" / "migrations").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _add(project: Path, name: str, sql: str) -> Path:
    path = project / "supabase" / "migrations" / name
    path.write_text(sql)
    return path


def _with_password(url: str, password: str) -> str:
    user, rest = url.split("://", 1)[1].split("@", 1)
    return f"postgresql://{user}:{quote(password, safe='')}@{rest}"


# --- the transaction-pooler refusal, for every form libpq accepts ---------------------------------

POOLER_FORMS = [
    pytest.param(f"host = db.example.invalid port = 6543 user = postgres password = {PASSWORD} dbname = postgres",
                 {}, id="keyword-dsn-spaces-around-equals"),
    pytest.param(f"host='db.example.invalid' port='6543' password='{PASSWORD} with spaces'", {}, id="quoted-values"),
    pytest.param(f"postgresql://postgres:{PASSWORD}@db1.example.invalid:5432,db2.example.invalid:6543/postgres",
                 {}, id="multi-host-url"),
    pytest.param("host=db1.example.invalid,db2.example.invalid port=5432,6543 dbname=postgres", {},
                 id="multi-host-dsn"),
    pytest.param("host=db.example.invalid pgbouncer = 'true' dbname=postgres", {}, id="dsn-pgbouncer-quoted"),
    pytest.param(f"postgresql://postgres:{PASSWORD}@db.example.invalid/postgres", {"PGPORT": "6543"}, id="PGPORT"),
    pytest.param("dbname=postgres", {"PGHOST": "db1.example.invalid,db2.example.invalid", "PGPORT": "5432,6543"},
                 id="PGHOST-PGPORT"),
]


@pytest.mark.parametrize(("url", "environ"), POOLER_FORMS)
def test_transaction_pooler_is_refused_in_every_form(project: Path, url: str, environ: dict[str, str]) -> None:
    """On main the URL was split on spaces and read with urlsplit: each of these forms got through
    to a connection attempt (and a transaction-mode pooler) instead of the refusal."""
    proc = mg(project, "status", "--database-url", url, env=_env(**environ))
    line = _one_clean_line(proc)
    assert "transaction-mode pooler" in line
    assert PASSWORD not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"postgresql://postgres:{PASSWORD}@db.example.invalid:99x/postgres", id="bad-port"),
        pytest.param(f"postgresql://postgres:{PASSWORD}@db.example.invalid:70000/postgres", id="port-out-of-range"),
        pytest.param(f"postgresql://postgres:{PASSWORD}@[::1/postgres", id="unclosed-bracket"),
    ],
)
@pytest.mark.parametrize("command", ["status", "apply"])
def test_malformed_url_is_one_clear_line(project: Path, url: str, command: str) -> None:
    """On main: `ValueError: Port could not be cast to integer value` / `Invalid IPv6 URL` tracebacks."""
    confirm = ["--yes"] if command == "apply" else []
    proc = mg(project, command, "--database-url", url, "--dir", "supabase/migrations", *confirm)
    line = _one_clean_line(proc)
    assert line.startswith("migration-guard: error: the database URL ")
    assert PASSWORD not in proc.stdout + proc.stderr


# --- secrets echoed back --------------------------------------------------------------------------


def test_password_echoed_by_the_driver_is_masked(tmp_path: Path) -> None:
    """On main `seed` printed libpq's message as is: `invalid sslmode value: "<the password>"`."""
    url = f"postgresql://postgres:{PASSWORD}@localhost:1/postgres?sslmode={PASSWORD}"
    proc = mg(tmp_path, "seed", "--synthetic", "1", "--database-url", url)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "invalid sslmode value" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_password_echoed_in_a_server_error_is_masked_in_plan(project: Path, pg_server: LocalPostgres) -> None:
    """On main `plan` printed the dry run's error text unredacted, password and all (here a
    migration quotes the dry-run server's password, URL-encoded in --postgres-url, into an error)."""
    password = "p@ss word/Zq8!"
    url = _with_password(pg_server.url("postgres"), password)
    _add(project, "20240101000000_leak.sql", f"select '{password}'::int;\n")
    proc = mg(project, "plan", "--postgres", "url", "--postgres-url", url, "--no-progress")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "invalid input syntax for type integer" in out
    assert password not in out and quote(password, safe="") not in out
    assert "Traceback" not in out


def test_basic_auth_token_in_an_error_is_masked(project: Path, pg_server: LocalPostgres) -> None:
    """On main the base64 of `x-access-token:<token>` (the header actions/checkout writes into
    .git/config) passed every filter: a migration that reads it back got it printed."""
    token = "ghs_" + "T0kenForTheCheckout" + "9" * 17
    header = "AUTHORIZATION: basic " + __import__("base64").b64encode(f"x-access-token:{token}".encode()).decode()
    _add(project, "20240101000000_leak.sql", f"select '{header}'::int;\n")
    proc = mg(project, "plan", "--postgres", "url", "--postgres-url", pg_server.url("postgres"), "--no-progress")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "AUTHORIZATION: basic ***" in out
    assert header.split()[-1] not in out and token not in out


def test_common_word_password_masks_the_password_not_the_word(project: Path, pg_url: str) -> None:
    """On main a password `postgres` was replaced everywhere: `applied 20240101000000_***_grants.sql`
    and the database `localhost/***`. Now only the password itself is masked."""
    url = _with_password(pg_url, "postgres")  # trust auth: the password is not checked
    _add(project, "20240101000000_postgres_grants.sql", "create table public.grants_for_postgres (id int);\n")
    proc = mg(project, "apply", "--database-url", url, "--dir", "supabase/migrations", "--yes")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "applied 20240101000000_postgres_grants.sql" in out
    dbname = pg_url.split("@/", 1)[1].split("?", 1)[0]
    assert f"localhost/{dbname}" in out
    # ... while the password in its position is still masked.
    proc = mg(project, "status", "--database-url", url.replace("?host=", "?sslmode=postgres&host="))
    assert "postgres:postgres@" not in proc.stdout + proc.stderr


# --- hostile SQL shapes ---------------------------------------------------------------------------

DEEP = "select " + "(select " * 200 + "1" + ")" * 200 + ";\n"


@pytest.mark.parametrize("command", [("plan", "--no-progress"), ("check", "--all", "--no-dry-run")])
def test_200_nested_subqueries_are_one_line(project: Path, command: tuple[str, ...]) -> None:
    """On main: `migration_guard.model.NodeTooDeep` escaped from the linter as a traceback."""
    _add(project, "20240101000000_deep.sql", "create table t (id int);\n" + DEEP)
    proc = mg(project, *command)
    line = _one_clean_line(proc)
    assert "supabase/migrations/20240101000000_deep.sql:2: statement nested too deeply" in line


def test_failed_concurrent_index_cleanup_spares_other_schemas(project: Path, pg_url: str) -> None:
    """On main the cleanup matched INVALID indexes by name or table name in any schema, so another
    session's failed build of `archive.items_email_key` during the deploy was dropped too."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for schema in ("public", "archive"):
            conn.execute(f"create schema if not exists {schema}")
            conn.execute(f"create table {schema}.items (email text)")
            conn.execute(f"insert into {schema}.items values ('a'), ('a')")
    _add(
        project,
        "20240101000000_unique.sql",
        "-- migration-guard: no-transaction\n"
        "create unique index concurrently items_email_key on public.items (email);\n",
    )
    writer = psycopg.connect(pg_url)  # holds a lock on public.items: our build waits, its index INVALID
    writer.execute("insert into public.items values ('b')")
    apply = subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "apply", "--database-url", pg_url, "--dir",
         "supabase/migrations", "--yes", "--lock-timeout", "60s"],
        cwd=project, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        with psycopg.connect(pg_url, autocommit=True) as other:
            # Wait (by state, not time) until our build registered its INVALID index and waits.
            for _ in range(600):
                if other.execute("select to_regclass('public.items_email_key')").fetchone() != (None,):
                    break
                other.execute("select pg_sleep(0.05)")
            # Another session's own build fails meanwhile, leaving archive.items_email_key INVALID.
            with pytest.raises(psycopg.errors.UniqueViolation):
                other.execute("create unique index concurrently items_email_key on archive.items (email)")
        writer.commit()
        out, err = apply.communicate(timeout=120)
    finally:
        writer.close()
        if apply.poll() is None:
            apply.kill()
    assert apply.returncode == 1, out + err
    assert "dropped index public.items_email_key" in out
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute(
            "select n.nspname from pg_index i join pg_class c on c.oid = i.indexrelid "
            "join pg_namespace n on n.oid = c.relnamespace where c.relname = 'items_email_key'"
        ).fetchall()
    assert rows == [("archive",)], "only the deploy's own INVALID index may be dropped"


def test_lock_timeout_names_the_statements_line(project: Path, pg_url: str) -> None:
    """On main a lock timeout (no error position) named the piece's first line: the comments above
    the statement, here line 1."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("create table busy (id int)")
    path = _add(
        project,
        "20240101000000_alter.sql",
        "-- intent: add a note\n-- the table is busy at noon\n\nalter table busy add column note text;\n",
    )
    holder = psycopg.connect(pg_url)
    try:
        holder.execute("lock table busy in access exclusive mode")
        proc = mg(project, "apply", "--database-url", pg_url, "--dir", "supabase/migrations", "--yes",
                  "--lock-timeout", "100ms", "--retries", "0")
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"failed: {path.relative_to(project)}:4: statement 1: canceling statement due to lock timeout" in proc.stdout


# --- hostile migrations folders -------------------------------------------------------------------


def _hostile(project: Path, kind: str, tmp_path: Path) -> Path:
    folder = project / "supabase" / "migrations"
    _add(project, "20240101000000_ok.sql", "create table ok (id int);\n")
    target = folder / "20240201000000_evil.sql"
    if kind == "symlink-outside":
        outside = tmp_path / "outside.sql"
        outside.write_text("create table stolen (secret text);\n")
        target.symlink_to(outside)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "dir":
        target.mkdir()
    return target


@pytest.mark.parametrize("kind", ["symlink-outside", "fifo", "dir"])
@pytest.mark.parametrize("command", [("lint",), ("check", "--all", "--no-dry-run")])
def test_hostile_entries_in_the_migrations_folder_are_errors(
    project: Path, tmp_path: Path, kind: str, command: tuple[str, ...]
) -> None:
    """On main a symlink out of the repository was read as a migration, and a FIFO or a folder
    named *.sql was skipped without a word."""
    target = _hostile(project, kind, tmp_path)
    proc = mg(project, *command)
    line = _one_clean_line(proc)
    assert str(target.relative_to(project)) in line
    assert "stolen" not in proc.stdout


def test_symlink_inside_the_repository_is_fine(project: Path) -> None:
    shared = project / "sql" / "shared.sql"
    shared.parent.mkdir()
    shared.write_text("create table shared (id int);\n")
    (project / "supabase" / "migrations" / "20240101000000_shared.sql").symlink_to(shared)
    proc = mg(project, "lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_failing_check_in_the_action_still_writes_summary_outputs_and_audit(project: Path, tmp_path: Path) -> None:
    """On main a check that stopped on bad input (here a FIFO in the migrations folder) left no
    step summary, no outputs and no audit record."""
    _hostile(project, "fifo", tmp_path)
    event, output, summary = tmp_path / "event.json", tmp_path / "output", tmp_path / "summary.md"
    event.write_text(json.dumps({"repository": {"full_name": "acme/app"}}))
    output.write_text("")
    summary.write_text("")
    env = _env(
        GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="workflow_dispatch", GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY="acme/app", GITHUB_SHA="0" * 40, GITHUB_REF="refs/heads/main",
        GITHUB_WORKSPACE=str(project), GITHUB_RUN_ID="77", GITHUB_RUN_ATTEMPT="1", GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary), **{"INPUT_COMMAND": "check", "INPUT_AUDIT-DIR": "audit"},
    )
    proc = mg(project, "action", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "20240201000000\\_evil.sql: a FIFO, not a regular file" in summary.read_text()
    assert "verdict<<" in output.read_text() and "fail" in output.read_text()
    [record] = [json.loads(line) for p in (project / "audit").glob("*.jsonl") for line in p.read_text().splitlines()]
    assert record["event"] == "check" and record["outcome"] == "failed"
    assert "20240201000000_evil.sql" in record["reason"]


def test_pr_check_example_leaves_no_token_in_the_checkout() -> None:
    """On main the PR example kept actions/checkout's default, which writes the token into
    .git/config (`AUTHORIZATION: basic …`) where the pull request's SQL runs next to it."""
    import yaml

    root = Path(__file__).resolve().parents[2] / "workflows-examples"
    [job] = yaml.safe_load((root / "pr-check.yml").read_text())["jobs"].values()
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
