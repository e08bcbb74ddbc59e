"""Every failure becomes a RemotingError naming account and tenant with the remedy, never the password."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.events import ErrorEvent, WarningEvent
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant


def _open_error(account: Account, tenant: str, password: str, **kwargs) -> RemotingError:   # type: ignore[no-untyped-def]
    session = DelegatedSession(account, Tenant(tenant), password, cache_dir=None, refresh_in_background=False,
                               **kwargs)
    with pytest.raises(RemotingError) as info:
        session.open()
    err = info.value
    assert password not in err.message and password not in repr(err)
    assert err.account == account.upn and err.tenant == tenant
    return err


def test_wrong_password(sim) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    err = _open_error(Account(a.upn, sim.url, sim.ca_file), a.tenants[0], "Wr0ng-" + a.password[:4])
    assert err.kind == E.AUTH and f"exohop login {a.upn}" in err.message and "401" in err.message


def test_tenant_without_delegated_rights(sim) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    other = next(t.domain for t in sim.tenants if t.domain not in a.tenants)
    err = _open_error(Account(a.upn, sim.url, sim.ca_file), other, a.password)
    assert err.kind == E.ACCESS_DENIED and other in err.message and a.upn in err.message
    assert "Partner Center" in err.message
    assert sim.stats()["open_shells"].get(a.upn, 0) == 0


def test_tls_verification_failure_without_the_ca(sim) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    err = _open_error(Account(a.upn, sim.url, None), a.tenants[0], a.password)
    assert err.kind == E.TLS and "ca_file" in err.message


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]          # closed again before we connect: nobody listens there
    err = _open_error(Account("admin@p.onmicrosoft.com", f"https://127.0.0.1:{port}/powershell-liveid"),
                      "contoso.onmicrosoft.com", "pw-123456")
    assert err.kind == E.REFUSED and "config.toml" in err.message


def test_dns_failure() -> None:
    err = _open_error(Account("admin@p.onmicrosoft.com", "https://exohop-no-such-host.invalid/powershell-liveid"),
                      "contoso.onmicrosoft.com", "pw-123456", connect_timeout_s=3)
    assert err.kind == E.DNS and "DNS" in err.message


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for c in held:
        c.close()
    server.close()


def test_timeout(silent_server: int) -> None:
    t0 = time.monotonic()
    err = _open_error(Account("admin@p.onmicrosoft.com", f"https://127.0.0.1:{silent_server}/powershell-liveid"),
                      "contoso.onmicrosoft.com", "pw-123456", connect_timeout_s=0.5, read_timeout_s=0.5)
    assert err.kind == E.TIMEOUT and time.monotonic() - t0 < 10


def test_session_limit_of_the_service(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    a = server.accounts[0]
    for domain in a.tenants[:3]:
        open_session(server, tenant=domain)
    with pytest.raises(RemotingError) as info:
        open_session(server, tenant=a.tenants[3])
    assert info.value.kind == E.SESSION_LIMIT and "3 sessions" in info.value.message
    assert a.password not in info.value.message
    assert server.stats()["open_shells"][a.upn] == 3


def test_connection_dropped_mid_command_then_session_still_works(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    session = open_session(server)
    session.ensure_detail("Get-Mailbox")    # so that the next two requests are the command's own
    server.faults.drop_after(2)             # the Command is answered, the first Receive is cut
    events: list[object] = []
    summary = session.run("Get-Mailbox -ResultSize 5", events.append)
    assert summary.outcome == "failed" and isinstance(summary.error, RemotingError)
    assert summary.error.kind == E.CONNECTION_LOST and session.tenant.domain in summary.error.message
    assert any(isinstance(e, ErrorEvent) and e.terminating for e in events)
    again = session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    assert again.outcome == "ok" and again.records == 2


def test_half_a_response_and_garbage_are_server_faults(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    session = open_session(server)
    session.ensure_detail("Get-Mailbox")
    server.faults.drop_mid_response(1)
    cut = session.run("Get-Mailbox -ResultSize 5", lambda e: None)
    assert cut.outcome == "failed" and isinstance(cut.error, RemotingError)
    assert cut.error.kind in (E.CONNECTION_LOST, E.SERVER_FAULT)
    server.faults.malformed(1)
    garbage = session.run("Get-Mailbox -ResultSize 5", lambda e: None)
    assert garbage.outcome == "failed" and isinstance(garbage.error, RemotingError)
    assert garbage.error.kind == E.SERVER_FAULT and "could not read" in garbage.error.message
    assert session.run("Get-Mailbox -ResultSize 1", lambda e: None).outcome == "ok"


def test_throttling_is_retried_honouring_retry_after_then_reported(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    session = open_session(server)
    server.faults.throttle(1, retry_after=1)
    t0 = time.monotonic()
    events: list[object] = []
    ok = session.run("Get-Mailbox -ResultSize 2", events.append)
    assert ok.outcome == "ok" and ok.records == 2
    assert time.monotonic() - t0 >= 1.0 and session.throttle_waits == 1
    assert any(isinstance(e, WarningEvent) and "throttling" in e.message for e in events)
    server.faults.throttle(10, retry_after=0)
    throttled = session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    assert isinstance(throttled.error, RemotingError) and throttled.error.kind == E.THROTTLED
    assert "Wait a minute" in throttled.error.message
    server.faults.clear()


def test_expired_shell_is_reopened_and_the_command_retried(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    session = open_session(server)
    created = server.stats()["shells_created"]
    assert server.expire_shells(session.account.upn) == 1
    summary = session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    assert summary.outcome == "ok" and summary.records == 2
    assert server.stats()["shells_created"] == created + 1
    assert server.stats()["open_shells"][session.account.upn] == 1


def test_a_long_retry_after_says_how_long_the_service_asked_for(make_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    server = make_sim()
    session = open_session(server)
    assert session.run("Get-Mailbox -ResultSize 1", lambda e: None).ok   # the Get-Command detail is fetched
    server.faults.throttle(1, retry_after=3600)
    t0 = time.monotonic()
    throttled = session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    assert time.monotonic() - t0 < 5                       # not slept through
    assert isinstance(throttled.error, RemotingError) and throttled.error.kind == E.THROTTLED
    assert "asked exohop to wait 1 hour" in throttled.error.message and "minute" not in throttled.error.message
    server.faults.clear()


def test_throttled_during_connect_warns_like_during_a_command(make_sim, seeded_catalog, tmp_path) -> None:   # type: ignore[no-untyped-def]
    from tui.config import Account
    from tui.remoting.events import WarningEvent
    from tui.remoting.session import DelegatedSession
    from tui.tenants import Tenant

    server = make_sim()
    a = server.accounts[0]
    session = DelegatedSession(Account(upn=a.upn, endpoint=server.url, ca_file=server.ca_file), Tenant(a.tenants[0]),
                               a.password, cache_dir=None, refresh_in_background=False, import_patterns=["Get-Mailbox"])
    server.faults.throttle(1, retry_after=1)
    seen: list[object] = []
    try:
        session.open(on_event=seen.append)
    finally:
        session.close()
    assert any(isinstance(e, WarningEvent) and "throttling" in e.message for e in seen)
