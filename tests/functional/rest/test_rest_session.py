"""The REST transport under exohop's session layer: ``SessionPool`` → ``RestSession`` → the real simulator,
tokens from the real msal (signed in through /devicelogin). The shell, the CLI and the console call a REST
session exactly as a PSRP one; these tests drive it the way they do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.functional.rest.conftest import ADMIN, CONTOSO, READER
from tui.config import Account
from tui.remoting.events import ErrorEvent, Event, RecordEvent, WarningEvent
from tui.remoting.pool import SessionPool
from tui.remoting.rest.session import RestSession, server_side_select
from tui.remoting.shipped_catalog import shipped_catalog
from tui.shell import parse
from tui.shell.plan import plan_pipeline
from tui.sim import Simulator
from tui.tenants import Tenant


def rest_account(sim: Simulator, upn: str) -> Account:
    return Account(upn=upn, endpoint=sim.url, ca_file=sim.ca_file, auth="oauth", authority=sim.authority,
                   home_tenant=sim.home_tenant_of(upn))


def tenant(sim: Simulator, domain: str = CONTOSO) -> Tenant:
    return Tenant(domain=domain, tenant_id=sim.tenant_ids[domain])


class Collect:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def records(self) -> list[Any]:
        return [e.record for e in self.events if isinstance(e, RecordEvent)]

    def errors(self) -> list[ErrorEvent]:
        return [e for e in self.events if isinstance(e, ErrorEvent)]


def invoke_count(sim: Simulator, cmdlet: str) -> int:
    counts = sim.stats()["rest"]["by_cmdlet"].get(cmdlet, {})
    return sum(counts.values())


@pytest.fixture
def session(rest_sim: Simulator, providers: Callable[[str], Any], tmp_path: Path
            ) -> Callable[..., RestSession]:
    made: list[RestSession] = []

    def open_one(upn: str = ADMIN, domain: str = CONTOSO, **kwargs: Any) -> RestSession:
        s = RestSession(rest_account(rest_sim, upn), tenant(rest_sim, domain), providers(upn),
                        cache_dir=tmp_path / "cache", **kwargs)
        s.open()
        made.append(s)
        return s

    yield open_one
    for s in made:
        s.close()


def test_pool_opens_a_rest_session_for_an_oauth_account_and_runs_a_typed_command(
        rest_sim: Simulator, providers: Callable[[str], Any], tmp_path: Path) -> None:
    shells_before = rest_sim.stats()["shells_created"]
    pool = SessionPool(cache_dir=tmp_path / "cache")
    try:
        s = pool.acquire(tenant(rest_sim), rest_account(rest_sim, ADMIN), providers(ADMIN))
        assert isinstance(s, RestSession) and s.is_open
        # Completion is ready at once from the shipped catalog: no request was needed for it.
        assert s.catalog.get("Get-Mailbox") is not None and s.catalog.get("Get-Mailbox").parameters
        seen = Collect()
        summary = s.run("Get-Mailbox -ResultSize 5", seen)
        assert summary.outcome == "ok" and summary.records == 5
        first = seen.records()[0]
        assert any(t.endswith("Management.Mailbox") for t in first.type_names)
        assert first["PrimarySmtpAddress"]
        assert rest_sim.stats()["shells_created"] == shells_before     # REST holds no WS-Man shell
        assert invoke_count(rest_sim, "Get-Mailbox") >= 1
    finally:
        assert pool.close_all(5.0) == []


def test_a_two_cmdlet_remote_pipeline_feeds_each_object_to_the_next_in_order(
        session: Callable[..., RestSession]) -> None:
    s = session()
    mailboxes = Collect()
    s.run("Get-Mailbox -ResultSize 4", mailboxes)
    stats = Collect()
    summary = s.run("Get-Mailbox -ResultSize 4 | Get-MailboxStatistics", stats)
    assert summary.outcome == "ok", stats.errors()
    names = [r["DisplayName"] for r in mailboxes.records()]
    assert [r["DisplayName"] for r in stats.records()] == names
    assert all("TotalItemSize" in r for r in stats.records())


def test_select_first_stops_paging_after_the_pages_it_needs(rest_sim: Simulator,
                                                             session: Callable[..., RestSession]) -> None:
    s = session(page_size=2)
    before = invoke_count(rest_sim, "Get-Mailbox")
    seen = Collect()
    summary = s.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 3", seen)
    assert summary.records == 3
    assert invoke_count(rest_sim, "Get-Mailbox") - before == 2     # of 25 pages, only the two with 3 records


def test_paging_gives_every_record_once_in_order(session: Callable[..., RestSession]) -> None:
    whole = Collect()
    session().run("Get-Mailbox -ResultSize Unlimited", whole)
    paged = Collect()
    session(page_size=7).run("Get-Mailbox -ResultSize Unlimited", paged)
    ids = [r["PrimarySmtpAddress"] for r in paged.records()]
    assert len(ids) == len(set(ids)) == len(whole.records()) == 50
    assert ids == [r["PrimarySmtpAddress"] for r in whole.records()]


def test_a_hashtable_parameter_reaches_the_engine(session: Callable[..., RestSession]) -> None:
    s = session()
    who = Collect()
    s.run("Get-Mailbox -ResultSize 1", who)
    identity = who.records()[0]["PrimarySmtpAddress"]
    address = "smtp:rest-alias@contoso.onmicrosoft.com"
    changed = Collect()
    summary = s.run(f"Set-Mailbox -Identity '{identity}' -EmailAddresses @{{Add='{address}'}}", changed)
    assert summary.outcome == "ok", changed.errors()
    after = Collect()
    s.run(f"Get-Mailbox -Identity '{identity}'", after)
    assert address in [str(a) for a in after.records()[0]["EmailAddresses"]]


def test_whatif_changes_nothing(session: Callable[..., RestSession]) -> None:
    s = session()
    who = Collect()
    s.run("Get-Mailbox -ResultSize 1", who)
    mailbox = who.records()[0]
    seen = Collect()
    summary = s.run(f"Set-Mailbox -Identity '{mailbox['PrimarySmtpAddress']}' -DisplayName 'Changed by WhatIf' "
                    "-WhatIf", seen)
    assert summary.outcome == "ok", seen.errors()
    assert any("What if" in e.message for e in seen.events if isinstance(e, WarningEvent))
    after = Collect()
    s.run(f"Get-Mailbox -Identity '{mailbox['PrimarySmtpAddress']}'", after)
    assert after.records()[0]["DisplayName"] == mailbox["DisplayName"]


def test_a_read_only_role_gets_the_services_403_with_a_clear_message(session: Callable[..., RestSession]) -> None:
    s = session(upn=READER, refresh_in_background=False)     # the shipped catalog: the request goes out
    assert s.catalog_is_provisional
    seen = Collect()
    summary = s.run("Set-Mailbox -Identity x -DisplayName y", seen)
    assert summary.outcome == "failed"
    message = seen.errors()[0].message
    assert "Set-Mailbox" in message and CONTOSO in message and READER in message


def test_once_its_commands_are_known_a_read_only_role_is_offered_no_set_cmdlets_and_refused_locally(
        rest_sim: Simulator, session: Callable[..., RestSession]) -> None:
    s = session(upn=READER)
    assert s.wait_for_refresh(30)
    assert not s.catalog_is_provisional
    assert s.catalog.get("Get-Mailbox") is not None
    assert not [c.name for c in s.catalog if c.name.startswith("Set-")]
    before = invoke_count(rest_sim, "Set-Mailbox")
    seen = Collect()
    summary = s.run("Set-Mailbox -Identity x -DisplayName y", seen)
    assert summary.outcome == "invalid"                              # refused as an unknown command is
    assert invoke_count(rest_sim, "Set-Mailbox") == before          # refused before it left the machine
    message = str(getattr(summary.error, "message", ""))
    assert "Set-Mailbox" in message and CONTOSO in message and READER in message


def test_a_not_found_error_reads_as_on_the_psrp_path(session: Callable[..., RestSession]) -> None:
    seen = Collect()
    summary = session().run("Get-Mailbox -Identity nobody-here@contoso.onmicrosoft.com", seen)
    assert summary.outcome == "failed"
    error = seen.errors()[0]
    assert error.category == "NotSpecified"     # as the PSRP door and Exchange Online report it
    assert "couldn't be found" in error.message
    assert error.error_id.endswith(",Get-Mailbox")


def test_throttling_is_retried_shown_and_counted(rest_sim: Simulator, faults: Any,
                                                 session: Callable[..., RestSession]) -> None:
    s = session()
    assert s.wait_for_refresh(30)       # the background command-list fetch must not take the fault
    faults.throttle(1, retry_after=1)
    seen = Collect()
    summary = s.run("Get-Mailbox -ResultSize 2", seen)
    assert summary.outcome == "ok" and summary.records == 2
    assert summary.retries == 1
    assert any("retrying" in e.message for e in seen.events if isinstance(e, WarningEvent))


def test_stop_during_a_held_page_returns_promptly_and_the_session_stays_usable(
        rest_sim: Simulator, faults: Any, session: Callable[..., RestSession]) -> None:
    s = session()
    assert s.wait_for_refresh(30)       # the held request must be the command's, not the command list's
    hold = faults.hold_rest()
    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(s.run("Get-Mailbox -ResultSize Unlimited", Collect())))
    runner.start()
    deadline = time.monotonic() + 10
    while not any(rest_sim.stats()["rest"]["in_flight"].values()) and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    s.stop()
    runner.join(5)
    assert not runner.is_alive() and time.monotonic() - t0 < 3
    assert result[0].outcome == "stopped"
    hold.set()
    faults.clear()
    again = Collect()
    assert s.run("Get-Mailbox -ResultSize 1", again).records == 1


def reader_from_a_cached_list(session: Callable[..., RestSession]) -> RestSession:
    """The read-only user's session opened again, its command list from the cache (nothing fetched)."""
    first = session(upn=READER)
    assert first.wait_for_refresh(30)
    first.close()
    return session(upn=READER, refresh_in_background=False)


