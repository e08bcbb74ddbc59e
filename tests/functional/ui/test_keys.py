"""Key bindings where they are shown: / and ? from an empty console line, the footer per focused widget,
the Ctrl+R row, the palette's entries, [keys] in config.toml, and F1 read from the same BINDINGS."""

from __future__ import annotations

import asyncio
import functools
import io
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from tui.config import load_config
from tui.console.app import ExohopApp, key_areas, make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.keys import key_label, key_rows
from tui.console.screens.help import HelpScreen
from tui.console.widgets.command_input import HistorySearchInput
from tui.console.widgets.tenant_list import TenantRows
from tui.tenants import Tenant, TenantDirectory

from .conftest import wait_for
from .test_sign_in_dialog import screen_lines

SIZE = (150, 30)   # wide enough for the whole footer
CONFIG = """\
[[accounts]]
upn = "admin@fabrikampartner.onmicrosoft.com"
endpoint = "https://127.0.0.1:9/powershell-liveid"
default = true
"""


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def _controller(tmp_path: Path, keys: str = "") -> Controller:
    """Over a real config.toml read by the config loader (with ``keys`` appended)."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + keys, encoding="utf-8")
    tenants = TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso Ltd", tags=("retail",)),
        Tenant("northwind.onmicrosoft.com", "Northwind Traders"),
        Tenant("adatum.onmicrosoft.com", "Adatum Corporation"),
    ])
    return Controller(load_config(path), tenants, password_source=lambda upn: None)


async def _open_console(app: ExohopApp, pilot: Pilot[Any]) -> Any:
    """The console of Contoso, focused (no session: nothing here needs one)."""
    app.show_tenant(app.tenant("contoso.onmicrosoft.com"))
    console = app.console_for("contoso.onmicrosoft.com")
    await wait_for(pilot, lambda: app.focused is console.input, timeout=10)
    return console


def footer(app: ExohopApp) -> str:
    return screen_lines(app)[-1]


async def _footer_is(app: ExohopApp, pilot: Pilot[Any], showing: bool, text: str = "/ Filter") -> None:
    await wait_for(pilot, lambda: (text in footer(app)) == showing, timeout=10)


# -- 1: / and ? from the console, the footer, the filter's leading / ----------------------------------------

@sync
async def test_slash_and_question_mark_on_an_empty_console_line_are_the_apps_keys(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        console = await _open_console(app, pilot)
        await pilot.press("slash")
        assert app.focused is app.sidebar.filter_input
        assert app.sidebar.filter_input.value == "" and console.input.value == ""

        console.input.focus()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is console.input, timeout=10)

        # inside a line they are characters: a PowerShell path, Where-Object's alias
        await pilot.press(*"gci", "space", "slash", "space", "question_mark")
        assert console.input.value == "gci / ?"
        assert app.focused is console.input and not isinstance(app.screen, HelpScreen)


@sync
async def test_the_footer_shows_only_what_works_in_the_focused_widget(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await _footer_is(app, pilot, True)                 # the tenant list: / filters
        console = await _open_console(app, pilot)
        await _footer_is(app, pilot, True)                 # an empty console line: / filters
        assert "History search" in footer(app)
        await pilot.press(*"Get")
        await _footer_is(app, pilot, False)                # / is now a character of the line
        assert "History search" in footer(app) and "Tenants" in footer(app)
        await pilot.press("backspace", "backspace", "backspace")
        await _footer_is(app, pilot, True)                 # empty again
        assert console.input.value == ""
        await pilot.press("slash")                         # the filter box: / types a slash there
        assert app.focused is app.sidebar.filter_input
        await _footer_is(app, pilot, False)
        assert "Tenants" in footer(app)


@sync
async def test_a_leading_slash_in_the_filter_is_not_part_of_the_query(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "slash", *"north")
        assert app.sidebar.filter_input.value == "/north"
        assert [t.domain for t in app.sidebar.shown] == ["northwind.onmicrosoft.com"]
        # "?" on the list is the app's key too, not type-ahead
        await pilot.press("ctrl+t", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)


# -- 2: the Ctrl+R row ----------------------------------------------------------------------------------------

@sync
async def test_the_history_search_row_shows_its_placeholder_and_what_is_typed(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        console = await _open_console(app, pilot)
        console.input.history.add("Get-Mailbox -ResultSize 5")
        await pilot.press("ctrl+r")
        search = console.query_one(HistorySearchInput)
        await wait_for(pilot, lambda: app.focused is search, timeout=10)

        def search_row() -> str:
            return next(line for line in screen_lines(app) if "reverse-i-search:" in line)

        # focused, it has no border: its one row holds the text
        assert all(kind in ("", "none") for kind, _ in search.styles.border)
        assert search.content_region.height >= 1
        await wait_for(pilot, lambda: "reverse-i-search: type to search history" in search_row(), timeout=10)
        await pilot.press(*"mailbox")
        await wait_for(pilot, lambda: "reverse-i-search: mailbox" in search_row(), timeout=10)
        assert "1 of 1" in search_row()
        assert console.input.value == "Get-Mailbox -ResultSize 5"


# -- 7: the palette ---------------------------------------------------------------------------------------------

@sync
async def test_the_palette_lists_each_entry_once_as_category_action(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: CommandPalette.is_open(app), timeout=10)

        def titles() -> list[str]:
            return [str(option.hit.text) for option in app.screen.query_one(CommandList).options]

        await wait_for(pilot, lambda: "app: Quit" in titles() and "app: Theme" in titles(), timeout=10)
        listed = titles()
        assert listed.count("app: Quit") == 1 and listed.count("app: Keys") == 1
        assert "Quit" not in listed and "Keys" not in listed
        assert all(re.match(r"^[a-z]+: \S", title) for title in listed), listed
        assert len(listed) == len(set(listed))


# -- 8: [keys] in config.toml, F1 from BINDINGS -----------------------------------------------------------------

@sync
async def test_keys_remapped_in_config_toml_take_effect(tmp_path: Path) -> None:
    ctl = _controller(tmp_path, '\n[keys]\nfilter = "ctrl+f"\nhelp = "F2"\nlist_open = "enter,space"\n')
    app = make_app(ctl)
    async with app.run_test(size=SIZE) as pilot:
        assert app.keys_in_use == {"filter": "ctrl+f", "help": "f2", "list_open": "enter,space"}
        assert not app._notifications
        helps = {e.title: e.help for e in app.palette_entries()}
        assert helps["tenant: Filter the list"] == "focus the tenant filter (Ctrl+F)"
        assert helps["app: Keys"] == "every key binding (F2)"
        await pilot.press("ctrl+f")
        assert app.focused is app.sidebar.filter_input
        await pilot.press("ctrl+t")
        await _footer_is(app, pilot, True, "^f Filter")
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)      # F1 is no longer help…
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)   # …F2 is
        help_text = _text(app.screen)
        assert re.search(r"Ctrl\+F\s+filter the tenant list", help_text)
        assert re.search(r"F2\s+key bindings", help_text)
        await pilot.press("escape")

        # / is no longer the app's: on an empty console line it is typed
        console = await _open_console(app, pilot)
        await pilot.press("slash")
        assert console.input.value == "/" and app.focused is console.input

        # space opens a tenant from the list too
        await pilot.press("ctrl+t", "end")
        last = app.query_one(TenantRows).current.domain
        assert last != "contoso.onmicrosoft.com"
        await pilot.press("space")
        await wait_for(pilot, lambda: app.active == last, timeout=10)


@sync
async def test_a_bad_keys_entry_is_said_and_its_default_kept(tmp_path: Path) -> None:
    keys = '\n[keys]\nfiltr = "ctrl+f"\nhelp = "ctrl+nokey"\ntenants = 3\nquit = "ctrl+p"\nconsole = "f5"\n'
    app = make_app(_controller(tmp_path, keys))
    async with app.run_test(size=SIZE) as pilot:
        assert app.keys_in_use == {"console": "f5"}        # the good entry is used
        notes = [n.message for n in app._notifications]
        assert len(notes) == 1
        config = tmp_path / "config.toml"
        assert f"{config}, line 7: [keys] filtr = \"ctrl+f\": no key binding has the id 'filtr' " \
               "(did you mean 'filter'?)." in notes[0]
        assert f"{config}, line 8: [keys] help = \"ctrl+nokey\": 'ctrl+nokey' is not a key" in notes[0]
        assert "(the default F1, ? stays)" in notes[0]
        assert f"{config}, line 9: [keys] tenants = 3: write the keys as a string" in notes[0]
        assert "[keys] quit = \"ctrl+p\": Ctrl+P is already the key of palette (anywhere)" in notes[0]
        assert "Traceback" not in notes[0]
        # the defaults of the bad entries work
        await pilot.press("slash")
        assert app.focused is app.sidebar.filter_input
        await pilot.press("ctrl+t")
        assert app.focused is app.query_one("#tenant-rows")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)


def _text(screen: HelpScreen) -> str:
    """The help's key table as text (wide: no cell wraps)."""
    console = Console(width=200, file=io.StringIO())
    console.print(screen.table())
    return console.file.getvalue()  # type: ignore[attr-defined]


@sync
async def test_the_help_screen_lists_the_bindings_the_widgets_declare(tmp_path: Path) -> None:
    app = make_app(_controller(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10)
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        assert screen.rows == key_rows(key_areas())
        text = _text(screen)
        for area, bindings in key_areas():
            for binding in bindings:
                assert binding.id and binding.tooltip, f"{area}: {binding.key} needs an id and a tooltip"
                assert binding.id in text and binding.tooltip in text
                assert key_label((binding.key_display or binding.key).split(",")[0]) in text
        # the marks legend (under the table) is TenantStatus's
        screen.query_one(VerticalScroll).scroll_end(animate=False)
        legend = [f"{status.value} {status.label}" for status in TenantStatus]
        await wait_for(pilot, lambda: all(mark in " ".join(screen_lines(app)) for mark in legend), timeout=10)
