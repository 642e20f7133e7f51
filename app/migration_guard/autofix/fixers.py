"""One fixer per rule id: what it rewrites, and when it refuses (a reason the user can act on).

Each fixer edits only the tokens it must (a keyword inserted, one ALTER TABLE sub-command
replaced), at positions from PostgreSQL's scanner and parser; names are copied as the file spells
them. Anything unexpected is a ``Skipped`` with the reason, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from migration_guard.autofix import runners, sqltext
from migration_guard.autofix.model import Edit, Fixed, Fixer, Outcome, Skipped, Target
from migration_guard.model import Migration
from migration_guard.rules.fixes import ident
from migration_guard.rules.nodes import Node, qualified, table_key

NOT_TOP_LEVEL = "not a top-level statement of the file (inside a DO block?); fix it by hand"
NOT_ALONE = (
    "the file holds {n} other statement(s); CONCURRENTLY must run outside a transaction, so move the "
    "statement to a migration file of its own, then run --fix again"
)


def _alone(t: Target) -> Skipped | None:
    others = len(t.migration.statements) - 1
    return Skipped(NOT_ALONE.format(n=others)) if others else None


def _partitioned(earlier: Sequence[Migration], migration: Migration, key: tuple[str, str] | None) -> bool:
    """Was the table created PARTITION BY in the files before (or this file)? Only CREATE TABLE
    statements are decoded, so this stays cheap."""
    if key is None:
        return False
    for m in (*earlier, migration):
        for st in m.statements:
            if st.kind == "CreateStmt" and '"partspec"' in st.node_json:
                node = st.node
                if table_key(node.get("relation")) == key:
                    return True
    return False


_OBJECT_KEYWORDS = frozenset({"INDEX", "TABLE", "SCHEMA", "DATABASE"})


def _concurrently(t: Target, kind: str, what: str) -> Outcome:
    """Insert CONCURRENTLY after INDEX and tell the runner not to wrap the file in a transaction."""
    st = t.statement
    if st.kind != kind:
        return Skipped(NOT_TOP_LEVEL)
    skipped = _alone(t)
    if skipped:
        return skipped
    toks = sqltext.tokens(st.sql)
    depth = 0
    index = None
    for tok in toks:  # the object keyword at the top level (REINDEX's option list is in parentheses)
        depth += (tok.name == sqltext.OPEN) - (tok.name == sqltext.CLOSE)
        if depth == 0 and tok.name in _OBJECT_KEYWORDS:
            index = tok
            break
    if index is None:
        return Skipped(f"no INDEX keyword found in the {what}; fix it by hand")
    edit = Edit(st.start + index.stop, st.start + index.stop, " CONCURRENTLY")
    directive, said = runners.no_transaction(t.migration, st)
    if directive is None:
        return Fixed((edit,), "added CONCURRENTLY (the file already runs outside a transaction)")
    return Fixed((edit, directive), f"added CONCURRENTLY and `{said}`")


def fix_create_index(t: Target) -> Outcome:
    node = t.statement.node if t.statement.kind == "IndexStmt" else {}
    key = table_key(node.get("relation"))
    if _partitioned(t.earlier, t.migration, key):
        return Skipped("a partitioned table: PostgreSQL cannot build its index CONCURRENTLY; index each partition")
    return _concurrently(t, "IndexStmt", "CREATE INDEX")


def _index_table(earlier: Sequence[Migration], key: tuple[str, str]) -> tuple[str, str] | None:
    """The table of an index created in the files before (the last CREATE INDEX of that name)."""
    found = None
    for m in earlier:
        for st in m.statements:
            if st.kind == "IndexStmt":
                node = st.node
                table = table_key(node.get("relation"))
                if node.get("idxname") == key[1] and table is not None and table[0] == key[0]:
                    found = table
    return found


def fix_drop_index(t: Target) -> Outcome:
    node = t.statement.node if t.statement.kind == "DropStmt" else {}
    objects = node.get("objects") or ()
    if len(objects) > 1:
        return Skipped("DROP INDEX CONCURRENTLY drops one index at a time; give each its own file")
    if node.get("behavior") == "DROP_CASCADE":
        return Skipped("DROP INDEX CONCURRENTLY does not support CASCADE; drop the dependent objects first")
    key = qualified((objects[0].get("List") or {}).get("items") or []) if objects else None
    if key is not None and _partitioned(t.earlier, t.migration, _index_table(t.earlier, key)):
        return Skipped("an index of a partitioned table: PostgreSQL cannot drop it CONCURRENTLY")
    return _concurrently(t, "DropStmt", "DROP INDEX")


def fix_reindex(t: Target) -> Outcome:
    node = t.statement.node if t.statement.kind == "ReindexStmt" else {}
    if node.get("kind") == "REINDEX_OBJECT_SYSTEM":
        return Skipped("REINDEX SYSTEM cannot run CONCURRENTLY")
    return _concurrently(t, "ReindexStmt", "REINDEX")


def fix_concurrent_in_transaction(t: Target) -> Outcome:
    """CONCURRENTLY is already written: only the no-transaction directive is missing."""
    st = t.statement
    if st.kind not in ("IndexStmt", "DropStmt", "ReindexStmt"):
        return Skipped("only CREATE INDEX, DROP INDEX and REINDEX are fixed; fix it by hand")
    skipped = _alone(t)
    if skipped:
        return skipped
    directive, said = runners.no_transaction(t.migration, st)
    if directive is None:
        return Skipped("inside BEGIN … COMMIT in a no-transaction file; remove them by hand")
    return Fixed((directive,), f"added `{said}`")


class _Alter:
    """An ALTER TABLE statement parsed on its own, with its tokens (positions relative to its text)."""

    def __init__(self, t: Target) -> None:
        self.stmt = t.statement
        self.parsed = sqltext.parse(self.stmt.sql) if self.stmt.kind == "AlterTableStmt" else None
        self.toks = sqltext.tokens(self.stmt.sql) if self.parsed else []
        self.node: Node = self.parsed.node if self.parsed else {}

    def cmds(self) -> list[Node]:
        return [c["AlterTableCmd"] for c in self.node.get("cmds") or () if "AlterTableCmd" in c]

    def text(self, first: int, last: int) -> str:
        """The statement's text from token ``first`` to token ``last`` (inclusive), as written."""
        return self.stmt.sql[self.toks[first].start : self.toks[last].stop]

    def table_as_written(self) -> str | None:
        rel = self.node.get("relation") or {}
        if self.parsed is None or not isinstance(rel.get("location"), int):
            return None
        i = sqltext.at(self.toks, self.parsed.char(rel["location"]))
        return None if i is None else self.text(i, sqltext.dotted_end(self.toks, i) - 1)


