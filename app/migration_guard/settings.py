"""Settings: the action's inputs (``INPUT_*``) and the project's defaults for the CLI.

Two models, one job each:

- ``ActionSettings``: what ``action.yml`` passes to the container. GitHub upper-cases input names
  and keeps hyphens (``database-url`` → ``INPUT_DATABASE-URL``) and sends unset inputs as empty
  strings, so every field has an alias with the hyphen and empty values are ignored.
- ``ProjectSettings``: CLI defaults. ``MIGRATION_GUARD_<FIELD>`` environment variables win over a
  ``migration-guard.toml`` file or ``[tool.migration-guard]`` in ``pyproject.toml``, which win over
  the built-in defaults. Command-line flags win over all of them (the commands apply that).

Every field has a ``description``: docs/configuration.md is checked against them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from migration_guard.errors import UserError

FailOn = Literal["error", "warning", "never"]
SupabaseMode = Literal["auto", "on", "off"]
PostgresMode = Literal["auto", "local", "docker", "url"]
Command = Literal["check", "deploy"]

DEFAULT_MIGRATIONS_DIR = "supabase/migrations"
DEFAULT_AUDIT_DIR = "migration-guard-audit"
LOCAL_AUDIT_DIR = ".migration-guard/audit"  # the CLI's, under the project root (git-ignored)


def _split_list(value: Any) -> Any:
    """``"a, b c"`` → ``["a", "b", "c"]``: action inputs and env vars are plain strings."""
    if isinstance(value, str):
        return [item for item in value.replace(",", " ").split() if item]
    return value


def _check_duration(value: str) -> str:
    from migration_guard.dryrun.limits import parse_duration

    parse_duration(value)  # raises ValueError with a readable message
    return value


def _check_size(value: str) -> str:
    from migration_guard.dryrun.limits import parse_size

    parse_size(value)
    return value


def _input(name: str, description: str, default: Any = None) -> Any:
    """A field read from ``INPUT_<NAME>`` with the hyphens GitHub keeps."""
    return Field(default=default, validation_alias=f"INPUT_{name.upper()}", description=description)


class ActionSettings(BaseSettings):
    """The action's inputs (see action.yml); the names in ``input_name`` are the public contract."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=False)

    command: Command = _input("command", "What the action does: `check` (pull request) or `deploy`.", "check")
    migrations_dir: str = _input(
        "migrations-dir", "Folder of migration files, relative to the repository root.", DEFAULT_MIGRATIONS_DIR
    )
    github_token: SecretStr | None = _input(
        "github-token", "Token for the GitHub API (comments, reviews, environments); masked, never printed."
    )
    database_url: SecretStr | None = _input(
        "database-url", "Connection URL of the database to deploy to (`deploy` only); keep it in an environment secret."
    )
    environment: str | None = _input(
        "environment", "Name of the GitHub environment the deploy job runs under (e.g. `staging`, `production`)."
    )
    supabase: SupabaseMode = _input(
        "supabase", "Supabase project: `auto` (detect supabase/config.toml or Supabase SQL), `on` or `off`.", "auto"
    )
    postgres: PostgresMode = _input(
        "postgres",
        "Where the dry run's throwaway Postgres comes from: `auto`, `local` (binaries in the image), "
        "`docker` (the runner's Docker engine) or `url` (`postgres-url`).",
        "auto",
    )
    postgres_url: SecretStr | None = _input(
        "postgres-url",
        "A Postgres server for the dry run (e.g. a service container); a scratch database is made there.",
    )
    stub_extensions: Annotated[list[str], NoDecode] = _input(
        "stub-extensions",
        "Platform extensions to replace with no-op stand-ins in the dry run (comma or space separated).",
        [],
    )
    fail_on: FailOn = _input(
        "fail-on", "Fail the step on `error` findings, on any `warning` too, or `never`.", "error"
    )
    comment: bool = _input("comment", "Post (and keep updated) one sticky report comment on the pull request.", True)
    sarif_file: str | None = _input(
        "sarif-file", "Write a SARIF 2.1.0 file here for github/codeql-action/upload-sarif."
    )
    audit_dir: str = _input(
        "audit-dir", "Folder for the audit log (JSON lines) and the JSON report; upload it as an artifact.",
        DEFAULT_AUDIT_DIR,
    )
    override: bool = _input(
        "override",
        "Emergency override (`deploy`, on `workflow_dispatch` only): blocking findings and the review gate pass.",
        False,
    )
    override_reason: str | None = _input(
        "override-reason", "Why the override is needed (at least 15 visible characters); audited and posted."
    )
    stats_url: SecretStr | None = _input(
        "stats-url", "Read-only connection to staging/production for real row counts and sizes of affected tables."
    )
    require_approval: bool = _input(
        "require-approval",
        "`deploy` refuses a commit not from a pull request merged into the deployed branch and approved, "
        "on the deployed migration files, by a human with write access other than its author.",
        True,
    )
    protected_environments: Annotated[list[str], NoDecode] = _input(
        "protected-environments",
        "Environments that must have required reviewers configured in GitHub (comma or space separated).",
        ["production"],
    )
    lock_timeout: str = _input("lock-timeout", "`lock_timeout` for each migration when deploying (e.g. `3s`).", "3s")
    statement_timeout: str | None = _input(
        "statement-timeout", "`statement_timeout` for each migration when deploying (e.g. `5min`); unset = none."
    )
    retries: int = Field(
        default=5,
        ge=0,
        le=50,
        validation_alias="INPUT_RETRIES",
        description="Retries of a migration whose lock wait timed out when deploying (exponential backoff).",
    )
    allow_out_of_order: bool = _input(
        "allow-out-of-order", "`deploy` applies a pending migration older than the newest applied one.", False
    )

    # Rule configuration (rule_config.py): squawk/ruff-style, validated against the rule registry.
    disable_rules: Annotated[list[str], NoDecode] = _input(
        "disable-rules", "Rule ids to turn off (comma or space separated); an unknown id is an error.", []
    )
    rule_severity: str | None = _input(
        "rule-severity", "Per-rule severity, `RULE=error|warning` pairs (comma or space separated)."
    )
    exclude_paths: Annotated[list[str], NoDecode] = _input(
        "exclude-paths", "Globs of migration paths whose findings are not reported (comma or space separated).", []
    )

    # -- the dry run's limits and fidelity (issues 10 and 12) --
    dry_run_statement_timeout: str = _input(
        "dry-run-statement-timeout",
        "Longest a statement may run in the dry run (e.g. `60s`); PR SQL cannot lift it.", "60s",
    )
    dry_run_time_budget: str = _input(
        "dry-run-time-budget", "Wall-clock budget of the whole dry run (e.g. `10min`); then it stops.", "10min"
    )
    dry_run_disk_limit: str = _input(
        "dry-run-disk-limit",
        "Most the dry run's database may grow, and the temp files of one session (e.g. `2GB`).", "2GB",
    )
    strict_extensions: bool = _input(
        "strict-extensions",
        "No stand-in extensions in the dry run: an extension the server lacks stops it.", False,
    )
    pg_version: int | None = _input(
        "pg-version",
        "The PostgreSQL major the project runs (default: `[db] major_version` in supabase/config.toml).",
    )
    baseline: Annotated[list[str], NoDecode] = _input(
        "baseline",
        "Schema files replayed before the history in the dry run (a `supabase db dump`; comma or space separated).",
        [],
    )

    _split = field_validator(
        "stub_extensions", "protected_environments", "disable_rules", "exclude_paths", "baseline", mode="before"
    )(_split_list)
    _durations = field_validator("dry_run_statement_timeout", "dry_run_time_budget")(_check_duration)
    _sizes = field_validator("dry_run_disk_limit")(_check_size)

    @classmethod
    def input_name(cls, field: str) -> str:
        alias = cls.model_fields[field].validation_alias
        assert isinstance(alias, str)
        return alias.removeprefix("INPUT_").lower()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ActionSettings:
        """Read the inputs; a bad value is one line naming the input (exit 2)."""
        source = dict(os.environ if env is None else env)
        inputs = {k.upper(): v for k, v in source.items() if k.upper().startswith("INPUT_") and v.strip()}
        try:
            return cls.model_validate(inputs)
        except ValidationError as exc:
            raise UserError(_first_error(exc, lambda loc: f"input `{loc.removeprefix('INPUT_').lower()}`")) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # from_env() passes the inputs explicitly (so tests can give an env); ActionSettings() reads os.environ.
        return (init_settings, env_settings)

    def secrets(self) -> list[str]:
        """Values to mask with ``::add-mask::`` and to redact from anything printed."""
        values = (self.github_token, self.database_url, self.postgres_url, self.stats_url)
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def _first_error(exc: ValidationError, name: Any) -> str:
    err = exc.errors()[0]
    loc = str(err["loc"][0]) if err["loc"] else "?"
    got = err.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) and len(str(got)) < 80 else ""
    msg = err["msg"]
    if err["type"] == "literal_error":
        msg = msg.replace("Input should be", "must be")
    msg = msg.removeprefix("Value error, ")
    return f"{name(loc)}: {msg}{shown}"


