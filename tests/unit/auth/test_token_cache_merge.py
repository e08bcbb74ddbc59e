"""The three-way merge behind the shared token cache, and TLS verification that REQUESTS_CA_BUNDLE cannot
override."""

from __future__ import annotations

import pytest

from tui.remoting.auth.cache import State, _merge3
from tui.remoting.auth.http import PinnedSession


def test_each_side_keeps_its_own_changes() -> None:
    base: State = {"RefreshToken": {"a": {"v": 1}, "b": {"v": 1}}, "Account": {"a": {"u": "a"}}}
    mine: State = {"RefreshToken": {"a": {"v": 2}, "b": {"v": 1}, "c": {"v": 1}}, "Account": {"a": {"u": "a"}}}
    disk: State = {"RefreshToken": {"a": {"v": 1}, "b": {"v": 9}, "d": {"v": 1}}, "Account": {"a": {"u": "a"},
                                                                                       "d": {"u": "d"}}}
    merged = _merge3(base, mine, disk)
    assert merged["RefreshToken"] == {"a": {"v": 2}, "b": {"v": 9}, "c": {"v": 1}, "d": {"v": 1}}
    assert merged["Account"] == {"a": {"u": "a"}, "d": {"u": "d"}}


def test_a_removal_here_is_not_resurrected_and_one_there_is_kept() -> None:
    base: State = {"Account": {"a": {}, "b": {}}}
    mine: State = {"Account": {"b": {}}}             # this process logged a out
    disk: State = {"Account": {"a": {}}}             # another logged b out
    assert _merge3(base, mine, disk) == {"Account": {}}


def test_first_write_into_an_empty_file() -> None:
    assert _merge3({}, {"Account": {"a": {"x": 1}}}, {}) == {"Account": {"a": {"x": 1}}}


def test_the_configured_ca_wins_over_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/somewhere/else.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    pinned = PinnedSession("/my/ca.pem")
    settings = pinned.merge_environment_settings("https://login.example/x", {}, None, None, None)
    assert settings["verify"] == "/my/ca.pem"
    assert settings["proxies"].get("https") == "http://proxy.example:3128", "proxies still come from the env"
    # A plain session shows what is being fixed: the variable beats session.verify.
    plain = __import__("requests").Session()
    plain.verify = "/my/ca.pem"
    assert plain.merge_environment_settings("https://login.example/x", {}, None, None, None)["verify"] == \
        "/somewhere/else.pem"


def test_without_a_ca_the_default_verification_stays_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    settings = PinnedSession(None).merge_environment_settings("https://login.example/x", {}, None, False, None)
    assert settings["verify"] is True
