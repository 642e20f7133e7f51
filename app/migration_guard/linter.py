"""The lint engine: walk migrations in run order, dispatch each statement to the rules for its kind.

Speed matters (20k statements in well under a second): each statement costs one dict lookup for
its rules and one for its context tracker; rules only run on files being reported.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import orjson
from pglast import parser

from migration_guard.model import Finding, LintOptions, LintResult, Migration, Severity, Statement
from migration_guard.rules.base import Hit, Rule
from migration_guard.rules.context import TRACKERS, Context, Frame
from migration_guard.rules.nodes import DEFAULT_SCHEMA, alter_cmds, set_default_schema
from migration_guard.rules.registry import all_rules, get_rule

ALTER = "AlterTableStmt"
ANY_KIND = "*"  # rules that look at every statement (they return at once when idle)
SUPPRESSION_WITHOUT_REASON = "suppression-without-reason"
UNKNOWN_RULE_IN_SUPPRESSION = "unknown-rule-in-suppression"
_READ_ONLY = frozenset({"select", "perform", "raise", "notify", "values", "table", "show", "explain"})
UNSUPPRESSIBLE = frozenset({SUPPRESSION_WITHOUT_REASON, UNKNOWN_RULE_IN_SUPPRESSION})
# JSON this short cannot nest past orjson's 1,024 levels (each level takes two characters): skipping
# its decode never skips a NodeTooDeep that decoding every statement would raise.
_SHALLOW = 2048


class _Dispatch:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.by_kind: dict[str, list[Rule]] = {}
        self.any_kind: list[Rule] = []
        self.file_rules: list[Rule] = []
        # ALTER TABLE is the most common statement and has the most rules: pick them by sub-command.
        self.alter_always: list[Rule] = []
        self.alter_by_subtype: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.check is None or not rule.linted:  # dry-run rules need the database
                continue
            if not rule.kinds:
                self.file_rules.append(rule)
            elif ANY_KIND in rule.kinds:
                self.any_kind.append(rule)
            else:
                for kind in rule.kinds:
                    self.by_kind.setdefault(kind, []).append(rule)
                if ALTER in rule.kinds:
                    if rule.subtypes:
                        for subtype in rule.subtypes:
                            self.alter_by_subtype.setdefault(subtype, []).append(rule)
                    else:
                        self.alter_always.append(rule)
        self.by_kind.pop(ALTER, None)
        # Statement kinds whose tree is read: by a tracker or a DO block's expansion (every file), and
        # by the kind's rules (reported files).
        self.tracked = frozenset({*TRACKERS, "DoStmt"})
        self.decoded = self.tracked | set(self.by_kind) | {ALTER}

        # The merged rule list of each combination of ALTER TABLE sub-commands, built once.
        self._alter_lists: dict[tuple[str, ...], list[Rule]] = {}

    def rules_for(self, kind: str, node: dict[str, Any]) -> list[Rule] | None:
        if kind != ALTER:
            return self.by_kind.get(kind)
        groups = tuple(alter_cmds(node))
        found = self._alter_lists.get(groups)
        if found is None:
            seen: dict[int, Rule] = {id(r): r for r in self.alter_always}
            for subtype in groups:
                for rule in self.alter_by_subtype.get(subtype, ()):
                    seen.setdefault(id(rule), rule)
            found = self._alter_lists[groups] = list(seen.values())
        return found


_DISPATCH: _Dispatch | None = None


def _dispatch() -> _Dispatch:
    global _DISPATCH
    if _DISPATCH is None:
        _DISPATCH = _Dispatch(all_rules())
    return _DISPATCH


def _do_body(node: dict[str, Any]) -> str | None:
    body: str | None = None
    for arg in node.get("args") or ():
        elem = arg.get("DefElem") or {}
        if elem.get("defname") == "language":
            lang = (elem.get("arg") or {}).get("String", {}).get("sval", "")
            if lang.lower() != "plpgsql":
                return None
        elif elem.get("defname") == "as":
            body = (elem.get("arg") or {}).get("String", {}).get("sval")
    return body


def _plpgsql_queries(tree: Any) -> Iterator[tuple[int, str]]:
    """(line within the body, SQL) of every statement a PL/pgSQL block executes.

    Plain SQL statements (``PLpgSQL_stmt_execsql``) and ``EXECUTE 'constant string'``; dynamic SQL
    built at run time cannot be known statically and is skipped.
    """
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            children: list[Any] = []
            for key, value in item.items():
                if key == "PLpgSQL_stmt_execsql":
                    query = value.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query")
                    if query:
                        yield value.get("lineno", 1), query
                elif key == "PLpgSQL_stmt_dynexecute":
                    query = value.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
                    literal = _string_literal(query)
                    if literal:
                        yield value.get("lineno", 1), literal
                elif isinstance(value, dict | list):
                    children.append(value)
            stack.extend(reversed(children))  # keep the text's order (then before else, …)


# The two statement nodes ``_plpgsql_queries`` yields, as libpg_query writes them (a quote inside a
# JSON string is escaped, so none of this matches inside one).
_EXEC_KEYS = ('"PLpgSQL_stmt_execsql":', '"PLpgSQL_stmt_dynexecute":')
_STRING = r'"((?:[^"\\]|\\.)*)"'
_EXEC = re.compile(
    r'"PLpgSQL_stmt_execsql":\{"lineno":(\d+),"sqlstmt":\{"PLpgSQL_expr":\{"query":' + _STRING
    + r'|"PLpgSQL_stmt_dynexecute":\{"lineno":(\d+),"query":\{"PLpgSQL_expr":\{"query":' + _STRING
)


def _plpgsql_queries_in(raw: str) -> list[tuple[int, str]] | None:
    """``_plpgsql_queries`` read off the block's JSON text by one regex, in text order (the walk's
    order), without walking the tree; None when some node is not written the usual way (then the tree
    is walked)."""
    found = _EXEC.findall(raw)
    if len(found) != raw.count(_EXEC_KEYS[0]) + raw.count(_EXEC_KEYS[1]):
        return None
    out: list[tuple[int, str]] = []
    for exec_line, exec_query, dyn_line, dyn_query in found:
        escaped = exec_query if exec_line else dyn_query
        query = orjson.loads(f'"{escaped}"') if "\\" in escaped else escaped
        if exec_line:
            if query:
                out.append((int(exec_line), query))
        else:
            literal = _string_literal(query)
            if literal:
                out.append((int(dyn_line), literal))
    return out


def _string_literal(expr: str) -> str | None:
    expr = expr.strip()
    if not (expr.startswith("'") and expr.endswith("'")):
        return None
    try:
        parsed = orjson.loads(parser.parse_sql_json(f"SELECT {expr}"))
        target = parsed["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
        value = target["A_Const"]["sval"].get("sval", "")
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError):
        return None
    return str(value)


def embedded_statements(
    text: str, stmt: Statement, node: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any], Frame]]:
    """The statements a DO block runs, each with a frame mapping its offsets back into the file.

    ``node`` is the DO statement's tree, already decoded by the caller (``Statement.node`` decodes
    on every access)."""
    body = _do_body(node)
    if not body:
        return
    try:
        block_json = parser.parse_plpgsql_json(stmt.sql)
        tree = orjson.loads(block_json)  # decoded even when the regex reads it: a tree too deep ends here
    except (parser.ParseError, ValueError):
        return
    body_start = text.find(body, stmt.start, stmt.end + 1)
    search_from = 0
    queries = _plpgsql_queries_in(block_json)
    for lineno, query in _plpgsql_queries(tree) if queries is None else queries:
        first = query.lstrip()[:10].split(None, 1)
        if first and first[0].lower() in _READ_ONLY:
            continue  # reads change nothing a rule looks at; skipping them keeps DO blocks cheap
        try:
            parsed = orjson.loads(parser.parse_sql_json(query))
        except (parser.ParseError, ValueError):
            continue
        found = body.find(query, search_from) if body_start >= 0 else -1
        if found >= 0:
            search_from = found + len(query)
            base = body_start + found
        else:
            # EXECUTE '…' literals (quotes doubled) are not verbatim in the file: point at the line.
            base = -1
        for raw in parsed.get("stmts", ()):
            wrapper = raw.get("stmt") or {}
            if not wrapper:
                continue
            kind, node = next(iter(wrapper.items()))
            if base >= 0:
                frame = Frame(query, base, None)
                frame.default_offset = frame.char_offset(raw.get("stmt_location", 0))
            else:
                line = stmt.line + max(lineno - 1, 0)
                frame = Frame(query, 0, (line, 1 if lineno > 1 else stmt.column), mappable=False)
            yield kind, node, frame


class _Suppressions:
    """Which finding a file's ``allow`` / ``allow-file`` comments cover."""

    def __init__(self, migration: Migration) -> None:
        self.file_wide: dict[str, str | None] = {}
        self.by_statement: dict[tuple[int, str], str | None] = {}
        for s in migration.suppressions:
            for rule in s.rules:
                if s.file_wide:
                    self.file_wide.setdefault(rule, s.reason)
                elif s.statement_index is not None:
                    self.by_statement.setdefault((s.statement_index, rule), s.reason)
        # Statement starts, for the statement-level suppressions only (most files have none).
        self.starts = [(st.line, st.column) for st in migration.statements] if self.by_statement else []

    def lookup(self, rule: str, line: int, column: int) -> tuple[bool, str | None]:
        if rule in UNSUPPRESSIBLE:
            return False, None
        if self.by_statement:
            i = bisect_right(self.starts, (line, column)) - 1
            if i >= 0 and (i, rule) in self.by_statement:
                return True, self.by_statement[(i, rule)]
        if rule in self.file_wide:
            return True, self.file_wide[rule]
        return False, None


