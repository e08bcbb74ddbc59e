"""``ReceiveAhead`` on its own: answers in order, never more than ``AHEAD`` (+ the one in hand) ahead of
the caller, a failed Receive handed over after the answers before it, nothing sent after Done or close.

The ``receive`` here is a plain function standing for one round trip (what the pipeline passes is
``pypsrp_compat.receive_answer``; the functional tests in tests/functional/remoting/test_receive_ahead.py
run it against the simulator). No sleeps: the tests wait on what the thread did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tui.remoting.receive_ahead import AHEAD, Answer, ReceiveAhead


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def take(ahead: ReceiveAhead) -> Answer:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        got = ahead.next(0.05)
        if got is not None:
            return got
    raise AssertionError("no answer within 10 s")


class Server:
    """Answers numbered 0, 1, 2…; the last one (``count - 1``) says Done. Records, for every Receive, how
    many answers the caller had taken when it went out."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.calls = 0
        self.taken = 0
        self.taken_at_call: list[int] = []
        self.lock = threading.Lock()

    def receive(self) -> Answer:
        with self.lock:
            n = self.calls
            self.calls += 1
            self.taken_at_call.append(self.taken)
        return Answer(n.to_bytes(2, "big"), done=n == self.count - 1)

    def took(self) -> None:
        with self.lock:
            self.taken += 1


def test_answers_come_in_order_and_the_thread_stays_at_most_ahead_plus_one_receives_ahead() -> None:
    server = Server(count=12)
    answered: list[int] = []
    ahead = ReceiveAhead(server.receive, on_answer=lambda: answered.append(1), name="test-receive")
    ahead.start()
    got: list[int] = []
    while True:
        # A slow caller: it takes the next answer only once the thread has gone as far ahead as it may.
        wait_until(lambda: server.calls >= min(server.count, server.taken + AHEAD + 1), "the Receives sent ahead")
        answer = take(ahead)
        server.took()
        got.append(int.from_bytes(answer.data, "big"))
        if answer.done:
            break
    assert got == list(range(12))
    for call, taken in enumerate(server.taken_at_call):
        assert call <= taken + AHEAD, f"Receive {call} went out with only {taken} answers taken"
    assert server.calls == 12, "a Receive went out after the answer that said Done"
    assert len(answered) == 12
    wait_until(lambda: ahead.exhausted, "the thread to end after Done")


def test_a_failed_receive_is_raised_after_the_answers_before_it_and_ends_the_thread() -> None:
    calls: list[int] = []

    def receive() -> Answer:
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionError("the connection was reset")
        return Answer(b"%d" % len(calls), done=False)

    ahead = ReceiveAhead(receive, on_answer=lambda: None, name="test-receive")
    ahead.start()
    assert take(ahead).data == b"1"
    assert take(ahead).data == b"2"
    with pytest.raises(ConnectionError, match="reset"):
        take(ahead)
    wait_until(lambda: ahead.exhausted, "the thread to end after the failure")
    assert len(calls) == 3, "a Receive went out after one failed"


def test_close_sends_no_further_receive_and_drops_the_answer_of_the_one_under_way() -> None:
    release = threading.Event()
    calls: list[int] = []

    def receive() -> Answer:
        calls.append(1)
        release.wait(10)                # a hung server, until the test lets it answer
        return Answer(b"late", done=False)

    ahead = ReceiveAhead(receive, on_answer=lambda: None, name="test-receive")
    ahead.start()
    wait_until(lambda: len(calls) == 1, "the first Receive")
    assert ahead.next(0.05) is None          # nothing yet: the caller is free to give up
    ahead.close()
    release.set()
    wait_until(lambda: ahead.exhausted, "the thread to end once closed")
    assert len(calls) == 1
    assert ahead.next(0.05) is None, "the late answer of a closed ReceiveAhead was handed out"
