"""Accounts, tenants and shells as the service polices them: auth, delegation, the 3-shell budget, expiry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell

from tui.sim import Simulator

INVALID_SELECTORS = 2150858843
OPERATION_TIMEOUT = 2150858793
LIMIT_TEXT = ("Fail to create a runspace because you have exceeded the maximum number of connections allowed : 3 "
              "for the policy party : MaxConcurrency. Please close existing runspace and try again.")


@pytest.fixture(scope="module")
def limits_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=20) as server:
        yield server


def test_first_create_is_redirected_to_a_regional_uri_that_works(make_sim: Callable[..., Simulator],
                                                                 connect: Callable[..., Any]) -> None:
    sim = make_sim()
    account = sim.accounts[0]
    tenant = account.tenants[0]
    conn = connect(sim, account, tenant)
    assert len(conn.redirects) == 1
    regional = conn.redirects[0]
    assert regional.startswith(sim.url.rsplit("/", 1)[0] + "/")     # the same server
    assert "PSVersion=" in regional and f"DelegatedOrg={tenant}" in regional
    assert PowerShell(conn.pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 1).invoke()
    # Later Creates from that account are not redirected; another account's first one is.
    assert connect(sim, account, tenant).redirects == []
    other = sim.accounts[1]
    assert len(connect(sim, other, other.tenants[0]).redirects) == 1
    stats = sim.stats()
    assert stats["requests"]["Create"] == 5 and stats["shells_created"] == 3


def test_wrong_password_is_401_with_a_basic_challenge(limits_sim: Simulator, connect: Callable[..., Any]) -> None:
    with pytest.raises(AuthenticationError):
        connect(limits_sim, password="not-the-password")
    r = requests.post(limits_sim.url, data=b"<x/>", auth=(limits_sim.accounts[0].upn, "wrong"),
                      verify=limits_sim.ca_file, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_tenant_not_delegated_to_the_account_is_access_denied(limits_sim: Simulator,
                                                              connect: Callable[..., Any]) -> None:
    account = limits_sim.accounts[0]
    foreign = next(t.domain for t in limits_sim.tenants if t.domain not in account.tenants)
    with pytest.raises(WSManFaultError) as info:
        connect(limits_sim, account, foreign)
    assert info.value.code == 5 and info.value.reason == "Access is denied."
    with pytest.raises(WSManFaultError) as info:
        connect(limits_sim, account, "nosuchtenant.onmicrosoft.com")
    assert info.value.code == 5
    assert limits_sim.stats()["open_shells"].get(account.upn, 0) == 0


def test_fourth_shell_of_an_account_is_refused_with_the_service_text(limits_sim: Simulator,
                                                                      connect: Callable[..., Any]) -> None:
    account = limits_sim.accounts[1]
    pools = [connect(limits_sim, account, account.tenants[i % len(account.tenants)]).pool for i in range(3)]
    with pytest.raises(WSManFaultError) as info:
        connect(limits_sim, account, account.tenants[0])
    assert info.value.reason.endswith(LIMIT_TEXT)
    assert limits_sim.stats()["open_shells"][account.upn] == 3
    # Another account is not affected; closing one shell frees a slot.
    connect(limits_sim, limits_sim.accounts[2], limits_sim.accounts[2].tenants[0])
    pools[0].close()
    connect(limits_sim, account, account.tenants[0])
    assert limits_sim.stats()["open_shells"][account.upn] == 3


def test_closing_a_pool_deletes_its_shell(limits_sim: Simulator, connect: Callable[..., Any]) -> None:
    account = limits_sim.accounts[0]
    before = limits_sim.stats()
    conn = connect(limits_sim, account, account.tenants[1])
    assert limits_sim.stats()["open_shells"][account.upn] == before["open_shells"].get(account.upn, 0) + 1
    conn.pool.close()
    after = limits_sim.stats()
    assert after["open_shells"].get(account.upn, 0) == before["open_shells"].get(account.upn, 0)
    assert after["shells_deleted"] == before["shells_deleted"] + 1
    assert after["requests"]["Delete"] == before["requests"]["Delete"] + 1


def test_expired_shell_answers_the_invalid_selectors_fault(make_sim: Callable[..., Simulator],
                                                           connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=5)
    conn = connect(sim)
    assert sim.expire_shells(sim.accounts[0].upn) == 1
    with pytest.raises(WSManFaultError) as info:
        PowerShell(conn.pool).add_cmdlet("Get-Mailbox").invoke()
    assert info.value.code == INVALID_SELECTORS
    stats = sim.stats()
    assert stats["shells_expired"] == 1 and stats["open_shells"] == {}


def test_idle_shells_expire_on_their_own(make_sim: Callable[..., Simulator], connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=5, idle_timeout=0.3)
    connect(sim)
    deadline = time.monotonic() + 10
    while sim.stats()["shells_expired"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = sim.stats()
    assert stats["shells_expired"] == 1 and stats["open_shells"] == {}


def test_a_client_may_ask_for_a_shorter_idle_timeout(make_sim: Callable[..., Simulator],
                                                     connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=5)                  # the server's own idle timeout stays 900 s
    connect(sim, idle_timeout=1)
    deadline = time.monotonic() + 10
    while sim.stats()["shells_expired"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.stats()["shells_expired"] == 1


def test_long_poll_receive_times_out_with_the_operation_timeout_fault(limits_sim: Simulator,
                                                                      connect: Callable[..., Any]) -> None:
    conn = connect(limits_sim, limits_sim.accounts[2], limits_sim.accounts[2].tenants[1])
    started = time.monotonic()
    with pytest.raises(WSManFaultError) as info:
        conn.pool.shell.receive("stdout", timeout=1)     # the pool has nothing to say
    assert info.value.code == OPERATION_TIMEOUT
    assert 0.9 <= time.monotonic() - started < 5


def test_stats_endpoint_serves_json_to_loopback(limits_sim: Simulator) -> None:
    r = requests.get(limits_sim.stats_url, verify=limits_sim.ca_file, timeout=10)
    assert r.status_code == 200
    data = r.json()
    assert set(data["requests"]) >= {"Create", "Command", "Receive", "Send", "Signal", "Delete"}
    assert {"open_shells", "shells_created", "shells_deleted", "shells_expired"} <= set(data)


def test_pool_level_requests_are_answered_and_is_alive_sees_expiry(make_sim: Callable[..., Simulator],
                                                                    connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=5)
    pool = connect(sim).pool
    assert pool.get_available_runspaces() == 1
    pool.reset_runspace_state()
    assert pool.is_alive(timeout=5)
    sim.expire_shells()
    assert not pool.is_alive(timeout=5)
