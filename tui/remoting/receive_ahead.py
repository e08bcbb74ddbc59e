"""A pipeline's Receives sent ahead: the next WS-Management Receive goes out while the last answer is decoded.

pypsrp's ``poll_invoke()`` sends a Receive and decodes its answer before the next Receive can leave, so
every round trip also waits for the client's decoding (and the decoding for the round trip). Here a
thread of the pipeline's own sends the Receives one after another (never two at once: one Receive per
command is outstanding, as WS-Management clients do) and keeps up to ``AHEAD`` raw answers for the
caller, who decodes them in their order: pypsrp's objects are touched by the caller's thread only.

The two threads share the GIL: with CPython's default 5 ms switch interval, each time this thread takes
it back after a socket call (sending the next Receive, reading its answer) it can wait 5 ms for the
decoding thread to let go, and those waits sit on every round trip. Starting a ReceiveAhead lowers the
process's switch interval to ``SWITCH_INTERVAL_S`` (a waiting thread is let in sooner; the cost, a
switch per millisecond while two threads want to run, is noise).

An answer that comes to a caller already waiting for it has just arrived, and this thread is at that
moment sending the next Receive (about 2 ms of Python in pypsrp and requests). Were the caller to start
decoding at once, its long C calls (parsing a 500 KB envelope, its base64) would hold the GIL and the
next Receive would leave about 5 ms late, on every round trip (tests/bench/bench_psrp_output.py: 10,000
mailboxes at 50 ms, 5.64 s without this, 5.11 s with it). So ``next()`` gives this thread ``HANDOFF_S``
first. A caller that is behind (answers waiting) loses nothing: it is not paused.

The thread stops after an answer saying the command is Done, after a Receive that failed (its exception
is handed over in its turn, after the answers before it), or when closed. A Receive blocked on a hung
server is left to its daemon thread and whatever it brings later is dropped.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

log = logging.getLogger(__name__)

AHEAD = 2   # answers kept ready: enough to cover a round trip; a slow consumer holds the server back
SWITCH_INTERVAL_S = 0.001
HANDOFF_S = 0.003   # the next Receive's way out, before a waiting caller decodes (2 ms of CPU, and margin)


class Answer(NamedTuple):
    data: bytes          # the Receive's answer as it came (not parsed; b"" when the long poll timed out)
    done: bool           # WS-Management says the command is Done: nothing more will come
    message_id: str = ""  # the Receive's MessageID, which the answer must relate to


class ReceiveAhead:
    """Receives ``receive()`` in a thread, ahead of the caller; ``next()`` hands the answers out in order."""

    def __init__(self, receive: Callable[[], Answer], *, on_answer: Callable[[], None], name: str) -> None:
        self._receive = receive
        self._on_answer = on_answer              # called in the thread as each answer arrives
        self._answers: queue.Queue[Answer | BaseException] = queue.Queue(maxsize=AHEAD)
        self._closed = threading.Event()
        self._ended = threading.Event()          # the thread sends no more Receives
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread.start()

    @property
    def exhausted(self) -> bool:
        """Every answer was handed out and the thread sends no more (Done, a failure, or closed)."""
        return self._ended.is_set() and self._answers.empty()

    def next(self, wait_s: float) -> Answer | None:
        """The next answer, or None when none came within ``wait_s``; raises the failed Receive's exception."""
        try:
            got = self._answers.get_nowait()
        except queue.Empty:
            try:
                got = self._answers.get(timeout=wait_s)
            except queue.Empty:
                return None
            if isinstance(got, Answer) and not got.done and not self._closed.is_set():
                time.sleep(HANDOFF_S)     # it just came: the next Receive is leaving (see the module's text)
        if isinstance(got, BaseException):
            raise got
        return got

    def close(self) -> None:
        """Send no further Receive; a Receive under way is left to finish (or hang) unheard."""
        self._closed.set()

    def _run(self) -> None:
        try:
            while not self._closed.is_set():
                item: Answer | BaseException
                try:
                    item = self._receive()
                except BaseException as exc:   # handed to the caller in its turn
                    item = exc
                else:
                    self._on_answer()
                if not self._put(item) or isinstance(item, BaseException) or item.done:
                    return
        finally:
            self._ended.set()

    def _put(self, item: Answer | BaseException) -> bool:
        """Queue ``item`` once there is room; False when closed meanwhile (the item is dropped)."""
        while not self._closed.is_set():
            try:
                self._answers.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        if isinstance(item, BaseException):
            log.debug("a Receive failed after its pipeline was left: %s", type(item).__name__, exc_info=item)
        return False
