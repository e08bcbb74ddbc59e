"""The app at 80x24 and 140x40: the sidebar collapses (by itself below 100 columns, and by Ctrl+B),
the header shortens the account instead of dropping it, a result too wide for the console is a list,
and the demo's notice sits in the welcome pane instead of a toast over the console."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tui.cli.demo import start_demo
from tui.config import Account, Config
from tui.console.app import ExohopApp, make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.startup import demo_setup
from tui.console.widgets.header import TenantHeader
from tui.console.widgets.tenant_list import TenantRows
from tui.console.widgets.welcome import Welcome
from tui.tenants import Tenant, TenantDirectory

from .conftest import run_line, screen_lines, wait_for

UPN = "admin@fabrikampartner.onmicrosoft.com"
CONTOSO = "contoso.onmicrosoft.com"
SMALL, LARGE = (80, 24), (140, 40)


def _offline_app() -> ExohopApp:
    config = Config(accounts=[Account(UPN, "https://127.0.0.1:9/powershell-liveid", default=True)])
    tenants = TenantDirectory([Tenant(CONTOSO, "Contoso Ltd"), Tenant("fabrikam.onmicrosoft.com", "Fabrikam Inc")])
    return make_app(Controller(config, tenants, password_source=lambda upn: None))


async def _show_contoso(app: ExohopApp, pilot: Pilot[Any]) -> Any:
    """Contoso's console in front with its focus, marked ready (no server: nothing connects)."""
    tenant = app.tenant(CONTOSO)
    app.ctl.set_status(CONTOSO, TenantStatus.READY)
    app.show_tenant(tenant)
    console = app.console_for(CONTOSO)
    await wait_for(pilot, lambda: console.input.has_focus)
    await pilot.pause()
    return console


def _visible(app: ExohopApp) -> bool:
    return bool(app.sidebar.display) and app.sidebar.region.width > 0


def test_at_80_columns_the_sidebar_collapses_once_a_tenant_is_open_and_returns_when_wider() -> None:
    async def scenario() -> None:
        app = _offline_app()
        async with app.run_test(size=SMALL) as pilot:
            assert _visible(app)   # nothing open yet: the list is what there is to use
            console = await _show_contoso(app, pilot)
            assert not _visible(app)
            assert console.scrollback.render_width == SMALL[0] - 1   # all but the scrollbar's column
            await pilot.resize_terminal(*LARGE)
            await wait_for(pilot, lambda: _visible(app))
            await pilot.resize_terminal(*SMALL)
            await wait_for(pilot, lambda: not _visible(app))

    asyncio.run(scenario())


def test_ctrl_b_toggles_the_sidebar_and_its_choice_outlasts_a_resize() -> None:
    async def scenario() -> None:
        app = _offline_app()
        async with app.run_test(size=LARGE) as pilot:
            await _show_contoso(app, pilot)
            assert _visible(app)
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: not _visible(app))
            await pilot.resize_terminal(160, 40)   # wider still: the choice holds
            await pilot.pause()
            assert not _visible(app)
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: _visible(app))
            await pilot.resize_terminal(*SMALL)   # narrow: shown, as Ctrl+B last said
            await pilot.pause()
            assert _visible(app)

    asyncio.run(scenario())


def test_ctrl_b_on_the_list_moves_the_focus_to_the_console() -> None:
    async def scenario() -> None:
        app = _offline_app()
        async with app.run_test(size=LARGE) as pilot:
            console = await _show_contoso(app, pilot)
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: isinstance(app.focused, TenantRows))
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: console.input.has_focus)
            assert not _visible(app)

    asyncio.run(scenario())


def test_collapsed_ctrl_t_and_slash_show_the_list_until_the_focus_leaves_it() -> None:
    async def scenario() -> None:
        app = _offline_app()
        async with app.run_test(size=SMALL) as pilot:
            console = await _show_contoso(app, pilot)
            assert not _visible(app)
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: _visible(app) and isinstance(app.focused, TenantRows))
            await pilot.press("slash")
            await wait_for(pilot, lambda: app.focused is app.sidebar.filter_input)
            assert _visible(app)
            await pilot.press("ctrl+o")   # back to the console: the list goes away again
            await wait_for(pilot, lambda: console.input.has_focus and not _visible(app))

    asyncio.run(scenario())


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_the_header_keeps_the_account_and_the_tenant(size: tuple[int, int]) -> None:
    async def scenario() -> None:
        app = _offline_app()
        async with app.run_test(size=size) as pilot:
            await _show_contoso(app, pilot)
            header = app.query_one(TenantHeader)
            top = screen_lines(app)[0]
            assert "Contoso Ltd" in top and CONTOSO in top and "sessions 0/3" in top
            if size == LARGE:
                assert UPN in top
            else:   # shortened, never dropped
                assert UPN not in top and f"{CONTOSO}  admin@fabrikam" in top and "…" in top
            assert header.render().cell_len <= size[0]

    asyncio.run(scenario())


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_the_demo_shows_its_notice_in_the_welcome_pane_and_whole_tables(
        size: tuple[int, int], tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("EXOHOP_DATA_DIR", str(tmp_path / "data"))

    async def scenario() -> None:
        setup, started = demo_setup(start_demo)
        app = make_app(setup=setup)
        try:
            async with app.run_test(size=size) as pilot:
                await wait_for(pilot, lambda: app.controller is not None and bool(app.ctl.tenants))
                welcome = app.query_one(Welcome)
                count = len(app.ctl.tenants)
                assert welcome.notice.startswith(f"{count} customer tenants on the built-in Exchange Online")
                await pilot.pause()
                assert not app.screen.query("Toast")   # nothing over the console's bottom rows
                shown = " ".join(" ".join(line.split("│")[-1] for line in screen_lines(app)).split())
                assert f"Demo {count} customer tenants on the built-in Exchange Online simulator" in shown

                await pilot.press("ctrl+t", "slash")
                app.sidebar.filter_input.value = CONTOSO
                await pilot.pause()
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.ctl.state(CONTOSO).status is TenantStatus.READY)
                await run_line(app, pilot, CONTOSO, "Get-AcceptedDomain")
                console = app.console_for(CONTOSO)
                lines = console.scrollback.plain_lines()
                head = next(i for i, line in enumerate(lines) if "DomainName" in line)
                assert lines[head].split() == ["Name", "DomainName", "DomainType", "Default"]
                rows = [line.split() for line in lines[head + 2:head + 5]]
                assert ["contoso.mail.onmicrosoft.com", "contoso.mail.onmicrosoft.com", "Authoritative",
                        "False"] in rows
                assert "…" not in "\n".join(lines)
                assert _visible(app) is (size == LARGE)
                # what the screen shows: the header line whole, not cut at the pane's edge
                assert any(line.rstrip().endswith("Default") for line in screen_lines(app))

                if size == SMALL:   # with the list beside it, the same result is a list of whole values
                    await pilot.press("ctrl+b")
                    await wait_for(pilot, lambda: _visible(app))
                    await run_line(app, pilot, CONTOSO, "Get-AcceptedDomain")
                    after = "".join(line.strip() for line in console.scrollback.plain_lines()[len(lines):])
                    assert "too wide for a table" in after and "…" not in after
                    assert "DomainName : contoso.mail.onmicrosoft.com" in after   # folded, not cut
        finally:
            for demo in started:
                demo.stop()

    asyncio.run(scenario())