def suppression_of(migration: Migration, rule: str, line: int, column: int) -> tuple[bool, str | None]:
    """(suppressed, reason) for ``rule`` at line:column of ``migration``: what the file's ``allow`` /
    ``allow-file`` comments say, exactly as for a lint finding (the dry run's advisories use it)."""
    return _Suppressions(migration).lookup(rule, line, column)


def _suppression_hits(migration: Migration) -> Iterator[tuple[str, Hit]]:
    for s in migration.suppressions:
        for rule_id in s.rules:
            rule = get_rule(rule_id)
            if rule is None:
                yield (
                    UNKNOWN_RULE_IN_SUPPRESSION,
                    Hit(f"suppression names unknown rule '{rule_id}' (see `migration-guard rules`)", s.line, 1),
                )
            elif rule.severity is Severity.ERROR and not s.reason:
                yield (
                    SUPPRESSION_WITHOUT_REASON,
                    Hit(
                        f"error-level rule '{rule_id}' is suppressed without a reason; "
                        f"write `-- migration-guard: allow {rule_id} -- <why this is safe>`",
                        s.line,
                        1,
                    ),
                )


def _findings(migration: Migration, hits: Iterable[tuple[Rule, Hit]]) -> Iterator[Finding]:
    sup = _Suppressions(migration)
    path = migration.display_path
    for rule, hit in hits:
        suppressed, reason = sup.lookup(rule.id, hit.line, hit.column)
        yield Finding(
            rule.id,
            rule.severity,
            path,
            hit.line,
            hit.column,
            hit.message,
            rule.why,
            hit.fix or rule.fix,
            suppressed,
            reason if suppressed else None,
        )


