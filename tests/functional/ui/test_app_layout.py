"""The app without a server: sidebar filter and order, header, help, palette, login dialog."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tui.config import Account, Config
from tui.console.app import make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.screens.help import HelpScreen
from tui.console.screens.login import LoginScreen
from tui.console.widgets.header import TenantHeader
from tui.console.widgets.tenant_list import TenantRows, accent_color
from tui.tenants import Tenant, TenantDirectory

UPN = "admin@fabrikampartner.onmicrosoft.com"


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def _controller(extra: int = 0, history_dir: Path | None = None) -> Controller:
    config = Config(accounts=[Account(UPN, "https://127.0.0.1:9/powershell-liveid", default=True)])
    tenants = TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso Ltd", tags=("retail", "eu")),
        Tenant("fabrikam.onmicrosoft.com", "Fabrikam Inc", favorite=True),
        Tenant("northwind.onmicrosoft.com", "Northwind Traders", tags=("us",)),
        Tenant("adatum.onmicrosoft.com", "Adatum Corporation", tags=("finance",)),
        *(Tenant(f"cust{i:05d}.onmicrosoft.com", f"Customer {i:05d}") for i in range(extra)),
    ])
    return Controller(config, tenants, password_source=lambda upn: None, history_dir=history_dir)


@sync
async def test_slash_focuses_the_filter_and_typing_ranks_matches() -> None:
    app = make_app(_controller())
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "tenant-filter"
        await pilot.press(*"north")
        assert app.sidebar.shown[0].domain == "northwind.onmicrosoft.com"
        assert app.query_one(TenantRows).current.domain == "northwind.onmicrosoft.com"
        # tags match too
        app.sidebar.filter_input.value = ""
        await pilot.press(*"finance")
        assert [t.domain for t in app.sidebar.shown] == ["adatum.onmicrosoft.com"]
        # nothing matches: the detail line says so
        await pilot.press(*"zzz")
        assert app.sidebar.shown == []


@sync
async def test_favorites_first_then_recently_used_then_by_name() -> None:
    ctl = _controller()
    app = make_app(ctl)
    async with app.run_test(size=(110, 30)) as pilot:
        order = [t.domain for t in app.sidebar.shown]
        assert order == ["fabrikam.onmicrosoft.com", "adatum.onmicrosoft.com", "contoso.onmicrosoft.com",
                         "northwind.onmicrosoft.com"]
        ctl.touch("northwind.onmicrosoft.com")
        app.refresh_marks()
        await pilot.pause()
        assert [t.domain for t in app.sidebar.shown][:2] == ["fabrikam.onmicrosoft.com",
                                                               "northwind.onmicrosoft.com"]


@sync
async def test_filter_finds_one_tenant_among_five_thousand() -> None:
    # The filter's speed over thousands of tenants is measured in tests/bench/bench_ui.py, not here.
    app = make_app(_controller(extra=5000))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("slash")
        for ch in "cust00042":
            await pilot.press(ch)
        await pilot.pause()
        assert app.sidebar.shown[0].domain == "cust00042.onmicrosoft.com"


@sync
async def test_selecting_a_tenant_shows_it_in_the_header_and_asks_for_the_password() -> None:
    ctl = _controller()
    app = make_app(ctl)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("slash", *"contoso", "enter")
        await pilot.pause()
        header = app.query_one(TenantHeader)
        assert header.tenant.domain == "contoso.onmicrosoft.com"
        rendered = header.render()
        assert "Contoso Ltd" in rendered.plain and "contoso.onmicrosoft.com" in rendered.plain
        assert any(accent_color("contoso.onmicrosoft.com") in str(span.style) for span in rendered.spans)
        assert "sessions 0/3" in rendered.plain and UPN in rendered.plain
        # the keyring had nothing: the login dialog asks, masked
        await pilot.pause(0.2)
        assert isinstance(app.screen, LoginScreen)
        password = app.screen.query_one("#login-password", Input)
        assert password.password is True
        await pilot.press("escape")
        assert not isinstance(app.screen, LoginScreen)
        assert ctl.state("contoso.onmicrosoft.com").status is TenantStatus.IDLE


@sync
async def test_error_mark_shows_its_message_on_selection() -> None:
    ctl = _controller()
    app = make_app(ctl)
    async with app.run_test(size=(110, 30)) as pilot:
        ctl.set_status("adatum.onmicrosoft.com", TenantStatus.ERROR, "Access is denied to adatum")
        app.refresh_marks()
        await pilot.press("slash", *"adatum")
        await pilot.pause()
        detail = app.query_one("#tenant-detail")
        assert "Access is denied to adatum" in str(detail.render())
        assert str(app.query_one(TenantRows).tooltip) == "Access is denied to adatum"   # a Text: never markup


@sync
async def test_help_screen_and_palette_entries() -> None:
    app = make_app(_controller())
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = [e.title for e in app.palette_entries()]
        for wanted in ("tenant: Connect", "tenant: Disconnect", "tenant: Refresh commands", "app: Quit"):
            assert wanted in titles
        assert "tenant: Open Contoso Ltd" in titles


@pytest.mark.parametrize("domain", ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"])
def test_accent_colour_is_stable(domain: str) -> None:
    assert accent_color(domain) == accent_color(domain.upper())
    assert accent_color(domain).startswith("#") and len(accent_color(domain)) == 7


@sync
async def test_typing_on_the_list_filters_it() -> None:
    app = make_app(_controller())
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("ctrl+t", *"adat")
        assert app.sidebar.filter_input.value == "adat"
        assert [t.domain for t in app.sidebar.shown] == ["adatum.onmicrosoft.com"]
        # one letter does not match every tenant through the shared .onmicrosoft.com suffix
        app.sidebar.filter_input.value = "t"
        await pilot.pause()
        assert "fabrikam.onmicrosoft.com" not in [t.domain for t in app.sidebar.shown]


@sync
async def test_recently_used_order_survives_a_restart(tmp_path: Path) -> None:
    ctl = _controller(history_dir=tmp_path)
    app = make_app(ctl)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("slash", *"northwind", "enter")
        await pilot.pause(0.3)
        if isinstance(app.screen, LoginScreen):
            await pilot.press("escape")
        assert (tmp_path / "recent-tenants.json").exists()
    again = make_app(_controller(history_dir=tmp_path))
    async with again.run_test(size=(110, 30)):
        assert [t.domain for t in again.sidebar.shown][:2] == ["fabrikam.onmicrosoft.com",
                                                               "northwind.onmicrosoft.com"]
