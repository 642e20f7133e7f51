"""CREATE EXTENSION, before anything runs: is every extension available here? Stubs on request.

A missing extension stops the plan with one error naming the extension, the file and the line,
and what to do. Never skipped silently. ``--stub-extension NAME`` is the explicit way past it:

A stub does exactly this, and warns about it in the report:
- every ``CREATE EXTENSION NAME`` statement is *not executed* (it is traced as a stubbed statement);
- the schema the statement names (``WITH SCHEMA s``) and the extension's usual schema on Supabase
  (``STUB_SCHEMAS``) are created if missing, so later ``s.something`` references resolve the schema;
- for a few platform extensions, plain SQL stand-ins of the objects migrations commonly call are
  created (``STUB_OBJECTS``: e.g. ``net.http_post`` returning a request id, ``vault.create_secret``),
  owned by the migration role. They do nothing. Types (``vector(1536)``) cannot be stood in: SQL
  that uses them still fails, at its own line.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration_guard.dryrun import extension_policy as policy
from migration_guard.model import Migration

# Where Supabase installs these (migrations then reference e.g. net.http_post, vault.secrets).
STUB_SCHEMAS: dict[str, str] = {
    "pg_net": "net",
    "pg_graphql": "graphql",
    "supabase_vault": "vault",
    "pgjwt": "extensions",
    "pgmq": "pgmq",
    "pg_cron": "cron",
    "pgsodium": "pgsodium",
    "wrappers": "extensions",
    "http": "extensions",
    "vector": "extensions",
}

STUB_OBJECTS: dict[str, str] = {
    "pg_net": """
create or replace function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer default 5000)
  returns bigint language sql as $$ select 0::bigint $$;
create or replace function net.http_get(url text, params jsonb default '{}'::jsonb, headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000) returns bigint language sql as $$ select 0::bigint $$;
""",
    "supabase_vault": """
create table if not exists vault.secrets (id uuid primary key default gen_random_uuid(), name text unique,
  description text not null default '', secret text not null, key_id uuid, nonce bytea,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now());
create or replace view vault.decrypted_secrets as select *, secret as decrypted_secret from vault.secrets;
create or replace function vault.create_secret(new_secret text, new_name text default null,
  new_description text default '', new_key_id uuid default null) returns uuid language sql as $$
  insert into vault.secrets (secret, name, description) values (new_secret, new_name, new_description) returning id $$;
""",
    "pg_graphql": """
create or replace function graphql.resolve(query text, variables jsonb default '{}', "operationName" text default null,
  extensions jsonb default null) returns jsonb language sql as $$ select '{}'::jsonb $$;
