"""The connection type the local workflow passes around (psycopg's default tuple rows)."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]
