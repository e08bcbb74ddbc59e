"""The whole app against the simulator under Textual's Pilot: real pypsrp sessions over HTTPS.

Every test closes what it opened (the session-wide simulator allows 3 shells per account).
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tui.config import Account, Config, Settings
from tui.console import messages as m
from tui.console.app import ExohopApp, make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.screens.confirm import ConfirmScreen
from tui.console.screens.login import LoginScreen
from tui.console.widgets.header import TenantHeader
from tui.remoting.importer import CatalogCache
from tui.sim import Simulator
from tui.tenants import Tenant, TenantDirectory

from .conftest import open_tenant, quit_app, run_line, wait_for


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One catalog cache for the module: only the first open of a tenant imports its commands."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def setup(sim: Simulator, cache_dir: Path, tmp_path: Path) -> Iterator[Callable[..., Controller]]:
    made: list[Controller] = []

    def build(*, confirm: str = "always", password: bool = True, cache: Path | None = cache_dir,
              server: Simulator = sim, store: Callable[[str, str], None] | None = None) -> Controller:
        account = server.accounts[0]
        if cache is not None:
            share_catalog(server, cache, source=sim)
        config = Config(settings=Settings(confirm=confirm),
                        accounts=[Account(account.upn, server.url, ca_file=server.ca_file, default=True)])
        tenants = TenantDirectory([Tenant(t.domain, t.name, tags=tuple(t.tags)) for t in server.tenants])
        ctl = Controller(config, tenants, password_source=lambda upn: account.password if password else None,
                         password_store=store,
                         cache_dir=cache, history_dir=tmp_path / "history",
                         refresh_in_background=False)  # the UI is under test here, not the cache refresh
        made.append(ctl)
        return ctl

    yield build
    for ctl in made:  # whatever a failing test left open
        ctl.close_all(5.0)


def share_catalog(sim: Simulator, cache: Path, source: Simulator | None = None) -> None:
    """Every simulated tenant serves the same commands: once one tenant's catalog is cached (by the
    first test's real import), cache it for the others too, so that opening them costs no import."""
    origin = source or sim
    store = CatalogCache(cache)
    first = store.load(origin.url, origin.accounts[0].upn, origin.accounts[0].tenants[0])
    if first is None:
        return
    account = sim.accounts[0]
    for domain in account.tenants:
        if store.load(sim.url, account.upn, domain) is None:
            store.save(sim.url, account.upn, domain, first)


@pytest.fixture(scope="module")
def big_sim() -> Iterator[Simulator]:
    """4,000 mailboxes per tenant: `Get-Mailbox -ResultSize Unlimited` streams for several seconds."""
    with Simulator(mailboxes=4000) as server:
        yield server


def delegated(sim: Simulator, n: int) -> list[str]:
    return list(sim.accounts[0].tenants[:n])


def scrollback(app: ExohopApp, domain: str) -> str:
    return "\n".join(app.console_for(domain).scrollback.plain_lines())


@sync
async def test_open_a_tenant_progress_reaches_its_total(setup: Callable[..., Controller], sim: Simulator,
                                                        cache_dir: Path) -> None:
    # First test of the module: the cache is still empty, so this is a real import (and it fills
    # the cache the other tests then open from).
    assert not any(cache_dir.rglob("*.json"))
    ctl = setup()
    seen: list[m.ImportProgressed] = []
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    async with app.run_test(size=(120, 36), message_hook=lambda msg: isinstance(msg, m.ImportProgressed)
                            and seen.append(msg)) as pilot:
        await open_tenant(app, pilot, domain)
        assert seen, "no import progress was reported"
        last = seen[-1]
        assert last.total > 0 and last.done == last.total
        console = app.console_for(domain)
        assert console.import_progress_text == ""  # hidden once ready
        assert len(console.input.catalog) > 0.9 * last.total  # the completer has the imported commands
        header = app.query_one(TenantHeader).render().plain
        assert domain in header and "sessions 1/3" in header
        await quit_app(app, pilot)
    assert sum(sim.stats()["open_shells"].values()) == 0


