"""Is this database URL safe to apply through? Refuse transaction-mode poolers up front.

The URL is read by libpq's own parser (``migration_guard.conninfo``), so every form libpq accepts
is judged the same way: URLs and keyword DSNs, spaces around ``=``, quoted values, several hosts
(each with its port, or one port for all), and ``PGHOST``/``PGPORT`` from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping

from migration_guard.conninfo import BadConninfo, Conninfo, parse
from migration_guard.errors import UserError
from migration_guard.redact import password_forms, redact

POOLER_PORT = 6543  # Supavisor / PgBouncer transaction mode on Supabase


def read_url(url: str, what: str = "the database URL") -> Conninfo:
    """Parse with libpq; a malformed URL (bad port, unclosed ``[``) is one line, never a traceback."""
    try:
        info = parse(url)
    except BadConninfo as exc:
        raise UserError(f"{what} is not a valid PostgreSQL URL or DSN: {redact(str(exc), (url,))}") from None
    for port in info.ports():
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise UserError(f"{what} has an invalid port {redact(port, (url,))!r}: expected a number from 1 to 65535")
    return info


def check_not_transaction_pooler(url: str, environ: Mapping[str, str] | None = None) -> None:
    """Raise when any host is a transaction-mode pooler (port 6543 or pgbouncer=true)."""
    info = read_url(url)
    pooled = [
        f"{host or 'localhost'}:{port}"
        for host, port in zip(info.hosts(environ), info.ports(environ), strict=False)
        if port == str(POOLER_PORT)
    ]
    if pooled or (info.pgbouncer or "").lower() == "true":
        where = ", ".join(pooled) or "pgbouncer=true"
        raise UserError(
            f"the database URL points at a transaction-mode pooler ({where}; port 6543 or pgbouncer=true): "
            "it breaks SET lock_timeout, session advisory locks and multi-statement transactions; "
            "use the direct connection or the session-mode pooler (port 5432)"
        )


def url_secrets(url: str) -> tuple[str, ...]:
    """The URL and its password in every spelling, to mask everywhere (``::add-mask::`` too).

    A password that is a common word (``postgres``) is left out: it is masked in its position in
    a URL or DSN only (see ``redact``), so the names around it stay readable.
    """
    strong, _ = password_forms(url)
    return tuple(dict.fromkeys(s for s in (url, *strong) if s))
