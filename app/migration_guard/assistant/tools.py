"""What an AI assistant may do with Migration Guard: read, lint, dry-run, write a new file. Never apply.

Plain functions from plain arguments to plain JSON-able data, so they are tested without the MCP
transport; ``assistant/server.py`` only registers them. Every function here is confined to one
project folder (``Project``) and touches no database the user configured, except ``status``, which
opens a read-only transaction and only when a URL was configured for it when the server started.
There is deliberately no function that applies, resets, seeds or runs SQL on a configured database.

Bad input raises ``ToolInputError`` with one clear line; the server turns it into a tool error.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration_guard.errors import UserError

# The patterns ship as docs (docs/patterns); found next to the package in a source checkout.
_PATTERN_DIRS = (
    Path(__file__).resolve().parents[1] / "patterns",
    Path(__file__).resolve().parents[3] / "docs" / "patterns",
)
MAX_SQL_BYTES = 1_000_000  # one proposed migration; larger is not a migration an assistant writes


class ToolInputError(ValueError):
    """The assistant gave something the tool refuses; the message says what and how to fix it."""


@dataclass(frozen=True)
class Project:
    """The one project the server serves; every path argument must stay inside ``root``."""

    root: Path
    migrations_dir: Path
    status_url: str | None = None  # read-only `status`; never returned, never logged

    @classmethod
    def open(cls, root: Path, migrations_dir: str | None = None, status_url: str | None = None) -> Project:
        root = root.resolve()
        if not root.is_dir():
            raise UserError(f"{root}: project folder not found")
        if migrations_dir is None:
            from migration_guard.settings import load_project_settings

            migrations_dir = load_project_settings(root).migrations_dir
        folder = (root / migrations_dir).resolve()
        if not folder.is_relative_to(root):
            raise UserError(f"{migrations_dir}: the migrations folder must be inside the project {root}")
        return cls(root, folder, status_url or None)

    def inside(self, path: str, what: str = "path") -> Path:
        """``path`` (relative to the root, or absolute) resolved, symlinks included; refused outside."""
        if not path or "\x00" in path:
            raise ToolInputError(f"{what} is empty or not a valid path")
        candidate = Path(path)
        resolved = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        if not resolved.is_relative_to(self.root):
            raise ToolInputError(f"{what} {path!r} is outside the project folder {self.root}; refused")
        return resolved

    def relative(self, path: Path) -> str:
        return str(path.resolve().relative_to(self.root)) if path.resolve().is_relative_to(self.root) else path.name


# -- lint -----------------------------------------------------------------------------------------
def _history(project: Project) -> list[Path]:
    from migration_guard.migrations.naming import discover

    if not project.migrations_dir.is_dir():
        return []
    return discover(project.migrations_dir)


def _check_sql(sql: str) -> bytes:
    if not isinstance(sql, str) or not sql.strip():
        raise ToolInputError("sql is empty: pass the text of the migration")
    data = sql.encode("utf-8", errors="strict")
    if len(data) > MAX_SQL_BYTES:
        raise ToolInputError(f"sql is {len(data):,} bytes; at most {MAX_SQL_BYTES:,} (one migration)")
    if b"\x00" in data:
        raise ToolInputError("sql contains a NUL byte")
    return data


def _proposed_name(project: Project, name: str) -> Path:
    from migration_guard.local.newfile import snake_name, utc_version

    try:
        snake = snake_name(name)
    except UserError as exc:
        raise ToolInputError(exc.message) from None
    version = utc_version()
    newest = max((p.name.split("_", 1)[0] for p in _history(project)), default="")
    if newest >= version:  # sort after the history, as a new file would
        version = str(int(newest) + 1) if newest.isdigit() else version
    return project.migrations_dir / f"{version}_{snake}.sql"


def _lint(project: Project, history: list[Path], extra: list[tuple[Path, bytes]], report: set[Path]) -> dict[str, Any]:
    from migration_guard.linter import lint
    from migration_guard.migrations.loader import load_migration, parse_migration
    from migration_guard.model import LintOptions
    from migration_guard.supabase import exposed_schemas, find_config, resolve_supabase

    try:
        migrations = [load_migration(p) for p in history] + [parse_migration(p, data) for p, data in extra]
    except UserError as exc:
        raise ToolInputError(exc.message) from None
    is_supabase = resolve_supabase("auto", project.migrations_dir, migrations)
    options = LintOptions(
        supabase=is_supabase,
        exposed_schemas=exposed_schemas(find_config(project.migrations_dir)),
        report_paths=frozenset(str(p) for p in report),
    )
    try:
        result = lint(migrations, options)
    except RecursionError as exc:
        raise ToolInputError(str(exc) or "a statement is nested too deeply to analyse") from None
    findings = [_finding(project, f.to_json()) for f in result.findings]
    # SQL that does not parse is bad input, not a finding to weigh: say where, as a tool error.
    mine = _relative(project, report)
    broken = next((f for f in findings if f["rule"] == "syntax-error" and f["path"] in mine), None)
    if broken is not None:
        raise ToolInputError(f"{broken['path']}:{broken['line']}:{broken['column']}: {broken['message']}")
    return {
        "verdict": "fail" if result.blocking else "pass",
        "blocking": len(result.blocking),
        "findings": findings,
        "statements": sum(len(m.statements) for m in migrations if m.path in report),
    }


def _relative(project: Project, paths: set[Path]) -> set[str]:
    return {project.relative(p) for p in paths}


def _finding(project: Project, data: dict[str, Any]) -> dict[str, Any]:
    data["path"] = project.relative(Path(data["path"]))
    return data


def lint_sql(project: Project, sql: str, name: str = "proposed") -> dict[str, Any]:
    """Lint SQL text as the next migration of the project (earlier files give the context)."""
    data = _check_sql(sql)
    path = _proposed_name(project, name)
    result = _lint(project, _history(project), [(path, data)], {path})
    result["as_file"] = project.relative(path)
    return result


def lint_files(project: Project, paths: list[str]) -> dict[str, Any]:
    """Lint migration files of the project, each in the context of the files before it."""
    if not paths:
        raise ToolInputError("paths is empty: name one or more migration files of the project")
    wanted: list[Path] = []
    for p in paths:
        resolved = project.inside(p)
        if not resolved.is_file():
            raise ToolInputError(f"{p}: not a file")
        if resolved.suffix != ".sql":
            raise ToolInputError(f"{p}: not a .sql file")
        wanted.append(resolved)
    history = [p.resolve() for p in _history(project)]
    outside = [p for p in wanted if p not in history]
    before = history[: max((history.index(p) for p in wanted if p in history), default=-1) + 1]
    return _lint(project, before + outside, [], set(wanted))


# -- plan -----------------------------------------------------------------------------------------
def plan(project: Project, sql: str, name: str = "proposed") -> dict[str, Any]:
    """Dry-run the project's history plus ``sql`` as a new migration on a throwaway PostgreSQL.

    Runs on a copy of the project's migrations in a temp folder: the project is never written.
    """
    from migration_guard.checkrun import CheckOptions, run_check
    from migration_guard.report.markdown import render_markdown

    data = _check_sql(sql)
    proposed = _proposed_name(project, name)
    with tempfile.TemporaryDirectory(prefix="migration-guard-mcp-") as tmp:
        mirror = Path(tmp) / "project"
        folder = mirror / project.migrations_dir.relative_to(project.root)
        folder.mkdir(parents=True)
        for p in _history(project):
            shutil.copyfile(p, folder / p.name)
        for extra in ("supabase/config.toml", "supabase/seed.sql"):
            src = project.root / extra
            if src.is_file() and src.resolve().is_relative_to(project.root):
                (mirror / extra).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, mirror / extra)
        target = folder / proposed.name
        target.write_bytes(data)
        try:
            report = run_check(CheckOptions(migrations_dir=folder, changed=(target,)))
        except UserError as exc:
            raise ToolInputError(exc.message) from None
        body = report.to_json()
        markdown = render_markdown(report)
    text = markdown.replace(str(folder) + "/", "").replace(tmp, "<dry-run>")
    body["migrations_dir"] = project.relative(project.migrations_dir)
    body["changed"] = [project.relative(proposed)]
    for f in body["findings"]:
        f["path"] = Path(f["path"]).name
    return {"report": body, "markdown": text}


# -- rules and patterns ---------------------------------------------------------------------------
def explain_rule(rule_id: str) -> dict[str, Any]:
    """A rule's documentation: severity, summary, why, example and the safe alternative."""
    from migration_guard.rules.registry import all_rules, similar_ids

    by_id = {r.id: r for r in all_rules()}
    wanted = (rule_id or "").strip().lower()
    rule = by_id.get(wanted)
    if rule is None:
        close = similar_ids(wanted)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known rules: {', '.join(sorted(by_id))}"
        raise ToolInputError(f"unknown rule {rule_id!r}{hint}")
    return {
        "id": rule.id,
        "severity": rule.severity.value,
        "summary": rule.summary,
        "why": rule.why,
        "example": rule.example,
        "fix": rule.fix,
        "suppress": f"-- migration-guard: allow {rule.id} -- <reason>",
    }