@sync
async def test_run_a_command_and_see_a_table(setup: Callable[..., Controller], sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    async with app.run_test(size=(140, 40)) as pilot:
        await open_tenant(app, pilot, domain)
        await run_line(app, pilot, domain, "Get-AcceptedDomain")
        text = scrollback(app, domain)
        assert "Get-AcceptedDomain" in text
        assert domain in text  # a row of the table: the initial domain is an accepted domain
        assert "DomainName" in text or "Name" in text  # the header row
        await quit_app(app, pilot)


@sync
async def test_switching_tenants_keeps_scrollback_and_costs_no_round_trip(
        setup: Callable[..., Controller], sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    first, second = delegated(sim, 2)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, first)
        await run_line(app, pilot, first, "Get-AcceptedDomain")
        before_text = scrollback(app, first)
        console = app.console_for(first)
        await open_tenant(app, pilot, second)
        assert app.active == second
        await pilot.pause(0.2)
        before = sim.stats()["requests"]
        await open_tenant(app, pilot, first)  # back: instant
        await pilot.pause(0.3)
        after = sim.stats()["requests"]
        assert app.active == first and app.console_for(first) is console
        assert scrollback(app, first) == before_text
        assert after == before, f"switching back made requests: {before} -> {after}"
        assert "Get-AcceptedDomain" in console.history
        # the history is persisted per tenant, for the next start
        await wait_for(pilot, lambda: "Get-AcceptedDomain" in ctl.load_history(first))
        assert ctl.load_history(second) == []
        await quit_app(app, pilot)
    assert sum(sim.stats()["open_shells"].values()) == 0


@sync
async def test_set_asks_for_confirmation_naming_the_tenant(setup: Callable[..., Controller],
                                                           sim: Simulator) -> None:
    ctl = setup(confirm="always")
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    name = next(t.name for t in sim.tenants if t.domain == domain)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, domain)
        console = app.console_for(domain)
        commands = sim.stats()["requests"]["Command"]
        console.input.value = "Set-Mailbox -Identity nobody -CustomAttribute1 x"
        console.input.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.query_one("#confirm-body").render())
        assert name in body and domain in body
        await pilot.press("n")  # cancel: nothing is sent
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        assert sim.stats()["requests"]["Command"] == commands
        # -WhatIf never asks
        await run_line(app, pilot, domain, "Set-Mailbox -Identity nobody -CustomAttribute1 x -WhatIf")
        assert not isinstance(app.screen, ConfirmScreen)
        assert sim.stats()["requests"]["Command"] > commands
        await quit_app(app, pilot)


@sync
async def test_fourth_tenant_evicts_the_least_recently_used(setup: Callable[..., Controller],
                                                            sim: Simulator) -> None:
    ctl = setup()
    notices: list[str] = []
    app = make_app(ctl)
    tenants = delegated(sim, 4)
    upn = sim.accounts[0].upn
    async with app.run_test(size=(120, 36)) as pilot:
        for domain in tenants:
            await open_tenant(app, pilot, domain)
        await pilot.pause(0.3)
        notices = [n.message for n in app._notifications]
        assert any(tenants[0] in text and "Closed the idle session" in text for text in notices), notices
        assert ctl.state(tenants[0]).status is TenantStatus.IDLE
        assert sim.stats()["open_shells"].get(upn, 0) == 3
        assert "sessions 3/3" in app.query_one(TenantHeader).render().plain
        started = time.monotonic()
        await quit_app(app, pilot)
        assert time.monotonic() - started < 10.0  # a hang guard: the ~2 s quit is measured in bench_ui
    assert sum(sim.stats()["open_shells"].values()) == 0


