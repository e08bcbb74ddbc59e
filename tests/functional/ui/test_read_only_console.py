"""Read-only mode in the console under Pilot, against a fresh simulator: the header's READ-ONLY marker, a
Set- line refused with the message (nothing sent, no confirmation asked), -WhatIf still running, and the
palette's "app: Toggle read-only" flipping it for the session."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tui.config import Account, Config, Settings
from tui.console.app import ExohopApp, make_app
from tui.console.controller import Controller
from tui.console.screens.confirm import ConfirmScreen
from tui.console.widgets.header import TenantHeader
from tui.sim import Simulator
from tui.tenants import Tenant, TenantDirectory

from .conftest import open_tenant, quit_app, run_line, submit_line, wait_for


def _controller(server: Simulator, tmp_path: Path, *, read_only_account: bool) -> Controller:
    account = server.accounts[0]
    config = Config(settings=Settings(confirm="always"),
                    accounts=[Account(account.upn, server.url, ca_file=server.ca_file, default=True,
                                      read_only=read_only_account)])
    tenants = TenantDirectory([Tenant(t.domain, t.name) for t in server.tenants])
    return Controller(config, tenants, password_source=lambda upn: account.password,
                      transcript_dir=tmp_path / "transcripts", history_dir=tmp_path / "history",
                      refresh_in_background=False)   # no background import: the request counts stay exact


def _header(app: ExohopApp) -> str:
    return app.query_one(TenantHeader).render().plain


def _scrollback(app: ExohopApp, domain: str) -> str:
    return "\n".join(app.console_for(domain).scrollback.plain_lines())


async def _toggle(app: ExohopApp, pilot: Any) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause(0.1)
    await pilot.press(*"toggle read")
    await pilot.pause(0.3)
    await pilot.press("enter")


def test_a_read_only_account_shows_the_marker_refuses_set_and_the_palette_turns_it_off(
        make_sim: Any, tmp_path: Path) -> None:
    server = make_sim(mailboxes=3)
    ctl = _controller(server, tmp_path, read_only_account=True)
    domain = server.accounts[0].tenants[0]
    lines: list[str] = []

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=(140, 36)) as pilot:
            assert "READ-ONLY" in _header(app)                     # before any tenant is opened
            await open_tenant(app, pilot, domain)
            assert ctl.session(domain).read_only
            await run_line(app, pilot, domain, "Get-Mailbox -ResultSize 1")   # reads run as usual
            alias = app.console_for(domain)._last_records[0]["Alias"]
            line = f"Set-Mailbox -Identity {alias} -CustomAttribute1 x"
            lines.append(line)
            commands = server.stats()["requests"]["Command"]
            await run_line(app, pilot, domain, line)
            assert not isinstance(app.screen, ConfirmScreen)       # refused, not asked
            text = _scrollback(app, domain)
            assert "Read-only: Set-Mailbox changes the tenant" in text and "app: Toggle read-only" in text
            assert "refused (read-only)" in text
            assert server.stats()["requests"]["Command"] == commands

            await run_line(app, pilot, domain, line + " -WhatIf")   # a preview runs
            assert server.stats()["requests"]["Command"] > commands
            assert "What if" in _scrollback(app, domain)

            await _toggle(app, pilot)
            await wait_for(pilot, lambda: "READ-ONLY" not in _header(app))
            assert not ctl.session(domain).read_only               # the open session follows at once
            await submit_line(app, pilot, domain, line)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))   # the usual confirmation
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))

            await _toggle(app, pilot)                              # and on again
            await wait_for(pilot, lambda: "READ-ONLY" in _header(app))
            assert ctl.session(domain).read_only
            await quit_app(app, pilot)

    asyncio.run(scenario())
    transcript = tmp_path / "transcripts" / f"{domain}.jsonl"
    outcomes = [(e["line"], e["outcome"]) for e in map(json.loads, transcript.read_text().splitlines())]
    line = lines[0]
    assert outcomes[1:] == [(line, "refused"), (line + " -WhatIf", "ok"), (line, "declined")]


def test_the_read_only_flag_marks_every_account_until_toggled(tmp_path: Path) -> None:
    config = Config(accounts=[Account("admin@fabrikampartner.onmicrosoft.com", "https://127.0.0.1:9/powershell-liveid",
                                      default=True)])
    ctl = Controller(config, TenantDirectory([Tenant("contoso.onmicrosoft.com", "Contoso Ltd")]),
                     password_source=lambda upn: None)
    ctl.read_only = True                                           # what `exohop --read-only` sets

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=(140, 30)) as pilot:
            assert "READ-ONLY" in _header(app)
            await _toggle(app, pilot)
            await wait_for(pilot, lambda: "READ-ONLY" not in _header(app))
            assert not ctl.read_only_for(ctl.active_account())
            assert "app: Toggle read-only" in [e.title for e in app.palette_entries()]

    asyncio.run(scenario())
