"""PSReadLine's Tab and Ctrl+Space in the console, and completion while a first PSRP import runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from textual.pilot import Pilot

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.config import Account, Config, Settings
from tui.console import messages as m
from tui.console.app import make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.widgets.command_input import Candidate, common_completion
from tui.console.widgets.console import TenantConsole
from tui.remoting.shipped_catalog import shipped_catalog
from tui.sim import Simulator
from tui.sim.engine import SimEngine
from tui.tenants import Tenant, TenantDirectory

from .conftest import quit_app, wait_for
from .test_console_input import Host, drive, menu_entries

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Gets mailbox objects.", (), (
        ParameterInfo("Identity", "MailboxIdParameter", position=0),
        ParameterInfo("ResultSize", "Unlimited"),
        ParameterInfo("RecipientTypeDetails", "RecipientTypeDetails[]"),
    )),
    CmdletInfo("Get-MailboxPermission", "Gets permissions on a mailbox."),
    CmdletInfo("Get-MailboxFolderPermission", "Gets folder permissions."),   # a hump match of Get-MailboxPerm
    CmdletInfo("Get-MailboxStatistics", "Gets mailbox statistics."),
    CmdletInfo("Get-MobileDeviceMailboxPolicy", "Gets mobile policies."),
])


async def typed(console: TenantConsole, pilot: Pilot[None], text: str, *keys: str) -> None:
    console.set_catalog(CATALOG)
    console.input.value = text   # typing key by key is tested in test_console_input
    console.input.cursor_position = len(text)
    await pilot.press(*keys)
    await pilot.pause()


def test_tab_on_one_prefix_match_completes_in_place_with_no_menu() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await typed(console, pilot, "Get-MailboxPerm", "tab")
        assert console.input.value == "Get-MailboxPermission"
        assert not console.input.menu.display

    drive(body)


def test_tab_completes_the_common_beginning_then_a_second_tab_opens_the_menu() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await typed(console, pilot, "get-mailb", "tab")
        assert console.input.value == "Get-Mailbox"   # the common beginning, in the names' spelling
        assert not console.input.menu.display
        await pilot.press("tab")
        await pilot.pause()
        assert [t for t, _ in menu_entries(console)] == [
            "Get-Mailbox", "Get-MailboxFolderPermission", "Get-MailboxPermission", "Get-MailboxStatistics"]
        await pilot.press("down", "tab")   # Tab with the menu open takes the pick
        await pilot.pause()
        assert console.input.value == "Get-MailboxFolderPermission" and not console.input.menu.display

    drive(body)


def test_ctrl_space_opens_the_menu_at_once() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await typed(console, pilot, "Get-Mailb", "ctrl+space")
        assert console.input.value == "Get-Mailb"
        assert len(menu_entries(console)) == 4
        await pilot.press("escape")
        await typed(console, pilot, "Get-MailboxPerm", "ctrl+space")   # one candidate: in place
        assert console.input.value == "Get-MailboxPermission" and not console.input.menu.display

    drive(body)


def test_parameters_and_no_prefix_match() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        await typed(console, pilot, "Get-Mailbox -Res", "tab")
        assert console.input.value == "Get-Mailbox -ResultSize"
        await typed(console, pilot, "Get-Mailbox -Re", "tab")   # -RecipientTypeDetails, -ResultSize: nothing common
        assert [t for t, _ in menu_entries(console)] == ["-RecipientTypeDetails", "-ResultSize"]
        await pilot.press("escape")
        # Nothing begins with "gmbxp": the hump matches, in a menu at once (their common part is shorter).
        await typed(console, pilot, "gmbxp", "tab")
        assert console.input.value == "gmbxp"
        assert [t for t, _ in menu_entries(console)][:2] == ["Get-MailboxPermission", "Get-MailboxFolderPermission"]

    drive(body)


def test_common_completion() -> None:
    def cands(*texts: str, start: int = -3) -> list[Candidate]:
        return [Candidate(t, start, t, "") for t in texts]

    assert common_completion(cands("Get-Mailbox", "Get-MailboxPermission"), "get") == \
        Candidate("Get-Mailbox", -3, "Get-Mailbox", "")
    assert common_completion(cands("Get-Mailbox", "Get-MailboxPermission"), "Get-Mailbox") is None   # adds nothing
    assert common_completion(cands("Get-MailboxPermission", "Get-MobileDevice"), "gmp") is None   # humps: not a prefix
    assert common_completion(cands("'Megan Bowen'", "'Megan Smith'"), "meg") is None   # would change the quoting
    assert common_completion(cands("'Megan Bowen'", "'Megan Smith'"), "'meg") == \
        Candidate("'Megan ", -3, "'Megan ", "")
    assert common_completion([*cands("Get-User"), *cands("Get-UserPhoto", start=-2)], "Get") is None
    assert common_completion([], "x") is None


def test_a_provisional_catalog_says_so_under_the_menu() -> None:
    async def body(app: Host, console: TenantConsole, pilot: Pilot[None]) -> None:
        console.set_catalog(CATALOG, stand_in="the shipped catalog")
        console.input.value = "Get-Mailb"
        console.input.cursor_position = len("Get-Mailb")
        await pilot.press("ctrl+space")
        await pilot.pause()
        menu = console.input.menu
        assert menu.note.startswith("provisional: from the shipped catalog")
        assert "provisional: from the shipped catalog" in menu.render().plain
        assert menu.region.height == 5   # four entries and the note
        console.set_catalog(CATALOG)   # the tenant's own arrives: the open menu loses the note
        await pilot.pause()
        assert menu.note == "" and "provisional" not in menu.render().plain

    drive(body)


class HeldImport:
    """The simulator's engine for a read-only role (its Get- cmdlets), whose GetCommandMetadata answer
    stops after ``HELD_AFTER`` commands until ``release`` is set: a first import caught half-way, as a
    slow link leaves it for a minute (the engine is the simulator's own extension point)."""

    HELD_AFTER = 20

    def __init__(self) -> None:
        self.engine = SimEngine(mailboxes=5)
        self.engine.catalog = Catalog(c for c in self.engine.catalog if c.name.startswith("Get-"))
        self.release = threading.Event()

    def command_metadata(self, patterns: Sequence[str]) -> Sequence[CmdletInfo]:
        return _Held(self.engine.command_metadata(patterns), self.release, self.HELD_AFTER)

    def __getattr__(self, name: str) -> Any:   # run, tenant_data, store…: the engine's own
        return getattr(self.engine, name)


class _Held(Sequence[CmdletInfo]):
    def __init__(self, items: list[CmdletInfo], release: threading.Event, after: int) -> None:
        self.items, self.release, self.after = items, release, after

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> CmdletInfo: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CmdletInfo]: ...

    def __getitem__(self, index: int | slice) -> CmdletInfo | Sequence[CmdletInfo]:
        return self.items[index]

    def __iter__(self) -> Iterator[CmdletInfo]:
        for k, item in enumerate(self.items):
            if k == self.after:
                self.release.wait(60)
            yield item


