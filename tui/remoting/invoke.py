"""One remote pipeline, streamed: build it with pypsrp, poll it, hand out records and events as they arrive.

pypsrp's ``invoke()`` returns only at the end. Here the same calls are driven by hand:
``begin_invoke()``, then ``poll_invoke()``'s two halves in a loop (``tui.remoting.receive_ahead`` sends
the next Receive while this thread decodes the last answer), and after each answer the growth of
``output`` and of each ``streams`` list is delivered at once. A stop (Ctrl+C from another thread, or the
consumer having enough for ``-First``) sends the PSRP ``ctrl_c`` signal straight through the shell
(what ``PowerShell.stop()`` sends) from a thread of its own, while this thread keeps polling until
the server reports the pipeline Stopped, so pypsrp's state stays consistent and the session stays
usable. Every wait on the server runs through ``tui.remoting.abandon``: when the server does not answer
within ``STOP_GRACE_S`` of a stop (or the session is given up, or Ctrl+C hits the waiting main
thread) the pipeline is abandoned locally (``PipelineAbandoned``, ``abandoned``) and its blocked
call is left to its thread; the session then treats its pool as broken.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import SignalCode

from tui.remoting import abandon
from tui.remoting.errors import UnreadableAnswer
from tui.remoting.events import ErrorEvent, Event, SilenceEvent, VerboseEvent, WarningEvent
from tui.remoting.pypsrp_compat import receive_answer, take_answer
from tui.remoting.receive_ahead import Answer, ReceiveAhead
from tui.remoting.values import error_event, info_message, progress_event, to_record, to_wire
from tui.shell.bound import BoundCommand
from tui.shell.records import Record

log = logging.getLogger(__name__)

STOP_DRAIN_S = 15.0   # a live server still streaming after a stop: how long to drain it at most
STOP_GRACE_S = 1.0    # after a stop, this long without any answer and the pipeline is abandoned (Ctrl+C ≤ 2 s)


# pypsrp's message decoding: where a server's invalid CLIXML surfaces (pypsrp 0.8 hands an undecodable
# message body on as a string, which then fails with AttributeError in messages.py).
_DECODER_FILES = tuple(os.sep + os.path.join("pypsrp", name) for name in ("messages.py", "serializer.py",
                                                                         "complex_objects.py"))


def _decoder_failure(exc: BaseException) -> bool:
    """True when ``exc`` is pypsrp failing to decode a message (raised in its decoder, of a decoding kind)."""
    if not isinstance(exc, AttributeError | ValueError | TypeError | KeyError | ET.ParseError):
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    # Only pypsrp's message decoder: a SOAP envelope that is not XML fails in its wsman.py instead, which
    # errors.from_exception already reports as an answer exohop could not read.
    return last is not None and last.endswith(_DECODER_FILES)


class PipelineAbandoned(Exception):
    """The pipeline was left behind: the server did not answer after a stop, or the session gave up."""


class RemotePipeline:
    """Runs ``commands`` as ONE PSRP pipeline on ``pool``; iterate ``records()`` to drive it."""

    def __init__(self, pool: RunspacePool, commands: Sequence[BoundCommand],
                 on_event: Callable[[Event], None], *, give_up: Callable[[], bool] = abandon.never,
                 host: str = "the server", silence_s: float | None = None) -> None:
        self.pool = pool
        self.give_up = give_up          # the session's "abandon everything now" (quit, close)
        self.host = host
        self.silence_s = silence_s      # a Receive silent this long is reported (SilenceEvent)
        self.commands = list(commands)
        self.on_event = on_event
        self.ps = PowerShell(pool)
        for cmd in self.commands:
            self.ps.add_cmdlet(cmd.name)
            for name, value in cmd.parameters.items():
                self.ps.add_parameter(name, to_wire(value))
        self.started = False
        self.stop_requested = False
        self.stopped = False
        self.failed = False
        self.abandoned = False
        self._stop_at: float | None = None
        self._last_answer = time.monotonic()
        self._signal_lock = threading.Lock()
        self._signalled = False
        self._ahead: ReceiveAhead | None = None
        self._seen = {"output": 0, "error": 0, "warning": 0, "verbose": 0, "progress": 0}

    # -- control -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Send Command (+ fragments). Raises what pypsrp raised; nothing ran if this fails."""
        self._call(self.ps.begin_invoke, "Command")
        self.started = True

    def stop(self) -> None:
        """Ask the server to stop the pipeline (thread-safe, idempotent; returns at once: the Signal is
        sent from its own thread, so a hung server cannot hold the caller)."""
        self.stop_requested = True
        if self._stop_at is None:
            self._stop_at = time.monotonic()
        with self._signal_lock:
            if self._signalled or not self.started or self.ps.state != PSInvocationState.RUNNING:
                return
            self._signalled = True
        threading.Thread(target=self._signal, name="exohop-stop-signal", daemon=True).start()

    def _signal(self) -> None:
        try:
            self.pool.shell.signal(SignalCode.PS_CTRL_C, str(self.ps.id).upper())
        except Exception as exc:   # the pipeline ended meanwhile, or the connection broke: the poller sees it
            log.debug("stop signal failed: %s", type(exc).__name__, exc_info=exc)

    def _giving_up(self) -> bool:
        if self.give_up():
            return True
        if self._stop_at is None:
            return False
        return time.monotonic() - max(self._stop_at, self._last_answer) > STOP_GRACE_S

    def _silent(self, waited: float) -> None:
        if self._stop_at is None:
            self.on_event(SilenceEvent(self.host, waited))

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        """``fn()`` (a blocking pypsrp call) unless the server stays silent past a stop or the session
        gives up: then PipelineAbandoned. Ctrl+C (KeyboardInterrupt) while waiting abandons it too."""
        with self._waiting(what):
            result = abandon.call(fn, what=what, give_up=self._giving_up, silence_s=self.silence_s,
                                  on_silence=self._silent)
        self._last_answer = time.monotonic()
        return result

    def _receive(self) -> None:
        """One Receive's answer decoded into ``ps`` (what ``poll_invoke`` does), waited for like ``_call``;
        the Receives themselves go out ahead, from ``ReceiveAhead``'s thread."""
        ahead = self._ahead
        if ahead is None or ahead.exhausted:
            # The first Receive, or more after a Done whose answer did not end the pipeline.
            ahead = self._ahead = ReceiveAhead(lambda: Answer(*receive_answer(self.ps)), on_answer=self._answered,
                                               name="exohop-io-Receive")
            ahead.start()
        got: list[Answer] = []

        def ready(wait_s: float) -> bool:
            answer = ahead.next(wait_s)
            if answer is not None:
                got.append(answer)
            return bool(got)

        with self._waiting("Receive"):
            abandon.wait(ready, what="Receive", give_up=self._giving_up, silence_s=self.silence_s,
                         on_silence=self._silent)
            take_answer(self.ps, got[0].data, got[0].message_id)

    def _answered(self) -> None:
        self._last_answer = time.monotonic()

    @contextmanager
    def _waiting(self, what: str) -> Iterator[None]:
        """What a wait on the server (or decoding its answer) raises, in exohop's terms."""
        try:
            yield
        except abandon.Abandoned:
            self.abandoned = True
            raise PipelineAbandoned(f"no answer from {self.host} to the {what}; the command was abandoned") from None
        except Exception as exc:
            if _decoder_failure(exc):
                log.warning("a message from %s could not be decoded (%s)", self.host, type(exc).__name__,
                            exc_info=exc)
                raise UnreadableAnswer(f"a message from {self.host} could not be decoded") from exc
            raise
        except BaseException:
            self.abandoned = True
            raise

    @property
    def running(self) -> bool:
        return self.ps.state == PSInvocationState.RUNNING

    # -- streaming -----------------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        """Yield each output object as a Record as soon as its Receive arrives; events go to on_event.

        Closing the generator early (the consumer has enough) stops the remote pipeline.
        """
        if not self.started:
            self.start()
        try:
            while True:
                running = self.running
                yield from self._drain()
                if not running:
                    break
                if self.stop_requested and not self._signalled:
                    self.stop()
                self._receive()
        except GeneratorExit:
            self._quietly_stop()   # the consumer had enough (-First): stop the server side
            raise
        except PipelineAbandoned:
            raise
        except Exception:
            self._quietly_stop()
            raise
        except BaseException:
            # Ctrl+C or SIGTERM in the waiting thread: the process is leaving; tell the server, wait for nothing.
            self.abandoned = True
            self.stop()
            raise
        finally:
            self._finish()

    def _quietly_stop(self) -> None:
        try:
            self._stop_and_wait()
        except PipelineAbandoned:
            pass                       # abandoned is set: the session resets its pool
        except Exception as exc:   # the connection is gone: nothing left to stop; keep the first error
            log.debug("stopping after an early exit failed: %s", type(exc).__name__, exc_info=exc)

    def run_to_end(self) -> list[Record]:
        return list(self.records())

    def _drain(self, *, keep_output: bool = True) -> Iterator[Record]:
        """Events for what the last answers brought, then its output objects as Records (or, without
        ``keep_output``, dropped unread)."""
        seen = self._seen
        streams = self.ps.streams
        for w in streams.warning[seen["warning"]:]:
            self.on_event(WarningEvent(info_message(w)))
        seen["warning"] = len(streams.warning)
        for v in streams.verbose[seen["verbose"]:]:
            self.on_event(VerboseEvent(info_message(v)))
        seen["verbose"] = len(streams.verbose)
        for p in streams.progress[seen["progress"]:]:
            self.on_event(progress_event(p))
        seen["progress"] = len(streams.progress)
        new_errors = streams.error[seen["error"]:]
        seen["error"] = len(streams.error)
        if new_errors and self.ps.state == PSInvocationState.STOPPED and not self.stopped:
            # The Stopped state carries "The pipeline has been stopped": that is our stop, not an error.
            new_errors = new_errors[:-1]
        failed_now = self.ps.state == PSInvocationState.FAILED and not self.failed
        for i, err in enumerate(new_errors):
            # pypsrp appends the PipelineState's error record last: that one ended the pipeline.
            terminating = failed_now and i == len(new_errors) - 1
            self.on_event(error_event(err, terminating=terminating))
        if failed_now:
            self.failed = True
            if not new_errors:
                self.on_event(ErrorEvent("the command failed on the server without an error record",
                                         terminating=True))
        if self.ps.state == PSInvocationState.STOPPED:
            self.stopped = True
        output = self.ps.output
        start = seen["output"]
        end = len(output)
        seen["output"] = end
        for i in range(start, end):
            item, output[i] = output[i], None   # read once: the text (or pypsrp's object) is not kept
            if keep_output:
                yield to_record(item)

    def _stop_and_wait(self) -> None:
        """The consumer stopped pulling: stop the server side and wait for its Stopped state."""
        if not self.running:
            return
        self.stop()
        deadline = time.monotonic() + STOP_DRAIN_S
        while self.running and time.monotonic() < deadline:
            self._receive()
        # Anything that arrived after we stopped wanting it is dropped unread, but errors/warnings are still told.
        for _ in self._drain(keep_output=False):
            pass
        self.stopped = True

    def _finish(self) -> None:
        if self._ahead is not None:
            self._ahead.close()       # a Receive still under way (a hung server) is left to its thread
        # The pipeline object is done: forget it so the pool's registry does not grow per command.
        self.pool.pipelines.pop(self.ps.id, None)


def run_simple(pool: RunspacePool, name: str, parameters: dict[str, Any], *,
               give_up: Callable[[], bool] = abandon.never, host: str = "the server") -> tuple[list[Record], list[ErrorEvent]]:
    """Run one cmdlet to the end (used for Get-Command detail); returns records and error events."""
    errors: list[ErrorEvent] = []

    def keep(event: Event) -> None:
        if isinstance(event, ErrorEvent):
            errors.append(event)

    pipeline = RemotePipeline(pool, [BoundCommand(name=name, parameters=parameters)], keep, give_up=give_up,
                              host=host)
    return pipeline.run_to_end(), errors
