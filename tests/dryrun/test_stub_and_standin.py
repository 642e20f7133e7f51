"""--stub-extension for an extension the dry-run server has (here our supabase_vault stand-in): the
extension runs for real and the report says the flag was ignored. Before, the stub's own objects
clashed with the stand-in's and the plan stopped with "permission denied for schema vault"."""

from __future__ import annotations

from pathlib import Path

from migration_guard.dryrun.plan import PlanOptions, run_plan

SQL = (
    "-- intent: keep the webhook secret in Vault\n"
    "create extension if not exists supabase_vault with schema vault;\n"
    "select vault.create_secret('s3cr3t-value', 'webhook_secret');\n"
)


def test_a_stub_of_an_extension_the_server_has_is_ignored_and_said(tmp_path: Path) -> None:
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_vault.sql").write_text(SQL)
    result = run_plan(PlanOptions(migrations_dir=folder, supabase="on", postgres="local",
                                  stub_extensions=("supabase_vault",)))  # fmt: skip
    assert result.ok, [m.error for m in result.migrations]
    assert [m.status for m in result.migrations] == ["applied"]
    assert any(w.startswith("--stub-extension supabase_vault ignored") for w in result.warnings), result.warnings