def _run(checks: list[Rule], kind: str, node: dict[str, Any], ctx: Context, out: list[tuple[Rule, Hit]]) -> None:
    ctx.kind = kind
    for rule in checks:
        assert rule.check is not None
        for hit in rule.check(node, ctx):
            out.append((rule, hit))


def _awake(rules: list[Rule], ctx: Context) -> list[Rule]:
    """The any-kind rules that can fire now (most are idle most of the time)."""
    return [rule for rule in rules if rule.idle is None or not rule.idle(ctx)]


def lint(migrations: Sequence[Migration], options: LintOptions) -> LintResult:
    # The parse trees are millions of live dicts; the cyclic GC would re-scan them over and over
    # while the rules allocate small objects (measured: about half the run). Nothing here makes cycles.
    enabled = gc.isenabled()
    gc.disable()
    set_default_schema(DEFAULT_SCHEMA)  # a session starts on the default search_path
    try:
        return _lint(migrations, options)
    finally:
        set_default_schema(DEFAULT_SCHEMA)
        if enabled:
            gc.enable()


def _visit(
    kind: str, node: dict[str, Any], reported: bool, dispatch: _Dispatch, ctx: Context, hits: list[tuple[Rule, Hit]]
) -> None:
    """Rules (for reported files), then context tracking, for one statement's tree."""
    if reported:
        checks = dispatch.rules_for(kind, node)
        if checks:
            _run(checks, kind, node, ctx, hits)
        if dispatch.any_kind:
            ctx.kind = kind
            awake = _awake(dispatch.any_kind, ctx)
            if awake:
                _run(awake, kind, node, ctx, hits)
    track = TRACKERS.get(kind)
    if track is not None:
        track(ctx, node)


