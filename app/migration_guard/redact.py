"""Keep secrets (database passwords, tokens) out of logs, reports and audit records.

What is masked, in this order:

1. passwords in their positions: ``scheme://user:PASSWORD@``, ``password=PASSWORD`` (quoted or
   not, spaces around ``=``), ``PGPASSWORD=PASSWORD``;
2. every secret the caller names (a token, a URL), and for a connection string its password as
   libpq reads it, in every spelling (as written, URL-decoded, URL-encoded), wherever it appears:
   a server error may echo it back. A password that is a common word (``postgres``, the user or
   the database name, a short lowercase word) is the exception: masking every ``postgres`` would
   make ``postgres:***@db/postgres`` unreadable and protect nothing (such a password is guessed
   first anyway), so it is masked only in the positions of (1) and inside libpq's own
   connection-string errors, which quote the option values;
3. tokens: GitHub and Supabase token shapes, and credentials in ``Authorization: basic|bearer``
   headers, including the base64 of ``x-access-token:<token>`` that ``actions/checkout`` writes
   into ``.git/config``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TextIO
from urllib.parse import quote, quote_plus, unquote

MASK = "***"

# postgres://user:password@host/db → postgres://user:***@host/db
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")
_KEYWORD_PASSWORD = re.compile(r"(?i)\b((?:pg)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s\"]+)")
_SQL_PASSWORD = re.compile(r"(?i)\b(password\s+)('(?:[^']|'')*')")  # ALTER ROLE … PASSWORD '…' echoed
_TOKENS = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sbp_[A-Za-z0-9]{20,})\b")
# "Authorization: basic <base64>", "AUTHORIZATION: bearer <token>", "authorization=token <token>"
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*(?:basic|bearer|token)\s+)([A-Za-z0-9+/=._~-]+)")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
# libpq's conninfo errors quote the offending value: `invalid sslmode value: "..."`,
# `missing "=" after "..." in connection info string`, `... in URI: "..."`.
_DRIVER_ECHO = re.compile(r"(?i)connection info string|in URI|connection option|invalid \w+ value|\bvalue: \"")
_QUOTED = re.compile(r'"([^"\n]*)"')
_DRIVER_MARKERS = ("connection info string", "in uri", "connection option", "value")

# Passwords that are words anyone would try first: masking each occurrence of them in text would
# hide user, database and role names without protecting anything.
COMMON_PASSWORDS = frozenset(
    {"postgres", "password", "secret", "admin", "root", "supabase", "changeme", "test", "example", "pass",
     "letmein", "default", "user", "guest", "pgpass", "public", "local", "dev", "development"}
)


def is_distinctive(password: str, context: tuple[str, ...] = ()) -> bool:
    """Safe to mask everywhere it appears: not a common word, not a name used in the same URL."""
    low = password.lower()
    if len(password) < 4 or low in COMMON_PASSWORDS:
        return False
    if any(low == c.lower() for c in context if c):
        return False
    return not (password.isalpha() and password.islower() and len(password) < 10)


def _looks_like_conninfo(value: str) -> bool:
    return "://" in value or "=" in value


_DSN_PASSWORD_LOOSE = re.compile(r"(?is)\bpassword\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(.*?))(?=\s+\w+\s*=|\s*$)")


@lru_cache(maxsize=64)
def password_forms(conninfo: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(distinctive spellings, common-word spellings) of the password in a URL or DSN.

    libpq parses it (``conninfo_to_dict``), so every form it accepts is understood; when libpq
    cannot parse it, a loose reading of ``password=`` and ``user:password@`` still finds it.
    """
    password, context = _parse_password(conninfo)
    if not password:
        return (), ()
    spellings = {password, quote(password, safe=""), quote_plus(password), quote(password)}
    if " " in password.strip():
        spellings.update(part for part in password.split() if len(part) >= 4)
    if is_distinctive(password, context):
        strong = tuple(s for s in spellings if len(s) >= 4 and is_distinctive(s, context))
        weak = tuple(s for s in spellings if s not in strong)
        return strong, weak
    return (), tuple(spellings)