def _patterns_dir() -> Path:
    for d in _PATTERN_DIRS:
        if d.is_dir() and any(d.glob("*.sql")):
            return d
    raise ToolInputError("the schema patterns are not installed with this copy of migration-guard")


def list_patterns() -> list[dict[str, str]]:
    """The tested schema patterns: name and the first heading of its page."""
    out = []
    folder = _patterns_dir()
    for sql in sorted(folder.glob("*.sql")):
        page = sql.with_suffix(".md")
        title = sql.stem
        if page.is_file():
            heading = next((ln for ln in page.read_text(encoding="utf-8").splitlines() if ln.startswith("# ")), "")
            title = heading.removeprefix("# ").strip() or title
        out.append({"name": sql.stem, "title": title})
    return out


def get_pattern(name: str) -> dict[str, str]:
    """One pattern: its page (when to use it, what goes wrong) and its SQL template."""
    known = {p["name"] for p in list_patterns()}
    if name not in known:
        raise ToolInputError(f"unknown pattern {name!r}; known: {', '.join(sorted(known))}")
    folder = _patterns_dir()
    page = folder / f"{name}.md"
    return {
        "name": name,
        "page": page.read_text(encoding="utf-8") if page.is_file() else "",
        "sql": (folder / f"{name}.sql").read_text(encoding="utf-8"),
    }


