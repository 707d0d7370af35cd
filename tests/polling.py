"""Waiting in tests for a lease to expire, a process to start, a row to be stored: a bounded
poll on the condition, never a fixed sleep (too short on a loaded machine, too long on an
idle one)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], timeout: float = 30.0, every: float = 0.05) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds, asked every ``every``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
