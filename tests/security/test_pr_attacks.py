"""Attacks by a fork's pull request on the PR check itself (not the sandbox): hostile file names,
SQL text, object names and comments that would hide a finding, forge what the check recorded, or
talk to the runner. One test per attack; each failed before its fix (the docstring says how). The
real action entrypoint as a subprocess, a real git workspace, the real dry run, and the real
PyGithub against tests/fake_github.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pr_check_harness import DROP_COLUMN, MIGRATIONS, PR, REPO, open_pull, run_check

from deploy_harness import CLEAN, Deploy, deploy
from fake_github import FakeGitHub, fake_github
from migration_guard.dryrun.local import find_bin_dir
from migration_guard.dryrun.providers import guard_available

__all__ = ["deploy", "fake_github"]


def test_a_migration_with_a_non_ascii_name_is_still_checked(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: `git diff --name-only` quotes names with non-ASCII bytes ("…caf\\303\\251.sql"), so
    the quoted line matched no file and the check said "no migration changes" and passed, while the
    Supabase CLI applies `20240201000000_café.sql` like any other migration."""
    name = f"{MIGRATIONS}/20240201000000_café.sql"
    pull = open_pull(tmp_path, fake_github, {name: DROP_COLUMN})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert check.outputs["verdict"] == "fail"
    assert f"::error file={name},line=2" in check.stdout
    assert "drop-column" in fake_github.comments(REPO, PR)[0]["body"]