# -- writing a new migration ----------------------------------------------------------------------
def new_migration(project: Project, name: str, intent: str, sql: str) -> dict[str, Any]:
    """Write a new timestamped migration (header + SQL) in the migrations folder and lint it.

    Only ever creates a new file in the migrations folder; never overwrites, never writes elsewhere.
    """
    from migration_guard.local.newfile import new_migration_path

    data = _check_sql(sql)
    intent = " ".join((intent or "").split())
    if len(intent) < 10:
        raise ToolInputError("intent must say in one line what the migration does and why (10+ characters)")
    folder = project.migrations_dir
    if not folder.is_dir():
        raise ToolInputError(f"{project.relative(folder)}: migrations folder not found")
    try:
        path = new_migration_path(folder, name)
    except UserError as exc:
        raise ToolInputError(exc.message) from None
    if path.resolve().parent != folder:  # a name can only be snake_case, but keep the guarantee explicit
        raise ToolInputError(f"{name!r} would write outside the migrations folder; refused")
    header = f"-- intent: {intent}\n-- authored-by: an AI assistant (migration-guard mcp); review before merging\n\n"
    content = header.encode() + data + (b"" if data.endswith(b"\n") else b"\n")
    # Parsed before writing: SQL that does not parse is refused (its own line numbers) and nothing is written.
    _lint(project, _history(project), [(path, data)], {path})
    result = _lint(project, _history(project), [(path, content)], {path})
    try:
        with path.open("xb") as fh:  # "x": never overwrite
            fh.write(content)
    except FileExistsError:
        raise ToolInputError(f"{project.relative(path)}: already exists; not overwritten") from None
    except OSError as exc:
        raise ToolInputError(f"{project.relative(path)}: cannot write: {exc.strerror}") from None
    result["file"] = project.relative(path)
    return result


# -- status (read-only, opt-in) ---------------------------------------------------------------------
def status(project: Project) -> dict[str, Any]:
    """Applied / pending / drifted migrations of the configured database, in a read-only transaction."""
    if not project.status_url:
        raise ToolInputError(
            "status is off: the user did not configure a database for it "
            "(start the server with --status-url or MIGRATION_GUARD_MCP_STATUS_URL)"
        )
    import psycopg

    from migration_guard.apply.files import load_local
    from migration_guard.apply.service import read_state
    from migration_guard.redact import redact

    url = project.status_url
    files = load_local(project.migrations_dir)
    try:
        # default_transaction_read_only: even a bug here cannot write to the user's database.
        with psycopg.connect(url, connect_timeout=10, options="-c default_transaction_read_only=on") as conn:
            state = read_state(conn, files, False)
            conn.rollback()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ToolInputError(f"cannot read the database: {redact(first, [url])}") from None
    return {  # never the URL, nor its host: the assistant does not need to know where the database is
        "migrations": [e.to_json() for e in state.entries],
        "pending": [m.version for m in state.pending],
        "problems": [redact(p, [url]) for p in state.problems],
    }
