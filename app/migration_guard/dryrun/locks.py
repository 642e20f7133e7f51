"""What the dry run's traced locks mean for the application (pure: traced data in, plain data out).

The trace records, per statement, the relation locks it newly took and the tables it rewrote. A
lock taken inside the file's transaction is held until the file commits, so a statement's lock
covers every statement after it: ``lock_spans`` reports each blocking lock (SHARE and stronger) on
a table that existed before the file, from the statement that takes it to the commit, and the
backfills, scans and rewrites it is held through (eugene reports the same). ``statement_work``
tells a metadata-only moment (instant, but it queues behind running transactions) from a lock held
while rows are read or rewritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any

from migration_guard.plan_model import Lock, MigrationRun, StatementTrace

# Roles the dry run creates for itself are shown as the role they stand for, as errortext does
# for the plan's messages (this is the last pass, over whatever a renderer printed).
INTERNAL_ROLE_LABEL = "postgres"
# Real Supabase role names are what production shows too: never hidden.
_REAL_ROLES = frozenset({"postgres", "supabase_admin", "anon", "authenticated", "service_role"})


@cache
def _internal_roles() -> re.Pattern[str] | None:
    from migration_guard.dryrun import bootstrap

    # Whichever the bootstrap defines: the migration role, its fallback, the cluster superuser.
    names = {str(getattr(bootstrap, attr, "")) for attr in ("MIGRATION_ROLE", "FALLBACK_ROLE", "SUPERUSER")}
    names |= {str(n) for n in getattr(bootstrap, "INTERNAL_ROLES", ())}
    names = {n for n in names if n and n not in _REAL_ROLES}
    if not names:
        return None
    # Quotes stay: the name may sit in a JSON string or in `role "…"` of a server message.
    return re.compile(r"(?<![\w$])(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")(?![\w$])")


def hide_internal_roles(text: str) -> str:
    """Replace the dry run's own role names (``mg_migrator``) in a rendered report."""
    pattern = _internal_roles()
    return pattern.sub(INTERNAL_ROLE_LABEL, text) if pattern else text


# --- what each statement does under its locks ------------------------------------------------------
# pg_locks modes from weakest to strongest (the conflict table in the PostgreSQL docs).
MODE_ORDER = (
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
)  # fmt: skip
# Locks that stop the application: writes (SHARE and up) or reads too (ACCESS EXCLUSIVE).
BLOCKING = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})
DML = frozenset({"UpdateStmt", "InsertStmt", "DeleteStmt", "MergeStmt"})
SLOW = ("backfill", "scan", "rewrite")  # work that keeps a held lock for as long as the table is big
_CONCURRENTLY = re.compile(r"\bconcurrently\b", re.IGNORECASE)


def rank(mode: str) -> int:
    return MODE_ORDER.index(mode) if mode in MODE_ORDER else -1


def effect(mode: str) -> str:
    """What the application sees while the lock is held."""
    if mode == "AccessExclusiveLock":
        return "blocks reads and writes"
    if mode in BLOCKING:
        return "blocks writes"
    return "reads and writes continue"


@dataclass(frozen=True)
class Work:
    """What a statement does to the data while it holds its locks."""

    kind: str  # metadata | scan | rewrite | backfill | other
    label: str  # e.g. "SET NOT NULL reads every row"


@lru_cache(maxsize=4096)
def _tree_json(sql: str) -> str:
    return json.dumps(_parse(sql))


def _tree(sql: str) -> dict[str, Any]:
    tree: dict[str, Any] = json.loads(_tree_json(sql))
    return tree


def _parse(sql: str) -> dict[str, Any]:
    from pglast import parser

    try:
        stmts = json.loads(parser.parse_sql_json(sql)).get("stmts") or []
    except Exception:  # a statement the parser refuses: nothing to learn from it
        return {}
    node = stmts[0].get("stmt", {}) if stmts else {}
    return next(iter(node.values()), {}) if isinstance(node, dict) and node else {}


