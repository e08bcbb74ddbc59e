"""SIGTERM/SIGHUP in the CLI faces: raised as ``Terminated`` so that ``finally`` blocks close the sessions."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP so that ``finally`` blocks close the sessions."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def on_termination(handler: Callable[[int, FrameType | None], Any] | signal.Handlers) -> Iterator[None]:
    """``handler`` for SIGTERM/SIGHUP inside the block, the previous handlers restored after it.

    Only the main thread may set signal handlers: elsewhere the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def termination_signals() -> contextlib.AbstractContextManager[None]:
    """SIGTERM/SIGHUP raise Terminated in the main thread while inside the block (so finally runs)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    return on_termination(handler)
