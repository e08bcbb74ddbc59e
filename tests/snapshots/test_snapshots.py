"""Snapshot tests of exohop's main screens (pytest-textual-snapshot, fixed terminal size).

Regenerate after an intended change with ``pytest tests/snapshots --snapshot-update`` and look at
the report before committing the SVG files.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from textual.pilot import Pilot

from tui.config import Account, Config
from tui.console.app import ExohopApp, make_app
from tui.console.controller import Controller, TenantStatus
from tui.remoting.events import ErrorEvent, RecordEvent, RunSummary, WarningEvent
from tui.shell.records import Record
from tui.tenants import Tenant, TenantDirectory

SIZE = (110, 30)
UPN = "admin@fabrikampartner.onmicrosoft.com"


def _offline_app() -> ExohopApp:
    """An app over a small directory and no server: for the screens that need no session."""
    config = Config(accounts=[Account(UPN, "https://127.0.0.1:9/powershell-liveid", default=True)])
    tenants = TenantDirectory([
        Tenant("contoso.onmicrosoft.com", "Contoso Ltd", tags=("retail", "eu"), favorite=True),
        Tenant("fabrikam.onmicrosoft.com", "Fabrikam Inc"),
        Tenant("northwind.onmicrosoft.com", "Northwind Traders", tags=("us",)),
        Tenant("adatum.onmicrosoft.com", "Adatum Corporation", tags=("finance",)),
        Tenant("wingtiptoys.onmicrosoft.com", "Wingtip Toys", tags=("retail",)),
        Tenant("tailspin.onmicrosoft.com", "Tailspin Toys"),
    ])
    ctl = Controller(config, tenants, password_source=lambda upn: None)
    ctl.set_status("adatum.onmicrosoft.com", TenantStatus.ERROR,
                   "Access is denied to adatum.onmicrosoft.com for " + UPN + ": the account has no delegated "
                   "admin rights for that tenant.")
    return make_app(ctl)


def test_tenant_list(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE)


def test_tenant_list_filtered(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["slash", *"toys"], terminal_size=SIZE)


def test_tenant_error_detail(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["slash", *"adatum"], terminal_size=SIZE)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), press=["f1"], terminal_size=SIZE)


# What `Select-Object Name,Alias,PrimarySmtpAddress,RecipientTypeDetails` makes of mailboxes.
SELECTED_TYPE = ("Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox",
                 "System.Management.Automation.PSCustomObject", "System.Object")
MAILBOXES = [
    ("Adele Vance", "AdeleV", "AdeleV@contoso.com", "UserMailbox"),
    ("Alex Wilber", "AlexW", "AlexW@contoso.com", "UserMailbox"),
    ("Conf Room Adams", "Adams", "Adams@contoso.com", "RoomMailbox"),
    ("Helpdesk", "helpdesk", "helpdesk@contoso.com", "SharedMailbox"),
    ("Megan Bowen", "MeganB", "MeganB@contoso.com", "UserMailbox"),
]


def _mailbox(row: tuple[str, str, str, str]) -> Record:
    name, alias, smtp, kind = row
    return Record({"Name": name, "Alias": alias, "PrimarySmtpAddress": smtp, "RecipientTypeDetails": kind},
                  SELECTED_TYPE)


async def _contoso_console(pilot: Pilot[Any]) -> Any:
    """Contoso shown with its session marked ready (no connect), laid out before anything is written
    so the scrollback renders at its real width; returns its console."""
    app = pilot.app
    assert isinstance(app, ExohopApp)
    tenant = app.tenant("contoso.onmicrosoft.com")
    app.ctl.set_status(tenant.domain, TenantStatus.READY)
    app.show_tenant(tenant)
    console = app.console_for(tenant.domain)
    for _ in range(200):   # focused and laid out (a loaded machine is slow)
        if console.input.has_focus and console.scrollback.scrollable_content_region.width:
            break
        await pilot.pause(0.05)
    await pilot.pause(0.1)
    console.input.cursor_blink = False   # a steady cursor: the picture must not depend on the blink's phase
    return console


async def _until_shown(pilot: Pilot[Any], console: Any, needle: str) -> None:
    """The scrollback flushes on a timer: wait for its summary line, not a fixed time (a loaded machine is slow)."""
    for _ in range(200):
        if any(needle in text for text in console.scrollback.plain_lines()):
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def _show_result(pilot: Pilot[Any], keys: Sequence[str] = ()) -> None:
    """A finished command with a table, fed through the console's own API (fixed duration: no clock);
    ``keys`` are pressed once the console shows."""
    console = await _contoso_console(pilot)
    await pilot.press(*keys)
    line = "Get-Mailbox -ResultSize 5 | Select-Object Name,Alias,PrimarySmtpAddress,RecipientTypeDetails"
    console.begin_run(line)
    for row in MAILBOXES:
        console.append_event(RecordEvent(_mailbox(row)))
    console.end_run(RunSummary(line=line, outcome="ok", records=5, duration_s=0.42))
    await _until_shown(pilot, console, "0.42 s")


async def _show_errors(pilot: Pilot[Any]) -> None:
    """A bind error with its caret, then a service error with category and id, and a warning."""
    console = await _contoso_console(pilot)
    bad = "Get-Mailbox -Identiy alice"
    console.begin_run(bad)
    console.show_error("A parameter cannot be found that matches parameter name 'Identiy'. Did you mean -Identity?",
                       12, bad)
    console.end_run(RunSummary(line=bad, outcome="failed", duration_s=0.0))
    line = "Get-Mailbox -Identity nobody@contoso.com"
    console.begin_run(line)
    console.append_event(WarningEvent("The object nobody@contoso.com has been searched in the whole forest."))
    console.append_event(ErrorEvent(
        "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on "
        "'AM4PR05A001DC01.EURPR05A001.prod.outlook.com'.", category="NotSpecified",
        error_id="[Server=AM0PR05MB1234,RequestId=00000000-0000-0000-0000-000000000000,TimeStamp=…] "
                 "[FailureCategory=Cmdlet-ManagementObjectNotFoundException] 9F1F9C2E,"
                 "Microsoft.Exchange.Management.RecipientTasks.GetMailbox",
        target="nobody@contoso.com", terminating=True,
        exception_type="ManagementObjectNotFoundException"))
    console.end_run(RunSummary(line=line, outcome="failed", errors=1, warnings=1, duration_s=0.31))
    await _until_shown(pilot, console, "0.31 s")


def test_result_table(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE, run_before=_show_result)


def test_errors(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE, run_before=_show_errors)


async def _ask_confirmation(pilot: Pilot[Any]) -> None:
    """Enter on a state-changing line: the dialog names the tenant before anything is sent."""
    box = (await _contoso_console(pilot)).input
    box.value = "Set-Mailbox -Identity AdeleV -ProhibitSendQuota 45GB"
    box.focus()
    await pilot.press("enter")
    await pilot.pause(0.2)


def test_confirmation_dialog(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE, run_before=_ask_confirmation)


# -- 80x24: the sidebar collapses once a tenant is open, results fit the console --------------------

SMALL = (80, 24)


def test_welcome_80x24(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SMALL)


async def _demo_notice(pilot: Pilot[Any]) -> None:
    """The notice the demo puts in the welcome pane (what ExohopApp does once its controller is ready)."""
    from tui.console.widgets.welcome import Welcome

    pilot.app.query_one(Welcome).set_notice("13 customer tenants on the built-in Exchange Online simulator "
                                            "(HTTPS on loopback); nothing leaves this machine.")
    await pilot.pause()


def test_demo_welcome_80x24(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SMALL, run_before=_demo_notice)


def test_result_table_80x24(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SMALL, run_before=_show_result)


def test_result_list_80x24(snap_compare: Any) -> None:
    # Ctrl+B shows the list at 80 columns: the same result no longer fits as a table, so it is a list.
    assert snap_compare(_offline_app(), terminal_size=SMALL, run_before=partial(_show_result, keys=["ctrl+b"]))


# -- Run in tenants… (Ctrl+G): the picker, and a finished batch's view ------------------------------------

async def _pick_tenants(pilot: Pilot[Any]) -> None:
    """The picker with two tenants marked and a line typed (no dropdown: its catalog comes from a thread)."""
    await pilot.press("ctrl+g")
    for _ in range(100):
        if type(pilot.app.screen).__name__ == "BatchPickScreen":
            break
        await pilot.pause(0.05)
    await pilot.press("space", "down", "space")
    picker = pilot.app.screen
    picker.input.value = "Get-Mailbox -ResultSize 3"
    picker.input.focus()
    picker.input.cursor_blink = False
    await pilot.pause(0.2)


def test_batch_picker(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE, run_before=_pick_tenants)


def _run(batch: Any, domain: str, state: str, *, records: int = 0, errors: int = 0, message: str | None = None,
         seconds: float = 0.0) -> None:
    from tui.remoting.events import RunSummary

    run = next(r for r in batch.runs if r.tenant.domain == domain)
    run.state, run.records, run.errors, run.message = state, records, errors, message
    if seconds:
        run.started, run.ended = 100.0, 100.0 + seconds
    if state in ("ok", "errors"):
        run.summary = RunSummary(line=batch.line, outcome="ok" if state == "ok" else "failed", records=records,
                                 errors=errors, duration_s=seconds)


async def _show_batch(pilot: Pilot[Any]) -> None:
    """A finished batch in four tenants, fed through the engine's own objects (fixed times: no clock)."""
    from tui.console.batch_run import BatchPlan
    from tui.remoting import batch as B

    app = pilot.app
    assert isinstance(app, ExohopApp)
    line = "Get-Mailbox -ResultSize 3 | Select-Object Name,Alias,PrimarySmtpAddress,RecipientTypeDetails"
    domains = ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com", "northwind.onmicrosoft.com",
               "adatum.onmicrosoft.com"]
    account = app.ctl.active_account()
    plan = BatchPlan(line, [(app.tenant(d), account) for d in domains], batch_id="5e1f0c2a9b7d")
    batch = B.Batch(None, line, plan.targets, lambda a: None, on_event=lambda r, e: None, batch_id=plan.batch_id)
    _run(batch, domains[0], "ok", records=3, seconds=1.4)
    _run(batch, domains[1], "ok", records=2, seconds=1.1)
    _run(batch, domains[2], "errors", errors=1, seconds=0.9)
    _run(batch, domains[3], "connect_failed", seconds=0.3,
         message="Access is denied to adatum.onmicrosoft.com for " + UPN + ": the account has no delegated "
                 "admin rights for that tenant.")
    flow = app.batches
    flow.begin(batch, plan)
    tenants = {d: app.tenant(d) for d in domains}
    flow.records = [B.with_tenant(_mailbox(row), tenants[domains[0]]) for row in MAILBOXES[:3]] + \
        [B.with_tenant(_mailbox(row), tenants[domains[1]]) for row in MAILBOXES[3:]]
    flow._result = B.BatchSummary(batch.batch_id, tuple(batch.runs), 2.1)
    for _ in range(100):   # the next tick takes the end
        if flow.summary is not None and flow.view is not None and flow.view.viewer.complete:
            break
        await pilot.pause(0.05)
    flow.view.rows.move_cursor(row=3)   # the tenant that could not connect: its note whole under the table
    await pilot.pause(0.2)


def test_batch_view(snap_compare: Any) -> None:
    assert snap_compare(_offline_app(), terminal_size=SIZE, run_before=_show_batch)