def _parse_password(conninfo: str) -> tuple[str, tuple[str, ...]]:
    from migration_guard.conninfo import BadConninfo, parse

    try:
        params = parse(conninfo).params
        context = tuple(params.get(k, "") for k in ("user", "dbname")) + tuple(params.get("host", "").split(","))
        return params.get("password", ""), context
    except BadConninfo:  # malformed: read it loosely (it is still a secret)
        pass
    match = _URL_PASSWORD.search(conninfo)
    if match and match["pw"]:
        return unquote(match["pw"]), (match["user"],)
    loose = _DSN_PASSWORD_LOOSE.search(conninfo)
    if loose:
        return (loose.group(1) if loose.group(1) is not None else loose.group(2) or "").strip(), ()
    return "", ()


def _mask_positions(text: str, low: str) -> str:
    # Substring tests first: a report of megabytes usually holds neither, and they cost ~nothing.
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    if "password" in low:
        text = _KEYWORD_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}", text)
        text = _SQL_PASSWORD.sub(lambda m: f"{m.group(1)}'{MASK}'", text)
    return text


def _mask_driver_echo(text: str, weak: set[str]) -> str:
    """Inside libpq's conninfo errors, a quoted value that is (or holds) the password."""
    if not weak or not any(marker in text.lower() for marker in _DRIVER_MARKERS):
        return text

    def quoted(m: re.Match[str]) -> str:
        value = m.group(1)
        for w in sorted(weak, key=len, reverse=True):
            if w and w in value:
                value = value.replace(w, MASK)
        return f'"{value}"'

    lines = text.split("\n")
    return "\n".join(_QUOTED.sub(quoted, line) if _DRIVER_ECHO.search(line) else line for line in lines)


def _decodes_to_token(chunk: str) -> bool:
    padded = chunk + "=" * (-len(chunk) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True).decode("utf-8", errors="ignore")
    except (binascii.Error, ValueError):
        return False
    return "x-access-token:" in decoded or bool(_TOKENS.search(decoded))


def _mask_tokens(text: str, low: str) -> str:
    if "authorization" in low:
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _BASE64_RUN.sub(lambda m: MASK if _decodes_to_token(m.group(0)) else m.group(0), text)
    if "gh" in text or "sbp_" in text:
        text = _TOKENS.sub(MASK, text)
    return text


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Mask passwords, the given secrets (and a connection string's password) and tokens."""
    strong: set[str] = set()
    weak: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        if _looks_like_conninfo(secret):
            found_strong, found_weak = password_forms(secret)
            strong.update(found_strong)
            weak.update(found_weak)
        if len(secret) >= 4:
            strong.add(secret)
    text = _mask_positions(text, text.lower())
    text = _mask_driver_echo(text, weak)
    for secret in sorted(strong, key=len, reverse=True):  # a URL before the password inside it
        text = text.replace(secret, MASK)
    return _mask_tokens(text, text.lower())


def _host_port(host: str, port: str) -> str:
    if not host or host.startswith(("/", "@")):  # a unix socket: its folder says nothing useful
        return "localhost"
    return f"{host}:{port}" if port else host


def describe_database(url: str) -> str:
    """``host:port/dbname`` of a connection URL or DSN: what an audit record may say. Never raises."""
    from migration_guard.conninfo import BadConninfo, parse

    try:
        info = parse(url)
    except BadConninfo:
        return "(unparsable database URL)"
    hosts, ports = info.hosts(), info.ports()
    where = ",".join(_host_port(h, p) for h, p in zip(hosts, ports, strict=False))
    name = info.params.get("dbname") or os.environ.get("PGDATABASE") or info.params.get("user") or "postgres"
    return f"{where}/{name}"


class RedactingStream:
    """A text stream that redacts what is written: token shapes and passwords in their positions
    always, and the secrets registered so far (``log.add_secret``).

    The CLI wraps stdout and stderr with it, so every command's report (plan, check, apply, status,
    reset, seed) is masked even where a server error text (which PR SQL controls) is printed as is.
    """

    def __init__(self, stream: TextIO, secrets: Callable[[], tuple[str, ...]]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        if text.startswith("::add-mask::"):  # the runner consumes these; they must stay whole
            self._stream.write(text)
        else:
            self._stream.write(redact(text, self._secrets()))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, …
        return getattr(self._stream, name)
