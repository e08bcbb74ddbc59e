"""Helpers for the OAuth sign-in tests: real msal against the simulator's Entra ID over verified TLS;
``secret_service`` and ``exohop_dirs`` come from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tui.remoting.auth import PersistentTokenCache, SignInSettings, TokenProvider
from tui.remoting.auth.provider import DeviceCodePrompt
from tui.sim import SimAccount, Simulator


def approve(sim: Simulator, user_code: str, upn: str, password: str) -> requests.Response:
    """What the person does in the browser: post the code and their credentials to /devicelogin."""
    return requests.post(f"{sim.authority}/devicelogin",
                         data={"code": user_code, "username": upn, "password": password},
                         verify=sim.ca_file, timeout=10)


def provider_for(sim: Simulator, account: SimAccount, cache_path: Path, **settings: object) -> TokenProvider:
    base: dict[str, object] = {"upn": account.upn, "home_tenant": sim.home_tenant_of(account.upn),
            "authority_host": sim.authority, "ca_file": sim.ca_file}
    base.update(settings)
    return TokenProvider(SignInSettings(**base), cache=PersistentTokenCache(cache_path))  # type: ignore[arg-type]


def approving(sim: Simulator, account: SimAccount, seen: list[DeviceCodePrompt] | None = None
              ) -> Callable[[DeviceCodePrompt], None]:
    """An ``on_prompt`` callback that approves the code as ``account``."""
    def on_prompt(prompt: DeviceCodePrompt) -> None:
        if seen is not None:
            seen.append(prompt)
        assert approve(sim, prompt.user_code, account.upn, account.password).status_code == 200
    return on_prompt


@pytest.fixture
def cache_path(exohop_dirs: dict[str, Path]) -> Path:
    return exohop_dirs["data"] / "token-cache.enc"
