"""Hostile tenant data in the console (README "Hostile data"): scrollback, result viewer, sidebar,
header and notifications show values as text — markup literal, control characters visible."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from rich.segment import Segment
from textual.pilot import Pilot
from textual.widgets import Label

from tui.console.app import ExohopApp
from tui.console.screens.result import ResultScreen
from tui.console.widgets.console import TenantConsole
from tui.console.widgets.result_view import ResultViewer
from tui.console.widgets.tenant_list import TenantRows
from tui.remoting.events import ErrorEvent, RecordEvent, RunSummary, WarningEvent
from tui.shell.records import Record
from tui.sim.data import HOSTILE_TEXT
from tui.tenants import Tenant

from .test_console_results import MAILBOX, Host, text, wait_for

CONTROLS = frozenset([*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)),
                      *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])
SHOWN = "Evil ␛[2J␛]0;pwned␇ [bold red]markup[/] [link=https://evil.example]click[/link] \\u202egnp.exe"


def assert_inert(segments: Iterable[Segment]) -> str:
    """The segments' text, after checking none carries a control character or a hyperlink."""
    segments = list(segments)
    joined = "".join(s.text for s in segments)
    assert not CONTROLS & set(joined), repr(joined)
    assert not any(s.style is not None and s.style.link for s in segments), "data became a hyperlink"
    return joined


def run_app(app: ExohopApp | Host, body: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=(200, 40)) as pilot:   # type: ignore[attr-defined]
            await pilot.pause()
            await body(pilot)

    asyncio.run(run())


def test_scrollback_and_viewer_show_hostile_values_as_text() -> None:
    app = Host()
    table_row = Record({"Name": HOSTILE_TEXT, "Alias": "hostile.display"}, MAILBOX)
    wide = Record({"DisplayName": HOSTILE_TEXT, "A": 1, "B": 2, "C": 3, "D": 4})   # > 4 properties: a list

    async def body(pilot: Pilot[None]) -> None:
        console = app.query_one(TenantConsole)
        console.begin_run(f"Get-Mailbox '{HOSTILE_TEXT}'")
        console.append_event(RecordEvent(table_row))
        console.append_event(WarningEvent(f"rule {HOSTILE_TEXT}"))
        console.append_event(RecordEvent(wide))
        console.append_event(ErrorEvent(message=f"'{HOSTILE_TEXT}' couldn't be found.", target=HOSTILE_TEXT))
        console.end_run(RunSummary("x", "ok", records=2, errors=1, warnings=1, duration_s=0.1))
        await wait_for(pilot, lambda: "1 error" in text(console))
        shown = text(console)
        # Echo, table cell, warning, list value, error message and its target: each the visible form.
        assert shown.count(SHOWN) >= 6, shown
        strips = [*console.scrollback.frozen_lines, *console.scrollback.live_lines]
        assert_inert(seg for strip in strips for seg in strip)
        cell = next(s for strip in strips for s in strip if "[bold red]markup" in s.text and "WARNING" not in s.text)
        assert cell.style is None or not (cell.style.bold and cell.style.color and cell.style.color.name == "red")

        console.open_viewer()
        await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen))
        viewer = app.screen.query_one(ResultViewer)
        await wait_for(pilot, lambda: viewer.complete and viewer.table.row_count == 2)
        assert [c.plain for c in viewer.row_cells(0)][:1] == [SHOWN]
        await pilot.pause()
        lines = [viewer.table.render_line(y) for y in range(viewer.table.size.height)]
        painted = assert_inert(seg for line in lines for seg in line)
        assert "[bold red]markup[/]" in painted
        title = app.screen.query_one("#viewer-title", Label)
        assert SHOWN in str(title.render())

    run_app(app, body)


def test_sidebar_header_and_notifications_show_a_hostile_tenant_name_as_text() -> None:
    evil = Tenant("evil.onmicrosoft.com", HOSTILE_TEXT)
    app = ExohopApp()

    async def body(pilot: Pilot[None]) -> None:
        app.sidebar.set_tenants([evil])
        await pilot.pause()
        rows = app.query_one(TenantRows)
        name_line = rows.render_line(0)
        assert SHOWN[:30] in assert_inert(name_line)   # the sidebar is 36 columns wide

        app.header.tenant = evil
        await pilot.pause()
        header = app.header.render()
        assert SHOWN in header.plain and not CONTROLS & set(header.plain)
        assert not any(span.style and getattr(span.style, "link", None) for span in header.spans)

        app.notify(f"Closed the idle session to {HOSTILE_TEXT}.", title=f"Session closed: {HOSTILE_TEXT}")
        app.query_one(TenantRows).notify(f"widget path: {HOSTILE_TEXT}")   # Widget.notify passes markup=True
        await pilot.pause()
        # What a Toast draws: Content(message) when markup is off, Content.from_markup otherwise.
        notes = list(app._notifications)
        assert len(notes) == 2
        for note in notes:
            assert not note.markup
            for plain in (note.message, note.title):
                assert not CONTROLS & set(plain)
            assert SHOWN in note.message
        assert SHOWN in notes[0].title

    run_app(app, body)