def _constraints(cmds: list[Node]) -> Iterator[tuple[Node, bool]]:
    """(constraint, written inline in ADD COLUMN?) of the ALTER TABLE's sub-commands."""
    for cmd in cmds:
        d = cmd.get("def") or {}
        if "Constraint" in d:
            yield d["Constraint"], False
        for c in (d.get("ColumnDef") or {}).get("constraints") or ():
            if "Constraint" in c:
                yield c["Constraint"], True


def fix_not_valid(t: Target) -> Outcome:
    """ADD CONSTRAINT name FOREIGN KEY / CHECK … → … NOT VALID; VALIDATE it in the next file."""
    alter = _Alter(t)
    if alter.parsed is None:
        return Skipped(NOT_TOP_LEVEL)
    wanted = t.offset - t.statement.start
    found: tuple[Node, bool] | None = None
    for con, inline in _constraints(alter.cmds()):
        loc = con.get("location")
        if isinstance(loc, int) and alter.parsed.char(loc) == wanted:
            found = (con, inline)
    if found is None:
        return Skipped("could not find the constraint the finding is about; fix it by hand")
    con, inline = found
    if inline:
        return Skipped("the constraint is written inline in ADD COLUMN; add the column first, then the constraint")
    foreign = con.get("contype") == "CONSTR_FOREIGN"
    if foreign and _partitioned(t.earlier, t.migration, table_key(alter.node.get("relation"))):
        return Skipped("a partitioned table: PostgreSQL cannot add a foreign key NOT VALID on it")
    first = sqltext.at(alter.toks, wanted)
    if not con.get("conname") or first is None or alter.toks[first].name != "CONSTRAINT":
        return Skipped(
            "the constraint has no name, so the next migration could not VALIDATE it by name; write "
            "ADD CONSTRAINT <name> …, then run --fix again"
        )
    table = alter.table_as_written()
    if table is None:
        return Skipped("could not find the table name in the statement; fix it by hand")
    name = alter.text(first + 1, first + 1)
    only = "" if (alter.node.get("relation") or {}).get("inh") else "ONLY "  # added to the parent alone
    last = sqltext.clause_end(alter.toks, first)
    end = t.statement.start + alter.toks[last].stop
    return Fixed(
        (Edit(end, end, " NOT VALID"),),
        f"added NOT VALID; VALIDATE CONSTRAINT {name} goes to a new migration file",
        (f"ALTER TABLE {only}{table} VALIDATE CONSTRAINT {name};",),
        f"validate {con['conname']}",
    )


