"""Errors that end a command with one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or environment: printed as one line, exit code 2 unless told otherwise."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
