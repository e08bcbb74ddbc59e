"""The console under faults (issue 9 §5 and §8): a declined command is audited, a connection lost
mid-command is told once and marks the tenant ×. Pilot against a fresh simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tui.config import Account, Config, Settings
from tui.console.app import make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.screens.confirm import ConfirmScreen
from tui.sim import Simulator
from tui.tenants import Tenant, TenantDirectory

from .conftest import open_tenant, submit_line, wait_for


def _controller(server: Simulator, tmp_path: Path) -> Controller:
    account = server.accounts[0]
    config = Config(settings=Settings(confirm="always"),
                    accounts=[Account(account.upn, server.url, ca_file=server.ca_file, default=True)])
    tenants = TenantDirectory([Tenant(t.domain, t.name) for t in server.tenants])
    return Controller(config, tenants, password_source=lambda upn: account.password,
                      transcript_dir=tmp_path / "transcripts", history_dir=tmp_path / "history",
                      refresh_in_background=False)


def test_declined_command_gets_a_transcript_line(make_sim, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3)
    ctl = _controller(server, tmp_path)
    domain = server.accounts[0].tenants[0]
    line = "Set-Mailbox -Identity LeeG -CustomAttribute1 x"
    transcript = tmp_path / "transcripts" / f"{domain}.jsonl"

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_tenant(app, pilot, domain)
            await submit_line(app, pilot, domain, line)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("n")
            await wait_for(pilot, transcript.exists)
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: not app.is_running)

    asyncio.run(scenario())
    entries = [json.loads(x) for x in transcript.read_text().splitlines()]
    assert [(e["line"], e["outcome"]) for e in entries] == [(line, "declined")]


def test_connection_lost_mid_command_is_told_once_and_marks_the_tenant(make_sim, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=50)
    ctl = _controller(server, tmp_path)
    domain = server.accounts[0].tenants[0]

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=(140, 40)) as pilot:
            await open_tenant(app, pilot, domain)
            await submit_line(app, pilot, domain, "Get-Mailbox -ResultSize 1")   # fetches the Get-Command detail
            await wait_for(pilot, lambda: domain not in app.ctl.runs and not app.console_for(domain).busy)
            server.faults.drop_after(2)            # the Command is answered, the first Receive is cut
            await submit_line(app, pilot, domain, "Get-Mailbox -ResultSize 5")
            await wait_for(pilot, lambda: domain not in app.ctl.runs and not app.console_for(domain).busy)
            text = "\n".join(app.console_for(domain).scrollback.plain_lines())
            assert text.count("The connection to") == 1, text
            assert ctl.state(domain).status is TenantStatus.ERROR
            server.faults.clear()
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: not app.is_running)

    asyncio.run(scenario())