def fix_set_not_null(t: Target) -> Outcome:
    """Each SET NOT NULL of the statement → a CHECK (col IS NOT NULL) NOT VALID in its place (the
    other sub-commands stay); in the next file VALIDATE it, SET NOT NULL (PostgreSQL 12+ skips the
    scan thanks to the validated check) and drop the check. All SET NOT NULLs of a statement share
    one finding position, so each of its findings gets the same rewrite (the plan makes it once)."""
    alter = _Alter(t)
    if alter.parsed is None:
        return Skipped(NOT_TOP_LEVEL)
    rel: dict[str, Any] = alter.node.get("relation") or {}
    if not rel.get("inh", False):
        return Skipped("ALTER TABLE ONLY: a CHECK added to the parent alone does not cover its partitions")
    table = alter.table_as_written()
    rel_at = sqltext.at(alter.toks, alter.parsed.char(rel.get("location", -1)))
    if table is None or rel_at is None:
        return Skipped("could not find the table name in the statement; fix it by hand")
    cmds = alter.cmds()
    spans = sqltext.clauses(alter.toks, sqltext.dotted_end(alter.toks, rel_at))
    if len(spans) != len(cmds):
        return Skipped("could not match the ALTER TABLE's sub-commands to its text; fix it by hand")
    edits: list[Edit] = []
    follow: list[str] = []
    columns: list[str] = []
    names: list[str] = []
    base = t.statement.start
    for cmd, (first, last) in zip(cmds, spans, strict=True):
        if cmd.get("subtype") != "AT_SetNotNull":
            continue
        toks = alter.toks
        if toks[first].name != "ALTER":
            return Skipped("could not find ALTER COLUMN in the statement; fix it by hand")
        col_at = first + 2 if toks[first + 1].name == "COLUMN" else first + 1
        column = alter.text(col_at, col_at)
        check = ident(f"{rel.get('relname', '')}_{cmd.get('name', '')}_not_null"[:63])
        edits.append(
            Edit(
                base + toks[first].start,
                base + toks[last].stop,
                f"ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID",
            )
        )
        follow += [
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {check};  -- SHARE UPDATE EXCLUSIVE: writes continue",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;  -- no scan: the validated check proves it",
            f"ALTER TABLE {table} DROP CONSTRAINT {check};",
        ]
        columns.append(column)
        names.append(cmd.get("name", ""))
    if not edits:
        return Skipped("no SET NOT NULL found in the statement; fix it by hand")
    checks = ", ".join(f"CHECK ({c} IS NOT NULL)" for c in columns)
    return Fixed(
        tuple(edits),
        f"SET NOT NULL became {checks} NOT VALID; VALIDATE, SET NOT NULL and DROP CONSTRAINT go to a new "
        "migration file",
        tuple(follow),
        f"set {rel.get('relname', '')} {' '.join(names)} not null",
    )


FIXERS: dict[str, Fixer] = {
    f.rule: f
    for f in (
        Fixer(
            "index-not-concurrent",
            "CREATE INDEX → CREATE INDEX CONCURRENTLY plus the runner's no-transaction directive "
            "(only when the file holds nothing else)",
            fix_create_index,
        ),
        Fixer(
            "drop-index-not-concurrent",
            "DROP INDEX → DROP INDEX CONCURRENTLY plus the runner's no-transaction directive "
            "(only when the file holds nothing else)",
            fix_drop_index,
        ),
        Fixer(
            "reindex-not-concurrent",
            "REINDEX INDEX/TABLE/SCHEMA/DATABASE → … CONCURRENTLY plus the runner's no-transaction directive "
            "(only when the file holds nothing else)",
            fix_reindex,
        ),
        Fixer(
            "concurrent-in-transaction",
            "adds the runner's no-transaction directive to a file holding only the CONCURRENTLY statement",
            fix_concurrent_in_transaction,
        ),
        Fixer(
            "foreign-key-not-valid",
            "ADD CONSTRAINT name FOREIGN KEY … → … NOT VALID, and a new migration file that VALIDATEs it",
            fix_not_valid,
        ),
        Fixer(
            "check-constraint-not-valid",
            "ADD CONSTRAINT name CHECK (…) → … NOT VALID, and a new migration file that VALIDATEs it",
            fix_not_valid,
        ),
        Fixer(
            "set-not-null",
            "SET NOT NULL → ADD CONSTRAINT <table>_<column>_not_null CHECK (column IS NOT NULL) NOT VALID, and a "
            "new migration file: VALIDATE CONSTRAINT, SET NOT NULL (no scan), DROP CONSTRAINT",
            fix_set_not_null,
        ),
    )
}
