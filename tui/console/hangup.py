"""SIGTERM and SIGHUP under the console: disconnect what answers, and be gone within 2 s whatever happens.

Closing the terminal sends SIGHUP and takes the tty with it: Textual's driver then blocks in its
shutdown (it restores a terminal that is no longer there), and a handler on the event loop never
runs again, so a later SIGTERM went unheard. Here the signals are handled at the Python level
instead: a thread closes every session within ``CLOSE_BUDGET_S`` (abandoning whatever waits on a
hung server) and asks the app to exit; a watchdog thread ends the process with 128+N after
``EXIT_WITHIN_S`` whatever the app, its driver or the server do. The Deletes that did not get
through by then stay in the shell journal for the next start. A second signal exits at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from tui.termination import on_termination

log = logging.getLogger(__name__)

EXIT_WITHIN_S = 1.7    # the bound is 2 s from the signal; the rest is the interpreter's own exit
CLOSE_BUDGET_S = 1.2   # Deletes get this long, so that the app still has time to restore the terminal
RESTORE_WAIT_S = 0.1   # a terminal that stopped reading must not hold the watchdog either
# What Textual's driver undoes on a normal exit: mouse reporting, bracketed paste, the alternate screen, the cursor.
RESET_SEQUENCES = b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"


class _Terminal:
    """The tty's modes before the app took it, to put back when the watchdog has to cut the exit short."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.attrs: Any = None
        try:
            import termios

            fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
            if fd >= 0 and os.isatty(fd):
                self.attrs = termios.tcgetattr(fd)
                self.fd = fd
        except (ImportError, OSError, ValueError):
            self.fd = None

    def restore(self) -> None:
        if self.fd is None:
            return
        try:
            import termios

            termios.tcsetattr(self.fd, termios.TCSANOW, self.attrs)
            out = sys.__stdout__.fileno() if sys.__stdout__ is not None else -1
            if out >= 0 and os.isatty(out):
                os.write(out, RESET_SEQUENCES)
        except (OSError, ValueError, termios.error):
            pass   # the terminal is gone (SIGHUP): nothing to restore


@contextlib.contextmanager
def exit_on_termination(app: Any) -> Iterator[None]:
    """Inside the block, SIGTERM/SIGHUP close the sessions, exit the app, and end the process in time."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    terminal = _Terminal()
    fired = threading.Event()

    def leave(signum: int) -> None:
        done = threading.Thread(target=terminal.restore, name="exohop-restore-tty", daemon=True)
        done.start()
        done.join(RESTORE_WAIT_S)
        os._exit(128 + signum)

    def watchdog(signum: int, at: float) -> None:
        time.sleep(max(0.0, at + EXIT_WITHIN_S - time.monotonic()))
        log.warning("still running %.1f s after signal %d: leaving now", EXIT_WITHIN_S, signum)
        leave(signum)

    def close_and_exit(signum: int) -> None:
        ctl = getattr(app, "controller", None)
        if ctl is not None:
            try:
                for failure in ctl.close_all(CLOSE_BUDGET_S):
                    log.warning("on signal %d: %s", signum, failure)
            except Exception:
                log.exception("closing the sessions on signal %d failed", signum)
        # SIGTERM is a request to quit (as Ctrl+Q: 0 once everything closed); SIGHUP means the terminal is gone.
        code = 0 if signum == signal.SIGTERM else 128 + signum
        try:
            app.call_from_thread(lambda: app.exit(return_code=code))
        except Exception:   # the app is not running (yet, or any more): the watchdog ends it
            log.debug("could not ask the app to exit", exc_info=True)

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired.is_set():
            leave(signum)           # a second signal: now
        fired.set()
        now = time.monotonic()
        threading.Thread(target=watchdog, args=(signum, now), name="exohop-exit-watchdog", daemon=True).start()
        threading.Thread(target=close_and_exit, args=(signum,), name="exohop-signal-close", daemon=True).start()

    with on_termination(handler):
        yield
