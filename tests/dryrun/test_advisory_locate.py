"""Locating a dry-run advisory (dryrun/locate.py): the statement that created or last changed its
object, that statement's suppression; and the project configuration applied to advisories and to
the check's dedupe. Parsing only: what the server reports is covered in test_advisory_rules.py."""

from __future__ import annotations

from pathlib import Path

from migration_guard.dryrun.locate import locate
from migration_guard.flows.check import DryRunStep, LintStep, dedupe_step, verdict_step
from migration_guard.migrations.loader import parse_migration
from migration_guard.model import Finding, Migration, Severity
from migration_guard.plan_model import Advisory, PlanResult
from migration_guard.rule_config import RuleConfig

W = Severity.WARNING


def _m(sql: str, name: str = "20240102000000_new.sql") -> Migration:
    return parse_migration(Path(name), sql.encode())


def _where(rule: str, obj: str, *migrations: Migration) -> tuple[str | None, int]:
    (adv,) = locate([Advisory(rule, obj, "m", W)], migrations)
    return adv.path, adv.line


def test_foreign_key_by_its_given_or_default_name() -> None:
    m = _m(
        "create table public.kids (id int primary key, parent_id int references public.parents (id));\n"  # 1
        "alter table public.kids add column toy_id int references public.toys (id);\n"  # 2
        "alter table kids add constraint kids_owner_fk foreign key (owner_id) references owners (id);\n"  # 3
        "alter table public.kids add column note text;\n"  # 4
    )
    assert _where("unindexed-foreign-key", "public.kids (kids_parent_id_fkey)", m)[1] == 1
    assert _where("unindexed-foreign-key", "public.kids (kids_toy_id_fkey)", m)[1] == 2
    assert _where("unindexed-foreign-key", "public.kids (kids_owner_fk)", m)[1] == 3
    # A name no statement gives (PostgreSQL numbered a clash): the newest foreign key on the table.
    assert _where("unindexed-foreign-key", "public.kids (kids_parent_id_fkey1)", m)[1] == 3


def test_each_rule_points_at_its_telling_statement() -> None:
    m = _m(
        "create table public.notes (id int primary key);\n"  # 1
        "alter table public.notes enable row level security;\n"  # 2
        "create policy p on public.notes for select using (true);\n"  # 3
        "alter table public.notes disable row level security;\n"  # 4
        "create or replace function public.f(a int) returns int language sql as 'select 1';\n"  # 5
        "create or replace function public.f(a int) returns int language sql as 'select 2';\n"  # 6
        "create view public.v as select 1;\n"  # 7
        "create materialized view public.mv as select 1;\n"  # 8
        "grant select on public.mv to anon;\n"  # 9
        "create table public.open (id int primary key);\n"  # 10
    )
    assert _where("policy-without-rls", "public.notes", m)[1] == 4  # the DISABLE, not the policy
    assert _where("rls-enabled-no-policy", "public.notes", m)[1] == 2
    assert _where("function-search-path-mutable", "public.f(a integer)", m)[1] == 6  # the last definition
    assert _where("security-definer-view", "public.v", m)[1] == 7
    assert _where("materialized-view-in-api", "public.mv", m)[1] == 8
    assert _where("rls-disabled-in-exposed-schema", "public.open", m)[1] == 10


def test_schemas_must_agree_when_both_are_named() -> None:
    m = _m("create table app.kids (id int primary key, parent_id int references app.parents (id));\n")
    other = _m("select 1;\n", "20240103000000_other.sql")  # two files: no single-file fallback
    assert _where("unindexed-foreign-key", "public.kids (kids_parent_id_fkey)", m, other) == (None, 0)
    assert _where("unindexed-foreign-key", "app.kids (kids_parent_id_fkey)", m, other)[1] == 1


def test_a_do_block_is_the_statement_for_what_it_runs() -> None:
    m = _m(
        "create table public.kids (id int primary key, parent_id int);\n"  # 1
        "do $$\n"  # 2
        "begin\n"
        "  execute 'alter table public.kids add constraint kids_p_fk foreign key (parent_id) "
        "references public.kids (id)';\n"
        "end $$;\n"
    )
    assert _where("unindexed-foreign-key", "public.kids (kids_p_fk)", m)[1] == 2


