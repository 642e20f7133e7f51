# ruff: noqa: E501 - catalog SQL reads better with one clause per line, unwrapped
"""Database advisories on the dry-run result, after Supabase's splinter linter.

Each check is one SQL query returning (object, message); each is a rule declared in the registry
(``rules/database.py``, or the lint rule of the same id), so it is listed, documented, suppressible
and configurable like the others. The plan reports only those that are new relative to the
baseline, so a pull request is told about what it introduced, located by ``dryrun/locate.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from migration_guard.model import Finding
from migration_guard.plan_model import Advisory

_USER = ("n.nspname not in ('pg_catalog', 'information_schema', 'migration_guard_internal', 'auth', 'storage', "
         "'realtime', 'extensions', 'graphql', 'graphql_public', 'vault', 'supabase_migrations', 'net', 'cron', "
         "'pgsodium', 'pgmq') and n.nspname not like 'pg\\_%'")
_NOT_EXT = "not exists (select 1 from pg_depend d where d.objid = {oid} and d.deptype = 'e')"


def checks(exposed: tuple[str, ...], supabase: bool) -> dict[str, tuple[str, str]]:
    """rule → (query, message template with {object}). ``exposed`` are the Data API schemas."""
    schemas = ", ".join("'" + s.replace("'", "''") + "'" for s in exposed) or "''"
    out: dict[str, tuple[str, str]] = {
        "policy-without-rls": (
            f"""select distinct n.nspname || '.' || c.relname from pg_policy p join pg_class c on c.oid = p.polrelid
                join pg_namespace n on n.oid = c.relnamespace where not c.relrowsecurity and {_USER}""",
            "{object} has policies but row level security is disabled, so the policies do nothing",
        ),
        "rls-enabled-no-policy": (
            f"""select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind in ('r', 'p') and c.relrowsecurity and {_USER}
                  and not exists (select 1 from pg_policy p where p.polrelid = c.oid)""",
            "{object} has row level security enabled but no policy: every non-owner query returns no rows",
        ),
        "unindexed-foreign-key": (
            f"""select n.nspname || '.' || c.relname || ' (' || con.conname || ')'
                from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
                where con.contype = 'f' and {_USER} and {_NOT_EXT.format(oid='c.oid')}
                  and not exists (select 1 from pg_index i where i.indrelid = con.conrelid
                    and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] operator(pg_catalog.@>) con.conkey
                    and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] operator(pg_catalog.<@) con.conkey)""",
            "foreign key on {object} has no index covering its columns: deletes on the referenced table scan it",
        ),
        "function-search-path-mutable": (
            f"""select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
                from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where {_USER} and {_NOT_EXT.format(oid='p.oid')} and p.prokind in ('f', 'p')
                  and not exists (select 1 from unnest(coalesce(p.proconfig, '{{}}')) c where c like 'search_path=%')""",
            "function {object} has a mutable search_path: set it (alter function … set search_path = '')",
        ),
    }
    if supabase:
        out["rls-disabled-in-exposed-schema"] = (
            f"""select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind in ('r', 'p') and not c.relrowsecurity and n.nspname in ({schemas})
                  and {_NOT_EXT.format(oid='c.oid')}
                  and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))""",
            "{object} is in an API-exposed schema and readable by anon/authenticated without row level security",
        )
        out["security-definer-view"] = (
            f"""select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'v' and n.nspname in ({schemas}) and {_NOT_EXT.format(oid='c.oid')}
                  and not coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on',
                                                                 'security_invoker=1'], false)
                  and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))""",
            "view {object} runs with its owner's rights (no security_invoker), bypassing the caller's RLS",
        )
        # A materialized view has no security_invoker: it is a stored copy, readable without any RLS.
        out["materialized-view-in-api"] = (
            f"""select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'm' and n.nspname in ({schemas}) and {_NOT_EXT.format(oid='c.oid')}
                  and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))""",
            "materialized view {object} is readable through the Data API: a stored copy that no RLS policy filters",
        )
    return out


# Advisory → the lint rules that report the same problem about the same object. A check run shows
# the lint finding (it has the line, the fix and the suppression) and drops the advisory.
SAME_AS_LINT: dict[str, tuple[str, ...]] = {
    "unindexed-foreign-key": ("foreign-key-without-index",),
    "policy-without-rls": ("policy-without-rls",),
    "rls-enabled-no-policy": ("rls-enabled-no-policy",),
    "rls-disabled-in-exposed-schema": ("table-without-rls", "disable-row-level-security"),
    "security-definer-view": ("view-without-security-invoker",),
    "materialized-view-in-api": ("materialized-view-in-exposed-schema",),
    "function-search-path-mutable": ("security-definer-search-path",),
}


def _names(obj: str) -> tuple[str, ...]:
    """How lint messages may name an advisory's object: ``public.t (fk)`` → ``public.t``, ``t``."""
    base = re.split(r"[ (]", obj, maxsplit=1)[0]
    schema, _, name = base.rpartition(".")
    return (base, name) if schema == "public" else (base,)


