"""Histories as they are (issue 12): seeds as `supabase db reset` finds them, out-of-order hints, and
the PostgreSQL major the project runs.

Pure functions over paths, TOML and loaded migrations; ``dryrun.plan`` wires them in.
"""

from __future__ import annotations

import glob
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration_guard.model import Migration
from migration_guard.plan_model import StatementError

# -- seeds ----------------------------------------------------------------------------------------


def _read_config(config: Path | None) -> dict[str, Any]:
    if config is None:
        return {}
    try:
        return tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


@dataclass(frozen=True)
class Seeds:
    paths: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


def seed_files(migrations_dir: Path, config: Path | None) -> Seeds:
    """The seed files, in the order `supabase db reset` loads them.

    With a ``supabase/config.toml``: ``[db.seed] enabled`` (default true) and ``sql_paths`` (default
    ``["./seed.sql"]``), globs relative to the supabase folder, each glob's matches sorted, no file
    twice. Without one: ``seed.sql`` next to the migrations folder, else inside it."""
    data = _read_config(config)
    db = data.get("db") if isinstance(data.get("db"), dict) else {}
    seed = db.get("seed") if isinstance(db, dict) and isinstance(db.get("seed"), dict) else None
    if config is not None and seed is not None:
        if seed.get("enabled") is False:
            return Seeds(())
        patterns = seed.get("sql_paths", ["./seed.sql"])
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            return Seeds((), (f"{config}: [db.seed] sql_paths must be a list of paths or globs; no seed loaded",))
        base = config.parent
        found: list[Path] = []
        warnings: list[str] = []
        for pattern in patterns:
            matches = sorted(Path(p) for p in glob.glob(str(base / pattern), recursive=True) if Path(p).is_file())
            if not matches:
                warnings.append(f"{config}: [db.seed] sql_paths: nothing matches {pattern!r}")
            for path in matches:
                if path.resolve() not in {f.resolve() for f in found}:
                    found.append(path)
        return Seeds(tuple(found), tuple(warnings))
    candidates = [migrations_dir.parent / "seed.sql", migrations_dir / "seed.sql"]
    if config is not None:
        candidates.insert(0, config.parent / "seed.sql")
    for candidate in candidates:
        if candidate.is_file():
            return Seeds((candidate,))
    return Seeds(())


# -- the major version ----------------------------------------------------------------------------


def project_major(config: Path | None) -> int | None:
    """``[db] major_version`` from supabase/config.toml."""
    db = _read_config(config).get("db")
    value = db.get("major_version") if isinstance(db, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def server_major(version: str) -> int | None:
    m = re.match(r"(\d+)", version)
    return int(m.group(1)) if m else None


def version_note(have: int | None, want: int | None, source: str) -> str | None:
    """One line for the top of the report when the dry run's major is not the project's."""
    if have is None or want is None or have == want:
        return None
    head = f"PostgreSQL {have} ran this dry run, but the project runs PostgreSQL {want} ({source})"
    if want > have:
        span = f"{have + 1}" if want == have + 1 else f"{have + 1}–{want}"
        return (f"{head}: syntax and behaviour new in {span} (e.g. JSON_TABLE and SQL/JSON functions, MERGE … "
                f"RETURNING, changed role-membership rules for CREATEROLE) fail or differ here but not there. "
                f"Run the dry run on PostgreSQL {want} to see them (--postgres docker, or local PostgreSQL {want} "
                "binaries).")
    span = f"{want + 1}" if have == want + 1 else f"{want + 1}–{have}"
    return (f"{head}: SQL that needs PostgreSQL {span} passes here but fails there. Run the dry run on "
            f"PostgreSQL {want} to see it.")


# -- out of order ---------------------------------------------------------------------------------

MISSING_STATES = {"42P01", "42883", "3F000", "42704"}
_MISSING = re.compile(r'^(?:relation|schema|type|function|sequence|view) "?([^"(]+?)"?(?:\(.*\))? does not exist')


def _qualified(parts: list[str]) -> tuple[str | None, str]:
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, parts[-1] if parts else ""


def _names(node: Any, key: str) -> list[str]:
    out = []
    for item in node.get(key, ()) or ():
        s = item.get("String", {}) if isinstance(item, dict) else {}
        if isinstance(s, dict) and "sval" in s:
            out.append(str(s["sval"]))
    return out


def created_objects(m: Migration) -> list[tuple[str | None, str, int]]:
    """(schema or None, name, line) of the relations, types, functions and schemas a file creates."""
    out: list[tuple[str | None, str, int]] = []
    for st in m.statements:
        if st.kind not in ("CreateStmt", "CreateTableAsStmt", "ViewStmt", "CreateSeqStmt", "CreateSchemaStmt",
                           "CreateFunctionStmt", "CompositeTypeStmt", "CreateEnumStmt", "CreateDomainStmt"):
            continue
        node = st.node
        rel: Any = None
        if st.kind in ("CreateStmt", "CreateSeqStmt"):
            rel = node.get("relation") if st.kind == "CreateStmt" else node.get("sequence")
        elif st.kind == "CreateTableAsStmt":
            rel = (node.get("into") or {}).get("rel")
        elif st.kind == "ViewStmt":
            rel = node.get("view")
        elif st.kind == "CompositeTypeStmt":
            rel = node.get("typevar")
        if isinstance(rel, dict):
            out.append((rel.get("schemaname"), str(rel.get("relname", "")), st.line))
        elif st.kind == "CreateSchemaStmt":
            out.append((None, str(node.get("schemaname", "")), st.line))
        elif st.kind in ("CreateFunctionStmt", "CreateEnumStmt", "CreateDomainStmt"):
            key = {"CreateFunctionStmt": "funcname", "CreateEnumStmt": "typeName", "CreateDomainStmt": "domainname"}
            schema, name = _qualified(_names(node, key[st.kind]))
            out.append((schema, name, st.line))
    return out


def missing_name(error: StatementError) -> tuple[str | None, str] | None:
    """The object an "… does not exist" error names, as (schema or None, name)."""
    if error.sqlstate not in MISSING_STATES:
        return None
    m = _MISSING.match(error.message)
    if m is None:
        return None
    return _qualified(m.group(1).split("."))


def out_of_order(failed: Migration, error: StatementError, later: list[Migration]) -> str | None:
    """When a later-sorting file creates the object this error misses, say so and name the fix."""
    wanted = missing_name(error)
    if wanted is None:
        return None
    schema, name = wanted
    for m in later:
        for created_schema, created, _line in created_objects(m):
            if created != name:
                continue
            if schema is not None and (created_schema or "public") != schema:
                continue
            shown = f"{created_schema or schema or 'public'}.{name}" if created_schema or schema else name
            return (
                f"out of order: `{shown}` is created by {m.path.name}, which sorts after this file; Supabase "
                f"applies files in version order. Fix: give {failed.path.name} a version after "
                f"{m.version or m.path.name} (rename it; `supabase migration new` stamps the current time), or move "
                f"the statement that creates `{shown}` into an earlier file"
            )
    return None
