"""Server error text on its way into a plan result: secrets masked, sandbox refusals explained.

Error messages come from pull-request SQL (``raise exception '%', current_setting(...)``, a value in
a failing INSERT), so they pass through ``redact`` before any report, comment or log sees them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from migration_guard.dryrun.bootstrap import FALLBACK_ROLE
from migration_guard.plan_model import MigrationRun, PlanResult, StatementError
from migration_guard.redact import redact

CREATE_ROLE_WITHHELD = (
    "the dry run gives postgres CREATEROLE, as Supabase does, only when the mg_guard library is "
    "installed: in PostgreSQL 15 a CREATEROLE role can grant itself pg_execute_server_program (shell "
    "access) and mg_guard refuses that. Install it (make -C pgext install) or see docs/security.md"
)
FALLBACK_ROLE_WARNING = (
    "this server's postgres role is a superuser (a plain postgres image), so migrations run as "
    "another non-superuser role with the same rights: ALTER ... OWNER TO postgres and SET ROLE postgres "
    "fail here. Start the service container with POSTGRES_USER=supabase_admin for Supabase's roles"
)

# A server started from a prepared data folder (--cache-dir; the action's image bakes one) has no
# template1, and template0's files are shared with the cache, read-only (local.SHARED_MANIFEST).
NO_TEMPLATE = (
    "a dry-run server started from a prepared data folder (--cache-dir, or the action's image) has no "
    "template database it may copy, so CREATE DATABASE cannot run in it; the dry run checks the "
    "migrations' own database (without --cache-dir, template1 and template0 are there)"
)
_NO_TEMPLATE = re.compile(r'template database "template1" does not exist|could not open file "base/\d+/\d+": '
                          r"Permission denied")


def _text(text: str, role: str) -> str:
    """Redacted; the stand-in migration role (servers whose ``postgres`` is the superuser) shown as
    ``postgres``, the role it stands for: internal names never reach a report."""
    text = redact(text)
    return re.sub(rf"\b{re.escape(role)}\b", "postgres", text) if role != "postgres" else text


def _error(err: StatementError, createrole: bool, role: str) -> StatementError:
    message = _text(err.message, role)
    if not createrole and err.sqlstate == "42501" and "permission denied to create role" in message:
        message = f"{message}: {CREATE_ROLE_WITHHELD}"
    elif _NO_TEMPLATE.search(message):
        message = f"{message}: {NO_TEMPLATE}"
    return replace(err, message=message, hint=_text(err.hint, role) if err.hint else err.hint)


def _run(run: MigrationRun, createrole: bool, role: str) -> MigrationRun:
    return replace(run, error=_error(run.error, createrole, role)) if run.error is not None else run


def clean(result: PlanResult, createrole: bool, role: str = FALLBACK_ROLE) -> PlanResult:
    """``result`` with every error message and warning redacted; a CREATE ROLE refused for lack of
    CREATEROLE says why (``createrole``: whether the migration role has it); ``role`` (the stand-in
    migration role) shown as ``postgres`` in messages and affected objects."""
    affected = result.affected
    if role != "postgres":
        affected = tuple(replace(a, name=_text(a.name, role), detail=_text(a.detail, role)) for a in affected)
    return replace(
        result,
        migrations=tuple(_run(r, createrole, role) for r in result.migrations),
        affected=affected,
        warnings=tuple(_text(w, role) for w in result.warnings),
    )
