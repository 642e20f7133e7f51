"""Where a dry-run advisory comes from: the statement that created or last changed its object.

An advisory names a database object (``public.kids (kids_parent_id_fkey)``, ``public.f(integer)``);
the migrations that ran after the baseline snapshot are searched, newest statement first, for what
each rule cares about (an unindexed foreign key: the statement adding that constraint, else any
foreign key on the table, else the CREATE TABLE). With a location, the statement's inline
``-- migration-guard: allow <id> -- <reason>`` suppresses the advisory as it does a lint finding.
An object no statement names (dynamic SQL) is put on the first line of the one file that ran after
the baseline (an ``allow-file`` comment suppresses it); with several files it keeps no location: it
is still reported, and can still be disabled in the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from migration_guard.model import Migration
from migration_guard.plan_model import Advisory

Target = tuple[str | None, str]  # (schema, or None when unqualified: any schema matches; name)
NAME_MAX = 63  # PostgreSQL's identifier length (NAMEDATALEN - 1): longer default names are truncated

# Per rule, the statements to look for, most telling first. "fk-named" is a foreign key whose name
# (given, or PostgreSQL's default <table>_<columns>_fkey) is the advisory's constraint.
PREFERENCE: dict[str, tuple[str, ...]] = {
    "unindexed-foreign-key": ("fk-named", "fk", "create-table"),
    "policy-without-rls": ("disable-rls", "policy", "create-table"),
    "rls-enabled-no-policy": ("drop-policy", "enable-rls", "create-table"),
    "rls-disabled-in-exposed-schema": ("disable-rls", "create-table", "grant"),
    "security-definer-view": ("create-view", "alter-view", "grant"),
    "materialized-view-in-api": ("create-matview", "grant"),
    "function-search-path-mutable": ("function", "alter-function"),
}


@dataclass(frozen=True)
class Act:
    what: str  # a PREFERENCE entry
    target: Target
    names: frozenset[str] = frozenset()  # foreign keys: the constraint names it creates


@dataclass(frozen=True)
class Place:
    """One statement that ran after the snapshot, with what it did (DO blocks: what their body runs)."""

    migration: int  # index into the migrations searched
    line: int
    column: int
    acts: tuple[Act, ...]
    relations: frozenset[Target]  # every relation the statement mentions (the last resort)


def _rangevar(node: Any) -> Target | None:
    if not isinstance(node, dict):
        return None
    node = node.get("RangeVar", node)
    name = node.get("relname")
    return (node.get("schemaname"), name) if name else None


def _qualified(items: Any) -> Target | None:
    parts = [i.get("String", {}).get("sval", "") for i in items or () if isinstance(i, dict)]
    if not parts or not parts[-1]:
        return None
    return (parts[-2] if len(parts) > 1 else None, parts[-1])


def _fk_names(table: str, conname: str | None, columns: Iterable[str]) -> frozenset[str]:
    if conname:
        return frozenset({conname})
    default = f"{table}_{'_'.join(columns)}_fkey"
    return frozenset({default}) if len(default) <= NAME_MAX else frozenset()


def _column_fks(coldef: dict[str, Any], table: Target) -> Iterator[Act]:
    for c in coldef.get("constraints") or ():
        con = c.get("Constraint") or {}
        if con.get("contype") == "CONSTR_FOREIGN":
            yield Act("fk", table, _fk_names(table[1], con.get("conname"), [coldef.get("colname", "")]))


def _table_fk(con: dict[str, Any], table: Target) -> Iterator[Act]:
    if con.get("contype") == "CONSTR_FOREIGN":
        cols = [a.get("String", {}).get("sval", "") for a in con.get("fk_attrs") or ()]
        yield Act("fk", table, _fk_names(table[1], con.get("conname"), cols))


def acts(kind: str, node: dict[str, Any]) -> list[Act]:
    """What one statement does to the objects advisories name."""
    out: list[Act] = []
    if kind == "CreateStmt":
        table = _rangevar(node.get("relation"))
        if table:
            out.append(Act("create-table", table))
            for elt in node.get("tableElts") or ():
                if "ColumnDef" in elt:
                    out.extend(_column_fks(elt["ColumnDef"], table))
                elif "Constraint" in elt:
                    out.extend(_table_fk(elt["Constraint"], table))
    elif kind == "CreateTableAsStmt":
        target = _rangevar((node.get("into") or {}).get("rel"))
        if target:
            out.append(Act("create-matview" if node.get("objtype") == "OBJECT_MATVIEW" else "create-table", target))
    elif kind == "ViewStmt":
        view = _rangevar(node.get("view"))
        if view:
            out.append(Act("create-view", view))
    elif kind == "AlterTableStmt":
        out.extend(_alter_table(node))
    elif kind == "CreatePolicyStmt":
        table = _rangevar(node.get("table"))
        if table:
            out.append(Act("policy", table))
    elif kind == "DropStmt" and node.get("removeType") == "OBJECT_POLICY":
        for obj in node.get("objects") or ():
            names = [i.get("String", {}).get("sval", "") for i in (obj.get("List") or {}).get("items") or ()]
            if len(names) >= 2:  # [schema.]table.policy
                out.append(Act("drop-policy", (names[-3] if len(names) > 2 else None, names[-2])))
    elif kind == "GrantStmt" and node.get("is_grant") and node.get("objtype") == "OBJECT_TABLE":
        out.extend(Act("grant", t) for t in (_rangevar(o) for o in node.get("objects") or ()) if t)
    elif kind == "CreateFunctionStmt":
        name = _qualified(node.get("funcname"))
        if name:
            out.append(Act("function", name))
    elif kind == "AlterFunctionStmt":
        name = _qualified((node.get("func") or {}).get("objname"))
        if name:
            out.append(Act("alter-function", name))
    return out


def _alter_table(node: dict[str, Any]) -> Iterator[Act]:
    target = _rangevar(node.get("relation"))
    if not target:
        return
    if node.get("objtype") in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        yield Act("alter-view", target)
        return
    for item in node.get("cmds") or ():
        cmd = item.get("AlterTableCmd") or {}
        subtype, definition = cmd.get("subtype"), cmd.get("def") or {}
        if subtype == "AT_EnableRowSecurity":
            yield Act("enable-rls", target)
        elif subtype == "AT_DisableRowSecurity":
            yield Act("disable-rls", target)
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            yield from _table_fk(definition["Constraint"], target)
        elif subtype == "AT_AddColumn" and "ColumnDef" in definition:
            yield from _column_fks(definition["ColumnDef"], target)


def _relations(node: Any) -> frozenset[Target]:
    found: set[Target] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("relname")
            if isinstance(name, str):
                found.add((item.get("schemaname"), name))
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(item)
    return frozenset(found)


def places(migrations: Sequence[Migration]) -> list[Place]:
    """Every statement of ``migrations`` with its acts, in run order."""
    from migration_guard.linter import embedded_statements

    out: list[Place] = []
    for index, m in enumerate(migrations):
        for st in m.statements:
            try:
                node = st.node
            except RecursionError:  # too deep to decode: nothing to find in it
                continue
            found = acts(st.kind, node)
            relations = _relations(node)
            if st.kind == "DoStmt":  # what the block runs is attributed to the DO statement
                for sub_kind, sub_node, _frame in embedded_statements(m.text, st, node):
                    found.extend(acts(sub_kind, sub_node))
                    relations |= _relations(sub_node)
            out.append(Place(index, st.line, st.column, tuple(found), relations))
    return out


def _parse_object(rule: str, obj: str) -> tuple[Target, str | None]:
    """``public.kids (kids_fk)`` → ((public, kids), kids_fk); ``public.f(integer)`` → ((public, f), None)."""
    if rule == "function-search-path-mutable":
        obj = obj.split("(", 1)[0]
        detail = None
    else:
        obj, _, rest = obj.partition(" (")
        detail = rest[:-1] if rest.endswith(")") else None
    schema, dot, name = obj.partition(".")
    return ((schema, name) if dot else (None, schema)), detail


def _matches(target: Target, wanted: Target) -> bool:
    return target[1] == wanted[1] and (target[0] is None or wanted[0] is None or target[0] == wanted[0])


def find(rule: str, obj: str, found: Sequence[Place]) -> Place | None:
    """The newest statement that made the advisory ``rule`` about ``obj`` true, or None."""
    wanted, detail = _parse_object(rule, obj)
    for what in PREFERENCE.get(rule, ()):
        act_kind = "fk" if what == "fk-named" else what
        for place in reversed(found):
            for act in place.acts:
                if act.what != act_kind or not _matches(act.target, wanted):
                    continue
                if what == "fk-named" and detail not in act.names:
                    continue
                return place
    for place in reversed(found):  # any statement naming the relation (an ALTER, a DROP INDEX …)
        if rule != "function-search-path-mutable" and any(_matches(r, wanted) for r in place.relations):
            return place
    return None


def locate(advisories: Iterable[Advisory], migrations: Sequence[Migration]) -> tuple[Advisory, ...]:
    """Each advisory with the file:line of its statement and that statement's suppression, if any.

    ``migrations`` are the files that ran after the baseline snapshot (the new ones and any later)."""
    from migration_guard.linter import suppression_of

    pending = list(advisories)
    if not pending:
        return ()
    found = places(migrations)
    out: list[Advisory] = []
    for adv in pending:
        place = find(adv.rule, adv.object, found)
        if place is not None:
            m, line, column = migrations[place.migration], place.line, place.column
            suppressed, reason = suppression_of(m, adv.rule, line, column)
        elif len(migrations) == 1:
            # No statement names the object (dynamic SQL), but only one file ran: it is the cause.
            # Pointed at its first line; only an `allow-file` comment can suppress it.
            m, line, column = migrations[0], 1, 1
            suppressed, reason = suppression_of(m, adv.rule, 0, 0)
        else:
            out.append(adv)
            continue
        out.append(replace(adv, path=m.display_path, line=line, column=column,
                           suppressed=suppressed, reason=reason if suppressed else None))
    return tuple(out)
