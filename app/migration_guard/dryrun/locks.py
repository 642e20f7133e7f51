"""What the dry run's traced locks mean for the application (pure: traced data in, plain data out)."""

from __future__ import annotations

import re
from functools import cache

# Roles the dry run creates for itself, shown to the reader as this instead.
INTERNAL_ROLE_LABEL = "<migration role>"
# Real Supabase role names are what production shows too: never hidden.
_REAL_ROLES = frozenset({"postgres", "supabase_admin", "anon", "authenticated", "service_role"})


@cache
def _internal_roles() -> re.Pattern[str] | None:
    from migration_guard.dryrun import bootstrap

    names = {str(getattr(bootstrap, "MIGRATION_ROLE", ""))}
    names |= {str(n) for n in getattr(bootstrap, "INTERNAL_ROLES", ())}
    names = {n for n in names if n and n not in _REAL_ROLES}
    if not names:
        return None
    return re.compile(r"(?<![\w$])\"?(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\"?(?![\w$])")


def hide_internal_roles(text: str) -> str:
    """Replace the dry run's own role names (``mg_migrator``) in a rendered report."""
    pattern = _internal_roles()
    return pattern.sub(INTERNAL_ROLE_LABEL, text) if pattern else text
