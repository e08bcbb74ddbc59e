"""Regenerate the README screenshots from the running app on the embedded simulator.

    python screenshots/make_screenshots.py            # writes screenshots/*.svg and *.png

Drives ``exohop --demo``'s app with Textual's Pilot (real HTTPS sessions to the in-process
simulator), saves an SVG of each screen with ``App.save_screenshot`` and converts it to PNG with
cairosvg. Nothing is written outside this folder (the catalog cache and history go to a temp dir).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.pilot import Pilot  # noqa: E402

from tui.cli.demo import start_demo  # noqa: E402
from tui.console import messages as m  # noqa: E402
from tui.console.app import ExohopApp, make_app  # noqa: E402
from tui.console.controller import Controller, TenantStatus  # noqa: E402
from tui.console.screens.sign_in import SignInScreen  # noqa: E402

SIZE = (124, 34)
PNG_WIDTH = 1600


async def _wait(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit("make_screenshots: the app did not get there in time")
        await pilot.pause(0.02)


def _save(app: ExohopApp, name: str) -> Path:
    svg = HERE / f"{name}.svg"
    app.save_screenshot(filename=svg.name, path=str(HERE))
    import cairosvg

    cairosvg.svg2png(url=str(svg), write_to=str(HERE / f"{name}.png"), output_width=PNG_WIDTH)
    print(f"wrote {svg.relative_to(HERE.parent)} and .png")
    return svg


async def _select(app: ExohopApp, pilot: Pilot[Any], text: str) -> None:
    await pilot.press("ctrl+t", "slash")
    app.sidebar.filter_input.value = text
    await pilot.pause()
    await pilot.press("enter")


async def _type_and_run(app: ExohopApp, pilot: Pilot[Any], domain: str, line: str) -> None:
    console = app.console_for(domain)
    console.input.value = line
    console.input.cursor_position = len(line)
    console.input.focus()
    await pilot.press("enter")
    await _wait(pilot, lambda: not console.busy and domain not in app.ctl.runs)
    await pilot.pause(0.3)


@contextlib.asynccontextmanager
async def _demo_app(size: tuple[int, int] = SIZE, *, transport: str = "rest", mailboxes: int = 50,
                    message_hook: Callable[[Any], Any] | None = None) -> AsyncIterator[tuple[Any, Controller,
                                                                                               ExohopApp, Pilot[Any]]]:
    """The app over a fresh demo, quit (every session closed) and the demo stopped on the way out.

    No ``demo=`` on the Controller: a sign-in waits for its code like a real one (the caller approves it,
    as a person would), so the dialog can be photographed."""
    demo = start_demo(mailboxes=mailboxes, transport=transport)
    work = Path(tempfile.mkdtemp(prefix="exohop-shots-"))
    ctl = Controller(demo.config, demo.tenants, password_source=demo.password_for, token_source=demo.token_source,
                     cache_dir=work / "cache", history_dir=work / "history")
    app = make_app(ctl)
    try:
        async with app.run_test(size=size, message_hook=message_hook) as pilot:
            yield demo, ctl, app, pilot
            await pilot.press("ctrl+q")
            await _wait(pilot, lambda: not app.is_running, timeout=30)
    finally:
        ctl.close_all(2.0)
        demo.stop()


async def _sign_in_shown(app: ExohopApp, pilot: Pilot[Any]) -> SignInScreen:
    await _select(app, pilot, "contoso")
    await _wait(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.prompt is not None)
    await pilot.pause(0.2)
    screen = app.screen
    assert isinstance(screen, SignInScreen)
    return screen


async def import_progress() -> None:
    """Remote PowerShell's first contact imports the tenant's commands with a progress bar."""
    progress: list[m.ImportProgressed] = []

    def hook(msg: Any) -> None:
        if isinstance(msg, m.ImportProgressed):
            progress.append(msg)

    async with _demo_app(transport="psrp", message_hook=hook) as (_, ctl, app, pilot):
        await _select(app, pilot, "contoso")
        await _wait(pilot, lambda: any(0 < p.done < p.total * 0.6 for p in progress))
        await pilot.pause(0.05)
        _save(app, "import-progress")
        await _wait(pilot, lambda: ctl.state("contoso.onmicrosoft.com").status is TenantStatus.READY)


async def over_rest() -> None:
    """The demo as Exchange Online is reached today: the sign-in dialog, then results over REST."""
    async with _demo_app() as (demo, ctl, app, pilot):
        contoso = "contoso.onmicrosoft.com"
        fabrikam = "fabrikam.onmicrosoft.com"
        # 1. the device-code sign-in dialog
        screen = await _sign_in_shown(app, pilot)
        _save(app, "sign-in")
        assert screen.prompt is not None
        demo.sim.approve_device_code(screen.prompt.user_code, demo.config.accounts[0].upn)
        await _wait(pilot, lambda: ctl.state(contoso).status is TenantStatus.READY)
        # 2. a result table
        await _type_and_run(app, pilot, contoso,
                            "Get-Mailbox -ResultSize 12 | Select-Object DisplayName,PrimarySmtpAddress,"
                            "RecipientTypeDetails,ProhibitSendQuota")
        _save(app, "result-table")
        # 3. an error (bind error with its caret, then a service error)
        app.console_for(contoso).action_clear_scrollback()
        await _type_and_run(app, pilot, contoso, "Get-Mailbox -Identiy adele")
        await _type_and_run(app, pilot, contoso, "Get-MailboxPermission -Identity nobody@contoso.com")
        _save(app, "error")
        # 4. the completion dropdown
        console = app.console_for(contoso)
        console.action_clear_scrollback()
        await _type_and_run(app, pilot, contoso, "Get-Mailbox AdeleV | Format-List DisplayName,"
                            "PrimarySmtpAddress,ProhibitSendQuota,IssueWarningQuota")
        console.input.value = "Set-Mailbox -Identity AdeleV -Pro"
        console.input.cursor_position = len(console.input.value)
        console.input.focus()
        await pilot.press("ctrl+space")   # the menu at once (Tab completes the common beginning first)
        await _wait(pilot, lambda: console.input.menu.is_open)
        await pilot.pause(0.1)
        _save(app, "completion")
        await pilot.press("escape")
        console.input.value = ""
        # 5. the tenant list with a few tenants open
        await _select(app, pilot, "fabrikam")
        await _wait(pilot, lambda: ctl.state(fabrikam).status is TenantStatus.READY)
        await pilot.press("ctrl+t")
        await pilot.pause(0.2)
        _save(app, "tenant-list")


async def sign_in_small() -> None:
    """The sign-in dialog at 80×24 (the smallest terminal it must fit)."""
    async with _demo_app((80, 24), mailboxes=5) as (_, _ctl, app, pilot):
        await _sign_in_shown(app, pilot)
        _save(app, "sign-in-80x24")
        await pilot.press("escape")


async def console_small() -> None:
    """The console at 80×24: the sidebar folded away, a result that fits, one too wide shown as a list."""
    async with _demo_app((80, 24), mailboxes=5) as (demo, ctl, app, pilot):
        contoso = "contoso.onmicrosoft.com"
        screen = await _sign_in_shown(app, pilot)
        assert screen.prompt is not None
        demo.sim.approve_device_code(screen.prompt.user_code, demo.config.accounts[0].upn)
        await _wait(pilot, lambda: ctl.state(contoso).status is TenantStatus.READY)
        await _type_and_run(app, pilot, contoso, "Get-AcceptedDomain")
        await _type_and_run(app, pilot, contoso, "Get-Mailbox -ResultSize 2 | Select-Object DisplayName,"
                            "PrimarySmtpAddress,RecipientTypeDetails,ProhibitSendQuota,Database")
        _save(app, "console-80x24")


async def batch() -> None:
    """Run in tenants… (Ctrl+G): the picker with the EU tenants marked, then the batch view with their rows
    over the merged result (the sign-in is asked once for the account, before the batch starts)."""
    from tui.console.screens.batch_pick import BatchPickScreen
    from tui.console.screens.batch_view import BatchScreen

    async with _demo_app() as (demo, _ctl, app, pilot):
        await pilot.press("ctrl+g")
        await _wait(pilot, lambda: isinstance(app.screen, BatchPickScreen))
        picker = app.screen
        assert isinstance(picker, BatchPickScreen)
        picker.filter_input.value = "tag:eu"
        await pilot.pause(0.2)
        picker.rows.focus()
        await pilot.press("ctrl+a")   # every tenant the filter shows
        line = "Get-Mailbox -ResultSize 3 | Select-Object DisplayName,PrimarySmtpAddress,RecipientTypeDetails"
        picker.input.value = line
        picker.input.cursor_position = len(line)
        picker.input.focus()
        picker.input.cursor_blink = False
        await pilot.pause(0.5)
        _save(app, "batch-pick")
        await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.prompt is not None)
        screen = app.screen
        assert isinstance(screen, SignInScreen) and screen.prompt is not None
        demo.sim.approve_device_code(screen.prompt.user_code, demo.config.accounts[0].upn)
        await _wait(pilot, lambda: isinstance(app.screen, BatchScreen) and app.batches.summary is not None)
        await pilot.pause(1.5)   # the merged rows and the last tick
        _save(app, "batch-view")
        await pilot.press("escape")


async def main() -> int:
    await import_progress()
    await over_rest()
    await sign_in_small()
    await console_small()
    await batch()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
