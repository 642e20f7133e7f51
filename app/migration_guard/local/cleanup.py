"""What `reset` drops, worked out from the migration files themselves.

Decision (documented in docs/configuration.md, "reset"): the project's schemas — ``public`` and every
schema a migration creates — are dropped whole and rebuilt by the migrations. Platform schemas that
Supabase's services own (auth, storage, realtime, extensions, …) are never dropped, because the local
stack's Auth and Storage servers live in them; instead the objects that migrations created *inside*
them (tables, views, functions, triggers, policies, indexes, types, read from the parsed files) are
dropped one by one, and ``auth.users`` is emptied (seeds create users; keep them with
``--keep-data auth.users``). Objects in platform schemas that depend on dropped project objects go
with them (CASCADE).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from migration_guard.model import Migration

PLATFORM_SCHEMAS = frozenset(
    {
        "auth", "storage", "realtime", "extensions", "graphql", "graphql_public", "vault", "pgsodium",
        "pgsodium_masks", "supabase_functions", "supabase_migrations", "net", "cron", "pgbouncer", "_realtime",
        "_analytics", "pgmq", "pgtle", "information_schema", "pg_catalog", "pg_toast", "migration_guard",
    }
)  # fmt: skip


class PlatformObject(NamedTuple):
    kind: str  # table | view | function | trigger | policy | index | type
    schema: str
    name: str
    on: str | None = None  # "schema.table" for triggers and policies


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [i.get("String", {}).get("sval", "") for i in items]


def project_schemas(migrations: Iterable[Migration]) -> list[str]:
    """``public`` plus every schema the migrations create, minus the platform's."""
    found = ["public"]
    for m in migrations:
        for st in m.statements:
            if st.kind == "CreateSchemaStmt":
                name = st.node.get("schemaname")
                if name and name not in PLATFORM_SCHEMAS and name not in found and not name.startswith("pg_"):
                    found.append(name)
    return found


def _relation(node: dict[str, Any]) -> tuple[str, str]:
    return node.get("schemaname") or "public", node.get("relname", "")


def platform_objects(migrations: Iterable[Migration]) -> list[PlatformObject]:
    """Objects migrations created inside platform schemas, newest first (so dependents go first)."""
    out: list[PlatformObject] = []
    for m in migrations:
        for st in m.statements:
            n = st.node
            obj: PlatformObject | None = None
            if st.kind in ("CreateStmt", "CreateTableAsStmt"):
                rel = n.get("relation") or n.get("into", {}).get("rel", {})
                obj = PlatformObject("table", *_relation(rel))
            elif st.kind == "ViewStmt":
                obj = PlatformObject("view", *_relation(n.get("view", {})))
            elif st.kind == "CreateFunctionStmt":
                names = _names(n.get("funcname", []))
                if len(names) == 2:
                    obj = PlatformObject("function", names[0], names[1])
            elif st.kind in ("CreateTrigStmt", "CreatePolicyStmt"):
                schema, table = _relation(n.get("relation") or n.get("table", {}))
                name = n.get("trigname") or n.get("policy_name", "")
                kind = "trigger" if st.kind == "CreateTrigStmt" else "policy"
                obj = PlatformObject(kind, schema, name, f"{schema}.{table}")
            elif st.kind == "IndexStmt" and n.get("idxname"):
                obj = PlatformObject("index", _relation(n.get("relation", {}))[0], n["idxname"])
            elif st.kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt"):
                names = _names(n.get("typeName") or n.get("domainname") or [])
                if not names and st.kind == "CompositeTypeStmt":
                    names = list(_relation(n.get("typevar", {})))
                if len(names) == 2:
                    obj = PlatformObject("type", names[0], names[1])
            if obj is not None and obj.schema in PLATFORM_SCHEMAS and obj.name:
                out.append(obj)
    return list(reversed(out))
