"""File-level rules: the file as a whole (parse errors, naming, ordering, header, psql lines).

These run once per reported file, after its statements, with the whole lint set in ``ctx``.
"""

from __future__ import annotations

from collections.abc import Iterator

from migration_guard.migrations.naming import FLYWAY_REPEATABLE, FLYWAY_VERSIONED, NUMERIC_DASH, parse_name
from migration_guard.model import Migration, Severity
from migration_guard.rules.base import ExampleSetup, Hit, Rule
from migration_guard.rules.context import Context


def check_syntax(migration: Migration, ctx: Context) -> Iterator[Hit]:
    error = migration.error
    if error is not None and error.kind == "syntax":
        yield Hit(error.message, error.line, error.column)


SYNTAX_ERROR = Rule(
    id="syntax-error",
    severity=Severity.ERROR,
    summary="PostgreSQL's parser rejects the file",
    why=(
        "The file does not parse with PostgreSQL's own parser, so it fails when applied and nothing "
        "after the error runs; no other rule can check the file until it parses."
    ),
    fix=(
        "-- Fix the SQL at the reported line and column, then check it locally:\n"
        "-- psql --set ON_ERROR_STOP=1 --single-transaction --file <migration>.sql <scratch database>"
    ),
    example="CREATE TABLE accounts (id bigint PRIMARY KEY,);",
    check=check_syntax,
)


def _other_runner(migration: Migration, ctx: Context) -> bool:
    """Is the file part of a folder written for Flyway or a numeric-dash runner (their own naming)?"""
    parent = migration.path.parent
    names = [m.path.name for m in ctx.migrations if m.path.parent == parent]
    if all(FLYWAY_VERSIONED.match(n) or FLYWAY_REPEATABLE.match(n) for n in names):
        return True
    return all(NUMERIC_DASH.match(n) for n in names)


def check_file_name(migration: Migration, ctx: Context) -> Iterator[Hit]:
    name = migration.path.name
    if parse_name(name).supabase or _other_runner(migration, ctx):
        return
    yield Hit(
        f"file name '{name}' is not <digits>_<name>.sql: the Supabase CLI skips it and it never runs",
        1,
        1,
    )


MIGRATION_FILE_NAME = Rule(
    id="migration-file-name",
    severity=Severity.ERROR,
    summary="migration file name is not <digits>_<name>.sql",
    why=(
        "The Supabase CLI only applies files named <digits>_<name>.sql (it warns and skips the rest), "
        "and orders them by that version. A misnamed file silently never runs in production, while "
        "later migrations that depend on it fail. (Folders that consistently follow Flyway's "
        "V<n>__<name>.sql or the <n>-<name>.sql convention are left alone.)"
    ),
    fix=(
        "-- Rename the file with a UTC timestamp version, as `supabase migration new` does:\n"
        "-- git mv add_accounts.sql supabase/migrations/$(date -u +%Y%m%d%H%M%S)_add_accounts.sql"
    ),
    example="-- file: add_accounts.sql\nCREATE TABLE accounts (id bigint PRIMARY KEY);",
    check=check_file_name,
    extra=ExampleSetup(paths=("add_accounts.sql",)),
)


def check_duplicate_version(migration: Migration, ctx: Context) -> Iterator[Hit]:
    """Reported on the later file of a pair, or on the reported one when the other is only
    context (a file already on the base branch), whichever sorts first."""
    version = migration.version
    if not version:
        return
    report = ctx.options.report_paths
    for index, other in enumerate(ctx.migrations):
        if index == ctx.file_index or other.version != version or other.path == migration.path:
            continue
        other_reported = report is None or other.display_path in report
        if index < ctx.file_index or not other_reported:
            yield Hit(f"version {version} is also used by {other.display_path}", 1, 1)
            return


DUPLICATE_VERSION = Rule(
    id="duplicate-version",
    severity=Severity.ERROR,
    summary="two migration files share one version",
    why=(
        "The migration ledger is keyed by version: the second file with the same version is treated "
        "as already applied (or the insert into the ledger fails), so one of the two never runs and "
        "environments drift apart."
    ),
    fix=(
        "-- Give the newer file a fresh version (later than every existing one):\n"
        "-- git mv supabase/migrations/20240101000000_b.sql supabase/migrations/$(date -u +%Y%m%d%H%M%S)_b.sql"
    ),
    example="-- files: 20240101000000_a.sql and 20240101000000_b.sql\nSELECT 1;",
    check=check_duplicate_version,
    extra=ExampleSetup(paths=("20240101000000_a.sql", "20240101000000_b.sql")),
)


