"""The simulator's REST door (InvokeCommand, EXOModuleFile) over real HTTPS with plain ``requests``, tokens
from the real msal against the simulator's Entra ID; one change seen through the PSRP door with pypsrp."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pypsrp.powershell import PowerShell

from tui.sim import Simulator, jwt
from tui.sim.directory import EXO_PUBLIC_CLIENT_ID
from tui.sim.rest import CONCURRENCY_MESSAGE, REGIONAL_PREFIX

SCOPE = "https://outlook.office365.com/.default"
CONTOSO = "contoso.onmicrosoft.com"
FABRIKAM = "fabrikam.onmicrosoft.com"
ADMIN = "admin@fabrikampartner.onmicrosoft.com"
READER = "tier2@fabrikampartner.onmicrosoft.com"


def _http(sim: Simulator) -> requests.Session:
    # trust_env=False: REQUESTS_CA_BUNDLE would otherwise override the simulator's CA (PROTOCOL.md).
    session = requests.Session()
    session.verify = sim.ca_file
    session.trust_env = False
    return session


class Tokens:
    """Access tokens per (user, tenant) from real msal: one device-code sign-in per user (approved as the
    person would, in-process), then silent refresh-token requests per customer tenant."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._caches: dict[str, msal.TokenCache] = {}
        self._tokens: dict[tuple[str, str], str] = {}

    def _app(self, upn: str, tenant: str) -> msal.PublicClientApplication:
        cache = self._caches.setdefault(upn, msal.TokenCache())
        return msal.PublicClientApplication(EXO_PUBLIC_CLIENT_ID, authority=f"{self.sim.authority}/{tenant}",
                                            instance_discovery=False, http_client=_http(self.sim),
                                            token_cache=cache)

    def __call__(self, upn: str, tenant: str = CONTOSO) -> str:
        if (upn, tenant) not in self._tokens:
            if upn not in self._caches:
                home = self._app(upn, self.sim.home_tenant_of(upn))
                flow = home.initiate_device_flow(scopes=[SCOPE])
                self.sim.approve_device_code(flow["user_code"], upn)
                assert "access_token" in home.acquire_token_by_device_flow(flow)
            app = self._app(upn, tenant)
            result = app.acquire_token_silent([SCOPE], account=app.get_accounts(username=upn)[0])
            assert result and "access_token" in result, result
            self._tokens[(upn, tenant)] = result["access_token"]
        return self._tokens[(upn, tenant)]


def invoke_url(sim: Simulator, tenant: str = CONTOSO, query: str = "") -> str:
    return f"{sim.rest_url}/{tenant}/InvokeCommand" + (f"?{query}" if query else "")


def body_of(cmdlet: str, **parameters: Any) -> dict[str, Any]:
    return {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}


def post(sim: Simulator, token: str, url: str, body: Any, **headers: str) -> requests.Response:
    """POST as a REST client must: re-send method, body and Authorization to a 302's Location."""
    sent = {"Authorization": f"Bearer {token}", **headers}
    for _ in range(3):
        response = requests.post(url, json=body, headers=sent, verify=sim.ca_file, allow_redirects=False, timeout=30)
        if response.status_code != 302:
            return response
        url = response.headers["Location"]
    raise AssertionError("redirected more than twice")


def get(sim: Simulator, token: str, url: str, **headers: str) -> requests.Response:
    sent = {"Authorization": f"Bearer {token}", **headers}
    for _ in range(3):
        response = requests.get(url, headers=sent, verify=sim.ca_file, allow_redirects=False, timeout=30)
        if response.status_code != 302:
            return response
        url = response.headers["Location"]
    raise AssertionError("redirected more than twice")


def details(response: requests.Response) -> list[str]:
    """error.details[0].message split as ExoHelper splits it: ErrorId | exception class | message."""
    error = response.json()["error"]
    assert error["message"] == "Error executing cmdlet"
    assert error["innererror"]["internalexception"]["message"]
    return str(error["details"][0]["message"]).split("|", 2)


@pytest.fixture(scope="module")
def rest_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=50) as server:
        yield server


@pytest.fixture(scope="module")
def tokens(rest_sim: Simulator) -> Tokens:
    return Tokens(rest_sim)


@pytest.fixture
def faults(rest_sim: Simulator) -> Iterator[Any]:
    yield rest_sim.faults
    rest_sim.faults.clear()


