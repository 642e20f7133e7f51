"""`migration-guard mcp`: a Model Context Protocol server (stdio) exposing ``assistant/tools.py``.

The tool list is fixed here, in code: lint, plan (throwaway database), rules, patterns, a new
migration file, and an opt-in read-only status. Nothing applies, resets, seeds or runs SQL on a
configured database, and no setting adds such a tool (``TOOL_NAMES`` is asserted by the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from migration_guard import __version__
from migration_guard.assistant import tools
from migration_guard.assistant.tools import Project, ToolInputError

if TYPE_CHECKING:  # the `mcp` extra is imported when the server is built
    from mcp.server import MCPServer

TOOL_NAMES = (
    "lint_sql",
    "lint_files",
    "plan",
    "explain_rule",
    "list_patterns",
    "get_pattern",
    "new_migration",
    "status",
)

INSTRUCTIONS = """\
Migration Guard checks PostgreSQL / Supabase schema migrations before they reach a database.
Use lint_sql on every migration you write, and plan to see the locks, table rewrites and affected
objects on a throwaway PostgreSQL. Fix every blocking finding the way its `fix` says (or explain to
the user why it is acceptable). Write files only with new_migration. These tools never apply a
migration to a real database: the user applies after human review (pull request, deploy gates)."""

Sql = Annotated[str, Field(description="The complete SQL text of one migration file (PostgreSQL).")]
Name = Annotated[
    str, Field(description="Short description for the file name, e.g. 'add todos priority' (letters, digits).")
]


def _guard(fn: Callable[[], Any]) -> Any:
    """Run a tool body; bad input becomes the SDK's tool error (one line), never a crashed server."""
    from mcp.server.mcpserver.exceptions import ToolError

    from migration_guard.errors import UserError

    try:
        return fn()
    except ToolInputError as exc:
        raise ToolError(str(exc)) from None
    except UserError as exc:
        raise ToolError(exc.message) from None
    except RecursionError:
        raise ToolError("a statement is nested too deeply to analyse") from None


def build_server(project: Project) -> MCPServer[Any]:
    """The MCP server for one project (an ``mcp.server.MCPServer``)."""
    from mcp.server import MCPServer
    from mcp_types import ToolAnnotations

    server: MCPServer[Any] = MCPServer("migration-guard", version=__version__, instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)

    @server.tool(
        annotations=read_only,
        description=(
            "Lint SQL as the project's next migration (earlier migrations give the context: tables created "
            "there are 'existing', so e.g. an index on them needs CONCURRENTLY). Returns verdict, blocking "
            "count and findings; each finding has rule, severity (error blocks), line, column, message, why "
            "and fix (the safe SQL to write instead). Writes nothing."
        ),
    )
    def lint_sql(sql: Sql, name: Name = "proposed") -> dict[str, Any]:
        return dict(_guard(lambda: tools.lint_sql(project, sql, name)))

    @server.tool(
        annotations=read_only,
        description=(
            "Lint existing migration files of the project (paths relative to the project root), each in "
            "the context of the files before it. Same result shape as lint_sql. Paths outside the project "
            "are refused."
        ),
    )
    def lint_files(
        paths: Annotated[list[str], Field(description="Migration files, relative to the project root.")],
    ) -> dict[str, Any]:
        return dict(_guard(lambda: tools.lint_files(project, paths)))

    @server.tool(
        annotations=read_only,
        description=(
            "Dry-run: replay the project's migrations on a throwaway PostgreSQL started for this call, then "
            "run `sql` as the next migration and trace every statement: locks taken (and what they block), "
            "tables rewritten, rows touched, affected objects, database advisories, plus the lint findings. "
            "Returns `report` (JSON) and `markdown` (the same report a pull request gets). Takes seconds. "
            "Never touches the user's databases; the project folder is not written."
        ),
    )
    def plan(sql: Sql, name: Name = "proposed") -> dict[str, Any]:
        return dict(_guard(lambda: tools.plan(project, sql, name)))

    @server.tool(
        annotations=read_only,
        description="Explain a lint rule by id (e.g. 'drop-column'): why it is dangerous and the safe alternative.",
    )
    def explain_rule(rule_id: Annotated[str, Field(description="The rule id, kebab-case.")]) -> dict[str, Any]:
        return dict(_guard(lambda: tools.explain_rule(rule_id)))

    @server.tool(
        annotations=read_only,
        description="List the tested schema patterns (RLS, admin access, teams, foreign keys, indexes, ...).",
    )
    def list_patterns() -> dict[str, Any]:
        return {"patterns": _guard(tools.list_patterns)}

    @server.tool(
        annotations=read_only,
        description="One tested schema pattern: its page (when to use it, pitfalls) and its SQL template.",
    )
    def get_pattern(name: Annotated[str, Field(description="A name from list_patterns.")]) -> dict[str, Any]:
        return dict(_guard(lambda: tools.get_pattern(name)))

    @server.tool(
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                    open_world_hint=False),
        description=(
            "Create a NEW timestamped migration file in the project's migrations folder with an intent header "
            "and the given SQL, then lint it (same result shape as lint_sql, plus `file`). Never overwrites "
            "and never writes outside the migrations folder. It does not apply the migration."
        ),
    )
    def new_migration(
        name: Name,
        intent: Annotated[str, Field(description="One line: what the migration does and why.")],
        sql: Sql,
    ) -> dict[str, Any]:
        return dict(_guard(lambda: tools.new_migration(project, name, intent, sql)))

    @server.tool(
        annotations=read_only,
        description=(
            "Which migrations are applied, pending or drifted on the database the user configured for status "
            "(read-only transaction). Errors when none was configured. Never returns connection details."
        ),
    )
    def status() -> dict[str, Any]:
        return dict(_guard(lambda: tools.status(project)))

    return server
