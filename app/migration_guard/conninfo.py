"""Read a database URL or keyword DSN the way libpq does (``psycopg.conninfo.conninfo_to_dict``).

One parser for every form libpq accepts: ``postgresql://`` URLs (multi-host, IPv6 in brackets,
query parameters), keyword DSNs (spaces around ``=``, quoted values), and ``PGHOST``/``PGPORT``
from the environment for what the string leaves out. ``pgbouncer=true`` is a Prisma/Supabase
convention libpq rejects; it is taken out first and reported on its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

# `?pgbouncer=true` / `&pgbouncer=true` in a URL, `pgbouncer = 'true'` in a keyword DSN.
_PGBOUNCER = re.compile(r"""(?i)(?P<sep>[?&]|^|\s)pgbouncer\s*=\s*(?P<q>'?)(?P<value>[^&\s']*)(?P=q)""")


class BadConninfo(ValueError):
    """libpq cannot read it; the message is libpq's, possibly quoting the string (redact it)."""


@dataclass(frozen=True)
class Conninfo:
    params: dict[str, str]
    pgbouncer: str | None  # the value of a pgbouncer= parameter, if any

    def hosts(self, environ: Mapping[str, str] | None = None) -> list[str]:
        env = os.environ if environ is None else environ
        raw = self.params.get("host") or self.params.get("hostaddr") or env.get("PGHOST") or env.get("PGHOSTADDR")
        return [h.strip() for h in raw.split(",")] if raw else [""]

    def ports(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """One port per host as libpq pairs them (a single port applies to every host)."""
        env = os.environ if environ is None else environ
        raw = self.params.get("port") or env.get("PGPORT") or ""
        ports = [p.strip() for p in raw.split(",")] if raw else [""]
        hosts = self.hosts(environ)
        return ports * len(hosts) if len(ports) == 1 else ports


def parse(conninfo: str) -> Conninfo:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    pgbouncer = None
    match = _PGBOUNCER.search(conninfo)
    if match:
        pgbouncer = match["value"]
        conninfo = _PGBOUNCER.sub(lambda m: m["sep"] if m["sep"] in "?&" else " ", conninfo)
        conninfo = conninfo.replace("?&", "?").replace("&&", "&").rstrip("?&")
    try:
        params = conninfo_to_dict(conninfo)
    except ProgrammingError as exc:
        raise BadConninfo((str(exc).strip().splitlines() or ["invalid connection string"])[0]) from None
    return Conninfo({k: str(v) for k, v in params.items() if v is not None}, pgbouncer)
