"""Hostile SQL from a fork's pull request, checked inside the action's real image as the runner runs it
(see conftest.py): the workspace mounted at /github/workspace (its .git/config holding the checkout
token, as actions/checkout leaves it with persist-credentials), the token in INPUT_GITHUB-TOKEN and in
the workflow's GITHUB_TOKEN, the Docker socket mounted, host networking.

Each attack is one PR migration. The check must fail on it with the refusal named at file:line in the
sticky comment; nothing may be written to the workspace but the action's own audit folder; the token
(and its base64 header form) may appear in no output, comment, summary or artifact; and no dry-run
server may outlive the container. While the container runs, its processes are watched from the host
(its cgroup): the dry-run server is seen, its environment holds no token, and it is gone afterwards.

Also in the image: runaway SQL ends on its limit (statement timeout, its watchdog, temp files, data
growth), the runner's cancel stops the check, and, as defence in depth, even the dry-run server's
superuser (reached from the host through the container's socket) cannot touch the workspace: the
Landlock confinement holds under Docker's seccomp profile.

Fork-like, but with a token that may comment (a repository that sends write tokens to fork PRs): so
the comment itself is checked for leaks too. On `pull_request_target` the action refuses forks
outright (tests/commands/test_action.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from action_workspace import init_workspace
from container.conftest import ActionRun, ActionRunner, docker, leftover_containers, root_owned
from container.test_action_in_container import REPO, audit_records, commit, git, runner
from fake_github import FakeGitHub, fake_github_server
from migration_guard.dryrun.server import DRYRUN_DB
from migration_guard.pinning import Pins
from runner_files import parse_outputs, pull_request_event

__all__ = ["runner"]  # fixtures shared with test_action_in_container.py

FORK = "mallory/app"
PR = 9
TOKEN = "ghp_" + "MgTestTokenThatMustNeverLeak01234567"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()  # actions/checkout's extraheader
CHANGE = "supabase/migrations/20240201000000_change.sql"
INIT = """\
-- intent: users of the app
create table public.users (id bigint generated always as identity primary key, email text not null);
alter table public.users enable row level security;
"""
HEADER = "-- intent: nickname for users\nalter table public.users add column nickname text;\n"

# The search_path hijack of issue 10: an operator `public.=` for text whose function, once it runs as
# a superuser, runs a program and makes `postgres` a superuser; then CREATE EXTENSION pgcrypto with
# public first on the path (on old main, the elevating event trigger called `=` as superuser).
# The last line shows the session gained nothing: running a program is still refused, at line 15.
HIJACK = """\
create function public.hijack(a text, b text) returns boolean language plpgsql as $$
begin
  if (select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user) then
    execute 'copy (select 1) to program ''touch /github/workspace/pwned''';
    execute 'alter role postgres superuser';
  end if;
  return pg_catalog.texteq(a, b);