@sync
async def test_login_dialog_when_the_keyring_has_no_password(setup: Callable[..., Controller],
                                                            sim: Simulator) -> None:
    stored: list[tuple[str, str]] = []  # what "Remember in keyring" hands to the store (tui.accounts.set_password)
    ctl = setup(password=False, store=lambda upn, pw: stored.append((upn, pw)))
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash")
        app.sidebar.filter_input.value = domain
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        app.screen.query_one("#login-password", Input).value = "wrong-password"
        await pilot.press("enter")
        # refused (401): asked again, saying why
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and bool(app.screen.reason))
        assert "refused" in app.screen.reason
        assert "wrong-password" not in app.screen.reason
        app.screen.query_one("#login-password", Input).value = sim.accounts[0].password
        await pilot.press("enter")
        await wait_for(pilot, lambda: ctl.state(domain).status is TenantStatus.READY)
        # "Remember" was ticked both times (the default): only the accepted password is stored
        await wait_for(pilot, lambda: len(stored) == 1)
        assert stored == [(sim.accounts[0].upn, sim.accounts[0].password)]
        await quit_app(app, pilot)


@sync
async def test_access_denied_marks_the_tenant_with_the_remedy(setup: Callable[..., Controller],
                                                              sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    mine = set(sim.accounts[0].tenants)
    foreign = next(t.domain for t in sim.tenants if t.domain not in mine)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash")
        app.sidebar.filter_input.value = foreign
        await pilot.press("enter")
        await wait_for(pilot, lambda: ctl.state(foreign).status is TenantStatus.ERROR)
        message = ctl.state(foreign).message
        assert "Access is denied" in message
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.pause(0.1)
        assert "Access is denied" in str(app.query_one("#tenant-detail").render())
        await quit_app(app, pilot)


@sync
async def test_ctrl_c_stops_a_long_command_and_the_session_stays_usable(
        setup: Callable[..., Controller], big_sim: Simulator) -> None:
    ctl = setup(server=big_sim)
    app = make_app(ctl)
    domain = delegated(big_sim, 1)[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, domain)
        console = app.console_for(domain)
        console.input.value = "Get-Mailbox -ResultSize Unlimited"
        console.input.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(console.last_result) > 0)
        assert ctl.state(domain).status is TenantStatus.BUSY
        started = time.monotonic()
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not console.busy and domain not in ctl.runs)
        assert time.monotonic() - started < 10.0  # a hang guard: the ~2 s quit is measured in bench_ui
        assert len(console.last_result) < 4000
        assert "stopped" in scrollback(app, domain).lower()
        assert ctl.state(domain).status is TenantStatus.READY
        assert big_sim.stats()["requests"]["Signal"] >= 1
        await run_line(app, pilot, domain, "Get-Mailbox -ResultSize 2")  # still usable
        assert len(console.last_result) == 2
        await quit_app(app, pilot)
    assert sum(big_sim.stats()["open_shells"].values()) == 0


@sync
async def test_quit_while_a_command_runs_confirms_then_closes_every_shell(
        setup: Callable[..., Controller], big_sim: Simulator) -> None:
    ctl = setup(server=big_sim)
    app = make_app(ctl)
    first, second = delegated(big_sim, 2)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, second)
        await open_tenant(app, pilot, first)
        console = app.console_for(first)
        console.input.value = "Get-Mailbox -ResultSize Unlimited"
        console.input.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(console.last_result) > 0)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "running" in str(app.screen.query_one("#confirm-body").render())
        started = time.monotonic()
        await pilot.press("y")
        await pilot.pause(0.05)
        assert "Disconnecting 2 sessions" in app.query_one(TenantHeader).render().plain
        await wait_for(pilot, lambda: not app.is_running, timeout=5)
        assert time.monotonic() - started < 10.0  # a hang guard: the ~2 s quit is measured in bench_ui
    assert sum(big_sim.stats()["open_shells"].values()) == 0
    assert big_sim.stats()["pipelines_running"] == 0


