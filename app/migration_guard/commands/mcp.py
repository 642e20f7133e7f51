"""`migration-guard mcp`: serve the assistant tools over stdio (Model Context Protocol)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from migration_guard.errors import UserError

HELP = "serve lint / dry-run tools to an AI assistant over MCP (stdio); never applies migrations"
DESCRIPTION = (
    "Start a Model Context Protocol server on stdin/stdout for an AI assistant (Claude Code, Cursor, VS Code). "
    "Tools: lint_sql, lint_files, plan (throwaway PostgreSQL), explain_rule, list_patterns, get_pattern, "
    "new_migration (a new file only) and, when --status-url is given, a read-only status. No tool applies, "
    "resets, seeds or runs SQL on a configured database, and none can be added. Needs the `mcp` extra: "
    "pip install 'migration-guard[mcp]'. See docs/ai.md."
)
STATUS_ENV = "MIGRATION_GUARD_MCP_STATUS_URL"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), help="project root (default: the current folder)")
    parser.add_argument("--dir", help="migrations folder relative to the project (default: the project's setting)")
    parser.add_argument(
        "--status-url",
        help=f"database the read-only `status` tool may inspect (default: ${STATUS_ENV}; unset = no status)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        import mcp.server  # noqa: F401 - only to give a clear error when the extra is missing
    except ImportError:
        raise UserError("the MCP server needs the `mcp` extra: pip install 'migration-guard[mcp]'") from None
    from migration_guard.assistant.server import build_server
    from migration_guard.assistant.tools import Project

    status_url = args.status_url or os.environ.get(STATUS_ENV) or None
    project = Project.open(args.project, args.dir, status_url)
    build_server(project).run("stdio")
    return 0