def test_newest_file_wins_and_unknown_objects_have_no_location() -> None:
    first = _m("create function public.g() returns int language sql as 'select 1';\n", "20240102000000_a.sql")
    second = _m("-- intent: again\ncreate or replace function public.g() returns int language sql as 'select 2';\n",
                "20240103000000_b.sql")  # fmt: skip
    assert _where("function-search-path-mutable", "public.g()", first, second) == ("20240103000000_b.sql", 2)
    # Dynamic SQL names nothing the parser can see: with one file, that file (its first line, where
    # only allow-file reaches); with several, no location.
    dynamic = _m("-- migration-guard: allow-file function-search-path-mutable -- generated helpers\n"
                 "-- intent: helpers\n"
                 "do $$ begin execute format('create function public.%I() returns int language sql "
                 "as %L', 'h', 'select 1'); end $$;\n")  # fmt: skip
    (adv,) = locate([Advisory("function-search-path-mutable", "public.h()", "m", W)], [dynamic])
    assert (adv.path, adv.line, adv.suppressed, adv.reason) == ("20240102000000_new.sql", 1, True, "generated helpers")
    assert _where("function-search-path-mutable", "public.h()", first, dynamic) == (None, 0)
    statement_level = _m("-- migration-guard: allow function-search-path-mutable -- not for this one\n"
                         "do $$ begin execute format('create function public.%I() returns int language sql "
                         "as %L', 'h', 'select 1'); end $$;\n")  # fmt: skip
    (adv,) = locate([Advisory("function-search-path-mutable", "public.h()", "m", W)], [statement_level])
    assert adv.line == 1 and not adv.suppressed


def test_statement_and_file_suppressions_apply_as_for_lint() -> None:
    m = _m(
        "-- migration-guard: allow function-search-path-mutable -- only called by triggers we own\n"
        "create function public.f() returns int language sql as 'select 1';\n"
        "create function public.g() returns int language sql as 'select 1';\n"
    )
    f, g = locate([Advisory("function-search-path-mutable", o, "m", W) for o in ("public.f()", "public.g()")], [m])
    assert f.suppressed and f.reason == "only called by triggers we own"
    assert not g.suppressed and g.reason is None
    whole = _m("-- migration-guard: allow-file function-search-path-mutable -- legacy helpers\n"
               "-- intent: helpers\ncreate function public.f() returns int language sql as 'select 1';\n")  # fmt: skip
    (adv,) = locate([Advisory("function-search-path-mutable", "public.f()", "m", W)], [whole])
    assert adv.suppressed and adv.reason == "legacy helpers"


def test_configuration_applies_to_advisories() -> None:
    located = Advisory("unindexed-foreign-key", "public.kids (k)", "m", W, "supabase/migrations/legacy/1_x.sql", 3, 1)
    nowhere = Advisory("function-search-path-mutable", "public.h()", "m", W)
    config = RuleConfig.build(severity={"unindexed-foreign-key": "error"}, exclude=["legacy/*"])
    assert config.apply_advisories([located, nowhere]) == (nowhere,)  # excluded path; no path: kept
    config = RuleConfig.build(severity={"unindexed-foreign-key": "error"}, disable=["function-search-path-mutable"])
    (changed,) = config.apply_advisories([located, nowhere])
    assert changed.severity is Severity.ERROR and changed.blocking


def _steps(advisories: tuple[Advisory, ...], findings: tuple[Finding, ...]) -> tuple[LintStep, DryRunStep]:
    plan = PlanResult(True, "15", "url", (), advisories=advisories)
    return LintStep((), findings, 1, 1, False), DryRunStep(plan, None, ())


def test_check_dedupes_against_the_configured_findings_and_counts_advisories() -> None:
    adv = Advisory("unindexed-foreign-key", "public.kids (kids_parent_id_fkey)", "m", W, "a.sql", 2, 1)
    twin = Finding("foreign-key-without-index", W, "a.sql", 2, 1, "foreign key (parent_id) on kids has no index",
                   "w", "f")  # fmt: skip
    lint_step, dry = _steps((adv,), (twin,))
    deduped = dedupe_step(lint_step, dry)
    assert deduped.plan is not None and deduped.plan.advisories == ()  # one finding per problem
    # Lint's twin disabled: the advisory is the only report left, under its own id and severity.
    config = RuleConfig.build(disable=["foreign-key-without-index"], severity={"unindexed-foreign-key": "error"})
    kept = dedupe_step(lint_step, dry, config)
    assert kept.plan is not None and [a.severity for a in kept.plan.advisories] == [Severity.ERROR]
    verdict = verdict_step(lint_step, kept, "error", config)
    assert (verdict.blocking, verdict.warnings, verdict.verdict) == (1, 0, "fail")
    quiet = RuleConfig.build(disable=["foreign-key-without-index", "unindexed-foreign-key"])
    silenced = dedupe_step(lint_step, dry, quiet)
    assert silenced.plan is not None and silenced.plan.advisories == ()
    assert verdict_step(lint_step, silenced, "warning", quiet).verdict == "pass"
