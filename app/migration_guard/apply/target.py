"""Is this database URL safe to apply through? Refuse transaction-mode poolers up front."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from migration_guard.errors import UserError

POOLER_PORT = 6543  # Supavisor / PgBouncer transaction mode on Supabase


def _fields(url: str) -> tuple[int | None, dict[str, str]]:
    if "://" in url:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None and query.get("port", "").isdigit():
            port = int(query["port"])
        return port, query
    fields = dict(item.split("=", 1) for item in url.split() if "=" in item)
    port_text = fields.get("port", "")
    return (int(port_text) if port_text.isdigit() else None), fields


def check_not_transaction_pooler(url: str) -> None:
    """Raise when the URL points at a transaction-mode pooler (port 6543 or pgbouncer=true)."""
    port, fields = _fields(url)
    if port == POOLER_PORT or fields.get("pgbouncer", "").lower() == "true":
        raise UserError(
            "the database URL points at a transaction-mode pooler (port 6543 / pgbouncer=true): "
            "it breaks SET lock_timeout, session advisory locks and multi-statement transactions; "
            "use the direct connection or the session-mode pooler (port 5432)"
        )


def url_secrets(url: str) -> tuple[str, ...]:
    """The URL and its password on its own: an error message may quote the password alone."""
    from urllib.parse import unquote

    out = [url]
    if "://" in url:
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            out += [password, unquote(password)]
    else:
        fields = dict(item.split("=", 1) for item in url.split() if "=" in item)
        if fields.get("password"):
            out.append(fields["password"].strip("'"))
    return tuple(dict.fromkeys(s for s in out if s))