CONFIG_FILE = "migration-guard.toml"


class ProjectSettings(BaseSettings):
    """CLI defaults for a project: env ``MIGRATION_GUARD_*`` > config file > built-in defaults."""

    model_config = SettingsConfigDict(env_prefix="MIGRATION_GUARD_", env_ignore_empty=True, extra="forbid")

    migrations_dir: str = Field(
        default=DEFAULT_MIGRATIONS_DIR, description="Folder of migration files (the CLI's `--dir` default)."
    )
    supabase: SupabaseMode = Field(default="auto", description="Supabase project: `auto`, `on` or `off`.")
    postgres: PostgresMode = Field(
        default="auto", description="Dry-run Postgres provider: `auto`, `local`, `docker` or `url`."
    )
    postgres_url: SecretStr | None = Field(default=None, description="Postgres server for the dry run (`url`).")
    stub_extensions: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Platform extensions stubbed in the dry run (comma or space separated)."
    )
    fail_on: FailOn = Field(
        default="error", description="Exit non-zero on `error` findings, any `warning`, or `never`."
    )
    audit_dir: str = Field(
        default=LOCAL_AUDIT_DIR,
        description="Folder where `apply` and `ledger repair` write their audit log, relative to the project root.",
    )
    # Rule configuration (rule_config.py), as squawk and ruff name it.
    disable: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Rule ids to turn off; an unknown id is an error."
    )
    severity: dict[str, str] = Field(
        default_factory=dict, description='Per-rule severity, e.g. `{ "prefer-text" = "error" }` (error or warning).'
    )
    exclude: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Globs of migration paths whose findings are not reported."
    )

    # -- the dry run's limits and fidelity (issues 10 and 12) --
    dry_run_statement_timeout: str = Field(
        default="60s", description="Longest a statement may run in the dry run (`--statement-timeout`)."
    )
    dry_run_time_budget: str = Field(
        default="10min", description="Wall-clock budget of a whole dry run (`--time-budget`)."
    )
    dry_run_disk_limit: str = Field(
        default="2GB", description="Most the dry-run database may grow; also a session's temp files (`--disk-limit`)."
    )
    strict_extensions: bool = Field(
        default=False, description="No stand-in extensions: a missing extension stops the dry run."
    )
    pg_version: int | None = Field(
        default=None, description="The project's PostgreSQL major (default: `[db] major_version` in config.toml)."
    )
    baseline: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Schema files replayed before the history (`--baseline`)."
    )

    _split = field_validator("stub_extensions", "disable", "exclude", "baseline", mode="before")(_split_list)
    _durations = field_validator("dry_run_statement_timeout", "dry_run_time_budget")(_check_duration)
    _sizes = field_validator("dry_run_disk_limit")(_check_size)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The config file's values come in as init kwargs; the environment must beat them.
        return (env_settings, init_settings)


def find_config_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``migration-guard.toml`` or pyproject with ``[tool.migration-guard]`` at or above start."""
    here = start.resolve()
    for folder in (here, *here.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, _read_toml(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            section = tool.get("migration-guard") if isinstance(tool, dict) else None
            if isinstance(section, dict):
                return pyproject, section
        if (folder / ".git").exists():
            break  # a config file above the repository belongs to something else
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None


def load_project_settings(start: Path | None = None) -> ProjectSettings:
    """Project defaults for the CLI, from the environment and the nearest config file."""
    found = find_config_file(start or Path.cwd())
    values: dict[str, Any] = {}
    origin = "environment"
    if found:
        path, data = found
        origin = str(path)
        values = {str(k).replace("-", "_"): v for k, v in data.items()}
        known = set(ProjectSettings.model_fields)
        for key in values:
            if key not in known:
                raise UserError(f"{path}: unknown setting {key.replace('_', '-')!r} (known: "
                                f"{', '.join(sorted(k.replace('_', '-') for k in known))})")
    try:
        return ProjectSettings(**values)
    except ValidationError as exc:
        raise UserError(_first_error(exc, lambda loc: f"{origin}: setting `{loc.replace('_', '-')}`")) from None
