"""structlog set-up: human console output locally, JSON lines in CI; secrets masked always."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from migration_guard.redact import redact

_SECRETS: list[str] = []


def add_secret(value: str | None) -> None:
    """Register a value that must never be printed (a token, a database URL: ``redact`` masks a
    URL's password wherever it appears too)."""
    if value and value not in _SECRETS:
        _SECRETS.append(value)


def secrets() -> tuple[str, ...]:
    """Everything registered so far (the CLI redacts its one-line errors with them)."""
    return tuple(_SECRETS)


def _mask(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = redact(value, _SECRETS)
    return event_dict


def configure(verbose: bool = False) -> None:
    json_lines = os.environ.get("CI") == "true" or os.environ.get("GITHUB_ACTIONS") == "true"
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG if verbose else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "migration-guard") -> Any:
    return structlog.get_logger(name)