""",
}


@dataclass(frozen=True)
class ExtensionUse:
    name: str
    path: str
    line: int
    schema: str | None
    if_not_exists: bool
    column: int = 1


def _option(node: dict[str, Any], name: str) -> str | None:
    for opt in node.get("options", ()) or ():
        d = opt.get("DefElem", {})
        if d.get("defname") == name:
            arg = d.get("arg", {})
            s = arg.get("String", {}) if isinstance(arg, dict) else {}
            value = s.get("sval") if isinstance(s, dict) else None
            return str(value) if value is not None else None
    return None


def scan(migrations: Iterable[Migration]) -> list[ExtensionUse]:
    """Every CREATE EXTENSION in run order (parse tree, so never inside strings or comments)."""
    found: list[ExtensionUse] = []
    for m in migrations:
        for st in m.statements:
            if st.kind == "CreateExtensionStmt":
                found.append(
                    ExtensionUse(
                        name=str(st.node.get("extname", "")),
                        path=m.display_path,
                        line=st.line,
                        schema=_option(st.node, "schema"),
                        if_not_exists=bool(st.node.get("if_not_exists", False)),
                        column=st.column,
                    )
                )
    return found


def extension_dirs(bin_dir: Path) -> list[Path]:
    """Where a server's control files live: Debian's /usr/share/postgresql/<major>/extension, or
    <prefix>/share/[postgresql/]extension for source and other builds."""
    prefix = bin_dir.parent
    return [
        bin_dir.parents[3] / "share" / "postgresql" / prefix.name / "extension" if len(bin_dir.parents) > 3 else prefix,
        prefix / "share" / "extension",
        prefix / "share" / "postgresql" / "extension",
    ]


def local_extensions(bin_dir: Path) -> set[str] | None:
    """Extension names available to the server in ``bin_dir`` (None when its folder is not found)."""
    for d in extension_dirs(bin_dir):
        if d.is_dir() and any(d.glob("*.control")):
            return {p.name[: -len(".control")] for p in d.glob("*.control")}
    return None


def local_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False)
    m = re.search(r"\(PostgreSQL\)\s+(\S+)", out.stdout)
    return m.group(1) if m else "?"


def available(conn: Any) -> set[str]:
    return {str(r[0]) for r in conn.execute("select name from pg_available_extensions").fetchall()}


def missing(uses: list[ExtensionUse], have: set[str], stubs: Iterable[str]) -> list[ExtensionUse]:
    stubbed = set(stubs)
    return [u for u in uses if u.name not in have and u.name not in stubbed]


def missing_message(first: ExtensionUse, others: list[str], version: str, located: bool = True) -> str:
    """The one error: which extension, where (unless ``located`` is off), and the ways out."""
    also = f" (also missing: {', '.join(others)})" if others else ""
    where = f"{first.path}:{first.line}: " if located else ""
    return (
        f'{where}extension "{first.name}" is not available on this PostgreSQL {version} '
        f"server{also}. Run the dry run where it is installed: --postgres docker --postgres-image "
        f"supabase/postgres:<version> (Supabase's image), or a service container that has it via --postgres-url; "
        f"or pass --stub-extension {first.name} to stand in a no-op (its types and functions will not exist)"
    )


def stub_sql(use: ExtensionUse) -> str:
    """The schema the statement names and the extension's usual schema (pg_net's functions live in
    ``net`` whatever WITH SCHEMA says), plus the stand-in objects of a known platform extension."""
    schemas = [s for s in dict.fromkeys([use.schema, STUB_SCHEMAS.get(use.name)]) if s]
    sql = "".join(f'create schema if not exists "{s}";\n' for s in schemas)
    return sql + STUB_OBJECTS.get(use.name, "")


def dry_run_extensions(bin_dir: Path, strict: bool = False) -> set[str] | None:
    """What the local dry-run server offers: the real extensions and, unless ``strict``, our stand-ins
    (its private install tree, ``sharetree.py``); None when the layout is not recognised."""
    from migration_guard.dryrun.sharetree import available

    found = available(bin_dir, strict)
    return found if found is not None else local_extensions(bin_dir)


def refused(
    uses: list[ExtensionUse], stubs: Iterable[str], standins: frozenset[str], have: set[str], elevated: bool = False
) -> tuple[ExtensionUse, policy.Decision] | None:
    """The first CREATE EXTENSION the sandbox does not allow (``extension_policy``), unless stubbed.

    An extension this server lacks is "missing" rather than refused (that message names the ways
    out), except one refused in any form (an untrusted language, adminpack): Supabase's own network
    extensions (pg_net, http, wrappers) have stand-ins elsewhere."""
    stubbed = set(stubs)
    for use in uses:
        if use.name in stubbed:
            continue
        decision = policy.decide(use.name, standins, elevated)
        if decision.verdict == "allowed":
            continue
        if use.name in have or (decision.verdict == "refused" and use.name not in STUB_SCHEMAS):
            return use, decision
    return None


def refused_names(uses: list[ExtensionUse]) -> set[str]:
    """Names refused whatever the server has (see ``refused``)."""
    return {u.name for u in uses if policy.decide(u.name).verdict == "refused" and u.name not in STUB_SCHEMAS}
