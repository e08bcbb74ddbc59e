"""Delegated sign-in with the real msal against the simulator's Entra ID: device code approved through
/devicelogin, silent customer tokens from one sign-in, refresh, tid checks, GDAP and mapped errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tui.remoting.auth import SignInError, SignInSettings, TokenProvider, unverified_claims
from tui.remoting.auth import errors as reasons
from tui.remoting.auth.provider import DeviceCodePrompt
from tui.sim import Simulator

from .conftest import approve, approving, provider_for

pytestmark = pytest.mark.keyring

CONTOSO = "contoso.onmicrosoft.com"
FABRIKAM = "fabrikam.onmicrosoft.com"


def _no_secret_in(text: str, *secrets: str) -> None:
    for s in secrets:
        assert s not in text


def test_device_code_sign_in_through_devicelogin_refuses_a_wrong_password(
        sim: Simulator, secret_service: object, cache_path: Path) -> None:
    account = sim.accounts[0]
    provider = provider_for(sim, account, cache_path)
    refused: list[tuple[int, str]] = []
    prompts: list[DeviceCodePrompt] = []

    def on_prompt(prompt: DeviceCodePrompt) -> None:
        prompts.append(prompt)
        wrong = approve(sim, prompt.user_code, account.upn, account.password + "x")
        refused.append((wrong.status_code, wrong.text))
        assert approve(sim, prompt.user_code, account.upn, account.password).status_code == 200

    user = provider.sign_in_with_device_code(on_prompt)
    assert refused[0][0] == 401 and "password is incorrect" in refused[0][1]
    assert f"{sim.authority}/devicelogin" in prompts[0].message and prompts[0].user_code in prompts[0].message
    assert user.upn == account.upn
    assert user.home_tenant_id == sim.tenant_ids[sim.home_tenant_of(account.upn)]
    assert provider.signed_in_user() == user


def test_one_sign_in_gives_silent_tokens_for_two_customers_with_their_tid(
        make_sim, secret_service: object, cache_path: Path) -> None:
    server: Simulator = make_sim(mailboxes=5)
    account = server.accounts[0]
    provider = provider_for(server, account, cache_path)
    provider.sign_in_with_device_code(approving(server, account))
    contoso = provider.token_for(CONTOSO)
    fabrikam = provider.token_for(server.tenant_ids[FABRIKAM])      # by id as well as by domain
    assert contoso.tenant_id == unverified_claims(contoso.token)["tid"] == server.tenant_ids[CONTOSO]
    assert fabrikam.tenant_id == unverified_claims(fabrikam.token)["tid"] == server.tenant_ids[FABRIKAM]
    assert contoso.upn == account.upn and contoso.seconds_left() > 3000
    assert contoso.token not in repr(contoso) and contoso.token not in str(contoso)
    assert server.entra is not None
    # Silent means verified against the sim: the access token's signature is the sim's, and one device code
    # served both customers.
    assert server.entra.verify_access_token(fabrikam.token)["tid"] == server.tenant_ids[FABRIKAM]
    entra = server.stats()["entra"]
    assert entra["device_codes_issued"] == 1 and entra["token_requests"]["refresh_token"] == 2
    assert provider.token_for(CONTOSO).token == contoso.token, "a valid token comes from the cache"
    assert server.stats()["entra"]["token_requests"]["refresh_token"] == 2


def test_an_expiring_token_is_refreshed_and_a_401_forces_a_new_one(
        make_sim, secret_service: object, cache_path: Path) -> None:
    server: Simulator = make_sim(mailboxes=5, token_lifetime=305)   # msal: < 300 s left counts as expired
    account = server.accounts[0]
    provider = provider_for(server, account, cache_path)
    provider.sign_in_with_device_code(approving(server, account))
    first = provider.token_for(CONTOSO)
    forced = provider.refresh_after_unauthorized(CONTOSO)
    assert forced.token != first.token and forced.tenant_id == first.tenant_id
    deadline = time.monotonic() + 30
    while (again := provider.token_for(CONTOSO)).token == forced.token:
        assert time.monotonic() < deadline, "the token was not renewed when it came within 300 s of expiry"
        time.sleep(0.2)
    assert again.seconds_left() > 300
    assert server.stats()["entra"]["token_requests"]["refresh_token"] >= 3


def test_a_token_for_the_wrong_tenant_is_refused_and_never_kept(
        sim: Simulator, secret_service: object, cache_path: Path) -> None:
    account = sim.accounts[0]
    provider = provider_for(sim, account, cache_path)
    provider.sign_in_with_device_code(approving(sim, account))
    assert sim.entra is not None
    sim.entra.issue_wrong_tenant()
    with pytest.raises(SignInError) as caught:
        provider.token_for("northwindtraders.onmicrosoft.com")
    err = caught.value
    assert err.reason == reasons.WRONG_TENANT and err.account == account.upn
    assert "northwindtraders.onmicrosoft.com" in err.message and "refused" in err.message
    good = provider.token_for("northwindtraders.onmicrosoft.com")
    assert good.tenant_id == sim.tenant_ids["northwindtraders.onmicrosoft.com"]


@pytest.mark.parametrize("customer", ["fourthcoffee.onmicrosoft.com",     # no GDAP relationship at all
                                      "cohowinery.onmicrosoft.com"])      # one with no Exchange role
def test_no_gdap_exchange_role_gives_the_mapped_message(sim: Simulator, secret_service: object,
                                                         cache_path: Path, customer: str) -> None:
    account = sim.accounts[0]
    assert customer not in account.tenants
    provider = provider_for(sim, account, cache_path)
    provider.sign_in_with_device_code(approving(sim, account))
    with pytest.raises(SignInError) as caught:
        provider.token_for(customer)
    err = caught.value
    assert err.reason == reasons.NO_ACCESS and err.code == 50020 and err.tenant == customer
    assert account.upn in err.message and customer in err.message
    assert "GDAP" in err.message and "Exchange Administrator" in err.message
    assert "SignInError" not in err.message and "Exception" not in err.message


def test_ending_the_relationship_stops_new_tokens(make_sim, secret_service: object,
                                                  cache_path: Path) -> None:
    server: Simulator = make_sim(mailboxes=5)
    account = server.accounts[0]
    provider = provider_for(server, account, cache_path)
    provider.sign_in_with_device_code(approving(server, account))
    provider.token_for("adatum.onmicrosoft.com")
    assert server.directory is not None and server.directory.end_relationship(account.upn, "adatum.onmicrosoft.com")
    with pytest.raises(SignInError) as caught:
        provider.refresh_after_unauthorized("adatum.onmicrosoft.com")
    assert caught.value.reason == reasons.NO_ACCESS


@pytest.mark.parametrize(("code", "tenant", "reason", "hint"), [
    (50076, "tailspintoys.onmicrosoft.com", reasons.INTERACTION, "--browser"),
    (50079, "litware.onmicrosoft.com", reasons.INTERACTION, "interactively"),
    (70043, "proseware.onmicrosoft.com", reasons.SIGN_IN_AGAIN, "exohop login"),
    (700082, "wideworldimporters.onmicrosoft.com", reasons.SIGN_IN_AGAIN, "Sign in again"),
    (65001, "alpineskihouse.onmicrosoft.com", reasons.CONSENT, "consent"),
    (50173, "treyresearch.onmicrosoft.com", reasons.REVOKED, "Sign in again"),
])
def test_service_errors_name_the_account_the_tenant_and_what_to_do(
        sim: Simulator, secret_service: object, cache_path: Path, code: int, tenant: str, reason: str,
        hint: str) -> None:
    account = sim.accounts[0]
    provider = provider_for(sim, account, cache_path)
    provider.sign_in_with_device_code(approving(sim, account))
    assert sim.entra is not None
    sim.entra.inject_error(code, tenant)
    with pytest.raises(SignInError) as caught:
        provider.token_for(tenant)
    err = caught.value
    assert (err.reason, err.code) == (reason, code)
    assert account.upn in err.message and tenant in err.message and hint in err.message
    rt = [t["secret"] for t in provider.store.cache.search("RefreshToken")]
    _no_secret_in(err.message, *rt)


def test_cancel_and_expiry_of_the_device_flow(make_sim, secret_service: object,
                                              cache_path: Path) -> None:
    server: Simulator = make_sim(mailboxes=5, device_code_lifetime=2)
    account = server.accounts[1]
    provider = provider_for(server, account, cache_path)
    cancel = threading.Event()
    with pytest.raises(SignInError) as cancelled:
        provider.sign_in_with_device_code(lambda prompt: cancel.set(), cancel=cancel)
    assert cancelled.value.reason == reasons.CANCELLED and account.upn in cancelled.value.message
    with pytest.raises(SignInError) as expired:
        provider.sign_in_with_device_code(lambda prompt: None)
    assert expired.value.reason == reasons.EXPIRED and "expired" in expired.value.message


def test_declined_in_the_browser(sim: Simulator, secret_service: object, cache_path: Path) -> None:
    import requests

    account = sim.accounts[1]
    provider = provider_for(sim, account, cache_path)

    def decline(prompt: DeviceCodePrompt) -> None:
        requests.post(f"{sim.authority}/devicelogin", data={"code": prompt.user_code, "action": "deny"},
                      verify=sim.ca_file, timeout=10)

    with pytest.raises(SignInError) as caught:
        provider.sign_in_with_device_code(decline)
    assert caught.value.reason == reasons.CANCELLED and "declined" in caught.value.message


def test_someone_else_signing_in_is_refused(sim: Simulator, secret_service: object, cache_path: Path) -> None:
    expected, other = sim.accounts[0], sim.accounts[1]
    # At /organizations anyone may sign in (at the partner's own authority a stranger would get AADSTS50020).
    provider = provider_for(sim, expected, cache_path, home_tenant="organizations")
    with pytest.raises(SignInError) as caught:
        provider.sign_in_with_device_code(approving(sim, other))
    assert caught.value.reason == reasons.WRONG_USER and other.upn in caught.value.message
    assert not [a for a in provider.store.cache.search("Account") if a["username"] == other.upn]


def test_not_signed_in(sim: Simulator, secret_service: object, cache_path: Path) -> None:
    provider = provider_for(sim, sim.accounts[2], cache_path)
    with pytest.raises(SignInError) as caught:
        provider.token_for(CONTOSO)
    assert caught.value.reason == reasons.NOT_SIGNED_IN
    assert f"exohop login {sim.accounts[2].upn}" in caught.value.message


def test_tenant_ids_resolve_from_the_openid_configuration(sim: Simulator, secret_service: object,
                                                          cache_path: Path) -> None:
    provider = provider_for(sim, sim.accounts[0], cache_path)
    assert provider.tenant_id("Contoso.onmicrosoft.com") == sim.tenant_ids[CONTOSO]
    assert provider.resolver.known() == {CONTOSO: sim.tenant_ids[CONTOSO]}
    with pytest.raises(SignInError) as caught:
        provider.tenant_id("nosuchcustomer.onmicrosoft.com")
    assert caught.value.reason == reasons.UNKNOWN_TENANT and "nosuchcustomer" in caught.value.message


def test_tls_is_verified_against_the_configured_ca_only(sim: Simulator, secret_service: object,
                                                        cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # REQUESTS_CA_BUNDLE pointing at the system bundle must neither replace the configured CA ...
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    provider = provider_for(sim, sim.accounts[0], cache_path)
    assert provider.tenant_id(FABRIKAM) == sim.tenant_ids[FABRIKAM]
    # ... nor make the simulator's CA trusted when none is configured.
    untrusted = provider_for(sim, sim.accounts[0], cache_path, ca_file=None)
    with pytest.raises(SignInError) as caught:
        untrusted.tenant_id(FABRIKAM)
    assert caught.value.reason == reasons.TLS and "ca_file" in caught.value.message


def test_an_unreachable_login_host(secret_service: object, cache_path: Path) -> None:
    import socket

    with socket.socket() as s:                  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = TokenProvider(SignInSettings(upn="a@b.onmicrosoft.com", home_tenant="b.onmicrosoft.com",
                                            authority_host=f"https://127.0.0.1:{port}", timeout=5))
    with pytest.raises(SignInError) as caught:
        provider.sign_in_with_device_code(lambda prompt: None)
    assert caught.value.reason == reasons.UNREACHABLE and f"127.0.0.1:{port}" in caught.value.message
    assert "a@b.onmicrosoft.com" in caught.value.message