def _alter_table_work(node: dict[str, Any]) -> Work:
    for cmd in node.get("cmds") or ():
        c = cmd.get("AlterTableCmd", {})
        subtype = c.get("subtype")
        if subtype == "AT_SetNotNull":
            return Work("scan", "SET NOT NULL reads every row")
        if subtype == "AT_ValidateConstraint":
            return Work("scan", "VALIDATE CONSTRAINT reads every row")
        if subtype == "AT_AlterColumnType":
            return Work("scan", "the type change checks every row")
        if subtype == "AT_AddConstraint":
            con = (c.get("def") or {}).get("Constraint", {})
            contype = con.get("contype")
            if contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION") and not con.get("indexname"):
                return Work("scan", "the constraint's index is built from every row")
            if contype in ("CONSTR_CHECK", "CONSTR_FOREIGN") and not con.get("skip_validation"):
                return Work("scan", "the new constraint is checked against every row")
    return Work("metadata", "a catalog change")


def _relation(node: dict[str, Any]) -> str | None:
    rel = node.get("relation")
    if not isinstance(rel, dict) or not rel.get("relname"):
        return None
    return f"{rel.get('schemaname') or 'public'}.{rel['relname']}"


TARGETED = frozenset({"AlterTableStmt", "IndexStmt", *DML})


def run_work(run: MigrationRun) -> tuple[Work, ...]:
    """``statement_work`` for each statement of a run; work on a table the file itself created
    earlier is quick (the table is new and empty), whatever the statement."""
    created: set[str] = set()
    out = []
    for st in run.statements:
        node = _tree(st.sql) if st.kind in (*TARGETED, "CreateStmt", "CreateTableAsStmt") else {}
        target = _relation(node) if st.kind in TARGETED else None
        work = statement_work(st)
        if target in created and work.kind in SLOW and not st.rewrites:
            work = Work("metadata", f"on {target}, created earlier in this file (empty)")
        out.append(work)
        if st.kind == "CreateStmt":
            name = _relation(node)
            if name:
                created.add(name)
        elif st.kind == "CreateTableAsStmt":
            name = _relation((node.get("into") or {}).get("IntoClause", node.get("into") or {}))
            if name:
                created.add(name)
    return tuple(out)


def statement_work(st: StatementTrace) -> Work:
    """Classify a traced statement: a rewrite (seen in pg_class), a backfill, a scan, or metadata."""
    if st.rewrites:
        return Work("rewrite", f"rewrites {', '.join(st.rewrites[:3])}{' …' if len(st.rewrites) > 3 else ''}")
    if st.kind in DML:
        verb = {"UpdateStmt": "UPDATE", "InsertStmt": "INSERT", "DeleteStmt": "DELETE", "MergeStmt": "MERGE"}[st.kind]
        rows = f" of {st.rows:,} row{'s' if st.rows != 1 else ''} in the dry run" if st.rows is not None else ""
        return Work("backfill", f"{verb}{rows}")
    if st.kind == "IndexStmt":
        return Work("scan", "the index is built from every row")
    if st.kind in ("ClusterStmt", "VacuumStmt", "RefreshMatViewStmt"):
        return Work("rewrite", f"{st.kind.removesuffix('Stmt').upper()} rewrites the table")
    if st.kind == "AlterTableStmt":
        return _alter_table_work(_tree(st.sql))
    if st.kind in ("DoStmt", "CreateTableAsStmt", "SelectStmt", "CallStmt", "CopyStmt"):
        return Work("other", "runs code or queries")
    return Work("metadata", "a catalog change")


def moment_detail(work: Work) -> str:
    """How the statement that takes a lock keeps it: briefly (catalog only) or during real work."""
    if work.kind == "metadata":
        return (
            "by a brief catalog change, but it waits behind running transactions and every query queues "
            "behind it (keep lock_timeout short)"
        )
    if work.kind == "rewrite":
        return f"while the table is rewritten ({work.label})"
    if work.kind == "scan":
        return f"while {work.label}"
    if work.kind == "backfill":
        return f"during the {work.label}"
    return f"while it {work.label}"


def moment(mode: str, work: Work) -> str:
    """One line for the moment a blocking lock is taken: brief catalog change, or held during real work."""
    return f"{effect(mode)} {moment_detail(work)}"


# --- lock spans: from the statement that takes a lock until the file commits -----------------------
@dataclass(frozen=True)
class HeldStep:
    line: int
    work: Work
    duration_ms: float