@sync
async def test_palette_disconnects_the_active_tenant(setup: Callable[..., Controller], sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    upn = sim.accounts[0].upn
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, domain)
        assert sim.stats()["open_shells"].get(upn, 0) == 1
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        await pilot.press(*"disconnect")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: ctl.state(domain).status is TenantStatus.IDLE)
        assert sim.stats()["open_shells"].get(upn, 0) == 0
        await quit_app(app, pilot)


@sync
async def test_sigterm_closes_every_session_and_exits(setup: Callable[..., Controller], sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl, handle_signals=True)
    first, second = delegated(sim, 2)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, first)
        await open_tenant(app, pilot, second)
        assert sum(sim.stats()["open_shells"].values()) == 2
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(pilot, lambda: not app.is_running, timeout=5)
    assert sum(sim.stats()["open_shells"].values()) == 0


@sync
async def test_completion_dropdown_from_the_imported_catalog(setup: Callable[..., Controller],
                                                            sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tenant(app, pilot, domain)
        box = app.console_for(domain).input
        box.focus()
        requests = sim.stats()["requests"]

        async def dropdown(text: str) -> list[str]:
            """What Ctrl+Space offers: the dropdown's entries, or the one candidate it completed in place."""
            box.menu.hide()
            box.value = text
            box.cursor_position = len(text)
            await pilot.press("ctrl+space")
            await pilot.pause(0.05)
            if box.menu.is_open:
                return [c.text for c in box.menu.candidates]
            return [box.value.rsplit(" ", 1)[-1]] if box.value != text else []

        cmdlets = await dropdown("Get-Mailbo")  # cmdlet names
        assert "Get-Mailbox" in cmdlets and "Get-MailboxPermission" in cmdlets
        assert cmdlets[0].lower().startswith("get-mailbo")  # prefix matches rank first
        params = await dropdown("Get-Mailbox -Res")  # parameters of that cmdlet
        assert any(p.lower().startswith("-resultsize") for p in params)
        setters = await dropdown("Set-Mailbox -Identity x -")  # Set-Mailbox's own parameters
        assert "-ProhibitSendQuota" in setters and "-ResultSize" not in setters
        # completion never waits on the network
        assert sim.stats()["requests"] == requests
        await pilot.press("escape")
        await quit_app(app, pilot)


@sync
async def test_quit_while_a_tenant_is_still_connecting_leaves_no_shell(
        setup: Callable[..., Controller], sim: Simulator) -> None:
    ctl = setup()
    app = make_app(ctl)
    domain = delegated(sim, 1)[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash")
        app.sidebar.filter_input.value = domain
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: ctl.opening > 0 or ctl.session(domain) is not None)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, timeout=5)
    assert sum(sim.stats()["open_shells"].values()) == 0


@sync
async def test_selecting_another_tenant_while_one_connects(setup: Callable[..., Controller],
                                                         sim: Simulator) -> None:
    sim.faults.latency_ms = 150  # every answer is slow: the first connect takes a while
    try:
        ctl = setup()
        app = make_app(ctl)
        first, second = delegated(sim, 2)
        async with app.run_test(size=(120, 36)) as pilot:
            # Pick one, then the other at once (as the sidebar does on Enter; the Pilot's key presses
            # wait for the app to be idle, which a connect in progress never is).
            app.post_message(m.TenantSelected(ctl.directory.get(first)))
            app.post_message(m.TenantSelected(ctl.directory.get(second)))
            await pilot.pause(0.05)
            # the second tenant is in front while the first one is still connecting
            assert app.active == second
            assert ctl.state(first).status in (TenantStatus.CONNECTING, TenantStatus.IMPORTING)
            await wait_for(pilot, lambda: all(ctl.state(d).status is TenantStatus.READY for d in (first, second)))
            assert app.query_one(TenantHeader).tenant.domain == second
            await quit_app(app, pilot)
    finally:
        sim.faults.latency_ms = 0
    assert sum(sim.stats()["open_shells"].values()) == 0