def _version_key(version: str, supabase: bool) -> tuple[int, ...] | str | None:
    if supabase:
        return version  # the Supabase CLI compares versions as strings
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return None


def check_out_of_order(migration: Migration, ctx: Context) -> Iterator[Hit]:
    base = ctx.options.base_versions
    version = migration.version
    if not base or not version or version in base:
        return
    supabase = parse_name(migration.path.name).supabase
    mine = _version_key(version, supabase)
    keys = [(k, v) for v in base if (k := _version_key(v, supabase)) is not None and type(k) is type(mine)]
    if mine is None or not keys:
        return
    newest_key, newest = max(keys, key=lambda kv: kv[0])
    if mine < newest_key:  # type: ignore[operator]
        yield Hit(
            f"version {version} is older than {newest}, the newest migration already on the base branch: "
            "databases that applied the base skip it or refuse to migrate",
            1,
            1,
        )


OUT_OF_ORDER = Rule(
    id="out-of-order",
    severity=Severity.ERROR,
    summary="a new migration is older than the newest one on the base branch",
    why=(
        "Runners apply pending files after the last applied version. A new file whose version sorts "
        "before a migration already merged is either skipped or rejected (`supabase db push` errors "
        "unless --include-all), and it runs in a different order than it was tested in."
    ),
    fix=(
        "-- Re-version the new file after the newest merged migration (rebase first):\n"
        "-- git mv supabase/migrations/<old version>_x.sql supabase/migrations/$(date -u +%Y%m%d%H%M%S)_x.sql"
    ),
    example="-- file 20230101000000_late.sql, base already has 20240101000000_newer.sql\nSELECT 1;",
    check=check_out_of_order,
    extra=ExampleSetup(paths=("20230101000000_late.sql",), base_versions=("20240101000000",)),
)


def check_missing_intent(migration: Migration, ctx: Context) -> Iterator[Hit]:
    if ctx.file_index not in ctx.change:
        return  # old history: it shipped long ago, asking it for an intent now helps no one
    if migration.error is None and not migration.header.intent:
        yield Hit("no `-- intent:` header line saying what this migration is for", 1, 1)


MISSING_INTENT = Rule(
    id="missing-intent",
    severity=Severity.WARNING,
    summary="no `-- intent:` header line",
    why=(
        "Reviewers (and whoever debugs production later) need to know what the migration is meant to "
        "do to judge whether what it does is right; generated migrations rarely say. Asked only of "
        "the files being checked (changed or new, or the newest file when a whole folder is linted), "
        "never of old history."
    ),
    fix=(
        "-- intent: add accounts.plan so billing can store the customer's plan\n"
        "-- data-migration: no\n"
        "ALTER TABLE accounts ADD COLUMN plan text;"
    ),
    example="CREATE TABLE accounts (id bigint PRIMARY KEY);",
    check=check_missing_intent,
)


def check_meta_commands(migration: Migration, ctx: Context) -> Iterator[Hit]:
    for line, text in migration.meta_commands:
        yield Hit(f"psql meta-command `{text}` only works in psql; migration runners send it to the server", line, 1)


PSQL_META_COMMAND = Rule(
    id="psql-meta-command",
    severity=Severity.ERROR,
    summary="psql meta-command (\\i, \\set, \\connect …) in a migration",
    why=(
        "Lines starting with a backslash are commands of the psql client, not SQL. The Supabase CLI "
        "and other runners send the file to the server, which rejects them with a syntax error, so "
        "the migration fails in CI or production even though it worked in psql."
    ),
    fix=(
        "-- Replace the meta-command with plain SQL:\n"
        "-- \\set ON_ERROR_STOP  → not needed, runners stop at the first error\n"
        "-- \\i other.sql        → copy the statements in, or make it its own migration\n"
        "-- \\connect db         → one migration folder per database"
    ),
    example="\\set ON_ERROR_STOP on\nCREATE TABLE accounts (id bigint PRIMARY KEY);",
    check=check_meta_commands,
)

RULES = (SYNTAX_ERROR, MIGRATION_FILE_NAME, DUPLICATE_VERSION, OUT_OF_ORDER, MISSING_INTENT, PSQL_META_COMMAND)
