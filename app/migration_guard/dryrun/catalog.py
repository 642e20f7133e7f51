# ruff: noqa: E501 - catalog SQL reads better with one clause per line, unwrapped
"""Catalog snapshots and their diff: what a migration created, dropped or altered.

A snapshot maps (kind, name) → a definition string; the diff compares definitions. Dependents of
what was dropped or altered (views, policies, functions, triggers, constraints) come from
``pg_depend`` in the *before* snapshot, since dropped objects are gone afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migration_guard.plan_model import AffectedObject

# Platform and internal schemas whose objects are never "affected" by a project's migrations.
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "migration_guard_internal")
_NS = "n.nspname not in ('pg_catalog', 'information_schema', 'migration_guard_internal') " \
      "and n.nspname not like 'pg\\_toast%%' and n.nspname not like 'pg\\_temp%%'"
# Objects that belong to an extension are the extension's, not the migration's.
_NOT_EXT = "not exists (select 1 from pg_depend d where d.classid = {cls}::regclass and d.objid = {oid} and d.deptype = 'e')"

QUERIES: dict[str, str] = {
    "schema": f"select n.nspname, pg_get_userbyid(n.nspowner) from pg_namespace n where {_NS}",
    "table": f"""select n.nspname || '.' || c.relname,
          case c.relkind when 'p' then 'partitioned' when 'f' then 'foreign' else '' end
          || case c.relpersistence when 'u' then ' unlogged' else '' end
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'f') and {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "rls": f"""select n.nspname || '.' || c.relname,
          case when c.relrowsecurity then 'on' else 'off' end || case when c.relforcerowsecurity then ' (forced)' else '' end
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "column": f"""select n.nspname || '.' || c.relname || '.' || a.attname,
          format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
          || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'f') and {_NS}
          and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "index": f"""select n.nspname || '.' || c.relname, pg_get_indexdef(c.oid)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_index i on i.indexrelid = c.oid
        where c.relkind in ('i', 'I') and {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='i.indrelid')}""",
    "constraint": f"""select n.nspname || '.' || c.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
        from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
        where {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "policy": f"""select n.nspname || '.' || c.relname || '.' || p.polname,
          'for ' || case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
            when 'd' then 'delete' else 'all' end
          || ' to ' || coalesce((select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end, ', ')
                                 from unnest(p.polroles) r), 'public')
          || coalesce(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
          || coalesce(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
          || case when p.polpermissive then '' else ' restrictive' end
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where {_NS}""",
    "function": f"""select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
          md5(coalesce(p.prosrc, '') || coalesce(p.probin, '')) || ' returns ' || pg_get_function_result(p.oid)
          || case when p.prosecdef then ' security definer' else '' end
          || coalesce(' set ' || array_to_string(p.proconfig, ', '), '')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where {_NS} and {_NOT_EXT.format(cls="'pg_proc'", oid='p.oid')}""",
    "view": f"""select n.nspname || '.' || c.relname,
          case c.relkind when 'm' then 'materialized ' else '' end || md5(pg_get_viewdef(c.oid))
          || coalesce(' with (' || array_to_string(c.reloptions, ', ') || ')', '')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('v', 'm') and {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "trigger": f"""select n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and {_NS}""",
    "type": f"""select n.nspname || '.' || t.typname,
          case t.typtype when 'e' then 'enum (' || (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                                                   from pg_enum e where e.enumtypid = t.oid) || ')'
                         when 'd' then 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                         when 'c' then 'composite' else t.typtype::text end
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where t.typtype in ('e', 'd', 'c', 'r') and (t.typtype <> 'c' or (select relkind from pg_class where oid = t.typrelid) = 'c')
          and {_NS} and {_NOT_EXT.format(cls="'pg_type'", oid='t.oid')}""",
    "extension": "select e.extname, e.extversion || ' in ' || n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace",
    "sequence": f"""select n.nspname || '.' || c.relname, 'sequence'
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'S' and {_NS} and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}""",
    "grant": f"""select case c.relkind when 'S' then 'sequence ' when 'v' then 'view ' when 'm' then 'view ' else 'table ' end
            || n.nspname || '.' || c.relname, (select string_agg(g, '; ' order by g) from (select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end || ': ' || string_agg(a.privilege_type, ', ' order by a.privilege_type) as g from aclexplode(c.relacl) a where a.grantee <> c.relowner group by a.grantee) s)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and c.relacl is not null and {_NS}
          and {_NOT_EXT.format(cls="'pg_class'", oid='c.oid')}
        union all
        select 'schema ' || n.nspname, (select string_agg(g, '; ' order by g) from (select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end || ': ' || string_agg(a.privilege_type, ', ' order by a.privilege_type) as g from aclexplode(n.nspacl) a where a.grantee <> n.nspowner group by a.grantee) s) from pg_namespace n
        where n.nspacl is not null and {_NS}
        union all
        select 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
          (select string_agg(g, '; ' order by g) from (select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end || ': ' || string_agg(a.privilege_type, ', ' order by a.privilege_type) as g from aclexplode(p.proacl) a where a.grantee <> p.proowner group by a.grantee) s)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.proacl is not null and {_NS} and {_NOT_EXT.format(cls="'pg_proc'", oid='p.oid')}""",
}

# referenced object → objects that depend on it (views via their rewrite rule, policies, triggers,
# constraints, column defaults, functions with SQL-standard bodies), as "kind name".
DEPENDENTS = f"""
with refs as (
  select d.classid, d.objid, d.refclassid, d.refobjid, d.refobjsubid
  from pg_depend d where d.deptype in ('n', 'a')
),
refname as (
  select r.*,
    case
      when r.refclassid = 'pg_class'::regclass then (
        select n.nspname || '.' || c.relname
          || case when r.refobjsubid > 0 then '.' || (select attname from pg_attribute where attrelid = c.oid and attnum = r.refobjsubid) else '' end
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = r.refobjid and {_NS})
      when r.refclassid = 'pg_proc'::regclass then (
        select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.oid = r.refobjid and {_NS})
      when r.refclassid = 'pg_type'::regclass then (
        select n.nspname || '.' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where t.oid = r.refobjid and {_NS})
    end as ref,
    case
      when r.classid = 'pg_rewrite'::regclass then (
        select 'view ' || n.nspname || '.' || c.relname from pg_rewrite w join pg_class c on c.oid = w.ev_class
        join pg_namespace n on n.oid = c.relnamespace where w.oid = r.objid and c.oid <> r.refobjid)
      when r.classid = 'pg_policy'::regclass then (
        select 'policy ' || p.polname || ' on ' || n.nspname || '.' || c.relname from pg_policy p
        join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where p.oid = r.objid)
      when r.classid = 'pg_trigger'::regclass then (
        select 'trigger ' || t.tgname || ' on ' || n.nspname || '.' || c.relname from pg_trigger t
        join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where t.oid = r.objid and not t.tgisinternal)
      when r.classid = 'pg_constraint'::regclass then (
        select 'constraint ' || con.conname || ' on ' || n.nspname || '.' || c.relname from pg_constraint con
        join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
        where con.oid = r.objid and c.oid <> r.refobjid)
      when r.classid = 'pg_proc'::regclass then (
        select 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.oid = r.objid)
      when r.classid = 'pg_class'::regclass then (
        select case c.relkind when 'i' then 'index ' else 'relation ' end || n.nspname || '.' || c.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = r.objid and c.relkind in ('i'))
    end as dependent
  from refs r
)
select ref, dependent from refname where ref is not null and dependent is not null
"""


@dataclass
class Snapshot:
    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    dependents: dict[str, set[str]] = field(default_factory=dict)


def take(conn: Any, with_dependents: bool = True) -> Snapshot:
    snap = Snapshot()
    for kind, sql in QUERIES.items():
        for name, definition in conn.execute(sql).fetchall():
            snap.objects[(kind, str(name))] = "" if definition is None else str(definition)
    if with_dependents:
        for ref, dependent in conn.execute(DEPENDENTS).fetchall():
            snap.dependents.setdefault(str(ref), set()).add(str(dependent))
    return snap


KIND_ORDER = list(QUERIES)


def _grants(text: str | None) -> dict[str, set[str]]:
    """'anon: SELECT; authenticated: INSERT, SELECT' → {grantee: privileges}."""
    out: dict[str, set[str]] = {}
    for part in (text or "").split("; "):
        if ": " in part:
            who, privs = part.split(": ", 1)
            out[who] = set(privs.split(", "))
    return out


def _grant_change(old: str | None, new: str | None) -> str:
    before, after = _grants(old), _grants(new)
    changes = []
    for who in sorted(set(before) | set(after)):
        added = sorted(after.get(who, set()) - before.get(who, set()))
        removed = sorted(before.get(who, set()) - after.get(who, set()))
        if added:
            changes.append(f"+{who}: {', '.join(added)}")
        if removed:
            changes.append(f"-{who}: {', '.join(removed)}")
    return "; ".join(changes)


def _detail(kind: str, change: str, old: str | None, new: str | None) -> str:
    if kind == "grant":
        return _grant_change(old, new)
    if change == "altered":
        if kind in ("function", "view"):
            return "definition changed" if (old or "").split(" ")[0] != (new or "").split(" ")[0] else f"{old} → {new}"
        return f"{old} → {new}"
    if kind in ("function", "view"):
        return ""  # a hash is no use to a reader
    return (new or "") if change == "created" else (old or "")


def diff(before: Snapshot, after: Snapshot) -> list[AffectedObject]:
    out: list[AffectedObject] = []
    keys = set(before.objects) | set(after.objects)
    for kind, name in sorted(keys, key=lambda k: (KIND_ORDER.index(k[0]), k[1])):
        old = before.objects.get((kind, name))
        new = after.objects.get((kind, name))
        if old == new:
            continue
        if kind == "rls" and (old is None or new is None):
            continue  # a table created or dropped: the table entry says it
        change = "created" if old is None else "dropped" if new is None else "altered"
        deps: set[str] = set()
        if change != "created":
            ref = name.split(" ", 1)[-1] if kind == "grant" else name
            deps = set(before.dependents.get(ref, set()))
            if kind == "table":  # a table's columns' dependents are the table's too
                prefix = name + "."
                for key, values in before.dependents.items():
                    if key.startswith(prefix) and key.count(".") == name.count(".") + 1:
                        deps |= values
        out.append(AffectedObject(kind, name, change, _detail(kind, change, old, new), tuple(sorted(deps))))
    return out
