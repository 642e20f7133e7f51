from __future__ import annotations

from pathlib import Path

from migration_guard.migrations.loader import parse_migration
from migration_guard.supabase import exposed_schemas, find_config, resolve_supabase


def _project(tmp_path: Path, config: str | None) -> Path:
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    if config is not None:
        (tmp_path / "supabase" / "config.toml").write_text(config)
    return migrations


def test_config_above_the_migrations_folder_is_found_and_schemas_read(tmp_path: Path) -> None:
    migrations = _project(tmp_path, '[api]\nschemas = ["public", "api"]\n')
    config = find_config(migrations)
    assert config == tmp_path / "supabase" / "config.toml"
    assert exposed_schemas(config) == ("public", "api")
    assert resolve_supabase("auto", migrations, []) is True


def test_broken_or_missing_config_falls_back_to_public(tmp_path: Path) -> None:
    migrations = _project(tmp_path, "[api\nschemas = ")
    assert exposed_schemas(find_config(migrations)) == ("public",)
    assert exposed_schemas(None) == ("public",)


def test_auto_detects_supabase_sql_without_config(tmp_path: Path) -> None:
    migrations = _project(tmp_path, None)
    plain = parse_migration(Path("1_a.sql"), b"create table t (id bigint primary key);")
    supa = parse_migration(Path("2_b.sql"), b"create policy p on t for select to authenticated using (true);")
    assert resolve_supabase("auto", migrations, [plain]) is False
    assert resolve_supabase("auto", migrations, [plain, supa]) is True
    assert resolve_supabase("off", migrations, [supa]) is False
    assert resolve_supabase("on", migrations, [plain]) is True


def test_platform_schema_references_mark_a_supabase_history(tmp_path: Path) -> None:
    """pgflow's history references only realtime, vault and net (no auth, no API roles): still Supabase."""
    migrations = _project(tmp_path, None)
    plain = parse_migration(Path("1_a.sql"), b"create table t (id bigint primary key);")
    for sql in (
        b"create function f() returns void language sql as $$ select realtime.send('{}', 'e', 't', false) $$;",
        b"select decrypted_secret from vault.decrypted_secrets where name = 'x';",
        b"select net.http_post(url := 'https://example.com');",
    ):
        assert resolve_supabase("auto", migrations, [plain, parse_migration(Path("2_b.sql"), sql)]) is True
