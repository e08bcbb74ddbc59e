"""SIGTERM and SIGHUP handled for the length of a block: what the CLI faces and the console share."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any


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
