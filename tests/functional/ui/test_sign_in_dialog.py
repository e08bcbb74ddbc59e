"""The OAuth sign-in dialog with the real device-code flow: a real TokenProvider (msal) against the
simulator's Entra ID over verified TLS, approved through /devicelogin as a person in a browser would.

The dialog is pushed by a minimal App that records what it is dismissed with. What the engineer sees
is read from the composited screen (``export_screenshot``'s SVG, turned back into lines of text).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import threading
import time
import webbrowser
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import requests
from textual.app import App
from textual.pilot import Pilot

from tui.console.screens.sign_in import (
    ASKING,
    FAILED,
    NO_BROWSER_TEXT,
    PROMPT,
    UNEXPECTED_TEXT,
    SignInScreen,
)
from tui.remoting.auth import PersistentTokenCache, SignInError, SignInSettings, TokenProvider
from tui.remoting.auth import errors as reasons
from tui.remoting.auth.provider import DeviceCodePrompt, SignedInUser
from tui.remoting.auth.provider import clock as remaining_text
from tui.sim import SimAccount, Simulator

from .conftest import screen_lines, wait_for

pytestmark = pytest.mark.keyring

LABEL = "Contoso Ltd (contoso.onmicrosoft.com)"


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


# -- the real flow -----------------------------------------------------------------------------------------


@pytest.fixture
def cache_path(secret_service: object, exohop_dirs: dict[str, Path]) -> Path:
    return exohop_dirs["data"] / "token-cache.enc"


def provider_for(sim: Simulator, account: SimAccount, cache_path: Path, **settings: Any) -> TokenProvider:
    base: dict[str, Any] = {"upn": account.upn, "home_tenant": sim.home_tenant_of(account.upn),
                            "authority_host": sim.authority, "ca_file": sim.ca_file}
    base.update(settings)
    return TokenProvider(SignInSettings(**base), cache=PersistentTokenCache(cache_path))


def approve(sim: Simulator, user_code: str, upn: str, password: str) -> requests.Response:
    """What the person does in the browser: post the code and their credentials to /devicelogin."""
    return requests.post(f"{sim.authority}/devicelogin",
                         data={"code": user_code, "username": upn, "password": password},
                         verify=sim.ca_file, timeout=10)


class Flow:
    """``provider.sign_in_with_device_code`` as the app passes it, recording what happened."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider
        self.prompts: list[DeviceCodePrompt] = []
        self.cancels: list[threading.Event] = []
        self.outcomes: list[SignedInUser | BaseException] = []
        self.ended = threading.Event()

    def __call__(self, on_prompt: Callable[[DeviceCodePrompt], None], cancel: threading.Event) -> SignedInUser:
        self.cancels.append(cancel)
        self.ended.clear()

        def prompted(prompt: DeviceCodePrompt) -> None:
            self.prompts.append(prompt)
            on_prompt(prompt)

        try:
            user = self.provider.sign_in_with_device_code(prompted, cancel=cancel)
        except BaseException as exc:
            self.outcomes.append(exc)
            raise
        finally:
            self.ended.set()
        self.outcomes.append(user)
        return user


class Host(App[None]):
    """Pushes the dialog and records what it was dismissed with."""

    def __init__(self, make: Callable[[], SignInScreen]) -> None:
        super().__init__()
        self.make = make
        self.results: list[SignedInUser | None] = []
        self.dialog: SignInScreen | None = None

    def on_mount(self) -> None:
        self.dialog = self.make()
        self.push_screen(self.dialog, callback=self.results.append)


def host(start: Callable[..., SignedInUser], upn: str, reason: str = "") -> Host:
    return Host(lambda: SignInScreen(start, upn=upn, label=LABEL, reason=reason))


def dialog(app: Host) -> SignInScreen:
    assert app.dialog is not None
    return app.dialog


# -- what is on the screen -----------------------------------------------------------------------------------

def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


def words(app: App[Any]) -> str:
    """The screen's text without borders (box drawing, blocks) and line breaks (to find a wrapped sentence)."""
    inside = [re.sub(r"^[\s\u2500-\u259f]*|[\s\u2500-\u259f]*$", "", line) for line in screen_lines(app)]
    return " ".join(" ".join(inside).split())


