"""TenantConsole input line under Textual's Pilot: completion dropdown, Enter, history, Ctrl+R, Ctrl+C."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.console.widgets.console import TenantConsole
from tui.remoting.events import RunSummary
from tui.shell.history import History
from tui.tenants import Tenant

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Gets mailbox objects and attributes.", ("Identity", "AnrSet"), (
        ParameterInfo("Identity", "MailboxIdParameter", sets=("Identity",), position=0, pipeline=True),
        ParameterInfo("Anr", "String", sets=("AnrSet",)),
        ParameterInfo("ResultSize", "Unlimited"),
        ParameterInfo("RecipientTypeDetails", "RecipientTypeDetails[]",
                      valid_values=("UserMailbox", "SharedMailbox", "RoomMailbox")),
    )),
    CmdletInfo("Get-MailboxStatistics", "Gets mailbox size and item counts.", (), (
        ParameterInfo("Identity", "GeneralMailboxOrMailUserIdParameter", position=0),
    )),
    CmdletInfo("Get-MailboxPermission", "Gets permissions on a mailbox.", (), (
        ParameterInfo("Identity", "MailboxIdParameter", position=0),
        ParameterInfo("User", "SecurityPrincipalIdParameter"),
    )),
    CmdletInfo("Set-Mailbox", "Modifies mailbox settings.", (), (
        ParameterInfo("Identity", "MailboxIdParameter", position=0, mandatory_in=("(All)",)),
        ParameterInfo("ProhibitSendQuota", "Unlimited"),
    )),
    CmdletInfo("Get-User", "Gets user objects.", (), (ParameterInfo("Identity", "UserIdParameter", position=0),)),
])


class Host(App[None]):
    def __init__(self, history: Sequence[str] = ()) -> None:
        super().__init__()
        self.history = list(history)
        self.submitted: list[str] = []
        self.stops = 0

    def compose(self) -> ComposeResult:
        yield TenantConsole(Tenant("contoso.onmicrosoft.com", "Contoso Ltd"), history=self.history)

    def on_mount(self) -> None:
        self.query_one(TenantConsole).set_catalog(CATALOG)

    def on_tenant_console_submitted(self, message: TenantConsole.Submitted) -> None:
        self.submitted.append(message.line)

    def on_tenant_console_stop_requested(self, message: TenantConsole.StopRequested) -> None:
        self.stops += 1


def drive(body: Callable[[Host, TenantConsole, Pilot[None]], Awaitable[None]],
          history: Sequence[str] = (), size: tuple[int, int] = (100, 30)) -> Host:
    app = Host(history)

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(app, app.query_one(TenantConsole), pilot)

    asyncio.run(run())
    return app


def menu_entries(console: TenantConsole) -> list[tuple[str, str]]:
    return [(c.text, c.meta) for c in console.input.menu.candidates] if console.input.menu.display else []


def test_prompt_names_the_tenant() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        assert str(console.command_line.query_one("#prompt").render()) == "contoso>"

    drive(body)


def test_second_tab_after_get_mai_shows_dropdown_with_synopsis() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mai", "tab", "tab")  # the first completes the common "Get-Mailbox"
        await pilot.pause()
        entries = dict(menu_entries(console))
        assert "Get-Mailbox" in entries
        assert entries["Get-Mailbox"] == "Gets mailbox objects and attributes."
        assert "Get-MailboxStatistics" in entries and "Get-User" not in entries
        # The dropdown is on screen, at the typed word, and (input on the bottom row) above it.
        menu = console.input.menu
        assert menu.display and menu.region.height > 0
        assert menu.region.bottom <= console.input.region.y

    drive(body)


def test_dropdown_filters_as_you_type_and_arrows_pick_and_enter_accepts() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mai", "ctrl+space")
        await pilot.pause()
        await pilot.press(*"lboxP")
        await pilot.pause()
        assert [t for t, _ in menu_entries(console)][:1] == ["Get-MailboxPermission"]
        await pilot.press("backspace")
        await pilot.pause()
        names = [t for t, _ in menu_entries(console)]
        assert "Get-MailboxStatistics" in names
        target = names.index("Get-MailboxStatistics")
        await pilot.press("down", "shift+tab")  # Shift+Tab goes back up in the dropdown
        assert console.input.menu.highlighted == 0
        await pilot.press(*["down"] * target, "enter")
        await pilot.pause()
        assert console.input.value == "Get-MailboxStatistics"
        assert not console.input.menu.display
        assert app.submitted == []  # Enter took the better candidate, it did not run the line

    drive(body)


def test_parameter_completion_after_dash() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mailbox -", "ctrl+space")
        await pilot.pause()
        entries = dict(menu_entries(console))
        assert {"-Identity", "-ResultSize", "-Anr"} <= set(entries)
        assert "MailboxIdParameter" in entries["-Identity"]
        await pilot.press("escape")
        await pilot.pause()
        assert not console.input.menu.display
        assert console.input.value == "Get-Mailbox -"

    drive(body)


def test_single_candidate_completes_in_place() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Set-Mailbox -Prohib", "tab")
        await pilot.pause()
        assert console.input.value == "Set-Mailbox -ProhibitSendQuota"
        assert not console.input.menu.display

    drive(body)


def test_enter_with_dropdown_closed_posts_submitted_and_records_history() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mailbox -ResultSize 5", "enter")
        await pilot.pause()
        assert app.submitted == ["Get-Mailbox -ResultSize 5"]
        assert console.input.value == ""
        assert console.history[-1] == "Get-Mailbox -ResultSize 5"
        await pilot.press("enter")  # an empty line runs nothing
        await pilot.pause()
        assert app.submitted == ["Get-Mailbox -ResultSize 5"]

    drive(body)


def test_enter_runs_when_dropdown_has_nothing_better() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mailbox", "ctrl+space")
        await pilot.pause()
        # "Get-Mailbox" is typed in full: the dropdown may list longer names, first of them the typed one.
        names = [t for t, _ in menu_entries(console)]
        if names:
            assert names[0] == "Get-Mailbox"
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == ["Get-Mailbox"]

    drive(body)


def test_history_up_and_down() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Us")
        await pilot.press("up")
        assert console.input.value == "Get-User"
        await pilot.press("up")
        assert console.input.value == "Get-Mailbox -ResultSize 10"
        await pilot.press("up")  # nothing older: stays
        assert console.input.value == "Get-Mailbox -ResultSize 10"
        await pilot.press("down")
        assert console.input.value == "Get-User"
        await pilot.press("down")  # past the newest: the draft comes back
        assert console.input.value == "Get-Us"

    drive(body, history=["Get-Mailbox -ResultSize 10", "Get-User"])


def test_ctrl_r_reverse_search() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"draft", "ctrl+r")
        await pilot.pause()
        assert console.command_line.searching
        await pilot.press(*"mailbox")
        await pilot.pause()
        assert console.input.value == "Get-MailboxPermission -Identity bob"
        await pilot.press("ctrl+r")  # older match
        await pilot.pause()
        assert console.input.value == "Get-Mailbox -ResultSize 10"
        await pilot.press("enter")  # take it into the line (not run)
        await pilot.pause()
        assert not console.command_line.searching
        assert console.input.has_focus and console.input.value == "Get-Mailbox -ResultSize 10"
        assert app.submitted == []
        await pilot.press("ctrl+r", *"zzz", "escape")
        await pilot.pause()
        assert console.input.value == "Get-Mailbox -ResultSize 10"  # Escape restores the line

    drive(body, history=["Get-Mailbox -ResultSize 10", "Get-User", "Get-MailboxPermission -Identity bob"])


def test_ctrl_c_clears_line_when_idle_and_requests_stop_when_busy() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mailbox", "ctrl+c")
        await pilot.pause()
        assert console.input.value == "" and app.stops == 0
        console.begin_run("Get-Mailbox -ResultSize Unlimited")
        assert console.busy
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.stops == 1
        assert "stopping…" in "\n".join(console.scrollback.plain_lines())
        console.end_run(RunSummary("Get-Mailbox -ResultSize Unlimited", "stopped", duration_s=1.0))
        await pilot.pause()
        lines = console.scrollback.plain_lines()
        assert lines[-1].startswith("stopped") and not any("stopping…" in line for line in lines)

    drive(body)


def test_completion_is_under_a_frame() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await pilot.press(*"Get-Mailbox -Re", "tab")
        await pilot.pause()
        assert console.input.last_completion_ms < 16

    drive(body)


def test_history_model_bounds_and_dedupes() -> None:
    h = History(limit=3)
    for line in ["a", "b", "b", "  ", "c", "d"]:
        h.add(line)
    assert h.entries == ["b", "c", "d"]
    assert h.search("b") == (0, "b")
    assert h.search("x") is None


def test_completion_learns_properties_and_identities_from_results() -> None:
    from tui.remoting.events import RecordEvent
    from tui.shell.records import Record

    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.begin_run("Get-Mailbox -ResultSize 2")
        for name in ("adele.vance", "megan.bowen"):
            console.append_event(RecordEvent(Record({"Name": name, "Alias": name.split(".")[0],
                                                     "ArchiveStatus": "Active"})))
        console.end_run(RunSummary("Get-Mailbox -ResultSize 2", "ok", records=2))
        console.input.value = "Get-Mailbox | Select-Object Arch"  # typing it key by key is tested above
        console.input.cursor_position = len(console.input.value)
        await pilot.press("tab")
        await pilot.pause()
        assert console.input.value == "Get-Mailbox | Select-Object ArchiveStatus"
        console.input.value = "Get-Mailbox -Identity "
        console.input.cursor_position = len(console.input.value)
        await pilot.press("tab")
        await pilot.pause()
        names = [t for t, _ in menu_entries(console)]
        assert "adele.vance" in names and "megan.bowen" in names

    drive(body)


def test_completing_mid_line_replaces_the_whole_word() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.input.value = "Get-Mailx -ResultSize 5"
        console.input.cursor_position = len("Get-Mai")
        await pilot.press("ctrl+space")
        await pilot.pause()
        assert menu_entries(console)[0][0] == "Get-Mailbox"
        await pilot.press("enter")
        await pilot.pause()
        assert console.input.value == "Get-Mailbox -ResultSize 5"
        assert console.input.cursor_position == len("Get-Mailbox")
        assert app.submitted == []

    drive(body)
