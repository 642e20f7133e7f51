"""Is this a Supabase project, and which schemas does its Data API expose?"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from migration_guard.model import Migration

DEFAULT_EXPOSED = ("public",)
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
SUPABASE_SCHEMAS = ("auth", "storage")
PLATFORM_REFERENCES = (
    "realtime.send(", "realtime.broadcast_changes(", "realtime.messages", "supabase_realtime",
    "vault.secrets", "vault.decrypted_secrets", "vault.create_secret(", "net.http_post(", "net.http_get(",
)


def find_config(start: Path) -> Path | None:
    """The nearest ``supabase/config.toml`` at or above ``start`` (a migrations folder or file)."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for candidate in (folder / "config.toml", folder / "supabase" / "config.toml"):
            if candidate.is_file() and candidate.parent.name == "supabase":
                return candidate
    return None


def exposed_schemas(config: Path | None) -> tuple[str, ...]:
    """``[api] schemas`` from config.toml; the default when absent or unreadable."""
    if config is None:
        return DEFAULT_EXPOSED
    try:
        return _exposed_in(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return DEFAULT_EXPOSED


def _exposed_in(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_EXPOSED
    import tomllib  # here: most lints have no config.toml, and the import costs ~5 ms of every run

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return DEFAULT_EXPOSED
    api = data.get("api")
    schemas = api.get("schemas") if isinstance(api, dict) else None
    if isinstance(schemas, list) and all(isinstance(s, str) for s in schemas) and schemas:
        return tuple(schemas)
    return DEFAULT_EXPOSED


def config_text_at(start: Path, ref: str) -> str | None:
    """The text of the config.toml ``find_config`` would pick, as it is at git ``ref`` (None: none there)."""
    from migration_guard.errors import UserError
    from migration_guard.gitdiff import repo_root, run_git

    try:
        root = repo_root(start).resolve()
    except UserError:
        return None
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if not folder.is_relative_to(root):
            break
        for candidate in (folder / "config.toml", folder / "supabase" / "config.toml"):
            if candidate.parent.name != "supabase":
                continue
            try:
                proc = run_git(root, "cat-file", "blob", f"{ref}:{candidate.relative_to(root).as_posix()}")
            except UnicodeDecodeError:
                return ""  # unreadable: the default exposure
            if proc.returncode == 0:
                return proc.stdout
    return None


def exposed_schemas_since(start: Path, base: str | None) -> tuple[str, ...]:
    """The exposed schemas for checking a change made since ``base``: those of the work tree and of
    ``base`` together. The change's own config.toml comes from the pull request, which must not be
    able to unexpose `public` to hide its own table without row level security; it can only add."""
    head = exposed_schemas(find_config(start))
    if not base:
        return head
    before = _exposed_in(config_text_at(start, base))
    return tuple(dict.fromkeys(head + before))


def references_supabase(migrations: Iterable[Migration]) -> bool:
    """SQL that grants to Supabase roles or references the auth/storage schemas."""
    for m in migrations:
        lowered = m.text.lower()
        if any(f"auth.{x}" in lowered for x in ("uid()", "users", "jwt()", "role()")):
            return True
        if "storage.objects" in lowered or "storage.buckets" in lowered:
            return True
        # Platform schemas only Supabase provides: Realtime, Vault, pg_net's `net` (pgflow uses only these).
        if any(ref in lowered for ref in PLATFORM_REFERENCES):
            return True
        if any(f"to {role}" in lowered or f"to \"{role}\"" in lowered for role in SUPABASE_ROLES):
            return True
    return False


def resolve_supabase(mode: str, start: Path, migrations: Iterable[Migration], base: str | None = None) -> bool:
    """``--supabase auto|on|off``: auto = a config.toml above the folder (now, or at git ``base``: a
    pull request deleting it must not turn the Supabase rules off for its own check), or Supabase
    references."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    if find_config(start) is not None or references_supabase(migrations):
        return True
    return bool(base) and config_text_at(start, base or "") is not None
