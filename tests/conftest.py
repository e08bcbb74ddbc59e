"""Shared fixtures: the Exchange Online simulator every integration test talks to.

``sim``: one HTTPS simulator for the whole session (mailboxes=50). Tests that need a clean server
(fault injection, shell limits, expiry, the first-contact redirect) take ``make_sim`` instead, which
starts a fresh one with the given keyword arguments and stops it at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tui.sim import Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=50) as server:
        yield server


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def factory(**kwargs: Any) -> Simulator:
        kwargs.setdefault("mailboxes", 50)
        server = Simulator(**kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
