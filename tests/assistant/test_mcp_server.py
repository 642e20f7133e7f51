"""`migration-guard mcp` through the MCP SDK's own stdio client against the real server process.

Nothing is mocked: the server is `python -m migration_guard mcp` in a subprocess, the plan starts a
real throwaway PostgreSQL, files are written into a real temp project.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason="the `mcp` extra is part of the dev extra")
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from migration_guard.assistant.server import TOOL_NAMES  # noqa: E402

HISTORY = {
    "20240101000000_todos.sql": (
        "-- intent: todos table\n"
        "create table public.todos (id bigint generated always as identity primary key, title text not null,"
        " done boolean not null default false);\n"
        "alter table public.todos enable row level security;\n"
        "create policy todos_read on public.todos for select to authenticated using (true);\n"
    ),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "demo"\n')
    for name, sql in HISTORY.items():
        (folder / name).write_text(sql)
    (tmp_path / "secret.sql").write_text("select 'outside the project';\n")
    return root


def _session(root: Path, *extra: str) -> Callable[[Callable[[ClientSession], Awaitable[Any]]], Any]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "migration_guard", "mcp", "--project", str(root), *extra], cwd=str(root)
    )

    def run(body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)

        return anyio.run(main)

    return run


def _payload(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        data = result.structured_content
        return data.get("result", data) if isinstance(data, dict) else data
    return json.loads(result.content[0].text)


def _error_text(result: Any) -> str:
    assert result.is_error, "expected a tool error"
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_tool_list_is_exactly_the_read_and_dry_run_tools(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        return await s.list_tools()

    listed = _session(project)(body)
    names = sorted(t.name for t in listed.tools)
    assert names == sorted(TOOL_NAMES)
    # Nothing that applies, resets, seeds or executes SQL on a configured database, by name or by claim.
    for tool in listed.tools:
        assert not any(word in tool.name for word in ("apply", "reset", "seed", "exec", "run_sql", "query"))
        assert tool.input_schema["type"] == "object"
        assert tool.description and len(tool.description) > 40
    lint_schema = next(t for t in listed.tools if t.name == "lint_sql").input_schema
    assert "sql" in lint_schema["required"]


def test_lint_sql_returns_the_drop_column_finding_with_why_and_fix(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        return await s.call_tool("lint_sql", {"sql": "alter table public.todos drop column done;\n"})

    data = _payload(_session(project)(body))
    assert data["verdict"] == "fail"
    hit = next(f for f in data["findings"] if f["rule"] == "drop-column")
    assert hit["severity"] == "error"
    assert hit["line"] == 1 and hit["column"] == 1
    assert hit["why"] and hit["fix"]
    assert data["as_file"].startswith("supabase/migrations/") and data["as_file"].endswith("_proposed.sql")
    assert sorted(p.name for p in (project / "supabase" / "migrations").iterdir()) == sorted(HISTORY)


def test_plan_reports_the_access_exclusive_lock_of_a_rewrite(project: Path) -> None:
    sql = "alter table public.todos alter column title type varchar(20);\n"

    async def body(s: ClientSession) -> Any:
        return await s.call_tool("plan", {"sql": sql, "name": "shorten title"})

    data = _payload(_session(project)(body))
    report = data["report"]
    new = [m for m in report["plan"]["migrations"] if m["new"]]
    assert len(new) == 1 and new[0]["status"] == "applied", new
    statements = new[0]["statements"]
    locks = [lock for st in statements for lock in st["locks"]]
    assert any(lock["relation"] == "todos" and lock["mode"] == "AccessExclusiveLock" for lock in locks), locks
    assert any(st["rewrites"] for st in statements)
    assert "todos" in data["markdown"]
    assert "migration-guard-mcp-" not in data["markdown"]  # the temp folder is not leaked
    assert sorted(p.name for p in (project / "supabase" / "migrations").iterdir()) == sorted(HISTORY)


def test_new_migration_writes_one_new_file_with_the_intent_and_lints_it(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        return await s.call_tool(
            "new_migration",
            {
                "name": "add todos priority",
                "intent": "let users order their todos by priority",
                "sql": "alter table public.todos add column priority int;\n",
            },
        )

    data = _payload(_session(project)(body))
    written = project / data["file"]
    assert written.parent == project / "supabase" / "migrations"
    assert written.name.endswith("_add_todos_priority.sql")
    text = written.read_text()
    assert text.startswith("-- intent: let users order their todos by priority\n")
    assert "add column priority int" in text
    assert data["verdict"] == "pass"


def test_path_escape_attempts_are_refused_and_the_server_keeps_serving(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        outside = await s.call_tool("lint_files", {"paths": ["../secret.sql"]})
        absolute = await s.call_tool("lint_files", {"paths": [str(project.parent / "secret.sql")]})
        (project / "supabase" / "migrations" / "link.sql").symlink_to(project.parent / "secret.sql")
        via_link = await s.call_tool("lint_files", {"paths": ["supabase/migrations/link.sql"]})
        sneaky_name = await s.call_tool(
            "new_migration", {"name": "../../../escape", "intent": "try to write outside", "sql": "select 1;"}
        )
        still_up = await s.call_tool("explain_rule", {"rule_id": "drop-column"})
        return outside, absolute, via_link, sneaky_name, still_up

    outside, absolute, via_link, sneaky_name, still_up = _session(project)(body)
    for result in (outside, absolute, via_link):
        assert "outside the project" in _error_text(result)
    # A name is reduced to snake case: the file lands in the migrations folder, never above it.
    written = _payload(sneaky_name)["file"]
    assert written.startswith("supabase/migrations/") and written.endswith("_escape.sql")
    assert not (project.parent / "escape.sql").exists()
    assert _payload(still_up)["id"] == "drop-column"


def test_bad_input_is_a_tool_error_with_a_clear_message(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        return (
            await s.call_tool("lint_sql", {"sql": "alter table public.todos drop colum done;"}),
            await s.call_tool("explain_rule", {"rule_id": "drop-colum"}),
            await s.call_tool("get_pattern", {"name": "nope"}),
            await s.call_tool("status", {}),
        )

    bad_sql, unknown_rule, unknown_pattern, no_status = _session(project)(body)
    assert "syntax error" in _error_text(bad_sql)
    assert "did you mean drop-column" in _error_text(unknown_rule)
    assert "unknown pattern 'nope'" in _error_text(unknown_pattern)
    assert "status is off" in _error_text(no_status)


def test_patterns_are_listed_and_readable(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        listed = _payload(await s.call_tool("list_patterns", {}))["patterns"]
        one = _payload(await s.call_tool("get_pattern", {"name": listed[0]["name"]}))
        return listed, one

    listed, one = _session(project)(body)
    assert {"rls-user-isolation", "foreign-keys"} <= {p["name"] for p in listed}
    assert one["sql"].strip() and one["page"].startswith("#")


def test_status_reads_the_configured_database_and_never_returns_its_url(project: Path, pg_url: str) -> None:
    async def body(s: ClientSession) -> Any:
        return await s.call_tool("status", {})

    result = _session(project, "--status-url", pg_url)(body)
    data = _payload(result)
    assert [m["version"] for m in data["migrations"]] == ["20240101000000"]
    assert data["pending"] == ["20240101000000"]
    dump = json.dumps(data)
    assert pg_url not in dump and "host=" not in dump and "/sock" not in dump


def test_new_migration_with_sql_that_does_not_parse_writes_nothing(project: Path) -> None:
    async def body(s: ClientSession) -> Any:
        return await s.call_tool(
            "new_migration", {"name": "broken", "intent": "a migration that does not parse", "sql": "create tabel x();"}
        )

    message = _error_text(_session(project)(body))
    assert "syntax error" in message and ":1:" in message
    assert sorted(p.name for p in (project / "supabase" / "migrations").iterdir()) == sorted(HISTORY)