async def prompted(pilot: Pilot[Any], app: Host, count: int = 1) -> DeviceCodePrompt:
    """Wait until the dialog shows its ``count``-th code; that prompt."""
    screen = dialog(app)
    await wait_for(pilot, lambda: screen.phase == PROMPT and screen.attempt == count and screen.prompt is not None,
                   timeout=20)
    await pilot.pause()
    assert screen.prompt is not None
    return screen.prompt


# -- the tests -------------------------------------------------------------------------------------------------


@sync
async def test_the_dialog_shows_msal_s_code_and_closes_by_itself_once_it_is_entered(
        sim: Simulator, cache_path: Path) -> None:
    account = sim.accounts[0]
    flow = Flow(provider_for(sim, account, cache_path))
    app = host(flow, account.upn, reason=f"The sign-in of {account.upn} expired.")
    async with app.run_test(size=(140, 40)) as pilot:
        prompt = await prompted(pilot, app)
        assert flow.prompts == [prompt]                           # exactly what msal got from the service
        assert prompt.verification_uri == f"{sim.authority}/devicelogin"
        text = screen_text(app)
        assert f"Sign in as {account.upn}" in text and f"to open {LABEL}" in text
        assert f"The sign-in of {account.upn} expired." in text
        assert prompt.user_code in text and prompt.verification_uri in text
        assert "The code expires in 14:5" in text                   # the simulator's codes last 900 s
        assert "to authenticate" in words(app)                      # msal's own message
        footer = screen_lines(app)[-1]
        assert "Cancel" in footer and "Copy code" in footer and "Open URL" in footer
        assert "Try again" not in footer

        response = await asyncio.to_thread(approve, sim, prompt.user_code, account.upn, account.password)
        assert response.status_code == 200
        await wait_for(pilot, lambda: bool(app.results), timeout=20)
        assert not isinstance(app.screen, SignInScreen)
    [user] = app.results
    assert isinstance(user, SignedInUser) and user.upn == account.upn
    assert user.home_tenant_id == sim.tenant_ids[sim.home_tenant_of(account.upn)]
    assert flow.outcomes == [user]


@sync
async def test_escape_while_waiting_cancels_the_flow_and_closes_at_once(
        sim: Simulator, cache_path: Path) -> None:
    account = sim.accounts[1]
    flow = Flow(provider_for(sim, account, cache_path))
    app = host(flow, account.upn)
    async with app.run_test(size=(100, 30)) as pilot:
        await prompted(pilot, app)
        await pilot.press("escape")
        assert app.results == [None]                                # at once, before the flow has ended
        assert not isinstance(app.screen, SignInScreen)
        assert flow.cancels[0].is_set()
        started = time.monotonic()
        assert await asyncio.to_thread(flow.ended.wait, 3.0), "the flow did not stop within 3 s"
        assert time.monotonic() - started < 3.0
        await pilot.pause(0.2)                                      # the flow's late outcome is dropped
        assert app.results == [None] and app.is_running
    [outcome] = flow.outcomes
    assert isinstance(outcome, SignInError) and outcome.reason == reasons.CANCELLED


