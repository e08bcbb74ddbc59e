"""Receives sent ahead of the decoding (``tui.remoting.receive_ahead``), against the simulator over real
pypsrp: the next Receive goes out while the caller is still busy with the last answer, the records keep
the server's order over many Receives, a stop while answers are waiting ends the command (and none of
its output reaches the next one), and a connection dropped mid-stream fails the command with the
records before it, in order, and leaves the session usable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from tui.config import Account
from tui.remoting.cleanup import CONFIGURATION_NAME, basic_wsman
from tui.remoting.errors import CONNECTION_LOST, RemotingError
from tui.remoting.events import ErrorEvent, Event, RecordEvent
from tui.remoting.receive_ahead import AHEAD

MAILBOXES = 1500
MARGIN_S = 5.0        # the Ctrl+C goal is 2 s; a loaded 2-core machine gets a margin


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def receives(sim: Any) -> int:
    return int(sim.stats()["requests"]["Receive"])


def names(events: list[Event]) -> list[str]:
    return [str(e.record["Name"]) for e in events if isinstance(e, RecordEvent)]


@pytest.fixture
def pod(make_sim, open_session):   # type: ignore[no-untyped-def]
    """A simulator with MAILBOXES mailboxes, a session on it (Get-Mailbox's detail fetched, so that a run's
    requests are its own), and the mailbox names in the server's order as plain pypsrp reads them."""
    sim = make_sim(mailboxes=MAILBOXES)
    session = open_session(sim)
    session.ensure_detail("Get-Mailbox")
    a = sim.accounts[0]
    assert session.connected_uri is not None
    plain = RunspacePool(basic_wsman(session.connected_uri, Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file),
                                     a.password), configuration_name=CONFIGURATION_NAME)
    plain.open()
    try:
        objects = PowerShell(plain).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited").invoke()
    finally:
        plain.close()
    order = [str(o.adapted_properties["Name"]) for o in objects]
    assert len(order) == MAILBOXES
    return sim, session, order


def test_receives_go_out_while_the_caller_is_busy_and_records_keep_the_servers_order(pod) -> None:   # type: ignore[no-untyped-def]
    sim, session, order = pod
    before = receives(sim)
    events: list[Event] = []
    ahead_while_busy: list[int] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RecordEvent) and not ahead_while_busy:
            # The caller's thread is busy here (with the first answer's records), and yet Receives go out:
            # until AHEAD answers wait for it and one more is in the Receive thread's hands.
            wait_until(lambda: receives(sim) - before >= 2 + AHEAD, "Receives sent while the caller is busy")
            ahead_while_busy.append(receives(sim) - before)
        events.append(event)

    summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
    total = receives(sim) - before
    assert summary.outcome == "ok" and summary.records == MAILBOXES
    assert total >= 8, f"only {total} Receives: the result should span many"
    # The first record comes with answer 1 or 2 (answer 1 may hold only the Running state): 2 taken at most.
    assert ahead_while_busy[0] <= 2 + AHEAD + 1, "more Receives went ahead than the bound allows"
    assert names(events) == order


def test_a_stop_while_answers_wait_ends_the_command_and_none_of_them_reach_the_next(pod) -> None:   # type: ignore[no-untyped-def]
    sim, session, order = pod
    signals = sim.stats()["requests"]["Signal"]
    before = receives(sim)
    events: list[Event] = []
    stopped_at: list[float] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, RecordEvent) and not stopped_at:
            wait_until(lambda: receives(sim) - before >= 1 + AHEAD, "answers waiting to be decoded")
            stopped_at.append(time.monotonic())
            threading.Thread(target=session.stop).start()      # Ctrl+C, from the UI's thread

    summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
    took = time.monotonic() - stopped_at[0]
    assert summary.outcome == "stopped" and 1 <= summary.records < MAILBOXES
    assert took <= MARGIN_S, f"the stop took {took:.1f} s"
    assert not any(isinstance(e, ErrorEvent) for e in events)       # a stop is not an error
    assert names(events) == order[:summary.records]
    assert sim.stats()["requests"]["Signal"] == signals + 1
    assert sim.stats()["pipelines_running"] == 0
    after: list[Event] = []
    again = session.run("Get-Mailbox -ResultSize 3", after.append)
    assert again.outcome == "ok" and names(after) == order[:3]


def test_a_connection_dropped_mid_stream_keeps_the_records_before_it_and_the_session_goes_on(pod) -> None:   # type: ignore[no-untyped-def]
    sim, session, order = pod
    events: list[Event] = []
    sim.faults.drop_after(6)        # the Command, four Receives answered, then the connection is cut
    summary = session.run("Get-Mailbox -ResultSize Unlimited", events.append)
    assert summary.outcome == "failed" and isinstance(summary.error, RemotingError)
    assert summary.error.kind == CONNECTION_LOST and session.tenant.domain in summary.error.message
    got = names(events)
    assert 0 < len(got) < MAILBOXES
    assert got == order[:len(got)], "the records before the cut came out of order or with gaps"
    assert any(isinstance(e, ErrorEvent) and e.terminating for e in events)
    after: list[Event] = []
    again = session.run("Get-Mailbox -ResultSize Unlimited", after.append)
    assert again.outcome == "ok" and names(after) == order
    assert sim.stats()["pipelines_running"] == 0
