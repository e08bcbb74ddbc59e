"""Fixtures for the REST client tests: the real simulator over verified HTTPS, partner users signed in with
the real msal (device code approved through /devicelogin, the cache key in the private Secret Service of
``secret_service``), and ``RestClient``s for a customer tenant. No mocks of requests, msal or the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tui.remoting.auth import AccessToken, PersistentTokenCache, SignInSettings, TokenProvider
from tui.remoting.auth.provider import DeviceCodePrompt
from tui.remoting.rest import RestClient, anchor_for
from tui.sim import Simulator

CONTOSO = "contoso.onmicrosoft.com"
FABRIKAM = "fabrikam.onmicrosoft.com"
ADMIN = "admin@fabrikampartner.onmicrosoft.com"
READER = "tier2@fabrikampartner.onmicrosoft.com"      # Global Reader only: Get-* (tui/sim/directory.py)


def approve(sim: Simulator, user_code: str, upn: str) -> None:
    """What the person does in the browser: the code and their credentials to /devicelogin."""
    account = sim.account(upn)
    answer = requests.post(f"{sim.authority}/devicelogin",
                           data={"code": user_code, "username": account.upn, "password": account.password},
                           verify=sim.ca_file, timeout=10)
    assert answer.status_code == 200, answer.text


def sign_in(sim: Simulator, upn: str, cache_path: Path) -> TokenProvider:
    """A TokenProvider for ``upn`` signed in by the device flow, its cache encrypted at ``cache_path``."""
    settings = SignInSettings(upn=upn, home_tenant=sim.home_tenant_of(upn), authority_host=sim.authority,
                              ca_file=sim.ca_file)
    provider = TokenProvider(settings, cache=PersistentTokenCache(cache_path))

    def on_prompt(prompt: DeviceCodePrompt) -> None:
        approve(sim, prompt.user_code, upn)

    provider.sign_in_with_device_code(on_prompt)
    return provider


def make_client(sim: Simulator, provider: TokenProvider, tenant: str = CONTOSO, **kwargs: Any) -> RestClient:
    """A client for ``tenant`` (its id in the URL, as the module sends it), anchored as anchor_for says."""
    tenant_id = sim.tenant_ids[tenant]
    token = provider.token_for(tenant_id)
    assert provider.upn is not None
    home_id = sim.tenant_ids[sim.home_tenant_of(provider.upn)]
    kwargs.setdefault("anchor", anchor_for(token, home_id))
    return RestClient(sim.base_url, provider, tenant_id, account=provider.upn, ca_file=sim.ca_file,
                      tenant_name=tenant, **kwargs)


class Counting:
    """A TokenSource over a real provider that counts the forced refreshes a client asks for; ``first``
    (when set) is handed out once instead of a fresh token, ``tenant`` replaces the tenant asked for."""

    def __init__(self, provider: TokenProvider, *, first: AccessToken | None = None,
                 tenant: str | None = None) -> None:
        self.provider = provider
        self.first = first
        self.tenant = tenant
        self.refreshes = 0
        self.handed: list[str] = []

    def token_for(self, tenant: str, *, force_refresh: bool = False) -> AccessToken:
        if self.first is not None and not force_refresh:
            token, self.first = self.first, None
        else:
            token = self.provider.token_for(self.tenant or tenant, force_refresh=force_refresh)
        self.handed.append(token.token)
        return token

    def refresh_after_unauthorized(self, tenant: str) -> AccessToken:
        self.refreshes += 1
        return self.token_for(tenant, force_refresh=True)


@pytest.fixture(scope="module")
def rest_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=50) as server:
        yield server


@pytest.fixture(scope="module")
def providers(rest_sim: Simulator, secret_service: object,
              tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], TokenProvider]:
    """``providers(upn)``: that user signed in once for the module (its own encrypted cache file)."""
    signed: dict[str, TokenProvider] = {}

    def get(upn: str) -> TokenProvider:
        if upn not in signed:
            folder = tmp_path_factory.mktemp("rest-cache")
            signed[upn] = sign_in(rest_sim, upn, folder / "token-cache.enc")
        return signed[upn]

    return get


@pytest.fixture
def client(rest_sim: Simulator, providers: Callable[[str], TokenProvider]) -> Iterator[Callable[..., RestClient]]:
    """``client(upn=ADMIN, tenant=CONTOSO, **RestClient kwargs)``; every client closed at teardown."""
    made: list[RestClient] = []

    def factory(upn: str = ADMIN, tenant: str = CONTOSO, **kwargs: Any) -> RestClient:
        c = make_client(rest_sim, providers(upn), tenant, **kwargs)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def faults(rest_sim: Simulator) -> Iterator[Any]:
    yield rest_sim.faults
    rest_sim.faults.clear()