@dataclass(frozen=True)
class LockSpan:
    relation: str
    mode: str  # the strongest blocking mode held in the span
    line: int  # the statement that first took a blocking lock on the relation
    work: Work  # what that statement did (metadata-only, scan, rewrite, …)
    stronger_at: int | None  # the line where the lock became ``mode``, when later than ``line``
    until_commit: bool  # False: a statement run outside a transaction holds it only while it runs
    later: tuple[HeldStep, ...]  # statements that ran while it was held, after the first
    held_ms: float  # measured time of the statements it spans (the dry run's data is small)

    @property
    def long_hold(self) -> tuple[HeldStep, ...]:
        """Later statements that keep the lock for as long as a table is big."""
        return tuple(s for s in self.later if s.work.kind in SLOW)


def in_transaction(run: MigrationRun) -> bool:
    """Did the file run in one transaction? Not when it holds statements PostgreSQL refuses inside
    one (CONCURRENTLY, VACUUM): such files run statement by statement."""
    for st in run.statements:
        if st.kind == "VacuumStmt" or (
            st.kind in ("IndexStmt", "ReindexStmt", "DropStmt") and _CONCURRENTLY.search(st.sql)
        ):
            return False
    return True


def _name(lock: Lock) -> str:
    return f"{lock.schema}.{lock.relation}" if lock.schema else lock.relation


def lock_spans(run: MigrationRun, transactional: bool | None = None) -> tuple[LockSpan, ...]:
    """Every blocking lock the file takes on a table that existed before it, with how long it is
    held and through which later statements. ``transactional`` None: inferred (``in_transaction``)."""
    in_tx = in_transaction(run) if transactional is None else transactional
    statements = list(run.statements)
    works = run_work(run)
    spans: list[LockSpan] = []
    open_spans: dict[str, LockSpan] = {}
    for i, st in enumerate(statements):
        work = works[i]
        for lock in st.locks:
            if lock.mode not in BLOCKING:
                continue
            name = _name(lock)
            current = open_spans.get(name) if in_tx else None
            if current is None:
                later = range(i + 1, len(statements)) if in_tx else range(0)
                span = LockSpan(
                    name, lock.mode, st.line, work, None, in_tx,
                    tuple(HeldStep(statements[j].line, works[j], statements[j].duration_ms) for j in later),
                    round(st.duration_ms + sum(statements[j].duration_ms for j in later), 3),
                )  # fmt: skip
                spans.append(span)
                if in_tx:
                    open_spans[name] = span
            elif rank(lock.mode) > rank(current.mode):
                upgraded = replace(current, mode=lock.mode, stronger_at=st.line)
                spans[spans.index(current)] = upgraded
                open_spans[name] = upgraded
    return tuple(sorted(spans, key=lambda s: (s.line, -rank(s.mode), s.relation)))


def _lines(steps: tuple[HeldStep, ...]) -> str:
    lines = [str(s.line) for s in steps]
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(lines[:-1])} and {lines[-1]}"


def span_text(span: LockSpan) -> str:
    """``held from line 2 until commit, across 8 later statements (lines 3–10), 42 ms in the dry run``."""
    if not span.until_commit:
        return f"held while line {span.line} runs (no transaction)"
    stronger = f", {span.mode} from line {span.stronger_at}" if span.stronger_at else ""
    if not span.later:
        return f"held from line {span.line} until commit (the file's last statement){stronger}"
    n = len(span.later)
    where = f"line {span.later[0].line}" if n == 1 else f"lines {span.later[0].line}–{span.later[-1].line}"
    return (
        f"held from line {span.line} until commit, across {n} later statement{'s' if n != 1 else ''} "
        f"({where}){stronger}, {_ms(span.held_ms)} in the dry run"
    )


def long_hold_text(span: LockSpan) -> str | None:
    """Why a span is a long hold, and the fix; None when it is not one."""
    slow = span.long_hold
    if not slow:
        return None
    parts = []
    for kind, noun in (("backfill", "a backfill"), ("scan", "a full scan"), ("rewrite", "a rewrite")):
        steps = tuple(s for s in slow if s.work.kind == kind)
        if steps:
            parts.append(f"{noun} ({_lines(steps)})")
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"long hold: {span.mode} on {span.relation} is taken at line {span.line} and held through {what}; "
        f"on a big table the app is {'locked out' if span.mode == 'AccessExclusiveLock' else 'unable to write'} "
        "all that time. Take the lock last, or move the slow statements to their own migration"
    )


def _ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