@sync
async def test_c_copies_the_code_and_o_opens_the_url(sim: Simulator, cache_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    class Graphical(webbrowser.BackgroundBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            opened.append(url)
            return True

    class Console(webbrowser.GenericBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            raise AssertionError("a text-mode browser must never take over the app's terminal")

    account = sim.accounts[0]
    flow = Flow(provider_for(sim, account, cache_path))
    app = host(flow, account.upn)
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = await prompted(pilot, app)
        await pilot.press("c")
        assert app.clipboard == prompt.user_code
        await wait_for(pilot, lambda: "Copied the code to the clipboard." in screen_text(app), timeout=5)

        monkeypatch.setattr(webbrowser, "get", lambda using=None: Graphical("xdg-open"))
        await pilot.press("o")
        await wait_for(pilot, lambda: "Opened the URL in the browser." in screen_text(app), timeout=5)
        assert opened == [prompt.verification_uri]

        monkeypatch.setattr(webbrowser, "get", lambda using=None: Console("lynx"))
        await pilot.press("o")
        await wait_for(pilot, lambda: NO_BROWSER_TEXT in screen_text(app), timeout=5)

        def no_browser(using: str | None = None) -> webbrowser.BaseBrowser:
            raise webbrowser.Error("could not locate runnable browser")

        monkeypatch.setattr(webbrowser, "get", no_browser)
        await pilot.press("o")
        await wait_for(pilot, lambda: "Opening the browser" not in screen_text(app), timeout=5)
        assert NO_BROWSER_TEXT in screen_text(app)
        assert isinstance(app.screen, SignInScreen) and app.results == []
        await pilot.press("escape")
    assert app.results == [None]


@sync
async def test_a_refused_sign_in_is_shown_and_r_starts_a_new_code(sim: Simulator, cache_path: Path) -> None:
    expected, other = sim.accounts[0], sim.accounts[1]
    # At /organizations anyone may sign in; the provider refuses a token for anyone but the expected upn.
    flow = Flow(provider_for(sim, expected, cache_path, home_tenant="organizations"))
    app = host(flow, expected.upn)
    async with app.run_test(size=(100, 30)) as pilot:
        first = await prompted(pilot, app)
        assert (await asyncio.to_thread(approve, sim, first.user_code, other.upn, other.password)).status_code == 200
        screen = dialog(app)
        await wait_for(pilot, lambda: screen.phase == FAILED, timeout=20)
        await pilot.pause()
        [error] = flow.outcomes
        assert isinstance(error, SignInError) and error.reason == reasons.WRONG_USER
        shown = words(app)
        assert " ".join(error.message.split()) in shown
        assert other.upn in shown
        assert "Traceback" not in shown and "SignInError" not in shown and "Error:" not in shown
        assert first.user_code not in shown                         # the used code is gone
        footer = screen_lines(app)[-1]
        assert "Try again" in footer and "Copy code" not in footer
        await pilot.press("c")                                       # nothing to copy now
        assert app.clipboard != first.user_code

        await pilot.press("r")
        second = await prompted(pilot, app, count=2)
        assert second.user_code != first.user_code and second.user_code in screen_text(app)
        assert error.message.split(".")[0] not in words(app)         # the old error is gone
        assert (await asyncio.to_thread(approve, sim, second.user_code, expected.upn,
                                        expected.password)).status_code == 200
        await wait_for(pilot, lambda: bool(app.results), timeout=20)
    [user] = app.results
    assert isinstance(user, SignedInUser) and user.upn == expected.upn
    assert [c.is_set() for c in flow.cancels] == [False, True]      # the first attempt was not cancelled


@sync
async def test_the_countdown_runs_out_the_code_expires_and_enter_asks_again(
        make_sim: Callable[..., Simulator], cache_path: Path) -> None:
    server = make_sim(mailboxes=5, device_code_lifetime=4)
    account = server.accounts[0]
    flow = Flow(provider_for(server, account, cache_path))
    app = host(flow, account.upn)
    async with app.run_test(size=(100, 30)) as pilot:
        first = await prompted(pilot, app)
        assert re.search(r"The code expires in 0:0[1-4]\.", screen_text(app))
        await wait_for(pilot, lambda: dialog(app).phase == FAILED, timeout=20)
        await pilot.pause()
        [error] = flow.outcomes
        assert isinstance(error, SignInError) and error.reason == reasons.EXPIRED
        assert " ".join(error.message.split()) in words(app)
        assert first.user_code not in screen_text(app)
        await pilot.press("enter")
        second = await prompted(pilot, app, count=2)
        assert second.user_code != first.user_code
        await pilot.press("escape")
    assert app.results == [None]


@sync
async def test_at_80x24_the_code_url_and_keys_are_whole(sim: Simulator, cache_path: Path) -> None:
    account = sim.accounts[0]
    flow = Flow(provider_for(sim, account, cache_path))
    reason = (f"The sign-in of {account.upn} expired (the refresh token is older than the tenant's sign-in "
              "frequency), so exohop needs a new one.")
    app = host(flow, account.upn, reason=reason)
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = await prompted(pilot, app)
        lines = screen_lines(app)
        Path("/tmp/exohop-sign-in-80x24.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        app.save_screenshot("exohop-sign-in-80x24.svg", path="/tmp")
        screen = dialog(app)
        box = screen.query_one("VerticalScroll")
        assert box.max_scroll_y == 0, "the dialog does not fit in 80x24"
        for selector, value in (("#sign-in-code", prompt.user_code), ("#sign-in-url", prompt.verification_uri)):
            widget = screen.query_one(selector)
            assert screen.region.contains_region(widget.region) and box.region.contains_region(widget.region)
            assert value in str(widget.render())
        # whole on one line of the composited screen: not clipped, not folded
        assert any(prompt.user_code in line for line in lines)
        assert any(prompt.verification_uri in line for line in lines)
        shown = words(app)
        assert f"Sign in as {account.upn}" in shown and " ".join(reason.split()) in shown
        assert "The code expires in" in shown and "to authenticate" in shown
        assert "c copy the code" in shown and "o open the URL" in shown and "Esc cancel" in shown
        assert "Copy code" in lines[-1] and "Open URL" in lines[-1]
        await pilot.press("c")                                       # one more line: it still fits
        await pilot.pause()
        assert box.max_scroll_y == 0 and "Copied the code to the clipboard." in screen_text(app)
        assert any(prompt.user_code in line for line in screen_lines(app))
        await pilot.press("escape")
    assert app.results == [None]


@sync
async def test_an_unexpected_failure_is_logged_and_shown_as_one_sentence(
        caplog: pytest.LogCaptureFixture) -> None:
    # Not the real flow: a TokenProvider maps every failure to SignInError, so this one is injected.
    attempts: list[threading.Event] = []

    def broken(on_prompt: Callable[[DeviceCodePrompt], None], cancel: threading.Event) -> SignedInUser:
        attempts.append(cancel)
        raise RuntimeError("internal detail 0xdeadbeef")

    app = host(broken, "admin@fabrikampartner.onmicrosoft.com")
    with caplog.at_level(logging.ERROR, logger="tui.console.screens.sign_in"):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: dialog(app).phase == FAILED, timeout=10)
            await pilot.pause()
            text = screen_text(app)
            assert UNEXPECTED_TEXT in words(app)
            assert "0xdeadbeef" not in text and "RuntimeError" not in text and "Traceback" not in text
            await pilot.press("r")
            await wait_for(pilot, lambda: len(attempts) == 2 and dialog(app).phase == FAILED, timeout=10)
            await pilot.press("escape")
    assert app.results == [None]
    [first, *_] = [r for r in caplog.records if r.name == "tui.console.screens.sign_in"]
    assert first.exc_info is not None and "0xdeadbeef" in str(first.exc_info[1])


@sync
async def test_asking_first_and_a_result_that_arrives_after_escape_is_ignored() -> None:
    # Not the real flow: one that ignores its cancel Event and succeeds late, to show it changes nothing.
    asked, release, done = threading.Event(), threading.Event(), threading.Event()
    user = SignedInUser("admin@fabrikampartner.onmicrosoft.com", "tid", "oid")

    def stubborn(on_prompt: Callable[[DeviceCodePrompt], None], cancel: threading.Event) -> SignedInUser:
        asked.wait(10)
        on_prompt(DeviceCodePrompt("To sign in, enter the code.", "ABCDEFGHJ", "https://example.test/device",
                                   time.time() + 900))
        release.wait(10)
        done.set()
        return user

    app = host(stubborn, user.upn)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "Asking Entra ID for a sign-in code…" in screen_text(app), timeout=10)
        assert dialog(app).phase == ASKING and "Esc cancel" in words(app)
        asked.set()
        await wait_for(pilot, lambda: dialog(app).phase == PROMPT, timeout=10)
        await pilot.press("escape")
        release.set()
        assert await asyncio.to_thread(done.wait, 5)
        await pilot.pause(0.2)
        assert app.results == [None]


def test_remaining_text() -> None:
    assert remaining_text(899.6) == "14:59"
    assert remaining_text(3725) == "1:02:05"
    assert remaining_text(-3) == "0:00"
