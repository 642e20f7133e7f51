"""Maintenance commands that rewrite a table under an ACCESS EXCLUSIVE lock."""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.model import Severity
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import Context
from migration_guard.rules.nodes import Node, display, table_key

_FALSE = frozenset({"false", "off", "0", "no"})


def _full(options: list[Node] | None) -> bool:
    """VACUUM (FULL) / (FULL true) / FULL, but not (FULL false) / (FULL off) / (FULL 0)."""
    for item in options or ():
        elem = item.get("DefElem") or {}
        if elem.get("defname") != "full":
            continue
        arg = elem.get("arg") or {}
        if "String" in arg:
            return str(arg["String"].get("sval", "")).lower() not in _FALSE
        if "Integer" in arg:
            return bool(arg["Integer"].get("ival", 0))
        if "Boolean" in arg:
            return bool(arg["Boolean"].get("boolval", False))
        return True
    return False


def check_vacuum_full_or_cluster(node: Node, ctx: Context) -> Iterator[Hit]:
    if ctx.kind == "VacuumStmt":
        if not node.get("is_vacuumcmd") or not _full(node.get("options")):
            return
        keys = [table_key((r.get("VacuumRelation") or {}).get("relation")) for r in node.get("rels") or ()]
        what = "VACUUM FULL"
    else:
        keys = [table_key(node.get("relation"))] if node.get("relation") else []
        what = "CLUSTER"
    if keys and all(k is not None and ctx.is_new(k) for k in keys):
        return
    target = ", ".join(display(k) for k in keys if k) or "every table of the database"
    yield ctx.hit(f"{what} rewrites {target} under ACCESS EXCLUSIVE: all reads and writes wait")


VACUUM_FULL_OR_CLUSTER = Rule(
    id="vacuum-full-or-cluster",
    severity=Severity.ERROR,
    summary="VACUUM FULL or CLUSTER rewrites tables under ACCESS EXCLUSIVE",
    why=(
        "VACUUM FULL and CLUSTER copy the whole table and rebuild every index while holding an "
        "ACCESS EXCLUSIVE lock: even SELECTs wait until the copy ends, and the copy needs as much "
        "free disk as the table. VACUUM FULL also cannot run inside a migration's transaction."
    ),
    fix=(
        "-- Reclaim space without blocking, outside the migration:\n"
        "VACUUM (ANALYZE) orders;\n"
        "-- or rebuild online with the pg_repack extension:\n"
        "-- pg_repack --table=public.orders --no-superuser-check <database>"
    ),
    example="VACUUM FULL orders;",
    check=check_vacuum_full_or_cluster,
    kinds=frozenset({"VacuumStmt", "ClusterStmt"}),
)

RULES = (VACUUM_FULL_OR_CLUSTER,)
