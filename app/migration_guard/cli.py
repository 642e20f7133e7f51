"""The `migration-guard` command line: one module per subcommand under `commands/`.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
This file only dispatches, and turns ``UserError`` into one clear line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import codecs
import importlib
import io
import os
import sys
from types import ModuleType

from migration_guard import __version__
from migration_guard.errors import UserError

# name → module under migration_guard.commands; the order is the order of `--help`.
COMMANDS: dict[str, str] = {
    "lint": "lint",
    "rules": "rules",
    "plan": "plan",
    "check": "check",
    "action": "action",
    "apply": "apply",
    "status": "status",
    "ledger": "ledger",
    "new": "new",
    "reset": "reset",
    "seed": "seed",
    "mcp": "mcp",
}


# Commands that own no resources, so the process may end without tearing its heap down.
FAST_EXIT = frozenset({"lint", "rules"})


def _load(module: str) -> ModuleType:
    return importlib.import_module(f"migration_guard.commands.{module}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``only``) just the command being run: importing every command module
    pulls in psycopg, pydantic, PyGithub… (~0.5 s), too slow for `lint` on every commit."""
    parser = argparse.ArgumentParser(
        prog="migration-guard",
        description=(
            "Safe PostgreSQL / Supabase schema migrations: lint with PostgreSQL's own parser, "
            "dry-run on an ephemeral Postgres, report, and apply behind gates with an audit log."
        ),
    )
    parser.add_argument("--version", action="version", version=f"migration-guard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = _load(module_name)
        p = sub.add_parser(name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _untrusted_text_in_a_workflow(args: argparse.Namespace) -> bool:
    """In a GitHub workflow, every command but the action (which escapes all it prints) and the
    annotations format may print pull-request text that must not become a workflow command."""
    from migration_guard.github.workflow import in_workflow

    return in_workflow() and args.command != "action" and getattr(args, "format", None) != "github"


def _json_escape(exc: UnicodeError) -> tuple[str, int]:
    """``\\uXXXX`` for each character the stream cannot encode; beyond U+FFFF, its UTF-16 pair
    (``\\ud83d\\ude00``), as JSON writes it: ``backslashreplace`` would write ``\\U0001f600``, which a
    JSON parser refuses."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out: list[str] = []
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


def _escape_what_the_stream_cannot_encode() -> None:
    """A terminal or pipe in another encoding (``LANG=C``, ``PYTHONIOENCODING=latin-1``) lacks
    characters our texts use (… →) and a migration's own text may hold: they print as ``\\u2026``
    escapes (also valid in the JSON formats) instead of a traceback in the middle of a report."""
    codecs.register_error("migration-guard-json-escape", _json_escape)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(encoding).name != "utf-8":
            stream.reconfigure(errors="migration-guard-json-escape")


def main(argv: list[str] | None = None) -> int:
    real_process = argv is None  # the console script; in-process callers pass argv
    argv = sys.argv[1:] if argv is None else argv
    if real_process:
        _escape_what_the_stream_cannot_encode()
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if real_process and _untrusted_text_in_a_workflow(args):
        from migration_guard.github.workflow import CommandSafeStream

        sys.stdout = CommandSafeStream(sys.stdout)
        sys.stderr = CommandSafeStream(sys.stderr)
    if real_process and args.command not in FAST_EXIT:  # lint/rules print only the files' own text
        from migration_guard.log import secrets
        from migration_guard.redact import RedactingStream

        # Whatever a command prints passes the redaction once it registered a secret (a URL).
        sys.stdout = RedactingStream(sys.stdout, secrets)
        sys.stderr = RedactingStream(sys.stderr, secrets)
    try:
        code: int = args._run(args)
        if real_process and args.command in FAST_EXIT:
            # Nothing to clean up (no servers, no temp files): let the OS reclaim the memory.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except UserError as exc:
        from migration_guard.log import secrets
        from migration_guard.redact import redact
        from migration_guard.report.escape import one_line

        # A driver or server error inside the message may echo a password back. And it may quote a
        # file name or error text from a pull request: one line, so no `::command` of theirs starts one
        # (the runner reads stderr for workflow commands too).
        print(f"migration-guard: error: {one_line(redact(exc.message, secrets()))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("migration-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
