"""Keep secrets (database URLs, tokens) out of logs, reports and audit records."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# postgres://user:password@host/db → postgres://user:***@host/db
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")
_KEYWORD_PASSWORD = re.compile(r"(?i)(password\s*=\s*)('[^']*'|\S+)")
_TOKENS = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sbp_[A-Za-z0-9]{20,})\b")


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Mask passwords in URLs and DSNs, known token shapes, and every given secret."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _KEYWORD_PASSWORD.sub(lambda m: f"{m.group(1)}***", text)
    return _TOKENS.sub("***", text)


def describe_database(url: str) -> str:
    """``host:port/dbname`` of a connection URL or DSN: what an audit record may say."""
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        name = parts.path.lstrip("/") or "postgres"
        return f"{host}{port}/{name}"
    fields = dict(
        item.split("=", 1) for item in url.split() if "=" in item
    )
    host = fields.get("host", "localhost")
    port = f":{fields['port']}" if "port" in fields else ""
    return f"{host}{port}/{fields.get('dbname', 'postgres')}"
