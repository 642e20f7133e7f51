"""The dry run's advisories are rules like the lint rules (issue 13, "One rule system"): listed by
`rules`, documented in docs/rules.md, located at the statement that made them, suppressible inline
with a reason, and configured by `disable` / `severity` / `exclude` — through the real CLI, on the
session's real PostgreSQL (``--postgres url``: each run creates and drops its own database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from migration_guard.dryrun.advisories import SAME_AS_LINT, checks, collect
from migration_guard.dryrun.local import LocalPostgres
from migration_guard.linter import lint
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import LintOptions
from migration_guard.rules.base import Rule
from migration_guard.rules.registry import all_rules, dry_run_rules, get_rule

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
ADVISORY_IDS = set(checks(("public",), supabase=True))

BASE = "-- intent: parents\ncreate table public.parents (id bigint generated always as identity primary key);\n"
KIDS = """\
-- intent: kids
create table public.kids (id bigint generated always as identity primary key, parent_id bigint not null);

{comment}alter table public.kids
  add constraint kids_parent_fk foreign key (parent_id) references public.parents (id);
"""
FK_LINE = 4  # the ALTER TABLE … ADD CONSTRAINT in KIDS (without a comment line)


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MIGRATION_GUARD_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "migration_guard", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def _project(tmp_path: Path, kids: str, config: str | None = None) -> Path:
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_parents.sql").write_text(BASE)
    (folder / "20240102000000_kids.sql").write_text(kids)
    if config is not None:
        (tmp_path / "migration-guard.toml").write_text(config)
    return tmp_path


def _plan(cwd: Path, server: LocalPostgres) -> subprocess.CompletedProcess[str]:
    return _cli(cwd, "plan", "--dir", "supabase/migrations", "--supabase", "off", "--postgres", "url",
                "--postgres-url", server.url(), "--format", "json", "--no-progress")  # fmt: skip


def _fk_advisories(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert proc.returncode == 0, proc.stderr
    return [a for a in json.loads(proc.stdout)["advisories"] if a["rule"] == "unindexed-foreign-key"]


# -- declared like every rule ---------------------------------------------------------------------
def test_every_advisory_is_a_declared_dry_run_rule_that_lint_never_runs() -> None:
    for rule_id in ADVISORY_IDS:
        rule = get_rule(rule_id)
        assert rule is not None and rule.dry_run, rule_id
    # The two ids lint and the dry run share are one rule each, run by both.
    assert {r.id for r in dry_run_rules() if r.linted} == {"policy-without-rls", "rls-enabled-no-policy"}
    assert {r.id for r in dry_run_rules()} == ADVISORY_IDS
    # Every advisory's lint twin exists (the dedupe keys on it).
    assert all(get_rule(twin) is not None for twins in SAME_AS_LINT.values() for twin in twins)
    dry_only = {r.id for r in dry_run_rules() if not r.linted}
    for rule in dry_run_rules():  # their examples trigger nothing under a dry-run-only id in lint
        found = lint([parse_migration(Path("20240101000000_x.sql"), rule.example.encode())], LintOptions(supabase=True))
        assert not {f.rule for f in found.findings} & dry_only


def test_rules_lists_each_advisory_with_the_dry_run_marker() -> None:
    proc = _cli(Path.cwd(), "rules")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip()}
    for rule_id in ADVISORY_IDS:
        rule = get_rule(rule_id)
        assert rule is not None
        marker = "[dry run]" if not rule.linted else "[lint+dry run]"
        assert marker in rows[rule_id] and rows[rule_id].endswith(rule.summary)
    assert "[dry run]" not in rows["drop-column"]
    assert "needs PostgreSQL" in proc.stdout
    one = _cli(Path.cwd(), "rules", "unindexed-foreign-key")
    assert one.returncode == 0 and "Checked by: the dry run" in one.stdout
    assert "-- migration-guard: allow unindexed-foreign-key -- <reason>" in one.stdout


def test_docs_have_a_section_per_advisory() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule_id in ADVISORY_IDS:
        start = text.index(f"\n## `{rule_id}`\n")
        section = text[start : text.find("\n## `", start + 1)]
        assert "**Checked by:**" in section and "dry run" in section
        assert f"-- migration-guard: allow {rule_id} -- <reason>" in section
        assert f"| [`{rule_id}`](#{rule_id}) |" in text


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.dry_run and not r.linted], ids=lambda r: r.id)
def test_advisory_example_triggers_it_on_a_real_server(rule: Rule, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for role in ("anon", "authenticated"):  # cluster-wide: another test may have made them already
            conn.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute(rule.example)
        found = {a.rule: a for a in collect(conn, ("public",), supabase=True)}
    assert rule.id in found, f"{rule.id}: its example does not trigger it"
    assert found[rule.id].severity is rule.severity


# -- located, suppressible ------------------------------------------------------------------------
def test_plan_reports_the_advisory_at_the_foreign_key_statement(tmp_path: Path, pg_server: LocalPostgres) -> None:
    proc = _plan(_project(tmp_path, KIDS.format(comment="")), pg_server)
    (adv,) = _fk_advisories(proc)
    assert adv["object"] == "public.kids (kids_parent_fk)"
    assert (adv["path"], adv["line"], adv["column"]) == ("supabase/migrations/20240102000000_kids.sql", FK_LINE, 1)
    assert adv["severity"] == "warning" and adv["suppressed"] is False
    text = _cli(tmp_path, "plan", "--dir", "supabase/migrations", "--supabase", "off", "--postgres", "url",
                "--postgres-url", pg_server.url(), "--no-progress")  # fmt: skip
    assert f"supabase/migrations/20240102000000_kids.sql:{FK_LINE}: warning [unindexed-foreign-key]" in text.stdout


def test_a_suppression_with_a_reason_suppresses_the_advisory(tmp_path: Path, pg_server: LocalPostgres) -> None:
    comment = "-- migration-guard: allow unindexed-foreign-key -- parents are never deleted\n"
    (adv,) = _fk_advisories(_plan(_project(tmp_path, KIDS.format(comment=comment)), pg_server))
    assert adv["line"] == FK_LINE + 1 and adv["suppressed"] is True
    assert adv["reason"] == "parents are never deleted"


def test_a_suppression_without_a_reason_behaves_as_for_a_lint_warning(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    comment = "-- migration-guard: allow unindexed-foreign-key\n"
    proc = _plan(_project(tmp_path, KIDS.format(comment=comment)), pg_server)
    (adv,) = _fk_advisories(proc)
    assert adv["suppressed"] is True and adv["reason"] is None
    # A warning-level rule needs no reason (lint's rule: only an error-level suppression does), and
    # its id is known, so the comment itself is not a finding either.
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"]}
    assert not rules & {"suppression-without-reason", "unknown-rule-in-suppression"}


def test_a_suppression_of_another_rule_does_not_suppress_the_advisory(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    comment = "-- migration-guard: allow foreign-key-without-index -- lint's twin, not the advisory\n"
    (adv,) = _fk_advisories(_plan(_project(tmp_path, KIDS.format(comment=comment)), pg_server))
    assert adv["suppressed"] is False


# -- configured -----------------------------------------------------------------------------------
def test_disable_in_the_settings_file_removes_the_advisory(tmp_path: Path, pg_server: LocalPostgres) -> None:
    cwd = _project(tmp_path, KIDS.format(comment=""), 'disable = ["unindexed-foreign-key"]\n')
    proc = _plan(cwd, pg_server)
    assert _fk_advisories(proc) == []
    # Only that rule: lint's twin still reports the table, and the other advisories stay.
    assert "foreign-key-without-index" in {f["rule"] for f in json.loads(proc.stdout)["findings"]}


def test_exclude_in_the_settings_file_removes_advisories_located_there(
    tmp_path: Path, pg_server: LocalPostgres
) -> None:
    cwd = _project(tmp_path, KIDS.format(comment=""), 'exclude = ["*_kids.sql"]\n')
    assert _fk_advisories(_plan(cwd, pg_server)) == []


def _check(cwd: Path, server: LocalPostgres) -> subprocess.CompletedProcess[str]:
    return _cli(cwd, "check", "supabase/migrations/20240102000000_kids.sql", "--supabase", "off",
                "--postgres", "url", "--postgres-url", server.url(), "--format", "json")  # fmt: skip


def test_severity_error_makes_the_advisory_block_the_check(tmp_path: Path, pg_server: LocalPostgres) -> None:
    # Lint's twin is disabled so the advisory is the only report of the problem (else the check
    # shows lint's finding instead: one finding per problem).
    config = 'disable = ["foreign-key-without-index"]\n[severity]\nunindexed-foreign-key = "error"\n'
    proc = _check(_project(tmp_path, KIDS.format(comment=""), config), pg_server)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    (adv,) = [a for a in data["plan"]["advisories"] if a["rule"] == "unindexed-foreign-key"]
    assert adv["severity"] == "error" and adv["line"] == FK_LINE
    assert data["verdict"] == "fail" and data["blocking_count"] == 1
    assert not any(f["rule"] == "foreign-key-without-index" for f in data["findings"])


def test_as_a_warning_the_advisory_informs_and_the_check_passes(tmp_path: Path, pg_server: LocalPostgres) -> None:
    config = 'disable = ["foreign-key-without-index"]\n[severity]\nunindexed-foreign-key = "warning"\n'
    proc = _check(_project(tmp_path, KIDS.format(comment=""), config), pg_server)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "pass" and data["blocking_count"] == 0 and data["warning_count"] >= 1
    assert [a["severity"] for a in data["plan"]["advisories"] if a["rule"] == "unindexed-foreign-key"] == ["warning"]


def test_a_suppressed_error_advisory_does_not_block_the_check(tmp_path: Path, pg_server: LocalPostgres) -> None:
    config = 'disable = ["foreign-key-without-index"]\n[severity]\nunindexed-foreign-key = "error"\n'
    comment = "-- migration-guard: allow unindexed-foreign-key -- parents are never deleted\n"
    proc = _check(_project(tmp_path, KIDS.format(comment=comment), config), pg_server)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    (adv,) = [a for a in data["plan"]["advisories"] if a["rule"] == "unindexed-foreign-key"]
    assert adv["suppressed"] is True and data["verdict"] == "pass"


def test_an_unknown_advisory_id_is_still_one_clear_error(tmp_path: Path, pg_server: LocalPostgres) -> None:
    cwd = _project(tmp_path, KIDS.format(comment=""), 'disable = ["unindexed-foreign-keys"]\n')
    proc = _plan(cwd, pg_server)
    assert proc.returncode == 2 and proc.stdout == ""
    line = proc.stderr.strip().splitlines()[-1]
    assert "unknown rule 'unindexed-foreign-keys'; did you mean unindexed-foreign-key" in line
    assert "Traceback" not in proc.stderr


def test_located_advisories_are_annotated_and_in_sarif(tmp_path: Path, pg_server: LocalPostgres) -> None:
    cwd = _project(tmp_path, KIDS.format(comment=""), 'disable = ["foreign-key-without-index"]\n')
    args = ("check", "supabase/migrations/20240102000000_kids.sql", "--supabase", "off", "--postgres", "url",
            "--postgres-url", pg_server.url())  # fmt: skip
    github = _cli(cwd, *args, "--format", "github")
    assert github.returncode == 0, github.stdout + github.stderr
    path = "supabase/migrations/20240102000000_kids.sql"
    assert (f"::warning file={path},line={FK_LINE},col=1,title=migration-guard unindexed-foreign-key::"
            in github.stdout)  # fmt: skip
    sarif = json.loads(_cli(cwd, *args, "--format", "sarif").stdout)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "unindexed-foreign-key"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": FK_LINE, "startColumn": 1} and result["level"] == "warning"
    assert result["partialFingerprints"]["migrationGuard/v1"]