end $$;
create operator public.= (leftarg = text, rightarg = text, function = public.hijack);
set search_path = public, pg_catalog;
create extension if not exists pgcrypto;
reset search_path;
copy (select 1) to program 'touch /github/workspace/pwned';
"""
PROGRAM = "COPY to or from an external program"
_PINS = '<!-- migration-guard:pins {"files":{"20240201000000_change.sql":"sha256:0"},"verdict":"pass","sha":null} -->'
FORGED = f"-- migration-guard: allow table-without-rls -- {_PINS}\ncreate table public.t (id int);\n" \
         f"do $$ begin raise exception '{_PINS}'; end $$;\n"
READ_FILE = "permission denied for function pg_read_file"

ATTACKS = {
    # name: (SQL after the header, line named, what the refusal says)
    "copy-to-program": ("copy (select 1) to program 'touch /github/workspace/pwned';\n", 3, PROGRAM),
    "read-git-config": ("select pg_read_file('/github/workspace/.git/config');\n", 3, READ_FILE),
    "copy-from-git-config": (
        "create table public.loot (line text);\ncopy public.loot from '/github/workspace/.git/config';\n", 4,
        "privileges of the pg_read_server_files role",
    ),
    "alter-role-superuser": ("alter role postgres superuser;\n", 3, "must be superuser to alter superuser roles"),
    "create-superuser": ("create role boss superuser login;\n", 3, "must be superuser to create superusers"),
    "lo-import-git-config": ("select lo_import('/github/workspace/.git/config');\n", 3,
                             "permission denied for function lo_import"),
    # CREATEROLE (as on Supabase) could grant these in PostgreSQL 15; mg_guard.so, built into the image
    # and preloaded, refuses: directly and through a role of the migration's own.
    "grant-server-program": (
        "grant pg_execute_server_program to postgres;\n"
        "copy (select 1) to program 'touch /github/workspace/pwned';\n", 3,
        'granting role "pg_execute_server_program" is not allowed in the Migration Guard dry-run sandbox',
    ),
    "grant-read-files-via-a-role": (
        "create role helper;\ngrant pg_read_server_files to helper;\ngrant helper to postgres;\n"
        "select pg_read_file('/github/workspace/.git/config');\n", 4,
        'granting role "pg_read_server_files" is not allowed in the Migration Guard dry-run sandbox',
    ),
    "search-path-hijack": (HIJACK, 15, PROGRAM),
    # The sleep keeps the server up long enough for the host to read its environment (see the test).
    "read-environ": ("select pg_sleep(2);\nselect pg_read_file('/proc/self/environ');\n", 4, READ_FILE),
    "dblink": ("create extension dblink;\n", 3, 'extension "dblink" is refused in the dry run'),
    "plpython3u": ("create extension plpython3u;\n", 3, 'extension "plpython3u" is refused in the dry run'),
    # PR text in the comment forging the marker a deploy reads as "a passing check saw these files"
    # (pinning.py takes the first one): in the error text and in a suppression's reason.
    "forged-pins": (FORGED, 5, "&lt;!-- migration-guard:pins"),  # shown, escaped
}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github_server() as fake:
        fake.add_repo(REPO)
        fake.valid_tokens = {TOKEN}  # the action really holds and uses the token it must not leak
        yield fake


def fork_event(base: str, head: str) -> dict[str, object]:
    return pull_request_event(REPO, PR, base, head, FORK, action="opened", user="mallory")


def checkout(ws: Path) -> str:
    """main with one migration, checked out as actions/checkout leaves it (token in .git/config)."""
    base = init_workspace(ws, INIT, {"README.md": "app\n"}, run_git=git)
    git(ws, "remote", "add", "origin", f"https://github.com/{REPO}")
    git(ws, "config", "--local", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {BASIC}")
    return base


def fork_pull(ws: Path, github: FakeGitHub, sql: str, message: str) -> tuple[str, str]:
    """Mallory's pull request `PR` from a fork: `checkout`'s main plus one migration, HEADER + `sql`,
    committed with `message`; returns its (base, head) commits."""
    base = checkout(ws)
    git(ws, "checkout", "-q", "-b", "feature")
    head = commit(ws, {CHANGE: HEADER + sql}, message)
    github.add_pull(REPO, PR, head_sha=head, base_sha=base, head_repo=FORK, user="mallory")
    return base, head


def snapshot(ws: Path) -> dict[str, str]:
    """Every file of the workspace but git's own bookkeeping (the index, which `git diff` refreshes)."""
    found = {}
    for folder, dirs, files in os.walk(ws):
        for name in (*dirs, *files):
            path = Path(folder, name)
            rel = str(path.relative_to(ws))
            if rel == ".git/index":
                continue
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


# --- the container's processes, seen from the host ------------------------------------------------