def test_a_cached_command_list_opens_without_the_shipped_guess(session: Callable[..., RestSession]) -> None:
    second = reader_from_a_cached_list(session)
    assert not second.catalog_is_provisional
    assert not [c.name for c in second.catalog if c.name.startswith("Set-")]
    assert second.catalog.get("Get-Mailbox").parameters       # parameters from the shipped file


@pytest.mark.parametrize(("line", "expected"), [
    ("Get-Mailbox | Select-Object Name, PrimarySmtpAddress", ["Name", "PrimarySmtpAddress"]),
    ("Get-Mailbox | Select-Object -First 3 Name", ["Name"]),
    ("Get-Mailbox | Select-Object -First 3", None),
    ("Get-Mailbox | Select-Object Name, @{n='x'; e={$_.Alias}}", None),
    ("Get-Mailbox | Select-Object Display*", None),
    ("Get-Mailbox | Select-Object -ExpandProperty EmailAddresses", None),
    ("Get-Mailbox | Where-Object { $_.Name } | Select-Object Name", None),
])
def test_server_side_select_only_for_a_leading_select_of_plain_names(line: str, expected: list[str] | None) -> None:
    plan = plan_pipeline(parse(line).statements[0], shipped_catalog(), {})
    assert server_side_select(plan.local) == expected