def all_mailboxes(sim: Simulator, token: str) -> list[dict[str, Any]]:
    response = post(sim, token, invoke_url(sim), body_of("Get-Mailbox", ResultSize="Unlimited"))
    assert response.status_code == 200 and "@odata.nextLink" not in response.json()
    return list(response.json()["value"])


# -- results ---------------------------------------------------------------------------------------------

def test_get_mailbox_answers_typed_json(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    tid = rest_sim.tenant_ids[CONTOSO]
    alias = all_mailboxes(rest_sim, token)[0]["Alias"]
    # The tenant by id, the path in another case, v1.0: all the same door (§1.1).
    url = f"{rest_sim.base_url}/AdminApi/v1.0/{tid.upper()}/invokecommand"
    response = post(rest_sim, token, url, body_of("Get-Mailbox", Identity=alias),
                    **{"client-request-id": "0f0e9650-2020-4908-b66f-d33d4848e530",
                       "X-CmdletName": "Get-Mailbox",
                       "X-AnchorMailbox": f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tid}"})
    assert response.status_code == 200, response.text
    assert response.headers["request-id"] == response.headers["client-request-id"] == \
        "0f0e9650-2020-4908-b66f-d33d4848e530"
    assert response.headers["X-CalculatedBETarget"].endswith(".prod.outlook.com") and response.headers["Date"]
    doc = response.json()
    assert doc["@adminapi.warnings"] == [] and "@odata.nextLink" not in doc
    (mbx,) = doc["value"]
    assert mbx["@odata.type"] == "#Exchange.Mailbox" and mbx["Alias"] == alias
    assert mbx["ProhibitSendQuota"] == "99 GB (106,300,440,576 bytes)"          # sizes: Exchange's text
    assert mbx["RecipientTypeDetails"] == "UserMailbox"                         # enums: names
    assert mbx["WhenCreated@odata.type"] == "#DateTimeOffset"
    assert time.strptime(mbx["WhenCreated"], "%Y-%m-%dT%H:%M:%SZ")
    assert mbx["EmailAddresses@odata.type"] == "#Collection(String)"
    assert isinstance(mbx["EmailAddresses"], list) and mbx["UseDatabaseQuotaDefaults"] is False
    assert mbx["Guid@odata.type"] == "#Guid"


def test_three_pages_hold_every_record_once_in_order(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    everyone = [m["Guid"] for m in all_mailboxes(rest_sim, token)]
    assert len(everyone) == 50
    body = body_of("Get-Mailbox", ResultSize="Unlimited")
    url: str | None = invoke_url(rest_sim)
    pages: list[list[str]] = []
    links: list[str] = []
    while url:
        response = post(rest_sim, token, url, body, Prefer="odata.maxpagesize=20")
        assert response.status_code == 200, response.text
        doc = response.json()
        pages.append([m["Guid"] for m in doc["value"]])
        url = doc.get("@odata.nextLink")
        if url:
            links.append(url)
    assert [len(p) for p in pages] == [20, 20, 10]
    assert [g for p in pages for g in p] == everyone
    assert all(link.startswith(rest_sim.base_url) and "$skiptoken=" in link for link in links)


def test_a_next_link_with_another_body_is_refused(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    first = post(rest_sim, token, invoke_url(rest_sim), body_of("Get-Mailbox", ResultSize="Unlimited"),
                 Prefer="odata.maxpagesize=10").json()
    link = first["@odata.nextLink"]
    refused = post(rest_sim, token, link, body_of("Get-Mailbox", ResultSize=40), Prefer="odata.maxpagesize=10")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadRequest"
    assert "body" in details(refused)[2]
    # The same link with the identical body still works (the refusal consumed nothing).
    again = post(rest_sim, token, link, body_of("Get-Mailbox", ResultSize="Unlimited"), Prefer="odata.maxpagesize=10")
    assert again.status_code == 200 and len(again.json()["value"]) == 10


def test_select_projects_the_named_properties(rest_sim: Simulator, tokens: Tokens) -> None:
    response = post(rest_sim, tokens(ADMIN), invoke_url(rest_sim, query="$select=alias,WhenCreated"),
                    body_of("Get-Mailbox", ResultSize=2))
    rows = response.json()["value"]
    assert len(rows) == 2
    assert all(set(r) == {"@odata.type", "Alias", "WhenCreated", "WhenCreated@odata.type"} for r in rows)


def test_warnings_and_a_warnings_only_reply(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    cut = post(rest_sim, token, invoke_url(rest_sim), body_of("Get-Mailbox", ResultSize=3)).json()
    assert len(cut["value"]) == 3
    assert cut["@adminapi.warnings"] == ["There are more results available than currently displayed."]
    mbx = all_mailboxes(rest_sim, token)[1]
    same = post(rest_sim, token, invoke_url(rest_sim),
                body_of("Set-Mailbox", Identity=mbx["Alias"], DisplayName=mbx["DisplayName"]))
    assert same.status_code == 200
    doc = same.json()
    assert doc["value"] is None and "no settings" in doc["@adminapi.warnings"][0]


def test_what_if_changes_nothing(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    mbx = all_mailboxes(rest_sim, token)[2]
    response = post(rest_sim, token, invoke_url(rest_sim),
                    body_of("Set-Mailbox", Identity=mbx["Alias"], DisplayName="Renamed By WhatIf", WhatIf=True))
    doc = response.json()
    assert response.status_code == 200 and doc["value"] is None
    assert doc["@adminapi.warnings"][0].startswith("What if: Setting mailbox")
    after = post(rest_sim, token, invoke_url(rest_sim), body_of("Get-Mailbox", Identity=mbx["Alias"])).json()
    assert after["value"][0]["DisplayName"] == mbx["DisplayName"]


def test_a_hashtable_parameter_reaches_the_engine_and_the_psrp_door_sees_it(
        rest_sim: Simulator, tokens: Tokens, connect: Callable[..., Any]) -> None:
    token = tokens(ADMIN)
    mbx = all_mailboxes(rest_sim, token)[3]
    added = f"smtp:rest-alias-{mbx['Alias'].lower()}@contoso.com"
    untagged = post(rest_sim, token, invoke_url(rest_sim),
                    body_of("Set-Mailbox", Identity=mbx["Alias"], EmailAddresses={"Add": [added]}))
    assert untagged.status_code == 400
    assert "PswsHashtable" in details(untagged)[2] and "'EmailAddresses'" in details(untagged)[2]
    tagged = post(rest_sim, token, invoke_url(rest_sim), body_of(
        "Set-Mailbox", Identity=mbx["Alias"], Confirm=False,
        EmailAddresses={"@odata.type": "#Exchange.GenericHashTable", "Add": [added]}))
    assert tagged.status_code == 200, tagged.text
    rest_view = post(rest_sim, token, invoke_url(rest_sim), body_of("Get-Mailbox", Identity=mbx["Alias"])).json()
    assert added in rest_view["value"][0]["EmailAddresses"]
    conn = connect(rest_sim, rest_sim.account(ADMIN), CONTOSO)
    ps = PowerShell(conn.pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", mbx["Alias"])
    ps.invoke()
    assert not ps.had_errors
    assert added in list(ps.output[0].adapted_properties["EmailAddresses"])


# -- errors ----------------------------------------------------------------------------------------------

def test_an_unknown_parameter_is_a_bad_request_naming_it(rest_sim: Simulator, tokens: Tokens) -> None:
    response = post(rest_sim, tokens(ADMIN), invoke_url(rest_sim), body_of("Get-Mailbox", NoSuchThing=1))
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"
    error_id, exception, message = details(response)
    assert error_id.startswith("Ex") and exception.endswith("ParameterBindingException")
    assert "'NoSuchThing'" in message


def test_a_missing_object_is_404_with_the_services_message(rest_sim: Simulator, tokens: Tokens) -> None:
    response = post(rest_sim, tokens(ADMIN), invoke_url(rest_sim), body_of("Get-Mailbox", Identity="nobody@contoso.com"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "NotFound"
    error_id, exception, message = details(response)
    assert (error_id, exception) == ("Ex6F9304", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    assert message.startswith("The operation couldn't be performed because object 'nobody@contoso.com' couldn't be "
                              "found on '") and message.endswith(".PROD.OUTLOOK.COM'.")


def test_an_unknown_cmdlet_is_403_with_an_empty_body(rest_sim: Simulator, tokens: Tokens) -> None:
    response = post(rest_sim, tokens(ADMIN), invoke_url(rest_sim), body_of("Get-NoSuchThing"))
    assert response.status_code == 403 and response.content == b""


def test_a_read_only_role_may_get_but_not_set(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(READER)
    alias = all_mailboxes(rest_sim, token)[0]["Alias"]
    response = post(rest_sim, token, invoke_url(rest_sim), body_of("Set-Mailbox", Identity=alias, Office="X"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "Forbidden"
    assert details(response)[2] == "User is not allowed to call Set-Mailbox."


def test_tokens_for_another_tenant_forged_or_missing_are_401(rest_sim: Simulator, tokens: Tokens) -> None:
    body = body_of("Get-Mailbox", ResultSize=1)
    fabrikam = tokens(ADMIN, FABRIKAM)
    head, _, sig = fabrikam.split(".")
    claims = {**jwt.split(fabrikam)[1], "tid": rest_sim.tenant_ids[CONTOSO]}
    forged = f"{head}.{jwt.b64url(json.dumps(claims).encode())}.{sig}"      # signature no longer matches
    for token in (fabrikam, forged, "not-a-jwt"):
        response = post(rest_sim, token, invoke_url(rest_sim), body)
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
        assert response.json()["error"]["code"] == "Unauthorized"
    bare = requests.post(invoke_url(rest_sim), json=body, verify=rest_sim.ca_file, timeout=30)
    assert bare.status_code == 401
    assert post(rest_sim, fabrikam, invoke_url(rest_sim, FABRIKAM), body).status_code == 200


def test_a_foreign_anchor_or_a_mismatched_cmdlet_header_is_400(rest_sim: Simulator, tokens: Tokens) -> None:
    token = tokens(ADMIN)
    body = body_of("Get-Mailbox", ResultSize=1)
    foreign = post(rest_sim, token, invoke_url(rest_sim), body, **{"X-AnchorMailbox": f"UPN:{ADMIN}"})
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "ErrorIncorrectRoutingHint"
    vanity = post(rest_sim, token, invoke_url(rest_sim), body, **{"X-AnchorMailbox": "SMTP:someone@contoso.com"})
    assert vanity.status_code == 200
    mismatch = post(rest_sim, token, invoke_url(rest_sim), body, **{"X-CmdletName": "Set-Mailbox"})
    assert mismatch.status_code == 400


def test_an_expired_token_is_401(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(mailboxes=5, token_lifetime=1)
    token = Tokens(sim)(ADMIN)
    expiry = float(jwt.split(token)[1]["exp"])
    deadline = time.monotonic() + 10
    while time.time() <= expiry and time.monotonic() < deadline:      # the condition is the clock itself
        time.sleep(0.05)
    response = post(sim, token, invoke_url(sim), body_of("Get-Mailbox", ResultSize=1))
    assert response.status_code == 401 and "expired" in details(response)[2]


# -- throttling ------------------------------------------------------------------------------------------

def test_past_the_concurrency_cap_a_429_then_success(rest_sim: Simulator, tokens: Tokens, faults: Any) -> None:
    token = tokens(ADMIN)
    body = body_of("Get-Mailbox", ResultSize=1)
    post(rest_sim, token, invoke_url(rest_sim), body)              # first contact's 302 out of the way
    faults.rest_concurrency(2, retry_after=3)
    gate = faults.hold_rest()
    fabrikam = tokens(ADMIN, FABRIKAM)
    results: list[int] = []
    calls = [(token, CONTOSO), (token, CONTOSO), (fabrikam, FABRIKAM)]     # the cap is per tenant
    workers = [threading.Thread(target=lambda t=t, where=where: results.append(
        post(rest_sim, t, invoke_url(rest_sim, where), body).status_code)) for t, where in calls]
    for w in workers:
        w.start()
    want = {rest_sim.tenant_ids[CONTOSO]: 2, rest_sim.tenant_ids[FABRIKAM]: 1}
    deadline = time.monotonic() + 10
    while rest_sim.stats()["rest"]["in_flight"] != want:
        assert time.monotonic() < deadline, "the held requests never took their slots"
        time.sleep(0.01)
    refused = post(rest_sim, token, invoke_url(rest_sim), body)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
    assert refused.text == CONCURRENCY_MESSAGE
    gate.set()
    for w in workers:
        w.join(10)
    assert results == [200, 200, 200]
    assert post(rest_sim, token, invoke_url(rest_sim), body).status_code == 200


def test_throttle_and_transient_knobs_apply_to_rest(rest_sim: Simulator, tokens: Tokens, faults: Any) -> None:
    token = tokens(ADMIN)
    body = body_of("Get-Mailbox", ResultSize=1)
    post(rest_sim, token, invoke_url(rest_sim), body)
    faults.throttle(1, retry_after=2)
    throttled = post(rest_sim, token, invoke_url(rest_sim), body)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    faults.unavailable(1, 504)
    assert post(rest_sim, token, invoke_url(rest_sim), body).status_code == 504
    assert post(rest_sim, token, invoke_url(rest_sim), body).status_code == 200
    faults.unavailable(1, 503)                  # the same knob on the WS-Management door
    assert requests.post(rest_sim.url, data=b"", verify=rest_sim.ca_file, timeout=30).status_code == 503


# -- EXOModuleFile, app-only -----------------------------------------------------------------------------

def test_module_file_lists_the_cmdlets_each_role_allows(rest_sim: Simulator, tokens: Tokens) -> None:
    url = f"{rest_sim.base_url}/adminapi/v1.0/{CONTOSO}/EXOModuleFile?Version=3.5.0"
    admin = get(rest_sim, tokens(ADMIN), url, CommandName="*")
    reader = get(rest_sim, tokens(READER), url, CommandName="*")
    assert admin.status_code == reader.status_code == 200
    admin_cmdlets = admin.json()["value"][0]["exportedCmdlets"].split(",")
    reader_cmdlets = reader.json()["value"][0]["exportedCmdlets"].split(",")
    assert "Set-Mailbox" in admin_cmdlets and "Get-Mailbox" in admin_cmdlets
    assert "Get-Mailbox" in reader_cmdlets and all(c.startswith("Get-") for c in reader_cmdlets)
    assert set(reader_cmdlets) < set(admin_cmdlets)


def test_an_app_only_token_runs_commands(rest_sim: Simulator) -> None:
    assert rest_sim.app_pem_file and rest_sim.app_cert_file
    cert = x509.load_pem_x509_certificate(Path(rest_sim.app_cert_file).read_bytes())
    app = msal.ConfidentialClientApplication(
        rest_sim.app_client_id, authority=f"{rest_sim.authority}/{CONTOSO}", instance_discovery=False,
        http_client=_http(rest_sim),
        client_credential={"private_key": Path(rest_sim.app_pem_file).read_text(),
                           "thumbprint": cert.fingerprint(hashes.SHA1()).hex()})
    result = app.acquire_token_for_client([SCOPE])
    assert "access_token" in result, result
    response = post(rest_sim, result["access_token"], invoke_url(rest_sim), body_of("Get-Mailbox", ResultSize=2))
    assert response.status_code == 200 and len(response.json()["value"]) == 2


# -- the regional redirect and the stats -----------------------------------------------------------------

def test_first_contact_is_redirected_and_rest_creates_no_shell(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(mailboxes=5)
    token = Tokens(sim)(ADMIN)
    body = body_of("Get-Mailbox", ResultSize=1)
    first = requests.post(invoke_url(sim), json=body, headers={"Authorization": f"Bearer {token}"},
                          verify=sim.ca_file, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location == f"{sim.base_url}{REGIONAL_PREFIX}/adminapi/beta/{CONTOSO}/InvokeCommand"
    # The client re-POSTs there with the body and the Authorization header.
    there = requests.post(location, json=body, headers={"Authorization": f"Bearer {token}"},
                          verify=sim.ca_file, allow_redirects=False, timeout=30)
    assert there.status_code == 200 and len(there.json()["value"]) == 1
    again = requests.post(invoke_url(sim), json=body, headers={"Authorization": f"Bearer {token}"},
                          verify=sim.ca_file, allow_redirects=False, timeout=30)
    assert again.status_code == 200                      # only the first contact is redirected
    assert requests.post(invoke_url(sim), json=body_of("Get-Nothing"), headers={"Authorization": f"Bearer {token}"},
                         verify=sim.ca_file, timeout=30).status_code == 403
    stats = sim.stats()
    assert stats["rest"]["by_cmdlet"]["Get-Mailbox"] == {"302": 1, "200": 2}
    assert stats["rest"]["by_cmdlet"]["Get-Nothing"] == {"403": 1}
    assert stats["rest"]["requests"] == 4 and stats["rest"]["redirects"] == 1
    assert stats["shells_created"] == 0 and stats["requests"]["Create"] == 0 and stats["open_shells"] == {}
