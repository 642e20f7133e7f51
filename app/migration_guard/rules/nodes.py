"""Small readers over pglast's JSON parse tree (plain dicts), shared by the rules.

pglast's JSON leaves out default values (false, 0, empty lists), so every reader uses ``.get``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]
TableKey = tuple[str, str]  # (schema, name); unqualified names default to public

DEFAULT_SCHEMA = "public"
# Where unqualified names live: the first schema of the search_path. The linter follows
# `SET search_path` statements through this (one lint runs at a time, synchronously).
_search_path = [DEFAULT_SCHEMA]


def set_default_schema(schema: str) -> None:
    _search_path[0] = schema


def default_schema() -> str:
    return _search_path[0]


def table_key(rangevar: Node | None) -> TableKey | None:
    if not rangevar:
        return None
    name = rangevar.get("relname")
    if not name:
        return None
    return (rangevar.get("schemaname") or _search_path[0], name)


def qualified(names: list[Node]) -> TableKey | None:
    """A ``List`` of ``String`` nodes (``a.b`` or ``b``) → key; catalogs beyond two parts are ignored."""
    parts = [n.get("String", {}).get("sval", "") for n in names]
    if not parts or not parts[-1]:
        return None
    if len(parts) == 1:
        return (_search_path[0], parts[0])
    return (parts[-2], parts[-1])


def display(key: TableKey) -> str:
    schema, name = key
    shown = name if name == name.lower() and name.isidentifier() else f'"{name}"'
    return shown if schema == DEFAULT_SCHEMA else f"{schema}.{shown}"


_EMPTY: Node = {}  # read-only default for lookups (never written)


def strings(items: list[Node] | None) -> list[str]:
    return [i.get("String", _EMPTY).get("sval", "") for i in items or ()]


def type_name(type_node: Node | None) -> str:
    """``pg_catalog.varchar`` → ``varchar``; user types keep their schema (``public.mood``)."""
    if not type_node:
        return ""
    items = type_node.get("names")
    if items and len(items) == 2:  # the common case (``pg_catalog.int4``, ``public.mood``), once per column
        schema = items[0].get("String", _EMPTY).get("sval", "")
        name: str = items[1].get("String", _EMPTY).get("sval", "")
        if schema != "pg_catalog":
            name = f"{schema}.{name}"
    else:
        names = strings(items)
        if names and names[0] == "pg_catalog":
            names = names[1:]
        name = ".".join(names)
    if type_node.get("arrayBounds"):
        name += "[]"
    return name


def typmods(type_node: Node | None) -> tuple[int, ...] | None:
    """The integer modifiers (``varchar(10)`` → (10,)); None when absent or not plain integers."""
    if not type_node or not type_node.get("typmods"):
        return None
    out: list[int] = []
    for mod in type_node["typmods"]:
        const = mod.get("A_Const")
        if const is None or "ival" not in const:
            return None
        out.append(int(const["ival"].get("ival", 0)))
    return tuple(out)


def const_string(node: Node | None) -> str | None:
    if not node:
        return None
    const = node.get("A_Const")
    if const and "sval" in const:
        value = const["sval"].get("sval", "")
        return str(value)
    return None


def func_name(call: Node) -> str:
    """``FuncCall`` → lower-case dotted name without ``pg_catalog.``."""
    names = strings(call.get("funcname"))
    if names and names[0] == "pg_catalog":
        names = names[1:]
    return ".".join(names).lower()


def walk(node: Any) -> Iterator[tuple[str, Node]]:
    """Every (kind, value) pair below ``node`` (depth first)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, dict):
                    if key[:1].isupper():
                        yield key, value
                    stack.append(value)
                elif isinstance(value, list):
                    stack.extend(value)
        elif isinstance(item, list):
            stack.extend(item)


def find_all(node: Any, kind: str) -> list[Node]:
    """The values of every ``kind`` node below ``node``, in ``walk``'s order: ``walk`` without a
    generator step per node (the trackers ask this of every index expression, CHECK and INSERT)."""
    found: list[Node] = []
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, dict):
                    if key == kind:
                        found.append(value)
                    push(value)
                elif isinstance(value, list):
                    extend(value)
        elif isinstance(item, list):
            extend(item)
    return found


def location(node: Node | None) -> int | None:
    if not node:
        return None
    loc = node.get("location")
    return loc if isinstance(loc, int) and loc >= 0 else None


def column_constraints(coldef: Node) -> list[Node]:
    return [c["Constraint"] for c in coldef.get("constraints") or () if "Constraint" in c]


def has_constraint(coldef: Node, contype: str) -> bool:
    return any(c.get("contype") == contype for c in column_constraints(coldef))


def default_expr(coldef: Node) -> Node | None:
    for c in column_constraints(coldef):
        if c.get("contype") == "CONSTR_DEFAULT":
            expr: Node | None = c.get("raw_expr")
            return expr
    return None


def def_options(items: list[Node] | None) -> set[str]:
    return {i["DefElem"].get("defname", "") for i in items or () if "DefElem" in i}


_grouped: list[Any] = [None, {}]  # one-entry memo: the ALTER TABLE rules share one pass per statement


def alter_cmds(node: Node) -> dict[str, list[Node]]:
    """An ALTER TABLE's sub-commands grouped by subtype (``AT_AddColumn`` → [cmd, …])."""
    if _grouped[0] is not node:
        groups: dict[str, list[Node]] = {}
        for item in node.get("cmds") or ():
            cmd = item.get("AlterTableCmd")
            if cmd:
                groups.setdefault(cmd.get("subtype", ""), []).append(cmd)
        _grouped[0], _grouped[1] = node, groups
    result: dict[str, list[Node]] = _grouped[1]
    return result
