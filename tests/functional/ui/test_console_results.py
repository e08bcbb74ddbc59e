"""TenantConsole results under Textual's Pilot: streaming tables, errors, progress, carets, the viewer."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import ProgressBar

from tui.console.screens.result import ResultScreen
from tui.console.widgets.console import INLINE_ROWS, TenantConsole
from tui.console.widgets.result_view import ResultViewer
from tui.remoting.events import (
    ErrorEvent,
    ProgressEvent,
    RecordEvent,
    RunSummary,
    SilenceEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.shell.records import Record
from tui.tenants import Tenant

MAILBOX = ("Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox",)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield TenantConsole(Tenant("contoso.onmicrosoft.com", "Contoso Ltd"))

    def on_tenant_console_viewer_requested(self, event: TenantConsole.ViewerRequested) -> None:
        self.push_screen(ResultScreen.open(event))   # what ExohopApp does


def drive(body: Callable[[Host, TenantConsole, Pilot[None]], Awaitable[None]],
          size: tuple[int, int] = (120, 40)) -> None:
    app = Host()

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(app, app.query_one(TenantConsole), pilot)

    asyncio.run(run())


def mailbox(i: int) -> Record:
    return Record({"Name": f"user{i:05d}", "Alias": f"u{i}", "PrimarySmtpAddress": f"user{i}@contoso.com",
                   "ItemCount": (i * 7919) % 10007}, MAILBOX)


def text(console: TenantConsole) -> str:
    return "\n".join(console.scrollback.plain_lines())


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Tables render in a thread; wait (briefly) for the result to show."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition()


def line_with(console: TenantConsole, needle: str) -> int:
    lines = console.scrollback.plain_lines()
    return next(i for i, line in enumerate(lines) if needle in line)


def colour_of(console: TenantConsole, needle: str) -> str:
    strips = [*console.scrollback.frozen_lines, *console.scrollback.live_lines]
    strip = strips[line_with(console, needle)]
    for seg in strip:
        if needle.split()[0] in seg.text and seg.style is not None and seg.style.color is not None:
            return seg.style.color.name
    return ""


def test_records_stream_into_a_table_before_the_run_ends() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox -ResultSize 3")
        assert console.busy
        assert console.scrollback.plain_lines()[-1].rstrip() == "contoso> Get-Mailbox -ResultSize 3"
        console.append_event(RecordEvent(mailbox(1)))
        console.append_event(RecordEvent(mailbox(2)))
        await wait_for(pilot, lambda: "user00002" in text(console))  # shown while the run goes on
        shown = text(console)
        assert "user00001" in shown and "user00002" in shown and "Name" in shown
        console.append_event(RecordEvent(mailbox(3)))
        console.end_run(RunSummary("Get-Mailbox -ResultSize 3", "ok", records=3, duration_s=0.25))
        await pilot.pause()
        shown = text(console)
        assert shown.count("user00003") == 1 and shown.count("user00001") == 1  # drawn once, not re-appended
        assert "3 records" in shown.splitlines()[-1]
        assert not console.busy and len(console.last_result) == 3

    drive(body)


def test_errors_red_with_category_and_id_warnings_yellow_verbose_dim() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox nobody")
        console.append_event(WarningEvent("By default, only the first 1000 items are returned."))
        console.append_event(VerboseEvent("Searching default domain controller."))
        console.append_event(ErrorEvent(
            "The operation couldn't be performed because object 'nobody' couldn't be found on 'DB3PR01A001DC01'.",
            category="NotSpecified", error_id="[Server=DB3PR01MB0001],RequestId=1,TimeStamp=now] "
            "[FailureCategory=Cmdlet-ManagementObjectNotFoundException] 7A1C3E9,Microsoft.Exchange."
            "Management.RecipientTasks.GetMailbox", target="nobody",
            exception_type="ManagementObjectNotFoundException", terminating=True))
        console.end_run(RunSummary("Get-Mailbox nobody", "failed", errors=1, warnings=1, duration_s=0.1))
        await pilot.pause()
        shown = text(console)
        assert "WARNING: By default, only the first 1000 items are returned." in shown
        assert "VERBOSE: Searching default domain controller." in shown
        assert "CategoryInfo          : NotSpecified" in shown and "ManagementObjectNotFoundException" in shown
        assert "FullyQualifiedErrorId : [Server=DB3PR01MB0001]" in shown
        assert colour_of(console, "The operation couldn't") == "red"
        assert colour_of(console, "WARNING:") == "yellow"
        assert "failed" in shown.splitlines()[-1] and "1 error" in shown.splitlines()[-1]

    drive(body)


def test_stopped_run_says_stopped() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-MessageTrace")
        console.append_event(RecordEvent(mailbox(1)))
        console.end_run(RunSummary("Get-MessageTrace", "stopped", records=1, duration_s=2.0))
        await pilot.pause()
        assert console.scrollback.plain_lines()[-1].startswith("stopped")

    drive(body)


def test_progress_updates_in_place_and_goes_when_completed() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-MailboxStatistics")
        console.append_event(ProgressEvent("Gathering statistics", "mailbox 10 of 40", 25))
        await pilot.pause(0.15)
        console.append_event(ProgressEvent("Gathering statistics", "mailbox 30 of 40", 75))
        await pilot.pause(0.15)
        shown = text(console)
        assert shown.count("Gathering statistics") == 1 and "mailbox 30 of 40 75%" in shown
        console.append_event(ProgressEvent("Gathering statistics", "done", 100, completed=True))
        await pilot.pause(0.15)
        assert "Gathering statistics" not in text(console)

    drive(body)


def test_show_error_draws_caret_under_the_column() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        line = "Get-Mailbox -Identity 'john"
        console.begin_run(line)
        console.show_error("The string is missing the terminator: '.", 22, line)
        console.end_run(RunSummary(line, "failed", duration_s=0.0))
        await pilot.pause()
        lines = console.scrollback.plain_lines()
        echo = line_with(console, "contoso> Get-Mailbox")
        assert lines[echo + 1].index("^") == lines[echo].index("'john")
        assert "missing the terminator" in lines[echo + 2]

    drive(body)


def test_parse_error_in_the_summary_gets_a_caret_too() -> None:
    class FakeParseErrorFromShell(Exception):  # what tui.shell.ParseError carries: message + column
        def __init__(self, message: str, column: int) -> None:
            super().__init__(message)
            self.message = message
            self.column = column

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        line = "Get-Mailbox | "
        console.begin_run(line)
        console.end_run(RunSummary(line, "invalid",
                                   error=FakeParseErrorFromShell("An empty pipe element is not allowed.", 12)))
        await pilot.pause()
        lines = [s.rstrip() for s in console.scrollback.plain_lines()]
        # The caret sits right under the echoed line, then the message; nothing ran, so no summary.
        assert lines[-3:] == ["contoso> Get-Mailbox |", " " * (len("contoso> ") + 12) + "^",
                              "An empty pipe element is not allowed."]

    drive(body)


def test_import_progress_bar_text() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        assert console.import_progress_text == ""
        console.show_import_progress(312, 742)
        await pilot.pause()
        assert console.import_progress_text == "Importing commands… 312 / 742"
        bar = console.query_one("#import-bar", ProgressBar)
        assert bar.total == 742 and bar.progress == 312 and bar.region.width > 0
        # The input works during the import.
        await pilot.press(*"Get-")
        assert console.input.value == "Get-"
        console.show_import_progress(742, 742)
        console.hide_import_progress()
        await pilot.pause()
        assert console.import_progress_text == "" and bar.region.width == 0

    drive(body)


def test_large_result_shows_first_rows_then_viewer_sorts_filters_exports(tmp_path: Path) -> None:
    n = 5000

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox -ResultSize Unlimited")
        for i in range(n):
            console.append_event(RecordEvent(mailbox(i)))
        await pilot.press(*"Get-User")  # the input answers while the result streams in
        assert console.input.value == "Get-User"
        console.end_run(RunSummary("Get-Mailbox -ResultSize Unlimited", "ok", records=n, duration_s=3.0))
        await pilot.pause()
        shown = text(console)
        assert f"user{INLINE_ROWS - 1:05d}" in shown and f"user{INLINE_ROWS:05d}" not in shown
        assert f"{n - INLINE_ROWS:,} more rows — press F6 (or click here) to open all {n:,} in the viewer" in shown
        assert len(console.scrollback.plain_lines()) < INLINE_ROWS + 20

        await pilot.press("f6")
        assert isinstance(app.screen, ResultScreen)
        viewer = app.screen.query_one(ResultViewer)
        # The Mailbox view's columns first (as in the console); "a" shows every property.
        assert viewer.columns[:2] == ["Name", "Alias"] and "ItemCount" not in viewer.columns
        await pilot.press("a")
        assert "ItemCount" in viewer.columns and "PrimarySmtpAddress" in viewer.columns
        for _ in range(250):
            if viewer.complete:
                break
            await pilot.pause(0.02)
        assert viewer.table.row_count == n

        item_col = viewer.columns.index("ItemCount")
        viewer.sort_by("ItemCount", descending=True)
        await pilot.pause()
        counts = [mailbox(i)["ItemCount"] for i in range(n)]
        assert str(viewer.table.get_row_at(0)[item_col]) == str(max(counts))
        assert viewer.records[viewer.view[-1]]["ItemCount"] == min(counts)
        # JSON export of every row, in the sorted order.
        out_json = tmp_path / "all.json"
        assert viewer.export(out_json, "json") == n
        data = json.loads(out_json.read_text(encoding="utf-8"))
        assert len(data) == n and data[0]["ItemCount"] == max(counts)

        await pilot.press("slash", *"user0004")
        await pilot.pause(0.3)  # the filter applies once typing pauses
        assert len(viewer.view) == 10 and viewer.table.row_count == 10  # user00040 … user00049
        assert all(viewer.records[i]["Name"].startswith("user0004") for i in viewer.view)

        out = tmp_path / "out" / "mailboxes.csv"
        viewer.table.focus()
        await pilot.press("e")
        await pilot.pause()
        box = viewer.query_one("#export-path")
        box.value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        rows = list(csv.DictReader(io.StringIO("".join(
            line for line in out.read_text(encoding="utf-8").splitlines(keepends=True) if not line.startswith("#")))))
        assert len(rows) == 10 and {r["Name"] for r in rows} == {f"user{i:05d}" for i in range(40, 50)}
        assert not list(out.parent.glob(".*.tmp"))  # written atomically: no temp file left
        # Exporting to the same file again asks first: one Enter warns, a second replaces.
        viewer.apply_filter("user00049")
        await pilot.press("e")
        box.value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert "exists" in str(viewer.query_one("#export-label").render())
        assert len(out.read_text(encoding="utf-8").splitlines()) == 11  # untouched so far
        await pilot.press("enter")
        await pilot.pause()
        assert len(out.read_text(encoding="utf-8").splitlines()) == 2  # header + user00049

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ResultScreen)

    drive(body, size=(90, 20))  # a small screen: fewer cells to repaint while 5,000 rows load


def test_viewer_copies_the_cell_under_the_cursor() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox")
        for i in range(3):
            console.append_event(RecordEvent(mailbox(i)))
        console.end_run(RunSummary("Get-Mailbox", "ok", records=3))
        console.open_viewer()
        await pilot.pause()
        await pilot.press("down", "c")
        await pilot.pause()
        assert app.clipboard == "user00001"  # what copy_to_clipboard sent (OSC 52) to the terminal

    drive(body)


def test_list_view_results_show_fewer_objects_inline() -> None:
    def wide(i: int) -> Record:  # no known view and more than four properties: PowerShell lists it
        return Record({"Name": f"obj{i:03d}", "A": 1, "B": 2, "C": 3, "D": 4, "E": 5})

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Thing")
        for i in range(50):
            console.append_event(RecordEvent(wide(i)))
        console.end_run(RunSummary("Get-Thing", "ok", records=50))
        await pilot.pause()
        shown = text(console)
        assert "obj019" in shown and "obj020" not in shown
        assert "30 more objects — press F6 (or click here) to open all 50 in the viewer" in shown

    drive(body)


def test_clicking_an_older_more_rows_line_opens_that_result() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        for line, count in (("Get-Mailbox -ResultSize 250", 250), ("Get-Mailbox -ResultSize 300", 300)):
            console.begin_run(line)
            for i in range(count):
                console.append_event(RecordEvent(mailbox(i)))
            console.end_run(RunSummary(line, "ok", records=count))
        await pilot.pause()
        first = line_with(console, "50 more rows")
        console.scrollback.scroll_to(y=first, animate=False)
        await pilot.pause()
        await pilot.click("#scrollback", offset=(3, 0))
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        assert len(app.screen.records) == 250  # the first result, not the last
        assert "Get-Mailbox -ResultSize 250" in str(app.screen.query_one("#viewer-title").render())

    drive(body)


def test_growing_scrollback_and_typing_do_not_relayout_the_screen() -> None:
    """Each flush grows the scrollback and each key the input's content; a full-screen layout for
    each stalled typing while a result streamed in (issue 5)."""
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        for i in range(60):  # enough to show the vertical scrollbar (that one growth may lay out)
            console.scrollback.write(f"line {i}")
        await pilot.pause()
        compositor = app.screen._compositor
        reflows: list[int] = []
        full_reflow = compositor.reflow

        def counting_reflow(*args: object, **kwargs: object) -> object:
            reflows.append(1)
            return full_reflow(*args, **kwargs)  # type: ignore[arg-type]

        compositor.reflow = counting_reflow  # type: ignore[method-assign]
        console.begin_run("Get-Mailbox -ResultSize 300")
        for i in range(300):
            console.append_event(RecordEvent(mailbox(i)))
            if i % 20 == 19:
                await pilot.press("x")  # typing while it streams (an Input resizes its content too)
                await pilot.pause(0.06)  # flushes happen in between, each growing the scrollback
        console.end_run(RunSummary("Get-Mailbox -ResultSize 300", "ok", records=300, duration_s=1.0))
        await pilot.pause(0.1)
        scrollback = console.scrollback
        assert scrollback.virtual_size.height == scrollback.line_count > 60 + INLINE_ROWS
        assert reflows == []
        assert console.input.value == "x" * 15
        # Still following the output: the summary is the last visible line.
        assert scrollback.scroll_y == scrollback.max_scroll_y
        assert "300 records" in scrollback.plain_lines()[-1]

    drive(body)


def test_bind_error_says_did_you_mean_once() -> None:
    from tui.shell import parse
    from tui.shell.binder import BindError, bind
    from tui.sim.builtin_catalog import builtin_catalog

    catalog = builtin_catalog()
    errors: list[BindError] = []
    for line in ("Get-Mailbx", "Get-Mailbox -Identit2 x"):
        try:
            bind(parse(line).statements[0].commands[0], catalog)  # type: ignore[union-attr]
        except BindError as exc:
            errors.append(exc)
    assert [bool(e.suggestions) for e in errors] == [True, True]  # the real errors carry suggestions

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        for error in errors:
            console.begin_run("x")
            console.end_run(RunSummary("x", "invalid", error=error))
            await pilot.pause()
        shown = " ".join(line.strip() for line in console.scrollback.plain_lines())  # unwrapped
        assert shown.count("Did you mean") == 2, shown  # once per error
        assert "Get-Mailbox" in shown and "-Identity" in shown

    drive(body)


def test_a_silent_server_is_reported_while_the_command_waits() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox -ResultSize Unlimited")
        console.append_event(SilenceEvent("outlook.office365.com", 40.0))
        await wait_for(pilot, lambda: "no answer from" in text(console))
        assert ("no answer from outlook.office365.com for 40 s — still waiting (Ctrl+C to abandon)"
                in text(console))
        assert "SilenceEvent" not in text(console)

    drive(body)


def test_table_keeps_its_columns_when_a_warning_arrives_mid_stream() -> None:
    def wide(i: int) -> Record:  # later rows are wider: a fresh table would size its columns anew
        name = f"user{i:05d}" + ("-with-a-much-longer-name" if i > 2 else "")
        return Record({"Name": name, "Alias": f"u{i}", "ItemCount": i}, MAILBOX)

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        line = "Get-Mailbox -ResultSize 5"
        console.begin_run(line)
        console.append_event(RecordEvent(wide(1)))
        console.append_event(RecordEvent(wide(2)))
        await wait_for(pilot, lambda: "user00002" in text(console))
        console.append_event(WarningEvent("More results are available."))
        for i in (3, 4, 5):
            console.append_event(RecordEvent(wide(i)))
        await pilot.pause(0.1)
        console.end_run(RunSummary(line, "ok", records=5, warnings=1, duration_s=0.2))
        await pilot.pause()
        lines = [s.rstrip() for s in console.scrollback.plain_lines()]
        shown = "\n".join(lines)
        assert sum(1 for s in lines if s.startswith("Name")) == 1, shown  # one header
        header = next(n for n, s in enumerate(lines) if s.startswith("Name"))
        rows = [n for n, s in enumerate(lines) if s.startswith("user0")]
        warning = line_with(console, "WARNING: More results")
        assert len(rows) == 5 and rows[0] == header + 2 and rows[1] < warning < rows[2], shown
        # Every row has its columns where the header put them (the rest continues the same table).
        for i, n in enumerate(rows, 1):
            assert lines[n].index(f" u{i}") + 1 == lines[header].index("Alias"), shown

    drive(body)


def test_a_hidden_console_renders_at_the_width_it_will_show() -> None:
    """Output drawn while a console is hidden (another tenant in front) or not laid out yet must fit
    its real width: beside a sidebar and less the scrollbar's gutter, not the screen's width."""
    from textual.containers import Horizontal
    from textual.widgets import Static

    class Beside(App[None]):
        CSS = "#side { width: 30; } #main { width: 1fr; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield Static("tenants", id="side")
                with Horizontal(id="main"):
                    console = TenantConsole(Tenant("contoso.onmicrosoft.com", "Contoso Ltd"))
                    console.display = False
                    yield console

    async def run() -> None:
        app = Beside()
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            console = app.query_one(TenantConsole)
            hidden_width = console.scrollback.render_width
            console.scrollback.write(Text("x" * 300))
            console.display = True
            await pilot.pause()
            shown = console.scrollback.scrollable_content_region.width
            assert shown > 0 and hidden_width == shown
            lengths = [len(s) for s in console.scrollback.plain_lines()]
            assert sum(lengths) == 300 and set(lengths[:-1]) == {shown}  # folded at the visible width

    asyncio.run(run())