def test_a_file_name_cannot_inject_workflow_commands_through_the_error_line(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Before: an error naming a path (here a dangling symlink, which git commits as it is) was
    printed raw as `migration-guard: error: …` on stderr, which the runner reads for workflow
    commands too: the file name's newline put `::stop-commands::` at the start of a line, and the
    runner would then ignore our annotations (and the next lines forged an error annotation)."""
    name = f"{MIGRATIONS}/20240201000000_x\n::stop-commands::pwned\n::error file=README.md::forged\n.sql"
    pull = open_pull(tmp_path, fake_github, {}, symlinks={name: "/nonexistent/target.sql"})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 2, check.stdout + check.stderr
    assert check.outputs["verdict"] == "fail"
    commands = check.commands()
    assert not [c for c in commands if c.startswith(("::stop-commands", "::error file=README"))], commands
    assert len(check.stderr.strip().splitlines()) == 1, check.stderr  # one line, as every error
    assert "symlink to a missing file" in check.stderr


def test_a_pull_request_cannot_unexpose_a_schema_to_hide_a_table_without_rls(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Before: the check read `[api] schemas` from the pull request's own supabase/config.toml, so a
    PR that also set `schemas = ["graphql_public"]` made its table without row level security in
    `public` pass (table-without-rls only looks at exposed schemas). The exposed schemas are now those
    of the base and the head together: a PR can add exposure to its own check, never remove it."""
    table = "-- intent: keys\ncreate table public.api_keys (id bigint primary key, k text);\n"
    pull = open_pull(tmp_path, fake_github, {
        f"{MIGRATIONS}/20240201000000_keys.sql": table,
        "supabase/config.toml": '[api]\nschemas = ["graphql_public"]\n',
    })
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"::error file={MIGRATIONS}/20240201000000_keys.sql,line=2,col=1,title=migration-guard table-without-rls::" \
        in check.stdout


HOSTILE_TEXT = """\
-- intent: talk to the runner
create table public."b
::error file=README.md::forged by an identifier" (id bigint primary key);
do $$ begin raise exception E'x\\n::stop-commands::pwned\\n::error file=README.md::forged by RAISE'; end $$;
"""


def test_the_cli_in_a_workflow_does_not_pass_workflow_commands_through(tmp_path: Path) -> None:
    """Before: `migration-guard check` (the CLI, run as a workflow step) printed the object names and
    the server's error text of the PR's SQL as they are, so a quoted identifier or a RAISE message
    with a newline put `::stop-commands::` or a forged `::error` at the start of a line of the log.
    With GITHUB_ACTIONS=true such a line is now escaped (a leading backslash); annotations the user
    asked for (`--format github`) are still commands."""
    from action_workspace import init_workspace

    root = tmp_path / "repo"
    init_workspace(root)
    (root / MIGRATIONS / "20240201000000_b.sql").write_text(HOSTILE_TEXT)
    env = {**os.environ, "GITHUB_ACTIONS": "true", "CI": "true"}
    for fmt in ("text", "markdown", "github"):
        proc = subprocess.run([sys.executable, "-m", "migration_guard", "check", "--base", "main", "--format", fmt],
                              cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = [ln.lstrip() for ln in (proc.stdout + "\n" + proc.stderr).splitlines()]
        forged = [ln for ln in lines if ln.startswith(("::stop-commands", "::error file=README"))]
        assert forged == [], (fmt, forged)
        assert "forged by RAISE" in proc.stdout or fmt == "github"  # still shown, escaped
    assert "::error file=supabase/migrations/20240201000000_b.sql,line=2" in proc.stdout  # --format github


def test_a_merged_file_name_cannot_inject_workflow_commands_into_the_deploy_log(deploy: Deploy) -> None:
    """Before: the deploy printed `applying <file> …` as it is. The Supabase CLI applies a file named
    `20240201000000_x\\r::stop-commands::…\\r….sql` (its pattern's `.` takes a CR), GitHub's file view
    shows nothing odd, and the runner splits log lines at CR: the name started workflow commands in
    the deploy job, the one with the production secrets."""
    name = "20240201000000_x\r::stop-commands::pwned\r::error file=README.md::forged.sql"
    (deploy.migrations / name).write_text(CLEAN)
    deploy.open_pull(7, checked=False)
    deploy.fake.add_check_comment(REPO, 7, MIGRATIONS, [deploy.migrations / name])  # a passing check saw it
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    deploy.end_to_end = True  # the real CLI, so its stdout is what the runner reads
    run = deploy.run()
    assert run.proc.returncode == 0, run.text
    assert deploy.ledger() == ["20240101000000", "20240201000000"]
    lines = [ln.lstrip() for ln in re.split(r"[\r\n]", run.text)]
    assert [ln for ln in lines if ln.startswith(("::stop-commands", "::error file=README"))] == []


HIDDEN_TABLE = """\
-- intent: a table nobody sees
do $$ begin execute format('create table %I.%I (id bigint primary key, secret text)', 'public', 'leak'); end $$;
create extension if not exists citext;
alter extension citext add table public.leak;
"""


@pytest.mark.skipif(not guard_available(find_bin_dir()), reason="needs mg_guard (make -C pgext install)")
def test_a_table_cannot_hide_from_the_report_as_an_extension_member(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: the dry run leaves extension members out of its affected objects and advisories (they
    are the extension's business), and `postgres` owns the extensions it creates, so it could
    `ALTER EXTENSION citext ADD TABLE public.leak`: a table in public, readable and writable by anon
    without row level security (made by dynamic SQL, which lint cannot read), was in no part of the
    report and the check passed. mg_guard now refuses ALTER EXTENSION … ADD outside an extension's
    script, so the migration fails at that line."""
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_leak.sql": HIDDEN_TABLE})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    body = fake_github.comments(REPO, PR)[0]["body"]
    assert "20240201000000\\_leak.sql:4:1** failed" in body
    assert "ALTER EXTENSION citext ADD is refused in the dry run" in body


def test_a_suppression_whose_reason_is_invisible_counts_as_no_reason(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: any text after `--` was a reason, so zero-width spaces and a Hangul filler suppressed
    an error-level finding (the check passed, the comment showed an empty reason). A reason needs a
    visible character, as the deploy's override reason does."""
    invisible = "\u200b\u200d\u3164\u2800"
    sql = f"-- intent: drop it\n-- migration-guard: allow drop-column -- {invisible}\n" \
          "alter table public.users drop column nickname;\n"
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_drop.sql": sql})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "title=migration-guard suppression-without-reason::" in check.stdout


def test_pr_text_in_the_comment_links_nowhere_and_references_no_other_issue(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Before: a RAISE message (or any PR text outside code) reached the bot's comment with bare URLs
    and issue references intact, which GitHub turns into links: a phishing link posted with the
    repository's own bot (`https://…`, `www.…`), and `other/repo#12` / `#34` / `GH-56` references that
    put a "mentioned this" backlink into other issues, also in other repositories. Links and
    references get a zero-width joiner (as mentions already did); the text still reads the same."""
    raise_sql = ("-- intent: x\ndo $$ begin raise exception 'log in again at https://evil.example/login "
                 "or www.evil.example, see acme/other#12, #34 and GH-56'; end $$;\n")
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_x.sql": raise_sql})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    for body in (fake_github.comments(REPO, PR)[0]["body"], check.summary):
        assert "log in again at" in body
        for raw in ("https://evil", "www.evil", "other#12", "#34", "GH-56"):
            assert raw not in body.replace("\\", ""), raw


def _outside_code(markdown: str) -> str:
    """What GitHub would render as text: fenced blocks, <code> elements and code spans removed."""
    text = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", markdown, flags=re.S)
    text = re.sub(r"<code>.*?</code>", "", text, flags=re.S)
    return re.sub(r"(?<!\\)(`+)(?!`).+?(?<!`)\1(?!`)", "", text)


def test_the_review_checklist_cannot_ping_a_team_or_load_an_image(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: the "Review carefully" checklist (shown for a file without `-- intent:`, which the PR
    decides) put table names and co-author trailers between bare backticks: a table named
    "a` @acme/admins <img src=//evil.example/t> `b" closed the code span, so the bot's comment pinged
    a whole team and loaded a tracking image; a `Co-authored-by: Claude @acme/owners` trailer in a
    commit message did the same. Both now go through report.escape like the rest of the report."""
    sql = 'create table public."a` @acme/admins <img src=//evil.example/t> `b" (id bigint primary key);\n'
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_t.sql": sql})
    from pr_check_harness import git

    (pull.root / "README.md").write_text("x\n")
    git(pull.root, "add", "-A")
    git(pull.root, "commit", "-q", "-m", "docs\n\nCo-authored-by: Claude @acme/owners <claude@evil.example>")
    pull.head = git(pull.root, "rev-parse", "HEAD")
    (pull.root / MIGRATIONS / "20240201000000_t.sql").write_text(sql + "-- touched\n")
    git(pull.root, "commit", "-q", "-am", "touch\n\nCo-authored-by: Claude @acme/owners <claude@evil.example>")
    pull.head = git(pull.root, "rev-parse", "HEAD")
    fake_github.pulls[(REPO, PR)].head_sha = pull.head
    run_check(pull, fake_github, tmp_path)
    body = fake_github.comments(REPO, PR)[0]["body"]
    assert "Review carefully" in body and "co-authored by" in body
    text = _outside_code(body)
    assert "@acme/admins" not in text and "@acme/owners" not in text
    assert "<img" not in text.lower()


def test_a_merged_migration_cannot_write_markup_into_the_deploy_summary(deploy: Deploy) -> None:
    """Before: the deploy's step summary quoted the target server's error text (a RAISE in the merged
    SQL) and the file names as they are: raw HTML, links and mentions in the job's summary, which
    could forge what was applied. Now through report.escape like the check's report."""
    sql = ("-- intent: fail\ndo $$ begin raise exception "
           "'<img src=//evil.example/t> [applied](https://evil.example) @acme/admins'; end $$;\n")
    deploy.add("20240201000000", "fail", sql)
    deploy.open_pull(7)
    deploy.fake.add_review(REPO, 7, "alice", "APPROVED")
    deploy.protect()
    run = deploy.run()
    assert run.proc.returncode == 1, run.text
    assert "evil.example" in run.summary
    text = _outside_code(run.summary)
    assert "<img" not in text and "[applied](" not in text and "@acme/admins" not in text


def test_deleting_config_toml_does_not_turn_the_supabase_rules_off(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: `supabase: auto` (the default) decided from the pull request's own checkout, so a PR
    that deleted supabase/config.toml (in a project whose SQL names no Supabase role) turned every
    Supabase rule off and its table without row level security passed. The base's config.toml
    counts too."""
    init = "-- intent: users\ncreate table public.users (id bigint primary key, email text);\n" \
           "alter table public.users enable row level security;\n"
    table = "-- intent: keys\ncreate table public.api_keys (id bigint primary key, k text);\n"
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_keys.sql": table}, init=init,
                     removed=("supabase/config.toml",))
    assert not (pull.root / "supabase" / "config.toml").exists()
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "title=migration-guard table-without-rls::" in check.stdout


def test_a_change_behind_a_migration_symlink_is_checked(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: a migration that is a symlink to a file elsewhere in the repository (allowed: it stays
    inside) was checked only when the link itself changed. A PR editing just the target changed what
    the migration runs, and the check said "no migration changes" and passed."""
    from pr_check_harness import git

    pull = open_pull(tmp_path, fake_github, {})
    root = pull.root
    git(root, "checkout", "-q", "main")
    (root / "sql").mkdir()
    (root / "sql" / "notes.sql").write_text("-- intent: notes\nalter table public.users add column note text;\n")
    (root / MIGRATIONS / "20240102000000_notes.sql").symlink_to("../../sql/notes.sql")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a migration kept elsewhere")
    pull.base = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-B", "feature")
    (root / "sql" / "notes.sql").write_text(DROP_COLUMN)
    git(root, "commit", "-q", "-am", "only the target changes")
    pull.head = git(root, "rev-parse", "HEAD")
    fake_github.add_pull(REPO, PR, head_sha=pull.head, base_sha=pull.base, head_repo="mallory/app")
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"::error file={MIGRATIONS}/20240102000000_notes.sql,line=2" in check.stdout


DECOY = """\
-- intent: lookup tables
-- migration-guard: allow table-without-rls -- public lookup data, read-only for anon by design
create table public."x leak y" (id bigint primary key);
do $$ begin execute format('create table %I.%I (id bigint primary key, secret text)', 'public', 'leak'); end $$;
"""


def test_a_decoy_finding_cannot_swallow_the_advisory_of_another_table(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: an advisory was dropped as a duplicate when a lint finding of its twin rule mentioned
    the object's name anywhere in its message. A suppressed finding on a decoy table named
    "x leak y" contains the word `leak`, so the advisory for `public.leak` (made by dynamic SQL, no
    RLS, anon-writable) vanished, even with the advisory configured to block. Now the finding must
    name exactly that table."""
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_x.sql": DECOY})
    check = run_check(pull, fake_github, tmp_path, **{"rule-severity": "rls-disabled-in-exposed-schema=error"})
    assert check.returncode == 1, check.stdout + check.stderr
    assert "title=migration-guard rls-disabled-in-exposed-schema::public.leak is in an API-exposed schema" \
        in check.stdout


def test_a_table_dropped_by_dynamic_sql_blocks_the_check(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: lint cannot read `EXECUTE format('drop table %I.%I', …)`, and the dry run only listed
    `public.users` under "Affected objects → dropped": the check passed (and the deploy's lint-only
    findings gate would apply it). A table or column that existed before the new migrations and is
    gone after them, which no lint finding names, is now a blocking drop-table / drop-column finding
    of the dry run, suppressible with a reason like any other."""
    sql = "-- intent: cleanup\ndo $$ begin execute format('drop table %I.%I', 'public', 'users'); end $$;\n"
    pull = open_pull(tmp_path, fake_github, {f"{MIGRATIONS}/20240201000000_x.sql": sql})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"::error file={MIGRATIONS}/20240201000000_x.sql,line=1,col=1,title=migration-guard drop-table::" \
        in check.stdout
    body = fake_github.comments(REPO, PR)[0]["body"]
    assert "`drop-table` on `public.users`" in body

    column = "-- intent: x\ndo $$ begin execute 'alter table public.users drop column ' || 'nickname'; end $$;\n"
    pull2 = open_pull(tmp_path / "2", fake_github, {f"{MIGRATIONS}/20240201000000_x.sql": column})
    check2 = run_check(pull2, fake_github, tmp_path / "2")
    assert check2.returncode == 1, check2.stdout + check2.stderr
    assert "title=migration-guard drop-column::" in check2.stdout


def test_a_file_name_cannot_close_the_hidden_pins_comment(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Before: the pins marker at the end of the comment is JSON inside an HTML comment, with the
    file names as they are: a migration named `…x--> @octocat <img src=x>.sql` closed the HTML
    comment early, and the rest of the name was rendered as Markdown and HTML (a mention that pings,
    an image). `<` and `>` are now JSON-escaped in the marker; the deploy still reads it."""
    from migration_guard.pinning import Pins

    name = f"{MIGRATIONS}/20240201000000_x--> @octocat <img src=x>.sql"
    sql = "-- intent: notes\nalter table public.users add column note text;\n"
    pull = open_pull(tmp_path, fake_github, {name: sql})
    check = run_check(pull, fake_github, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    body = fake_github.comments(REPO, PR)[0]["body"]
    rendered = _outside_code(re.sub(r"<!--.*?-->", "", body, flags=re.S))  # HTML ends a comment at the first -->
    assert "@octocat" not in rendered and "<img" not in rendered
    pins = Pins.from_comment(body)
    assert pins is not None and pins.verdict == "pass" and list(pins.files) == [Path(name).name]