def test_a_cached_command_list_does_not_refuse_a_cmdlet_the_service_may_now_allow(
        rest_sim: Simulator, session: Callable[..., RestSession]) -> None:
    """A role granted after the list was cached: the command goes out and the service decides."""
    again = reader_from_a_cached_list(session)
    before = invoke_count(rest_sim, "Set-Mailbox")
    seen = Collect()
    summary = again.run("Set-Mailbox -Identity x -DisplayName y", seen)
    assert invoke_count(rest_sim, "Set-Mailbox") == before + 1       # asked the service, which says 403
    assert summary.outcome == "failed" and READER in seen.errors()[0].message


def test_requests_in_flight_stay_within_the_tenants_limit(faults: Any, session: Callable[..., RestSession]) -> None:
    """With a limit of 1 and the service refusing a second concurrent request (429), a fed pipeline
    never meets the refusal: the first cmdlet's pages and the fed requests share the one slot."""
    s = session(concurrency=1)
    faults.rest_concurrency(1, retry_after=1)
    seen = Collect()
    summary = s.run("Get-Mailbox -ResultSize 12 | Get-MailboxStatistics", seen)
    assert summary.outcome == "ok" and summary.records == 12, seen.errors()
    assert summary.retries == 0


def test_first_1_after_a_state_changing_fed_cmdlet_changes_one_object(
        session: Callable[..., RestSession]) -> None:
    s = session(concurrency=2)
    seen = Collect()
    s.run("Get-Mailbox -ResultSize 3", seen)
    names = [r["PrimarySmtpAddress"] for r in seen.records()]
    user = "MeganB@contoso.com"
    changed = Collect()
    line = f"Get-Mailbox -ResultSize 3 | Add-MailboxPermission -User {user} -AccessRights FullAccess | Select-Object -First 1"
    summary = s.run(line, changed)
    assert summary.outcome == "ok" and summary.records == 1, changed.errors()
    granted = 0
    for name in names:
        got = Collect()
        s.run(f"Get-MailboxPermission -Identity '{name}' -User {user}", got)
        granted += len(got.records())
    assert granted == 1
