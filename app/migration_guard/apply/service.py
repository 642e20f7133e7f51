"""Apply pending migrations: the whole sequence, shared by `migration-guard apply` and the deploy.

connect (pooler refused) → read ledger → compare (drift refused) → show plan / confirm →
advisory lock → create ledger if missing → read ledger again (another deploy may have run) →
run files in order, stop at the first failure → audit each decision and migration → unlock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg

from migration_guard import __version__
from migration_guard.apply import ledger as ledger_mod
from migration_guard.apply import lock
from migration_guard.apply.drift import Comparison, compare
from migration_guard.apply.files import LocalFiles, LocalMigration, load_local
from migration_guard.apply.ledger import AppliedFacts
from migration_guard.apply.runner import FileResult, Runner, RunOptions, apply_session_settings
from migration_guard.apply.target import check_not_transaction_pooler, url_secrets
from migration_guard.audit import AuditLog
from migration_guard.errors import UserError
from migration_guard.redact import describe_database, redact

Say = Callable[[str], None]
Confirm = Callable[[tuple[LocalMigration, ...]], bool]


@dataclass(frozen=True)
class ApplyRequest:
    database_url: str
    directory: Path
    options: RunOptions = field(default_factory=RunOptions)
    lock_wait_s: float = 10.0
    allow_out_of_order: bool = False
    dry_run: bool = False
    facts: AppliedFacts = field(default_factory=AppliedFacts)
    override_reason: str | None = None  # carried into each migration's audit record


@dataclass(frozen=True)
class ApplyOutcome:
    exit_code: int
    verdict: str  # applied | up-to-date | refused | failed | dry-run | cancelled
    pending: tuple[LocalMigration, ...] = ()
    results: tuple[FileResult, ...] = ()
    reason: str | None = None

    @property
    def applied_count(self) -> int:
        return sum(1 for r in self.results if r.outcome == "applied")


def connect(url: str) -> psycopg.Connection[Any]:
    check_not_transaction_pooler(url)
    try:
        conn = psycopg.connect(url, autocommit=True, application_name="migration-guard")
    except psycopg.Error as exc:
        message = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, (url,))
        raise UserError(f"cannot connect to {describe_database(url)}: {message}", exit_code=1) from None
    # Notice a client that died mid-file (kill -9) within a second instead of at the next write,
    # so its transaction and advisory lock are released promptly (PostgreSQL 14+).
    with contextlib.suppress(psycopg.Error):
        conn.execute("SET client_connection_check_interval = 1000")
    return conn


def database_error(url: str, exc: psycopg.Error) -> UserError:
    """A database error outside any migration file, as one line naming the database (exit 1)."""
    text = (exc.diag.message_primary or str(exc) or type(exc).__name__).strip().splitlines()[0]
    return UserError(f"{describe_database(url)}: {redact(text, url_secrets(url))}", exit_code=1)


def read_state(conn: psycopg.Connection[Any], files: LocalFiles, allow_out_of_order: bool) -> Comparison:
    return compare(
        files.migrations,
        ledger_mod.read_ledger(conn),
        ledger_mod.read_sidecar(conn),
        allow_out_of_order=allow_out_of_order,
    )


# Top-level statements that would end the per-file transaction midway (BEGIN/COMMIT are skipped
# by the runner; these cannot be: what runs after them would no longer be atomic).
_BREAKS_TRANSACTION = {
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}


def _source_errors(pending: tuple[LocalMigration, ...]) -> list[str]:
    out = []
    for m in pending:
        err = m.migration.error
        if err is not None:
            out.append(f"{m.path}:{err.line}:{err.column}: {err.message}")
            continue
        if m.no_transaction:
            continue
        for st in m.migration.statements:
            what = _BREAKS_TRANSACTION.get(str(st.node.get("kind"))) if st.kind == "TransactionStmt" else None
            if what:
                out.append(
                    f"{m.path}:{st.line}:{st.column}: {what} inside a file that runs in one transaction; remove it "
                    "(or mark the file `-- migration-guard: no-transaction`)"
                )
    return out


def describe_plan(pending: tuple[LocalMigration, ...]) -> list[str]:
    lines = []
    for m in pending:
        mode = "no transaction, statement by statement" if m.no_transaction else "one transaction"
        count = f"{len(m.pieces)} statement{'' if len(m.pieces) == 1 else 's'}"
        lines.append(f"  {m.version}  {m.path.name}  ({count}, {mode})")
    return lines


def _fix_forward_hint(failed: FileResult, applied_before: int) -> str:
    kept = f"the {applied_before} file(s) applied before it stay applied" if applied_before else "no file was applied"
    return (
        f"stopped at {Path(failed.path).name}; {kept}; nothing is rolled back (fix forward). Next step: "
        "fix the failing file if it was never applied anywhere else, or add a new migration that "
        "corrects the state (supabase migration new <fix>), then deploy again"
    )


def run_apply(request: ApplyRequest, audit: AuditLog, say: Say, confirm: Confirm | None = None) -> ApplyOutcome:
    files = load_local(request.directory)
    for path in files.skipped:
        say(f"skipping {path.name}: not named <version>_<name>.sql (the Supabase CLI skips it too)")
    try:
        conn = connect(request.database_url)
    except UserError as exc:
        audit.record("deploy", "failed" if exc.exit_code == 1 else "refused", reason=exc.message)
        raise
    try:
        return _run(conn, request, files, audit, say, confirm)
    except psycopg.Error as exc:
        # Outside a migration file (reading or creating the ledger, the lock): one line, no traceback.
        error = database_error(request.database_url, exc)
        audit.record("deploy", "failed", reason=error.message)
        raise error from None
    finally:
        conn.close()


def _refuse(audit: AuditLog, event: str, reason: str, **extra: Any) -> ApplyOutcome:
    audit.record(event, "refused", reason=reason, **extra)
    return ApplyOutcome(1, "refused", reason=reason)


def _run(
    conn: psycopg.Connection[Any],
    request: ApplyRequest,
    files: LocalFiles,
    audit: AuditLog,
    say: Say,
    confirm: Confirm | None,
) -> ApplyOutcome:
    state = read_state(conn, files, request.allow_out_of_order)
    if state.problems:
        for p in state.problems:
            say(f"refused: {p}")
        return _refuse(
            audit,
            "drift-check",
            "; ".join(state.problems),
            versions=[e.version for e in state.entries if e.state not in ("applied", "pending")],
        )
    errors = _source_errors(state.pending)
    if errors:
        for e in errors:
            say(f"refused: {e}")
        return _refuse(audit, "parse-check", "; ".join(errors))
    if not state.pending:
        say(f"{describe_database(request.database_url)} is up to date ({len(state.entries)} migrations applied)")
        audit.record("deploy", "skipped", reason="nothing pending")
        return ApplyOutcome(0, "up-to-date")

    say(f"{len(state.pending)} pending migration(s) for {describe_database(request.database_url)}:")
    for line in describe_plan(state.pending):
        say(line)
    if request.dry_run:
        for m in state.pending:
            audit.record("migration", "skipped", version=m.version, checksum=m.checksum, name=m.name, reason="dry run")
        say("dry run: nothing applied")
        return ApplyOutcome(0, "dry-run", pending=state.pending)
    if confirm is not None and not confirm(state.pending):
        audit.record("deploy", "refused", reason="cancelled at the confirmation prompt")
        return ApplyOutcome(1, "cancelled", pending=state.pending, reason="cancelled")

    try:
        lock.acquire(conn, request.lock_wait_s)
    except UserError as exc:
        say(f"refused: {exc.message}")
        return _refuse(audit, "lock", exc.message)
    try:
        apply_session_settings(conn, request.options)  # lock_timeout covers creating the ledger too
        ledger_mod.ensure_ledger(conn)
        ledger_mod.ensure_sidecar(conn)
        # Another deploy may have applied some files while we waited: decide again under the lock.
        state = read_state(conn, files, request.allow_out_of_order)
        if state.problems:
            for p in state.problems:
                say(f"refused: {p}")
            return _refuse(audit, "drift-check", "; ".join(state.problems))
        return _apply_pending(conn, request, state.pending, audit, say)
    finally:
        if not conn.closed and not conn.broken:
            lock.release(conn)


def _apply_pending(
    conn: psycopg.Connection[Any],
    request: ApplyRequest,
    pending: tuple[LocalMigration, ...],
    audit: AuditLog,
    say: Say,
) -> ApplyOutcome:
    if not pending:
        say("nothing left to apply: another deploy applied these migrations meanwhile")
        audit.record("deploy", "skipped", reason="applied by a concurrent deploy")
        return ApplyOutcome(0, "up-to-date")
    facts = request.facts if request.facts.tool_version else replace(request.facts, tool_version=__version__)
    apply_session_settings(conn, request.options)
    runner = Runner(conn, request.options, facts, say)
    results: list[FileResult] = []
    override = request.override_reason is not None
    for index, m in enumerate(pending):
        say(f"applying {m.path.name} …")
        try:
            result = runner.apply_file(m)
        except KeyboardInterrupt:  # the runner's cancel (SIGTERM) or Ctrl-C, while this file ran
            _record_cancel(conn, audit, pending, index, say)
            raise
        results.append(result)
        common: dict[str, Any] = {
            "version": m.version,
            "checksum": m.checksum,
            "name": m.name,
            "duration_ms": result.duration_ms,
            "attempts": result.attempts,
            "override": override,
            "findings": list(facts.findings_overridden),
            "reason": request.override_reason,
        }
        if result.outcome == "applied":
            say(f"applied {m.path.name} in {result.duration_ms} ms")
            audit.record("migration", "applied", **common)
            continue
        where = f"{m.path}:{result.line}" if result.line else str(m.path)
        say(f"failed: {where}: statement {result.statement}: {result.error} (SQLSTATE {result.sqlstate})")
        if m.no_transaction:
            done = ", ".join(str(n) for n in result.committed) or "none"
            say(
                f"{m.path.name} ran without a transaction: statements committed before the failure: {done}; "
                "the file is NOT recorded in the ledger, so the next deploy runs it again from the top "
                "(make its statements idempotent, e.g. IF NOT EXISTS)"
            )
            for name in result.dropped_indexes:
                say(f"dropped index {name}, left INVALID by the failed CONCURRENTLY build")
        else:
            say(f"{m.path.name} was rolled back as a whole: no schema change and no ledger row")
        hint = _fix_forward_hint(result, index)
        say(hint)
        common["reason"] = result.error
        audit.record(
            "migration",
            "failed",
            statement=result.statement,
            line=result.line,
            sqlstate=result.sqlstate,
            committed_statements=list(result.committed),
            dropped_indexes=list(result.dropped_indexes),
            next_step=hint,
            **common,
        )
        _record_not_run(audit, pending[index + 1 :], f"not run: {m.path.name} failed before it")
        return ApplyOutcome(1, "failed", pending=pending, results=tuple(results), reason=hint)
    return ApplyOutcome(0, "applied", pending=pending, results=tuple(results))


def _record_cancel(
    conn: psycopg.Connection[Any], audit: AuditLog, pending: tuple[LocalMigration, ...], index: int, say: Say
) -> None:
    """The audit records of a deploy cancelled while ``pending[index]`` ran: that file's fate, read
    back from the ledger (the cancel may land just after its COMMIT), and the files never started.
    psycopg has already cancelled the running statement and the file's transaction rolled back."""
    m = pending[index]
    try:
        committed = any(row.version == m.version for row in ledger_mod.read_ledger(conn))
    except (psycopg.Error, KeyboardInterrupt):  # a second signal, or a connection the cancel broke
        committed = None
    if committed:
        say(f"cancelled after {m.path.name} committed: it is applied")
        audit.record("migration", "applied", version=m.version, checksum=m.checksum, name=m.name,
                     reason="committed just before the cancel")
    else:
        if m.no_transaction:
            what = ("it ran without a transaction: statements committed before the cancel stay; it is NOT in the "
                    "ledger, so the next deploy runs it again from the top")
        else:
            what = "its transaction was rolled back: no schema change and no ledger row"
        if committed is None:
            what += " (the ledger could not be read back to confirm)"
        say(f"cancelled while {m.path.name} ran: {what}")
        audit.record("migration", "cancelled", version=m.version, checksum=m.checksum, name=m.name, reason=what)
    _record_not_run(audit, pending[index + 1 :], "not run: the deploy was cancelled")


def _record_not_run(audit: AuditLog, files: tuple[LocalMigration, ...], reason: str) -> None:
    """A ``skipped`` record for each file a stopped deploy never started."""
    for m in files:
        audit.record("migration", "skipped", version=m.version, checksum=m.checksum, name=m.name, reason=reason)
