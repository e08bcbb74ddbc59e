"""``RestClient`` against the simulator's REST door over real HTTPS, with real msal tokens from its Entra
ID: typed records, paging, warnings, the service's errors as ErrorEvents, throttling and transient
retries, the regional redirect, cancellation, 401 refresh, and EXOModuleFile."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tui.remoting.auth import TokenProvider
from tui.remoting.errors import PROTOCOL, REFUSED, SIGN_IN, THROTTLED, TIMEOUT, TLS, RemotingError
from tui.remoting.rest import Page, RestClient, RestCommandError, encode_parameters
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.shell.syntax import ScriptBlock
from tui.shell.views import DEFAULT_VIEWS, view_for
from tui.sim import Simulator, jwt

from .conftest import ADMIN, CONTOSO, FABRIKAM, READER, Counting, make_client, sign_in

pytestmark = pytest.mark.keyring

MAILBOX_TYPE = "Microsoft.Exchange.Data.Directory.Management.Mailbox"


def run(client: RestClient, cmdlet: str, **parameters: Any) -> list[Page]:
    return list(client.invoke(cmdlet, encode_parameters(BoundCommand(cmdlet, parameters))))


def records_of(pages: list[Page]) -> list[Record]:
    return [r for p in pages for r in p.records]


def rest_counts(sim: Simulator, cmdlet: str) -> dict[str, int]:
    return dict(sim.stats()["rest"]["by_cmdlet"].get(cmdlet, {}))


def requests_for(sim: Simulator, cmdlet: str) -> int:
    return sum(rest_counts(sim, cmdlet).values())


def assert_no_token(text: str, *tokens: str) -> None:
    assert "eyJ" not in text, text
    for token in tokens:
        assert token not in text


def token_of(provider: TokenProvider, sim: Simulator, tenant: str = CONTOSO) -> str:
    return provider.token_for(sim.tenant_ids[tenant]).token


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


# -- results -----------------------------------------------------------------------------------------------

def test_get_mailbox_returns_typed_records_with_the_mailbox_view(client: Callable[..., RestClient]) -> None:
    c = client()
    (page,) = run(c, "Get-Mailbox", ResultSize=2)
    assert len(page.records) == 2
    mbx = page.records[0]
    assert mbx.type_names[0] == MAILBOX_TYPE and mbx.type_names[-1] == "System.Object"
    assert view_for(mbx.type_names) == DEFAULT_VIEWS["mailbox"]
    assert not any("@" in key for key in mbx)                          # annotations read and dropped
    assert isinstance(mbx["Guid"], uuid.UUID)                           # #Guid → UUID, as pypsrp's <G>
    assert isinstance(mbx["WhenCreated"], str) and mbx["WhenCreated"].endswith("Z")   # as pypsrp's <DT>
    assert mbx["ProhibitSendQuota"] == "99 GB (106,300,440,576 bytes)"
    assert isinstance(mbx["EmailAddresses"], list) and mbx["UseDatabaseQuotaDefaults"] is False
    assert page.warnings and page.errors == []     # ResultSize 2 of 50: "There are more results …"


def test_select_asks_for_the_named_properties(client: Callable[..., RestClient]) -> None:
    pages = list(client().invoke("Get-Mailbox", {"ResultSize": 3}, select=["Alias", "WhenCreated"]))
    rows = records_of(pages)
    assert len(rows) == 3 and all(list(r) == ["Alias", "WhenCreated"] for r in rows)
    assert rows[0].type_names[0] == MAILBOX_TYPE


def test_three_pages_hold_every_record_once_in_order(rest_sim: Simulator, client: Callable[..., RestClient]) -> None:
    c = client()
    everyone = [r["Guid"] for r in records_of(run(c, "Get-Mailbox", ResultSize="Unlimited"))]
    assert len(everyone) == 50
    before = rest_counts(rest_sim, "Get-Mailbox").get("200", 0)
    pages = list(c.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, page_size=20))
    assert [len(p.records) for p in pages] == [20, 20, 10]
    assert [r["Guid"] for r in records_of(pages)] == everyone
    assert rest_counts(rest_sim, "Get-Mailbox").get("200", 0) - before == 3


def test_stopping_after_the_first_page_stops_paging(rest_sim: Simulator, client: Callable[..., RestClient]) -> None:
    c = client()
    run(c, "Get-Mailbox", ResultSize=1)          # the first contact's redirect out of the way
    before = requests_for(rest_sim, "Get-Mailbox")
    pages = c.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, page_size=10)
    first = next(pages)
    assert len(first.records) == 10
    pages.close()
    assert requests_for(rest_sim, "Get-Mailbox") - before == 1


def test_warnings_and_a_warnings_only_reply(client: Callable[..., RestClient]) -> None:
    c = client()
    (cut,) = run(c, "Get-Mailbox", ResultSize=3)
    assert len(cut.records) == 3
    assert cut.warnings == ["There are more results available than currently displayed."]
    mbx = records_of(run(c, "Get-Mailbox", ResultSize=5))[1]
    (same,) = run(c, "Set-Mailbox", Identity=mbx["Alias"], DisplayName=mbx["DisplayName"])
    assert same.records == [] and same.errors == []
    assert len(same.warnings) == 1 and "no settings" in same.warnings[0]


def test_non_terminating_errors_ride_with_the_records(client: Callable[..., RestClient]) -> None:
    (page,) = run(client(), "Get-Command", Name=["Get-Mailbox", "Get-NoSuchThing"])
    assert [r["Name"] for r in page.records] == ["Get-Mailbox"]
    assert page.records[0].type_names[0] == "System.Management.Automation.CmdletInfo"
    (err,) = page.errors
    assert not err.terminating and "Get-NoSuchThing" in err.message and err.category == "ObjectNotFound"
    assert err.error_id.endswith(",Get-Command")


def test_what_if_changes_nothing(client: Callable[..., RestClient]) -> None:
    c = client()
    mbx = records_of(run(c, "Get-Mailbox", ResultSize=5))[2]
    (page,) = run(c, "Set-Mailbox", Identity=mbx["Alias"], DisplayName="Renamed By WhatIf", WhatIf=True)
    assert page.records == [] and page.warnings[0].startswith("What if: Setting mailbox")
    (after,) = records_of(run(c, "Get-Mailbox", Identity=mbx["Alias"]))
    assert after["DisplayName"] == mbx["DisplayName"]


def test_a_hashtable_parameter_reaches_the_engine(client: Callable[..., RestClient]) -> None:
    c = client()
    mbx = records_of(run(c, "Get-Mailbox", ResultSize=5))[3]
    added = f"smtp:rest-client-{mbx['Alias'].lower()}@contoso.com"
    bound = BoundCommand("Set-Mailbox", {"Identity": mbx["Alias"], "EmailAddresses": {"Add": added},
                                         "Confirm": False})
    assert run_bound(c, bound) == []
    (after,) = records_of(run(c, "Get-Mailbox", Identity=mbx["Alias"]))
    assert added in after["EmailAddresses"]


def run_bound(c: RestClient, bound: BoundCommand) -> list[Record]:
    return records_of(list(c.invoke(bound.name, encode_parameters(bound))))


def test_a_filter_script_block_with_true_is_sent_as_the_service_reads_it(client: Callable[..., RestClient]) -> None:
    c = client()
    every = records_of(run(c, "Get-Mailbox", ResultSize="Unlimited"))
    hidden = [m["Alias"] for m in every if m["HiddenFromAddressListsEnabled"]]
    assert 0 < len(hidden) < len(every)
    bound = BoundCommand("Get-Mailbox", {"Filter": ScriptBlock(" HiddenFromAddressListsEnabled -eq $true "),
                                         "ResultSize": "Unlimited"})
    assert encode_parameters(bound)["Filter"] == "HiddenFromAddressListsEnabled -eq 'True'"
    assert sorted(r["Alias"] for r in run_bound(c, bound)) == sorted(hidden)


# -- the service's errors ----------------------------------------------------------------------------------

def test_a_missing_object_is_an_object_not_found_error(rest_sim: Simulator, client: Callable[..., RestClient],
                                                       providers: Callable[[str], TokenProvider]) -> None:
    with pytest.raises(RestCommandError) as caught:
        run(client(), "Get-Mailbox", Identity="nobody@contoso.com")
    event = caught.value.event
    assert caught.value.status == 404 and event.terminating
    assert event.message.startswith("The operation couldn't be performed because object 'nobody@contoso.com' "
                                    "couldn't be found on '")
    # The PSRP door's category and class for the same error (tui/sim/cmdlets/base.py: NotSpecified).
    assert event.category == "NotSpecified"
    assert event.exception_type == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert event.error_id == "Ex6F9304,Get-Mailbox" and event.target == "nobody@contoso.com"
    assert_no_token(event.message, token_of(providers(ADMIN), rest_sim))


def test_an_unknown_parameter_is_named(client: Callable[..., RestClient]) -> None:
    with pytest.raises(RestCommandError) as caught:
        list(client().invoke("Get-Mailbox", {"NoSuchThing": 1}))
    event = caught.value.event
    assert caught.value.status == 400 and "'NoSuchThing'" in event.message and event.target == "NoSuchThing"
    assert event.category == "InvalidArgument" and event.exception_type.endswith("ParameterBindingException")
    assert event.error_id.endswith(",Get-Mailbox")


def test_a_read_only_role_is_refused_set_naming_cmdlet_tenant_account_and_role(
        rest_sim: Simulator, client: Callable[..., RestClient], providers: Callable[[str], TokenProvider]) -> None:
    reader = client(READER)
    alias = records_of(run(reader, "Get-Mailbox", ResultSize=1))[0]["Alias"]
    with pytest.raises(RestCommandError) as caught:
        run(reader, "Set-Mailbox", Identity=alias, Office="Nowhere")
    event = caught.value.event
    assert caught.value.status == 403 and event.category == "PermissionDenied"
    for part in ("Set-Mailbox", CONTOSO, READER, "Exchange Administrator", "User is not allowed to call Set-Mailbox."):
        assert part in event.message
    assert_no_token(event.message, token_of(providers(READER), rest_sim))


def test_an_unknown_cmdlet_is_not_recognized_in_the_tenant(client: Callable[..., RestClient]) -> None:
    with pytest.raises(RestCommandError) as caught:
        list(client().invoke("Get-NoSuchThing", {}))
    event = caught.value.event
    assert caught.value.status == 403
    assert event.message.startswith("The term 'Get-NoSuchThing' is not recognized as the name of a cmdlet")
    assert CONTOSO in event.message and event.category == "ObjectNotFound"
    assert event.error_id == "CommandNotFoundException" and event.target == "Get-NoSuchThing"


def test_a_foreign_anchor_is_a_clear_remoting_error(rest_sim: Simulator, client: Callable[..., RestClient]) -> None:
    c = client(anchor=f"UPN:{ADMIN}")          # the partner's own mailbox: not in Contoso
    with pytest.raises(RemotingError) as caught:
        run(c, "Get-Mailbox", ResultSize=1)
    assert caught.value.kind == PROTOCOL and "X-AnchorMailbox" in caught.value.message


# -- EXOModuleFile -----------------------------------------------------------------------------------------

def test_module_file_lists_the_cmdlets_each_role_allows(client: Callable[..., RestClient]) -> None:
    admin = client().module_cmdlets()
    reader = client(READER).module_cmdlets()
    assert "Get-Mailbox" in admin and "Set-Mailbox" in admin
    assert "Get-Mailbox" in reader and not [c for c in reader if c.startswith("Set-")]
    assert set(reader) < set(admin)


# -- throttling and transient failures ---------------------------------------------------------------------

def test_a_429_is_waited_out_and_reported(client: Callable[..., RestClient], faults: Any) -> None:
    waits: list[str] = []
    c = client(on_wait=waits.append)
    run(c, "Get-Mailbox", ResultSize=1)
    faults.throttle(1, retry_after=1)
    started = time.monotonic()
    (page,) = run(c, "Get-Mailbox", ResultSize=1)
    assert len(page.records) == 1 and time.monotonic() - started >= 1.0     # Retry-After honoured
    assert waits == ["throttled by Exchange Online, retrying in 1 s"] and c.retries == 1


def test_503_and_504_are_retried_with_backoff(client: Callable[..., RestClient], faults: Any) -> None:
    waits: list[str] = []
    c = client(on_wait=waits.append, backoff_s=0.05)
    run(c, "Get-Mailbox", ResultSize=1)
    faults.unavailable(2, 503)
    assert len(records_of(run(c, "Get-Mailbox", ResultSize=1))) == 1
    faults.unavailable(1, 504)
    assert len(records_of(run(c, "Get-Mailbox", ResultSize=1))) == 1
    assert c.retries == 3
    assert waits == ["Exchange Online is unavailable (HTTP 503), retrying in 0.1 s",
                     "Exchange Online is unavailable (HTTP 503), retrying in 0.1 s",
                     "Exchange Online is unavailable (HTTP 504), retrying in 0.1 s"]


def test_the_concurrency_cap_is_retried_then_reported(client: Callable[..., RestClient], faults: Any) -> None:
    waits: list[str] = []
    c = client(on_wait=waits.append, max_retries=1)
    run(c, "Get-Mailbox", ResultSize=1)
    faults.rest_concurrency(0, retry_after=1)            # every request is one past the cap
    with pytest.raises(RemotingError) as caught:
        run(c, "Get-Mailbox", ResultSize=1)
    assert caught.value.kind == THROTTLED and waits == ["throttled by Exchange Online, retrying in 1 s"]
    assert CONTOSO in caught.value.message and ADMIN in caught.value.message
    faults.rest_concurrency(None)
    assert len(records_of(run(c, "Get-Mailbox", ResultSize=1))) == 1


def test_a_long_retry_after_is_reported_not_slept(client: Callable[..., RestClient], faults: Any) -> None:
    c = client()
    run(c, "Get-Mailbox", ResultSize=1)
    faults.throttle(1, retry_after=7200)
    started = time.monotonic()
    with pytest.raises(RemotingError) as caught:
        run(c, "Get-Mailbox", ResultSize=1)
    assert caught.value.kind == THROTTLED and "2 hours" in caught.value.message
    assert time.monotonic() - started < 5


def test_cancel_ends_a_retry_wait_at_once(client: Callable[..., RestClient], faults: Any) -> None:
    cancel = threading.Event()
    c = client(on_wait=lambda _: cancel.set())          # Ctrl+C while "retrying in 30 s" shows
    run(c, "Get-Mailbox", ResultSize=1)
    faults.throttle(1, retry_after=30)
    started = time.monotonic()
    assert list(c.invoke("Get-Mailbox", {"ResultSize": 1}, cancel=cancel)) == []
    assert time.monotonic() - started < 2


# -- cancellation ------------------------------------------------------------------------------------------

def test_cancel_mid_paging_walks_away_from_the_held_page(rest_sim: Simulator, client: Callable[..., RestClient],
                                                         faults: Any) -> None:
    c = client()
    run(c, "Get-Mailbox", ResultSize=1)
    cancel = threading.Event()
    pages = c.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, page_size=10, cancel=cancel)
    assert len(next(pages).records) == 10
    gate = faults.hold_rest()                  # the next page's request waits in the server
    tenant_id = rest_sim.tenant_ids[CONTOSO]
    cancelled_at: list[float] = []

    def press_ctrl_c() -> None:
        wait_until(lambda: rest_sim.stats()["rest"]["in_flight"].get(tenant_id) == 1, "the held page")
        cancelled_at.append(time.monotonic())
        cancel.set()

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    try:
        rest = list(pages)
        returned_at = time.monotonic()
    finally:
        gate.set()
        presser.join(10)
    assert rest == [] and cancelled_at
    assert returned_at - cancelled_at[0] < 1.0
    # The connection pool is fine afterwards: the next command runs.
    assert len(records_of(run(c, "Get-Mailbox", ResultSize=1))) == 1


# -- the regional redirect ---------------------------------------------------------------------------------

def test_the_first_contacts_redirect_is_followed_with_authorization_and_kept(
        make_sim: Callable[..., Simulator], secret_service: object, tmp_path: Any) -> None:
    sim = make_sim(mailboxes=5)
    provider = sign_in(sim, ADMIN, tmp_path / "token-cache.enc")
    c = make_client(sim, provider)
    try:
        (page,) = run(c, "Get-Mailbox", ResultSize=1)       # 302 → re-POSTed with body and token → 200
        assert len(page.records) == 1 and c.redirects == 1
        assert c.base_url == f"{sim.base_url}/pod01b"
        assert rest_counts(sim, "Get-Mailbox") == {"302": 1, "200": 1}
        run(c, "Get-Mailbox", ResultSize=1)
        assert rest_counts(sim, "Get-Mailbox") == {"302": 1, "200": 2}
        assert sim.stats()["rest"]["redirects"] == 1
        assert c.module_cmdlets()                                   # GET under the regional base too
    finally:
        c.close()


# -- tokens ------------------------------------------------------------------------------------------------

def test_a_token_for_another_tenant_is_refused_with_one_refresh(
        rest_sim: Simulator, providers: Callable[[str], TokenProvider]) -> None:
    provider = providers(ADMIN)
    wrong = Counting(provider, tenant=rest_sim.tenant_ids[FABRIKAM])     # Fabrikam's token, Contoso's URL
    c = RestClient(rest_sim.base_url, wrong, rest_sim.tenant_ids[CONTOSO], account=ADMIN,
                   anchor=f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{rest_sim.tenant_ids[CONTOSO]}",
                   ca_file=rest_sim.ca_file, tenant_name=CONTOSO)
    try:
        with pytest.raises(RemotingError) as caught:
            run(c, "Get-Mailbox", ResultSize=1)
    finally:
        c.close()
    err = caught.value
    assert err.kind == SIGN_IN and wrong.refreshes == 1
    assert "401" in err.message and ADMIN in err.message and CONTOSO in err.message
    assert f"exohop login {ADMIN}" in err.message
    assert_no_token(err.message, *wrong.handed)


def test_an_expired_token_gets_exactly_one_refresh(make_sim: Callable[..., Simulator], secret_service: object,
                                                  tmp_path: Any) -> None:
    sim = make_sim(mailboxes=5, token_lifetime=3)
    provider = sign_in(sim, ADMIN, tmp_path / "token-cache.enc")
    stale = provider.token_for(sim.tenant_ids[CONTOSO])
    expiry = float(jwt.split(stale.token)[1]["exp"])
    wait_until(lambda: time.time() > expiry + 0.05, "the token to expire")   # the condition is the clock
    source = Counting(provider, first=stale)
    c = RestClient(sim.base_url, source, sim.tenant_ids[CONTOSO], account=ADMIN,
                   anchor=f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{sim.tenant_ids[CONTOSO]}",
                   ca_file=sim.ca_file, tenant_name=CONTOSO)
    try:
        (page,) = run(c, "Get-Mailbox", ResultSize=1)
    finally:
        c.close()
    assert len(page.records) == 1 and source.refreshes == 1
    assert rest_counts(sim, "Get-Mailbox") == {"401": 1, "302": 1, "200": 1}


def test_no_message_holds_a_token(rest_sim: Simulator, client: Callable[..., RestClient],
                                  providers: Callable[[str], TokenProvider], faults: Any) -> None:
    """Every failure the client can report, gathered: none shows a token (or anything JWT-shaped)."""
    c = client(max_retries=0)
    texts: list[str] = []
    for cmdlet, params in (("Get-Mailbox", {"Identity": "nobody@contoso.com"}), ("Get-Mailbox", {"Bad": 1}),
                           ("Get-NoSuchThing", {})):
        with pytest.raises(RestCommandError) as caught:
            list(c.invoke(cmdlet, params))
        texts.append(caught.value.event.message)
    faults.unavailable(1, 503)
    with pytest.raises(RemotingError) as throttled:
        run(c, "Get-Mailbox", ResultSize=1)
    texts.append(throttled.value.message)
    (page,) = run(c, "Get-Command", Name=["Get-Nope"])
    texts += [e.message for e in page.errors] + page.warnings
    tokens = [token_of(providers(ADMIN), rest_sim), token_of(providers(ADMIN), rest_sim, FABRIKAM)]
    for text in texts:
        assert_no_token(text, *tokens)


# -- the transport -----------------------------------------------------------------------------------------

def test_transport_failures_are_remoting_errors_naming_account_and_tenant(
        rest_sim: Simulator, providers: Callable[[str], TokenProvider], faults: Any) -> None:
    provider = providers(ADMIN)
    with socket.socket() as probe:                 # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    anchor = f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{rest_sim.tenant_ids[CONTOSO]}"
    cases = [
        (RestClient(f"https://127.0.0.1:{closed_port}", provider, rest_sim.tenant_ids[CONTOSO], account=ADMIN,
                    anchor=anchor, ca_file=rest_sim.ca_file, tenant_name=CONTOSO), REFUSED),
        # No ca_file: the system's CAs (REQUESTS_CA_BUNDLE here) do not know the simulator's.
        (RestClient(rest_sim.base_url, provider, rest_sim.tenant_ids[CONTOSO], account=ADMIN, anchor=anchor,
                    tenant_name=CONTOSO), TLS),
        (RestClient(rest_sim.base_url, provider, rest_sim.tenant_ids[CONTOSO], account=ADMIN, anchor=anchor,
                    ca_file=rest_sim.ca_file, tenant_name=CONTOSO, timeout=(5.0, 0.5)), TIMEOUT),
    ]
    run(cases[2][0], "Get-Mailbox", ResultSize=1)        # connected (and past the redirect) before the hold
    gate = faults.hold_rest()
    try:
        for c, kind in cases:
            with pytest.raises(RemotingError) as caught:
                run(c, "Get-Mailbox", ResultSize=1)
            err = caught.value
            assert err.kind == kind, (kind, err.message)
            assert CONTOSO in err.message and ADMIN in err.message
            assert "Error" not in err.message and "errno" not in err.message.lower()    # no library text
            assert_no_token(err.message, token_of(provider, rest_sim))
            c.close()
    finally:
        gate.set()
