"""Blocking pypsrp calls made in a thread the caller can walk away from.

A hung server (a dropped VPN, a SIGSTOPped simulator) leaves a pypsrp call blocked in a socket read
for its read timeout, and pypsrp's Receive retries that five times with backoff: minutes. Neither
Ctrl+C nor quit may wait for that. ``call()`` runs the blocking call in a daemon thread and waits for
it in short slices, so the caller returns as soon as ``give_up()`` says so (or its deadline passes),
leaving the call to finish, or fail, on its own; its late result is dropped. A daemon thread never
holds up the interpreter's exit, unlike the executor threads Textual's workers run in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

SLICE_S = 0.05   # how often the waiting thread looks at give_up(): well inside the 2 s Ctrl+C bound


class Abandoned(Exception):
    """The caller stopped waiting for a blocking call; the call goes on in its thread, unheard."""

    def __init__(self, what: str, waited_s: float) -> None:
        super().__init__(f"gave up waiting for {what} after {waited_s:.1f} s")
        self.what = what
        self.waited_s = waited_s


def never() -> bool:
    """A ``give_up`` that never gives up (the default)."""
    return False


def call(fn: Callable[[], T], *, what: str, give_up: Callable[[], bool] = never, timeout_s: float | None = None,
         silence_s: float | None = None, on_silence: Callable[[float], None] | None = None) -> T:
    """``fn()``'s result (or its exception), unless ``give_up()`` turns true or ``timeout_s`` passes first:
    then raises ``Abandoned``. ``on_silence(waited)`` is called each time another ``silence_s`` passes
    without an answer. A KeyboardInterrupt in the waiting (main) thread abandons the call too."""
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:   # handed to the waiting thread, or dropped when it left
            outcome["error"] = exc
        finally:
            done.set()
            if abandoned.is_set() and "error" in outcome:
                log.debug("%s failed after it was abandoned: %s", what, type(outcome["error"]).__name__,
                          exc_info=outcome["error"])

    abandoned = threading.Event()
    thread = threading.Thread(target=run, name=f"exohop-io-{what}", daemon=True)
    thread.start()
    try:
        wait(done.wait, what=what, give_up=give_up, timeout_s=timeout_s, silence_s=silence_s,
             on_silence=on_silence)
    except BaseException:
        abandoned.set()
        raise
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def wait(ready: Callable[[float], bool], *, what: str, give_up: Callable[[], bool] = never,
         timeout_s: float | None = None, silence_s: float | None = None,
         on_silence: Callable[[float], None] | None = None) -> None:
    """Wait until ``ready(slice_s)`` (which blocks up to ``slice_s``) says True, with ``call``'s rules:
    ``Abandoned`` once ``give_up()`` or ``timeout_s``, ``on_silence`` every ``silence_s``. What ``ready``
    raises is raised."""
    start = time.monotonic()
    next_notice = silence_s
    while not ready(SLICE_S):
        waited = time.monotonic() - start
        if give_up() or (timeout_s is not None and waited >= timeout_s):
            raise Abandoned(what, waited)
        if next_notice is not None and on_silence is not None and waited >= next_notice:
            on_silence(waited)
            next_notice += silence_s or 0.0