def processes_in(container_id: str) -> dict[int, str]:
    """pid → command name of every host process in the container's cgroup."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if container_id in Path(entry.path, "cgroup").read_text():
                found[int(entry.name)] = Path(entry.path, "comm").read_text().strip()
        except OSError:
            continue  # ended meanwhile
    return found


def server_args(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")


class ServerGone(Exception):
    """The postmaster a probe was given exited before it answered."""


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def is_postmaster(pid: int) -> bool:
    try:
        return "-k" in server_args(pid)
    except OSError:
        return False


def siblings_of(container_id: str) -> list[str]:
    """Dry-run containers (the Docker provider's) in this action container's network namespace: none
    may be left. Only this run's: other sessions on the engine may be running their own."""
    return [name for name in leftover_containers()
            if docker("inspect", "--format", "{{.HostConfig.NetworkMode}}", name, check=False).stdout.strip()
            == f"container:{container_id}"]


@dataclass
class Watched:
    run: ActionRun
    container_id: str
    # pid → environment of each dry-run server process seen while it ran: a postmaster (its command
    # line names a data folder) and the processes it forked. Not one-shot `postgres --version` probes,
    # which run no SQL.
    servers: dict[int, bytes]
    probed: dict[str, str]  # what the probe returned


def run_watched(
    runner: ActionRunner, inputs: dict[str, str], base: str, head: str,
    probe: Callable[[int, str], dict[str, str]] | None = None, wait: float = 600,
) -> Watched:
    """Run the action detached and watch its container's processes from the host until it exits.
    ``probe``: called once with the first dry-run postmaster's pid and the container's id, in the
    watching thread."""
    name = f"mg-hostile-{os.getpid()}-{int(time.monotonic() * 1000)}"
    proc = runner.run(inputs, "pull_request", fork_event(base, head), head, f"refs/pull/{PR}/merge", token=TOKEN,
                      name=name, detach=True, extra_env={"GITHUB_TOKEN": TOKEN})
    assert isinstance(proc, subprocess.Popen)
    ids: list[str] = []
    servers: dict[int, bytes] = {}
    postmasters: set[int] = set()
    probed: dict[str, str] = {}
    probed_servers: set[int] = set()

    def watch() -> None:
        while proc.poll() is None:
            if not ids:
                found = docker("inspect", "--format", "{{.Id}}", name, check=False).stdout.strip()
                if found:
                    ids.append(found)
            if ids:
                for pid, comm in processes_in(ids[0]).items():
                    if comm == "postgres" and pid not in servers:
                        with contextlib.suppress(OSError):
                            if is_postmaster(pid):
                                postmasters.add(pid)
                            elif parent(pid) not in postmasters:
                                continue  # a one-shot probe, or a child seen before its postmaster
                            servers[pid] = Path(f"/proc/{pid}/environ").read_bytes()
                        if probe is not None and not probed and pid not in probed_servers and is_postmaster(pid):
                            probed_servers.add(pid)
                            try:
                                probed.update(probe(pid, ids[0]))
                            except ServerGone:
                                pass  # a server that only prepared a data folder: probe the next one
                            except Exception as exc:  # reported by the test, not lost in this thread
                                probed["error"] = repr(exc)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.monotonic()
    stdout, stderr = proc.communicate(timeout=wait)
    seconds = time.monotonic() - start
    watcher.join(timeout=30)
    [outputs_file] = runner.file_commands.glob("set_output_*")
    [summary_file] = runner.file_commands.glob("step_summary_*")
    run = ActionRun(proc.returncode, stdout, stderr, parse_outputs(outputs_file.read_text()),
                    summary_file.read_text(), seconds,
                    [runner.workspace, runner.home, runner.workflow, runner.file_commands])
    assert ids, f"the container {name} was never seen running: {stderr[-2000:]}"
    return Watched(run, ids[0], servers, probed)


def leaks(text: str) -> list[str]:
    return [form for form in (TOKEN, BASIC) if form in text]


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_hostile_fork_pr_is_refused_in_the_image_and_reaches_nothing(
    runner: ActionRunner, github: FakeGitHub, attack: str
) -> None:
    sql, line, refusal = ATTACKS[attack]
    ws = runner.workspace
    base, head = fork_pull(ws, github, sql, f"innocent: {attack}")
    before = snapshot(ws)

    watched = run_watched(runner, {"sarif-file": "reports/migration-guard.sarif"}, base, head)
    run = watched.run

    # The check fails on the refusal, named at file:line; not a crash, not a pass.
    assert run.returncode == 1, run.text[-3000:]
    assert "Traceback" not in run.text
    assert run.outputs["verdict"] == "fail" and int(run.outputs["blocking-count"]) >= 1
    [comment] = github.comments(REPO, PR)
    body = str(comment["body"]).replace("\\_", "_")  # markdown escapes underscores
    assert f"20240201000000_change.sql:{line}:1** failed" in body, body[-3000:]
    assert refusal in body
    assert refusal in run.summary.replace("\\_", "_")
    assert f"::error file={CHANGE},line={line}," in run.stdout  # on the diff too
    pins = Pins.from_comment(str(comment["body"]))  # what a deploy reads: this check's own, failed
    assert pins is not None and pins.verdict == "fail" and pins.sha == head, pins

    # Nothing written to the workspace but the action's own audit folder and SARIF file.
    after = snapshot(ws)
    assert {k: v for k, v in after.items() if k in before} == before
    added = sorted(set(after) - set(before))
    assert all(p.split("/")[0] in ("migration-guard-audit", "reports") for p in added), added
    for root in run.mounted:
        assert not list(root.rglob("pwned")), root
    assert root_owned(*run.mounted) == []

    # The token was used (the fake accepts only it) and leaked nowhere: the logs (bar the runner's
    # ::add-mask:: commands, which it consumes), the summary, the outputs, anything sent to GitHub,
    # and every artifact the action wrote.
    assert github.requests and all(r.headers.get("Authorization") == f"token {TOKEN}" for r in github.requests)
    assert f"::add-mask::{TOKEN}" in run.stdout
    shown = "\n".join(line for line in run.text.splitlines() if not line.startswith("::add-mask::"))
    assert leaks(shown) == [] and leaks(run.summary) == [] and leaks(str(run.outputs)) == []
    assert all(leaks(str(r.body)) == [] for r in github.requests)
    artifacts = [p for p in (ws / "migration-guard-audit").rglob("*") if p.is_file()]
    artifacts.append(ws / "reports" / "migration-guard.sarif")
    assert len(artifacts) >= 3, artifacts  # the JSON report, the audit log, the SARIF
    for path in artifacts:
        assert leaks(path.read_text()) == [], path
    for root in run.mounted:  # nor anywhere else in the runner's folders but where checkout put it
        for path in root.rglob("*"):
            if path.is_file() and path != ws / ".git" / "config":
                assert leaks(path.read_bytes().decode(errors="replace")) == [], path
    assert BASIC in (ws / ".git" / "config").read_text()  # the leak checks above look for something real
    [record] = audit_records(ws, run.outputs)
    assert record["verdict"] == "fail" and record["pull_request"] == PR

    # No dry-run server outlives the container: nothing left in its cgroup, no sibling container.
    assert processes_in(watched.container_id) == {}
    assert siblings_of(watched.container_id) == []
    if attack == "read-environ":
        # Seen from the host while it slept: the server's own environment carries no token, no input.
        assert watched.servers, "the dry-run server was not seen running"
        assert any(env.startswith(b"PATH=") for env in watched.servers.values())  # a real one was read
        for environ in watched.servers.values():
            assert TOKEN.encode() not in environ and b"INPUT_" not in environ and b"GITHUB_" not in environ


def test_with_a_forks_read_only_token_the_refusal_is_in_the_summary_and_annotations(
    runner: ActionRunner, github: FakeGitHub
) -> None:
    """GitHub's default for a fork's `pull_request`: the token cannot comment. The report goes to the
    step summary and the annotations; the failed comment is a warning that leaks nothing."""
    github.forbid_writes(REPO)
    sql, line, refusal = ATTACKS["copy-to-program"]
    ws = runner.workspace
    base, head = fork_pull(ws, github, sql, "innocent")

    run = run_watched(runner, {}, base, head).run
    assert run.returncode == 1, run.text[-3000:]
    assert "Traceback" not in run.text
    assert run.outputs["verdict"] == "fail" and run.outputs["comment-url"] == ""
    assert github.comments(REPO, PR) == [] and github.requests_to("POST", f"/repos/{REPO}/issues/{PR}/comments")
    summary = run.summary.replace("\\_", "_")
    assert f"20240201000000_change.sql:{line}:1** failed" in summary and refusal in summary
    [annotation] = [x for x in run.stdout.splitlines() if "title=migration-guard dry run failed" in x]
    assert annotation.startswith(f"::error file={CHANGE},line={line},col=1,") and refusal in annotation
    [warning] = [x for x in run.stdout.splitlines() if x.startswith("::warning") and "comment" in x]
    assert "could not post the report comment" in warning and "fork pull request" in warning, warning
    shown = "\n".join(x for x in run.text.splitlines() if not x.startswith("::add-mask::"))
    assert leaks(shown) == [] and leaks(run.summary) == []
    assert not list(ws.rglob("pwned"))


# --- runaway SQL: each ends on its limit, inside the container ------------------------------------

LIMITS = {"dry-run-statement-timeout": "2s", "dry-run-disk-limit": "100MB"}
RUNAWAY = {
    # name: (SQL after the header, line named, what the report says)
    "endless-sleep": ("select pg_sleep(600);\n", 3, "dry-run limit reached: statement_timeout (2s)"),
    "timeout-turned-off": ("set statement_timeout = 0;\nselect pg_sleep(600);\n", 4, "stopped by the watchdog"),
    "endless-recursion": (
        "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r;\n", 3,
        "dry-run limit reached: statement_timeout (2s)",
    ),
    "temp-file-fill": (
        "create table public.big as select g, repeat('x', 2000) as pad from generate_series(1, 100000000) g;\n", 3,
        "dry-run limit reached: temp_file_limit (100MB)",
    ),
    "data-growth": (
        # One line: wherever in the loop the cancel lands (the INSERT or the loop), it is this line.
        "create table public.big (g int, pad text);\n"
        "do $$ begin for i in 1..100000 loop insert into public.big select g, repeat(md5(g::text), 64) "
        "from generate_series(1, 1000) g; end loop; end $$;\n", 4, "dry-run limit reached: disk limit (100MB)",
    ),
}
# The fills must meet their disk limits before the statement timeout, however loaded the machine.
CASE_LIMITS = {case: {"dry-run-statement-timeout": "5min"} for case in ("temp-file-fill", "data-growth")}


@pytest.mark.parametrize("case", list(RUNAWAY))
def test_runaway_pr_sql_ends_on_its_limit_in_the_image_and_leaves_no_server(
    runner: ActionRunner, github: FakeGitHub, case: str
) -> None:
    sql, line, limit = RUNAWAY[case]
    ws = runner.workspace
    base, head = fork_pull(ws, github, sql, f"innocent: {case}")

    watched = run_watched(runner, {**LIMITS, **CASE_LIMITS.get(case, {})}, base, head)
    run = watched.run

    assert run.returncode == 1, run.text[-3000:]
    assert "Traceback" not in run.text
    assert run.outputs["verdict"] == "fail"
    [comment] = github.comments(REPO, PR)
    body = str(comment["body"]).replace("\\_", "_")
    assert f"20240201000000_change.sql:{line}:1** failed" in body, body[-3000:]
    assert limit in body, [x for x in body.splitlines() if "failed" in x]
    assert watched.servers, "the dry-run server was not seen running"
    assert processes_in(watched.container_id) == {} and siblings_of(watched.container_id) == []


# --- the runner's cancel during a runaway dry run --------------------------------------------------


@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_a_cancelled_check_stops_at_once_in_the_image_and_leaves_no_server(
    runner: ActionRunner, github: FakeGitHub, sig: str
) -> None:
    """On a cancel the runner signals `docker run` (which forwards it to the action, PID 1 in its
    container) or stops the container (TERM, then KILL after a grace period). Either way the check
    stops while its migration still sleeps, its server goes with it, and it still writes what
    happened: summary, outputs and an audit record "cancelled" (exit 130), nothing root-owned."""
    ws = runner.workspace
    base, head = fork_pull(ws, github, "select pg_sleep(600);\n", "slow")
    signalled: list[str] = []

    def cancel(pid: int, container: str) -> dict[str, str]:
        del pid
        time.sleep(1)  # into the migration's sleep
        docker("kill", "--signal", sig, container)
        signalled.append(container)
        return {}

    watched = run_watched(runner, {"dry-run-statement-timeout": "10min"}, base, head, probe=cancel, wait=120)
    run = watched.run

    assert signalled, run.text[-3000:]
    assert run.returncode == 130, run.text[-3000:]
    assert "Traceback" not in run.text
    assert watched.servers, "the dry-run server was not seen running"
    assert processes_in(watched.container_id) == {} and siblings_of(watched.container_id) == []
    assert "::error title=migration-guard check cancelled::" in run.stdout
    assert "migration-guard: check cancelled" in run.stdout
    assert run.outputs["verdict"] == "cancelled" and "was cancelled" in run.summary
    record = audit_records(ws, run.outputs)[-1]
    assert (record["event"], record["outcome"], record["verdict"]) == ("check", "cancelled", "cancelled")
    assert root_owned(*run.mounted) == []


# --- defence in depth: even the dry-run server's superuser reaches nothing (Landlock) ------------

# What a read or write primitive found in the server would get: each must fail. Without the
# confinement the first four succeed (the workspace is world-readable, /proc/self and /tmp are the
# server's own to read and write), so this shows Landlock applied in the image, under Docker's seccomp.
SUPERUSER_PROBES = {
    "read .git/config": "select pg_read_file('/github/workspace/.git/config')",
    "list the workspace": "select count(*) from pg_ls_dir('/github/workspace')",
    "read its environment": "select pg_read_binary_file('/proc/self/environ')",
    "write outside its folder": "copy (select 'x') to '/tmp/mg-escaped'",
    "run a program into the workspace": "copy (select 1) to program 'touch /github/workspace/pwned'",
}


def superuser_probe(pid: int, container: str) -> dict[str, str]:
    """Connect to the running dry-run server as its superuser, through its socket as the host sees it
    (/proc/PID/root: the container's /tmp), and try each probe; the first line of each outcome."""
    del container
    args = server_args(pid)
    host = f"/proc/{pid}/root{args[args.index('-k') + 1]}"
    port = args[args.index("-p") + 1]
    deadline = time.monotonic() + 10
    while True:  # until it accepts connections (the socket appears before the server is ready)
        try:
            conn = psycopg.connect(host=host, port=port, user="supabase_admin", dbname=DRYRUN_DB,
                                   autocommit=True, connect_timeout=10)
            break
        except psycopg.OperationalError:
            if not Path(f"/proc/{pid}").exists():
                raise ServerGone(pid) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    outcome: dict[str, str] = {}
    with conn:
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (True,)
        for name, sql in SUPERUSER_PROBES.items():
            try:
                row = conn.execute(sql).fetchone() if sql.startswith("select") else conn.execute(sql)
                outcome[name] = f"succeeded: {row!r}"[:200]
            except psycopg.Error as exc:
                outcome[name] = str(exc).splitlines()[0]
    return outcome


def test_even_the_dry_run_servers_superuser_cannot_reach_the_workspace_in_the_image(
    runner: ActionRunner, github: FakeGitHub
) -> None:
    ws = runner.workspace
    # A slow but harmless migration keeps the dry-run server up while the host probes it.
    base, head = fork_pull(ws, github, "select pg_sleep(8);\n", "slow")

    watched = run_watched(runner, {}, base, head, probe=superuser_probe)

    assert "error" not in watched.probed, watched.probed
    assert set(watched.probed) == set(SUPERUSER_PROBES), watched.probed
    for name, outcome in watched.probed.items():
        assert not outcome.startswith("succeeded"), (name, outcome)
    assert "Permission denied" in watched.probed["read .git/config"]
    assert "Permission denied" in watched.probed["read its environment"]
    assert not list(ws.rglob("pwned"))
    assert watched.run.returncode == 0, watched.run.text[-3000:]  # the PR itself is harmless: it passes
    assert processes_in(watched.container_id) == {} and siblings_of(watched.container_id) == []