def _statements(
    migration: Migration, reported: bool, dispatch: _Dispatch, ctx: Context, hits: list[tuple[Rule, Hit]]
) -> None:
    """``_visit`` for each statement of a file, inlined: this loop runs once per statement (20,000 in
    a big file), so every call saved here counts. Same order: rules, any-kind rules, tracker."""
    rules_for = dispatch.rules_for
    any_kind = dispatch.any_kind if reported else []
    trackers = TRACKERS
    # Kinds whose tree something reads; the others (COMMENT, ALTER PUBLICATION …) are not decoded
    # unless an any-kind rule wakes up for them, or their tree may be too deep (decoding says so).
    decoded = dispatch.decoded if reported else dispatch.tracked
    start = ctx.start_statement
    loads = orjson.loads
    text = migration.text
    add = hits.append
    for stmt in migration.statements:
        start(stmt)
        kind = stmt.kind
        if kind not in decoded and len(stmt.node_json) <= _SHALLOW:
            if any_kind:
                ctx.kind = kind
                for rule in any_kind:
                    if rule.idle is None or not rule.idle(ctx):
                        assert rule.check is not None
                        for hit in rule.check(stmt.node, ctx):
                            add((rule, hit))
            continue
        # Statement.node, decoded here in compiled code (one interpreted call less per statement); a
        # tree too deep for orjson goes through the property, which raises its one clear error.
        try:
            node: dict[str, Any] = next(iter(loads(stmt.node_json).values()), {})
        except orjson.JSONDecodeError:
            node = stmt.node
        if reported:
            checks = rules_for(kind, node)
            if checks:
                ctx.kind = kind
                for rule in checks:
                    assert rule.check is not None
                    for hit in rule.check(node, ctx):
                        add((rule, hit))
            if any_kind:
                ctx.kind = kind
                for rule in any_kind:
                    if rule.idle is None or not rule.idle(ctx):
                        assert rule.check is not None
                        for hit in rule.check(node, ctx):
                            add((rule, hit))
        track = trackers.get(kind)
        if track is not None:
            track(ctx, node)
        if kind == "DoStmt":
            # A DO block runs its statements: each is checked at its own place in the file.
            for sub_kind, sub_node, frame in embedded_statements(text, stmt, node):
                ctx.enter(frame)
                _visit(sub_kind, sub_node, reported, dispatch, ctx, hits)
            start(stmt)


def change_of(migrations: Sequence[Migration], report: frozenset[str] | None) -> frozenset[int]:
    """Indexes of the files a lint is about: the reported files when only some are (a change given by
    --base, the check command or named files), else the newest file of each folder (linting a whole
    history: the old files shipped long ago, one at a time)."""
    reported = [i for i, m in enumerate(migrations) if report is None or m.display_path in report]
    if len(reported) < len(migrations):
        return frozenset(reported)
    newest: dict[object, int] = {}
    for i, m in enumerate(migrations):
        newest[m.path.parent] = i
    return frozenset(newest.values())


_POSITION = attrgetter("line", "column")


def _file_findings(
    migration: Migration, hits: list[tuple[Rule, Hit]], dispatch: _Dispatch, ctx: Context
) -> list[Finding]:
    for rule in dispatch.file_rules:
        assert rule.check is not None
        for hit in rule.check(migration, ctx):
            hits.append((rule, hit))
    for rule_id, hit in _suppression_hits(migration):
        meta = get_rule(rule_id)
        assert meta is not None
        hits.append((meta, hit))
    found = list(_findings(migration, hits))
    found.sort(key=_POSITION)
    return found


def _lint(migrations: Sequence[Migration], options: LintOptions) -> LintResult:
    dispatch = _dispatch()
    ctx = Context(migrations, options)
    report = options.report_paths
    ctx.change = change = change_of(migrations, report)
    # End-of-file rules (RLS, policies, the FK's index, keys, views, grants) judge a file once the
    # files shipping with it have run: a table one file creates and a later one secures ships
    # secured. With a change known, that is the change; linting a whole history, it is the history
    # (what was fixed by a later migration is not news; the locks and rewrites each file takes are
    # still judged file by file).
    everything = report is None or all(m.display_path in report for m in migrations)
    group = frozenset(range(len(migrations))) if everything else change
    last_of_change = max(group, default=-1)
    deferred: list[tuple[Migration, list[tuple[Rule, Hit]], dict[str, object]]] = []
    per_file: dict[int, list[Finding]] = {}
    statements = 0
    files = 0
    for index, migration in enumerate(migrations):
        reported = report is None or migration.display_path in report
        ctx.start_file(index, migration)
        hits: list[tuple[Rule, Hit]] = []
        _statements(migration, reported, dispatch, ctx, hits)
        if reported:
            files += 1
            statements += len(migration.statements)
            if index in group and index < last_of_change:
                deferred.append((migration, hits, ctx.save_file_state()))
            else:
                per_file[index] = _file_findings(migration, hits, dispatch, ctx)
        if index == last_of_change and deferred:
            current = ctx.save_file_state()
            for earlier, earlier_hits, state in deferred:
                ctx.restore_file_state(state)
                per_file[ctx.file_index] = _file_findings(earlier, earlier_hits, dispatch, ctx)
            ctx.restore_file_state(current)
            deferred.clear()
    findings = [f for index in sorted(per_file) for f in per_file[index]]
    return LintResult(tuple(findings), files, statements)
