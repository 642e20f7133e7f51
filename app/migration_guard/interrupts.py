"""The runner's cancel: SIGTERM unwinds like Ctrl-C.

A cancelled GitHub job stops the action's container (SIGTERM, then SIGKILL after a grace period)
or signals it (SIGINT). Python's default for SIGTERM ends the process on the spot: no `finally`
runs, so a dry-run server and its folder would be left behind and a deploy would leave no audit
record of how it ended. Inside ``terminate_on_sigterm`` it raises KeyboardInterrupt instead.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C while the block runs (plan, check, the action's check and deploy)."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
