"""The interactive flow: msal's loopback redirect with PKCE against the simulator's /authorize. The only
stand-in is the browser itself: a person who opens the URL, types the password and lets the page post
the code back to msal's local listener (response_mode=form_post)."""

from __future__ import annotations

import re
import threading
import webbrowser
from html import unescape
from pathlib import Path

import pytest
import requests

from tui.remoting.auth import SignInError
from tui.remoting.auth import errors as reasons
from tui.sim import SimAccount, Simulator

from .conftest import provider_for

pytestmark = pytest.mark.keyring

_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _person(sim: Simulator, account: SimAccount, password: str, failures: list[str]):
    def use_browser(url: str) -> None:
        try:
            page = requests.get(url, verify=sim.ca_file, timeout=10)
            fields = {k: unescape(v) for k, v in _INPUT.findall(page.text)}
            signed = requests.post(url, data={**fields, "username": account.upn, "password": password},
                                   verify=sim.ca_file, timeout=10)
            if signed.status_code != 200:
                failures.append(f"{signed.status_code}: {signed.text}")
                requests.post(fields["redirect_uri"], data={"error": "access_denied", "state": fields["state"],
                                                            "error_description": "refused"}, timeout=10)
                return
            action = unescape(re.search(r'<form method="post" action="([^"]+)"', signed.text)[1])  # type: ignore[index]
            requests.post(action, data={k: unescape(v) for k, v in _INPUT.findall(signed.text)}, timeout=10)
        except Exception as exc:       # surfaced by the test, not lost in a thread
            failures.append(repr(exc))

    def open_url(url: str, *args: object, **kwargs: object) -> bool:
        threading.Thread(target=use_browser, args=(url,), daemon=True).start()
        return True

    return open_url


def test_browser_sign_in_with_pkce(sim: Simulator, secret_service: object, cache_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    account = sim.accounts[1]
    failures: list[str] = []
    monkeypatch.setattr(webbrowser, "open", _person(sim, account, account.password, failures))
    provider = provider_for(sim, account, cache_path)
    user = provider.sign_in_interactive(timeout=30)
    assert not failures
    assert user.upn == account.upn
    assert provider.token_for(account.tenants[0]).tenant_id == sim.tenant_ids[account.tenants[0]]


def test_browser_sign_in_with_a_wrong_password_ends_as_declined(sim: Simulator, secret_service: object,
                                                                cache_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    account = sim.accounts[1]
    failures: list[str] = []
    monkeypatch.setattr(webbrowser, "open", _person(sim, account, "wrong", failures))
    with pytest.raises(SignInError) as caught:
        provider_for(sim, account, cache_path).sign_in_interactive(timeout=30)
    assert failures and failures[0].startswith("401")
    assert caught.value.reason == reasons.CANCELLED
