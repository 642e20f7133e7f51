"""From lint findings to a plan: the edits of each file, the new files, one line per fix (pure)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path

from migration_guard.autofix import runners
from migration_guard.autofix.fixers import FIXERS
from migration_guard.autofix.followup import follow_up_name
from migration_guard.autofix.model import Edit, FileEdit, Fixed, NewFile, Outcome, Plan, Skipped, Target
from migration_guard.model import Finding, LintResult, Migration, Statement

NEEDS_PG12 = frozenset({"set-not-null"})  # the CHECK-based sequence only pays off from PostgreSQL 12
OLD_FILE = (
    "an older migration (it may be applied already, and editing it would be drift); name the file, "
    "or use --base, to fix it"
)


def _offset(lines: list[int], line: int, column: int) -> int:
    return lines[line - 1] + column - 1 if 0 < line <= len(lines) else -1


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _statement(m: Migration, offset: int) -> Statement | None:
    i = bisect_right([s.start for s in m.statements], offset) - 1
    if i < 0:
        return None
    st = m.statements[i]
    return st if offset <= st.end else None


def _key(f: Finding) -> tuple[str, str, int, int]:
    return (f.rule, f.path, f.line, f.column)


def _overlaps(edit: Edit, taken: list[Edit]) -> bool:
    return any((edit.start < e.end and e.start < edit.end) or edit.start == e.start for e in taken)


def _decide(
    result: LintResult, migrations: Sequence[Migration], fixable: frozenset[str], pg_version: int | None
) -> dict[int, list[tuple[Finding, Outcome]]]:
    """Each fixable finding's outcome, by file index (files in run order)."""
    index = {m.display_path: i for i, m in enumerate(migrations)}
    outcomes: dict[int, list[tuple[Finding, Outcome]]] = {}
    starts: dict[int, list[int]] = {}
    for f in result.findings:
        fixer = FIXERS.get(f.rule)
        if fixer is None or f.suppressed or f.path not in index:
            continue
        i = index[f.path]
        m = migrations[i]
        outcome: Outcome
        if f.path not in fixable:
            outcome = Skipped(OLD_FILE)
        elif f.rule in NEEDS_PG12 and pg_version is not None and pg_version < 12:
            outcome = Skipped(
                f"PostgreSQL {pg_version} scans for SET NOT NULL even after a validated CHECK (12+ does not)"
            )
        else:
            if i not in starts:
                starts[i] = _line_starts(m.text)
            offset = _offset(starts[i], f.line, f.column) if m.error is None else -1
            st = _statement(m, offset) if offset >= 0 else None
            if st is None:
                outcome = Skipped("the finding is not inside a statement of the file; fix it by hand")
            else:
                outcome = fixer.fix(Target(f, m, st, offset, migrations[:i]))
        outcomes.setdefault(i, []).append((f, outcome))
    return outcomes


def _follow_up(m: Migration, statements: list[str], name: str) -> NewFile:
    header = [
        f"-- intent: finish what {m.path.name} started NOT VALID, in a later transaction "
        "(written by migration-guard lint --fix)",
        f"-- depends-on: {m.version}" if m.version else "--",
        "-- data-migration: no",
    ]
    return NewFile(m.path.parent / name, runners.follow_up_text(runners.style(m), header, statements), m.path.name)


def plan(
    result: LintResult,
    migrations: Sequence[Migration],
    fixable: frozenset[str],
    folders: Mapping[Path, Sequence[str]],
    pg_version: int | None = None,
) -> Plan:
    """``fixable``: display paths of the files that may be edited (the change being linted);
    ``folders``: the file names in each migrations folder, for naming follow-up files;
    ``pg_version``: the project's PostgreSQL major, when configured."""
    outcomes = _decide(result, migrations, fixable, pg_version)
    edits: list[FileEdit] = []
    new_files: list[NewFile] = []
    lines: list[str] = []
    fixed: set[tuple[str, str, int, int]] = set()
    planned: dict[Path, list[str]] = {folder: list(names) for folder, names in folders.items()}
    for i in sorted(outcomes):
        m = migrations[i]
        results = outcomes[i]
        follow = list({o: None for _, o in results if isinstance(o, Fixed) and o.follow_up})  # a rewrite once
        new_name: str | None = None
        if follow:
            names = planned.setdefault(m.path.parent, [])
            words = follow[0].follow_up_words if len(follow) == 1 else f"validate {len(follow)} constraints"
            try:
                new_name = follow_up_name(m.path, names, words)
            except ValueError as exc:
                # NOT VALID without its VALIDATE (or a NOT NULL turned into a check) is half a fix: none.
                reason = f"no follow-up migration file can be made: {exc}; fix it by hand"
                results = [(f, Skipped(reason) if isinstance(o, Fixed) and o.follow_up else o) for f, o in results]
            else:
                names.append(new_name)
        taken: list[Edit] = []
        statements: list[str] = []
        for f, o in results:
            where = f"{f.path}:{f.line}:{f.column}"
            if isinstance(o, Fixed) and o.edits and all(e in taken for e in o.edits):
                fixed.add(_key(f))  # another finding of the same statement got this very rewrite
                lines.append(f"{where}: fixed {f.rule}: (the same rewrite as above)")
                continue
            if isinstance(o, Fixed) and any(_overlaps(e, taken) for e in o.edits):
                o = Skipped("another fix already rewrote this part of the statement; run --fix again")
            if isinstance(o, Skipped):
                lines.append(f"{where}: skipped {f.rule}: {o.reason}")
                continue
            taken.extend(o.edits)
            statements.extend(o.follow_up)
            fixed.add(_key(f))
            lines.append(f"{where}: fixed {f.rule}: {o.said}")
        if taken:
            edits.append(FileEdit(m, tuple(sorted(taken, key=lambda e: (e.start, e.end)))))
        if statements and new_name is not None:
            new_files.append(_follow_up(m, statements, new_name))
            lines.append(f"{new_files[-1].path}: new migration file, runs right after {m.path.name}")
    return Plan(tuple(edits), tuple(new_files), tuple(lines), frozenset(fixed))


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with the edits made (offsets refer to the original text)."""
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos : e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)