# Lint rules about one table whose message names it in a fixed frame: the duplicate test compares
# that exact name. A search for the name anywhere in the message let a decoy finding hide another
# table's advisory (a suppressed finding on table "x leak y" swallowed the one for public.leak).
_TABLE_FRAMES: dict[str, re.Pattern[str]] = {
    "table-without-rls": re.compile(r"table (.+) is in the API-exposed schema \S+ without row level security", re.S),
    "disable-row-level-security": re.compile(r"DISABLE ROW LEVEL SECURITY on (.+) in the API-exposed schema ", re.S),
    "policy-without-rls": re.compile(r"policy on (.+) has no effect: row level security is not enabled", re.S),
    "rls-enabled-no-policy": re.compile(r"row level security is enabled on (.+) but no policy is created", re.S),
    "view-without-security-invoker": re.compile(r"view (.+) in the API-exposed schema \S+ runs with its owner", re.S),
    "materialized-view-in-exposed-schema": re.compile(
        r"materialized view (.+) in the API-exposed schema \S+ is a stored copy", re.S
    ),
}


def _same_object(adv: Advisory, rule: str, message: str, patterns: list[re.Pattern[str]]) -> bool:
    frame = _TABLE_FRAMES.get(rule)
    if frame is None:
        return any(p.search(message) for p in patterns)
    from migration_guard.rules.nodes import display

    m = frame.match(message)
    schema, _, name = adv.object.partition(".")
    return m is not None and m.group(1) == display((schema, name))


def without_lint_duplicates(advisories: Iterable[Advisory], findings: Iterable[Finding]) -> list[Advisory]:
    """The advisories no lint finding already reports (same problem, same object)."""
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f.message)
    out: list[Advisory] = []
    for adv in advisories:
        patterns = [re.compile(rf"(?<![\w.]){re.escape(n)}(?![\w])") for n in _names(adv.object)]
        twins = ((rule, m) for rule in SAME_AS_LINT.get(adv.rule, ()) for m in by_rule.get(rule, ()))
        if not any(_same_object(adv, rule, m, patterns) for rule, m in twins):
            out.append(adv)
    return out


def collect(conn: Any, exposed: tuple[str, ...], supabase: bool) -> set[Advisory]:
    """Every advisory the database shows now, at its rule's declared severity (rules/database.py)."""
    from migration_guard.rules.registry import get_rule

    found: set[Advisory] = set()
    for rule_id, (sql, message) in checks(exposed, supabase).items():
        rule = get_rule(rule_id)
        if rule is None or not rule.dry_run:  # a programming error, caught by the tests
            raise RuntimeError(f"advisory {rule_id!r} is not declared as a dry-run rule")
        for (obj,) in conn.execute(sql).fetchall():
            found.add(Advisory(rule_id, str(obj), message.format(object=obj), rule.severity))
    return found


def new_since(before: set[Advisory], after: set[Advisory]) -> list[Advisory]:
    seen = {(a.rule, a.object) for a in before}
    return sorted((a for a in after if (a.rule, a.object) not in seen), key=lambda a: (a.rule, a.object))


def as_findings(advisories: Iterable[Advisory]) -> tuple[Finding, ...]:
    """The located advisories as findings (their rule's why and fix), for the outputs that attach
    problems to a line: GitHub annotations and SARIF. One without a location stays in the report only."""
    from migration_guard.rules.registry import get_rule

    out: list[Finding] = []
    for a in advisories:
        rule = get_rule(a.rule)
        if a.path is None or rule is None:
            continue
        out.append(Finding(a.rule, a.severity, a.path, a.line, a.column, a.message, rule.why, rule.fix,
                           a.suppressed, a.reason))
    return tuple(out)