def test_a_slow_first_import_completes_from_the_shipped_catalog_until_its_own_arrives(tmp_path: Path) -> None:
    engine = HeldImport()
    with Simulator(engine=engine) as sim:
        account = sim.accounts[0]
        domain = account.tenants[0]
        config = Config(settings=Settings(),
                        accounts=[Account(account.upn, sim.url, ca_file=sim.ca_file, default=True)])
        tenants = TenantDirectory([Tenant(t.domain, t.name, tags=tuple(t.tags)) for t in sim.tenants])
        ctl = Controller(config, tenants, password_source=lambda upn: account.password,
                         cache_dir=tmp_path / "cache",   # empty: a cold, full import
                         history_dir=tmp_path / "history", refresh_in_background=False)
        try:
            asyncio.run(_complete_during_the_import(ctl, domain, engine.release))
        finally:
            engine.release.set()
            ctl.close_all(5.0)


async def _complete_during_the_import(ctl: Controller, domain: str, release: threading.Event) -> None:
    app = make_app(ctl)
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(m.TenantSelected(ctl.directory.get(domain)))
        await wait_for(pilot, lambda: app.console_for(domain) is not None
                       and bool(app.console_for(domain).input.catalog_note))
        console = app.console_for(domain)
        box = console.input
        assert ctl.state(domain).status is TenantStatus.IMPORTING and ctl.session(domain) is None
        assert box.catalog is shipped_catalog()
        assert "completing from the shipped catalog" in console.import_progress_text
        box.focus()

        async def press(text: str, key: str) -> None:
            box.menu.hide()
            box.value = text
            box.cursor_position = len(text)
            await pilot.press(key)
            await pilot.pause()

        await press("Get-MailboxPerm", "tab")
        assert box.value == "Get-MailboxPermission" and not box.menu.display
        await press("Get-Mailbox -ResultS", "tab")   # the shipped parameters too
        assert box.value == "Get-Mailbox -ResultSize"
        await press("Remove-MailboxPerm", "tab")
        assert box.value == "Remove-MailboxPermission"
        await press("Get-MailboxP", "ctrl+space")
        assert "Get-MailboxPermission" in [c.text for c in box.menu.candidates]
        assert box.menu.note.startswith("provisional: from the shipped catalog")
        assert ctl.state(domain).status is TenantStatus.IMPORTING   # the import is still held

        release.set()
        await wait_for(pilot, lambda: ctl.state(domain).status is TenantStatus.READY)
        session = ctl.session(domain)
        assert session is not None and box.catalog is session.catalog   # the tenant's own replaced it
        assert box.catalog_note == "" and console.import_progress_text == ""
        assert box.menu.note == ""   # the open menu was refiltered on the tenant's own catalog
        await press("Get-MailboxPerm", "tab")
        assert box.value == "Get-MailboxPermission"
        await press("Remove-MailboxPerm", "tab")   # not this tenant's (a read-only role): nothing now
        assert box.value == "Remove-MailboxPerm" and not box.menu.display
        await quit_app(app, pilot)
