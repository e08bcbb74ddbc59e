"""SessionPool: ≤3 warm sessions per account, LRU eviction of idle ones, free switching, clean close_all."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import pytest

from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.pool import SessionPool
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant

from .conftest import TEST_COMMANDS


@pytest.fixture
def pool(sim, seeded_cache: Path):   # type: ignore[no-untyped-def]
    factory = functools.partial(DelegatedSession, refresh_in_background=False, import_patterns=TEST_COMMANDS)
    p = SessionPool(per_account=3, cache_dir=seeded_cache, factory=factory)
    yield p
    p.close_all(10)


def _account(sim) -> tuple[Account, str, list[Tenant]]:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    return Account(a.upn, sim.url, sim.ca_file), a.password, [Tenant(d) for d in a.tenants]


def test_lru_idle_session_is_evicted_and_never_more_than_three(sim, pool: SessionPool) -> None:   # type: ignore[no-untyped-def]
    account, password, tenants = _account(sim)
    evicted: list[str] = []
    opened = [pool.acquire(t, account, password, on_evict=lambda s: evicted.append(s.domain)) for t in tenants[:3]]
    assert pool.open_count(account.upn) == 3 and sim.stats()["open_shells"][account.upn] == 3

    before = sim.stats()["requests"]
    again = pool.acquire(tenants[0], account, password)                 # switching back: no round trip
    assert again is opened[0] and sim.stats()["requests"] == before

    fourth = pool.acquire(tenants[3], account, password, on_evict=lambda s: evicted.append(s.domain))
    assert evicted == [tenants[1].domain]                                # tenants[0] was used more recently
    assert pool.get(tenants[1].domain) is None and pool.get(tenants[3].domain) is fourth
    assert pool.open_count(account.upn) == 3 and sim.stats()["open_shells"][account.upn] == 3
    assert fourth.run("Get-Mailbox -ResultSize 1", lambda e: None).outcome == "ok"


def test_busy_sessions_are_never_evicted(sim, pool: SessionPool) -> None:   # type: ignore[no-untyped-def]
    account, password, tenants = _account(sim)
    sessions = [pool.acquire(t, account, password) for t in tenants[:3]]
    release = threading.Event()
    started = threading.Barrier(4)
    workers = []

    def hold(session: DelegatedSession) -> None:
        waited = False

        def on_event(event: object) -> None:
            nonlocal waited
            if not waited:
                waited = True
                started.wait(10)
                release.wait(10)

        session.run("Get-Mailbox -ResultSize 2", on_event)

    for s in sessions:
        t = threading.Thread(target=hold, args=(s,))
        t.start()
        workers.append(t)
    try:
        started.wait(10)
        assert all(s.busy for s in sessions)
        with pytest.raises(RemotingError) as info:
            pool.acquire(tenants[3], account, password)
        assert info.value.kind == E.ALL_BUSY and account.upn in info.value.message
        assert pool.open_count(account.upn) == 3
    finally:
        release.set()
        for t in workers:
            t.join(10)
    assert pool.acquire(tenants[3], account, password).is_open          # idle again: one can go


def test_close_all_deletes_every_shell_in_parallel(sim, pool: SessionPool) -> None:   # type: ignore[no-untyped-def]
    account, password, tenants = _account(sim)
    other = sim.accounts[1]
    other_account = Account(other.upn, sim.url, sim.ca_file)
    for t in tenants[:3]:
        pool.acquire(t, account, password)
    pool.acquire(Tenant(other.tenants[0]), other_account, other.password)
    deleted = sim.stats()["shells_deleted"]
    assert pool.close_all(10) == []
    assert sim.stats()["open_shells"] == {}
    assert sim.stats()["shells_deleted"] == deleted + 4
    assert pool.sessions() == []
