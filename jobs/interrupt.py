"""SIGINT and SIGTERM end a command cleanly: its crawls stopped, its run recorded as
interrupted, exit 130 or 143 (128 + the signal's number, as shells report it).

The handler raises :class:`Interrupted`, a SystemExit, so that no ``except Exception`` of a
step swallows it, and so that psycopg, which it may interrupt in a query, cancels that query
and leaves the connection usable, as it does for KeyboardInterrupt and SystemExit alone (a
plain BaseException left the connection mid-query, and the next statement on it failed with
"another command is already in progress"). Not a KeyboardInterrupt: Click turns that into
Abort. The jobs record the interruption on the way out and the CLI stops the crawl processes
(``jobs.crawling.stop_all``). Further signals while it stops are
ignored: the stop is bounded (``jobs.crawling.STOP_GRACE``) and must not be cut short.
"""

from __future__ import annotations

import os
import signal
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(SystemExit):
    """The command received SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)
        self.code = self.exit_code  # as SystemExit's, should it ever reach the interpreter

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _in_callback(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs within a weak reference's callback or a finalizer, where an
    exception is printed and dropped, not raised: the garbage collector runs them wherever
    it runs (while an import compiles a module, say)."""
    while frame is not None:
        if frame.f_code.co_filename == weakref.__file__ or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _raise_once(signum: int, frame: FrameType | None) -> None:
    if _in_callback(frame):
        # Raised here, Interrupted would be lost and the command would run on: the signal
        # comes again shortly, once the callback has returned.
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise Interrupted (main thread only; elsewhere
    the handlers stay as they are); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _raise_once)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
