"""Fault injection: what a client must survive (503 + Retry-After, dropped connections, garbage, latency)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pypsrp.exceptions import WinRMTransportError
from pypsrp.powershell import PowerShell

from tui.sim import Simulator


@pytest.fixture(scope="module")
def fault_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=5) as server:
        yield server


@pytest.fixture
def conn(fault_sim: Simulator, connect: Callable[..., Any]) -> Iterator[Any]:
    c = connect(fault_sim)
    yield c
    fault_sim.faults.clear()


def _get_mailbox(pool: Any) -> list[Any]:
    return PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 2).invoke()


def test_throttle_answers_503_with_retry_after_then_recovers(fault_sim: Simulator, conn: Any) -> None:
    fault_sim.faults.throttle(1, retry_after=7)
    r = requests.post(conn.url, data=b"", auth=(fault_sim.accounts[0].upn, fault_sim.accounts[0].password),
                      verify=fault_sim.ca_file, timeout=10)
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    fault_sim.faults.throttle(1)
    with pytest.raises(WinRMTransportError) as info:
        _get_mailbox(conn.pool)
    assert info.value.code == 503
    assert len(_get_mailbox(conn.pool)) == 2, "the shell is still usable after throttling"


def test_drop_after_closes_the_connection_without_an_answer(fault_sim: Simulator, conn: Any) -> None:
    fault_sim.faults.drop_after(1)
    with pytest.raises(requests.exceptions.ConnectionError):
        conn.pool.shell.receive("stdout", timeout=1)


def test_drop_mid_response_sends_half_a_body(fault_sim: Simulator, conn: Any) -> None:
    fault_sim.faults.drop_mid_response()
    with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        _get_mailbox(conn.pool)


def test_malformed_response_is_not_soap(fault_sim: Simulator, conn: Any) -> None:
    fault_sim.faults.malformed()
    with pytest.raises(ET.ParseError):
        _get_mailbox(conn.pool)


def test_latency_delays_every_response(fault_sim: Simulator, conn: Any) -> None:
    def timed() -> float:
        started = time.monotonic()
        _get_mailbox(conn.pool)          # Command + Receive: two round trips
        return time.monotonic() - started

    fast = min(timed() for _ in range(3))    # the best of three: a busy machine only adds time
    fault_sim.faults.latency_ms = 150
    try:
        slow = timed()
    finally:
        fault_sim.faults.latency_ms = 0
    assert slow >= fast + 0.28
