"""The console over REST under Pilot: an OAuth account with no sign-in opens the device-code dialog,
which closes by itself once the code is entered; the tenant then runs commands over InvokeCommand.
Real msal, the real simulator (Entra + REST door) over verified HTTPS, the real app."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import requests

from tui.cli.demo import start_demo
from tui.config import Account, Config, Settings
from tui.console.app import make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.screens.sign_in import SignInScreen
from tui.console.startup import demo_setup
from tui.console.widgets.header import TenantHeader
from tui.remoting.auth.account import user_provider_for
from tui.remoting.auth.cache import PersistentTokenCache
from tui.remoting.rest.session import RestSession
from tui.sim import Simulator
from tui.tenants import Tenant, TenantDirectory

from .conftest import quit_app, run_line, wait_for

CONTOSO = "contoso.onmicrosoft.com"


async def pick(app: Any, pilot: Any, domain: str) -> None:
    await pilot.press("ctrl+t", "slash")
    app.sidebar.filter_input.value = domain
    await pilot.pause()
    await pilot.press("enter")


def test_the_demo_signs_in_by_itself_and_runs_over_rest(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("EXOHOP_DATA_DIR", str(tmp_path / "data"))

    async def scenario() -> None:
        setup, started = demo_setup(start_demo)
        app = make_app(setup=setup)
        try:
            async with app.run_test(size=(140, 40)) as pilot:
                await wait_for(pilot, lambda: app.controller is not None and bool(app.ctl.tenants))
                await pick(app, pilot, CONTOSO)
                await wait_for(pilot, lambda: app.ctl.state(CONTOSO).status is TenantStatus.READY)
                session = app.ctl.session(CONTOSO)
                assert isinstance(session, RestSession)
                header = app.query_one(TenantHeader)
                assert header.sign_in == "signed in" and header.transport == "rest"
                await run_line(app, pilot, CONTOSO, "Get-Mailbox -ResultSize 3")
                console = app.console_for(CONTOSO)
                assert len(console._last_records) == 3
                stats = started[0].sim.stats()
                assert stats["rest"]["by_cmdlet"]["Get-Mailbox"] and stats["shells_created"] == 0
                await quit_app(app, pilot)
        finally:
            for demo in started:
                demo.stop()

    asyncio.run(scenario())


def test_an_account_without_a_sign_in_gets_the_dialog_which_closes_once_the_code_is_entered(
        make_sim: Any, secret_service: Any, exohop_dirs: dict[str, Path]) -> None:
    sim: Simulator = make_sim()
    user = sim.accounts[0]
    account = Account(user.upn, sim.url, ca_file=sim.ca_file, default=True, auth="oauth", authority=sim.authority,
                      home_tenant=sim.home_tenant_of(user.upn))
    config = Config(settings=Settings(), accounts=[account])
    tenants = TenantDirectory(path=None)
    tenants.add(Tenant(domain=CONTOSO, name="Contoso Ltd"))
    cache = PersistentTokenCache(exohop_dirs["data"] / "token-cache.enc")
    ctl = Controller(config, tenants, password_source=lambda upn: None,
                     token_source=lambda a: user_provider_for(a, cache=cache))

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=(140, 40)) as pilot:
            await pick(app, pilot, CONTOSO)
            await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and bool(_code(app)))
            header = app.query_one(TenantHeader)
            assert header.sign_in == "not signed in"
            answer = requests.post(f"{sim.authority}/devicelogin", verify=sim.ca_file, timeout=10,
                                   data={"code": _code(app), "username": user.upn, "password": user.password})
            assert answer.status_code == 200
            await wait_for(pilot, lambda: app.ctl.state(CONTOSO).status is TenantStatus.READY)
            assert not isinstance(app.screen, SignInScreen)
            assert header.sign_in == "signed in"
            await run_line(app, pilot, CONTOSO, "Get-AcceptedDomain")
            assert app.console_for(CONTOSO)._last_records
            await quit_app(app, pilot)

    asyncio.run(scenario())


def _code(app: Any) -> str:
    """The user code the dialog shows (what the engineer types in the browser)."""
    screen = app.screen
    prompt = screen.prompt if isinstance(screen, SignInScreen) else None
    return prompt.user_code if prompt is not None else ""
