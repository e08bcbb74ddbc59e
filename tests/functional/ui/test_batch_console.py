"""The console's "Run in tenants…" under Pilot, against the simulator over real HTTPS (remote PowerShell):
the picker (filter, Space), the batch view (one row per tenant reaching ok with its counts, the merged table
with a Tenant column), the confirmation naming how many tenants a Set- would change (and none for -WhatIf),
read-only accounts refused before anything connects, Ctrl+C stopping every tenant, a password asked once per
account, and a row opening the tenant's console with the batch's output in its scrollback.

Every test closes what it opened (the session-wide simulator allows 3 shells per account); only the first
open of a tenant imports its commands (a module-wide catalog cache, shared as in test_app_sessions).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tui.config import Account, Config, Settings
from tui.console.app import ExohopApp, make_app
from tui.console.controller import Controller, TenantStatus
from tui.console.screens.batch_pick import BatchPickScreen
from tui.console.screens.batch_view import BatchScreen
from tui.console.screens.confirm import ConfirmScreen
from tui.console.screens.login import LoginScreen
from tui.sim import Simulator
from tui.tenants import Tenant, TenantDirectory

from .conftest import quit_app, screen_lines, wait_for
from .test_app_sessions import share_catalog

SIZE = (150, 44)
Setup = Callable[..., Controller]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def big_sim() -> Iterator[Simulator]:
    """4,000 mailboxes per tenant: `Get-Mailbox -ResultSize Unlimited` streams for several seconds."""
    with Simulator(mailboxes=4000) as server:
        yield server


@pytest.fixture
def setup(sim: Simulator, cache_dir: Path, tmp_path: Path) -> Iterator[Setup]:
    made: list[Controller] = []

    def build(*, server: Simulator = sim, read_only: bool = False, password: bool = True) -> Controller:
        account = server.accounts[0]
        share_catalog(server, cache_dir, source=sim)
        config = Config(settings=Settings(confirm="always"),
                        accounts=[Account(account.upn, server.url, ca_file=server.ca_file, default=True,
                                          read_only=read_only)])
        tenants = TenantDirectory([Tenant(t.domain, t.name, tags=tuple(t.tags)) for t in server.tenants])
        ctl = Controller(config, tenants, password_source=lambda upn: account.password if password else None,
                         cache_dir=cache_dir, transcript_dir=tmp_path / "transcripts",
                         history_dir=tmp_path / "history", refresh_in_background=False)
        made.append(ctl)
        return ctl

    yield build
    for ctl in made:  # whatever a failing test left open
        ctl.close_all(5.0)


def _domains(server: Simulator, n: int) -> list[str]:
    return list(server.accounts[0].tenants[:n])


async def _pick(app: ExohopApp, pilot: Pilot[Any], domains: list[str], line: str) -> None:
    """Ctrl+G, mark each of ``domains`` (filter + Space), type ``line`` and press Enter."""
    await pilot.press("ctrl+g")
    await wait_for(pilot, lambda: isinstance(app.screen, BatchPickScreen), timeout=10)
    picker = app.screen
    assert isinstance(picker, BatchPickScreen)
    for domain in domains:
        picker.filter_input.value = domain
        await wait_for(pilot, lambda d=domain: [t.domain for t in picker.shown][:1] == [d], timeout=10)
        picker.rows.focus()
        await pilot.press("space")
    assert list(picker.marked) == domains
    picker.input.value = line
    picker.input.focus()
    await pilot.press("enter")


def _view(app: ExohopApp) -> BatchScreen:
    screen = app.screen
    assert isinstance(screen, BatchScreen), screen
    return screen


def _row(view: BatchScreen, domain: str) -> list[str]:
    table = view.rows
    return [str(cell) for cell in table.get_row(domain)]


def _scrollback(app: ExohopApp, domain: str) -> str:
    return "\n".join(app.console_for(domain).scrollback.plain_lines())


def _requests(server: Simulator, kind: str) -> int:
    return int(server.stats()["requests"].get(kind, 0))


def _transcript(tmp_path: Path, domain: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (tmp_path / "transcripts" / f"{domain}.jsonl").read_text().splitlines()]


def test_three_tenants_reach_ok_and_the_merged_table_names_each_tenant(setup: Setup, sim: Simulator,
                                                                        tmp_path: Path) -> None:
    ctl = setup()
    domains = _domains(sim, 3)
    names = {t.domain: t.name for t in sim.tenants}

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await _pick(app, pilot, domains, "Get-Mailbox -ResultSize 4")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            view = _view(app)
            await wait_for(pilot, lambda: app.batches.summary is not None)
            await wait_for(pilot, lambda: all(_row(view, d)[2] == "ok" for d in domains), timeout=10)
            for domain in domains:
                row = _row(view, domain)
                assert row[0] == names[domain] and row[1] == domain
                assert row[3] == "4" and row[4] == ""          # records, errors
                assert row[5].endswith(" s")
            viewer = view.viewer
            await wait_for(pilot, lambda: len(viewer.records) == 12 and viewer.complete, timeout=10)
            assert viewer.columns[0] == "Tenant"
            assert {r["Tenant"] for r in viewer.records} == {names[d] for d in domains}
            assert viewer.table.row_count == 12
            await wait_for(pilot, lambda: "3 of 3 tenants succeeded (12 records" in "\n".join(screen_lines(app)),
                           timeout=10)
            # no tenant waited for a shell: the three sessions stay open, marked ready in the sidebar
            await wait_for(pilot, lambda: all(ctl.state(d).status is TenantStatus.READY for d in domains), timeout=10)
            assert all(ctl.session(d) is not None for d in domains)
            # the merged table sorts and filters like any result
            viewer.sort_by("Tenant")
            assert [r["Tenant"] for r in viewer.visible_records()] == sorted(r["Tenant"] for r in viewer.records)
            viewer.apply_filter(names[domains[1]])
            assert {r["Tenant"] for r in viewer.visible_records()} == {names[domains[1]]}
            # every tenant's transcript line carries the same batch id
            batch_id = app.batches.batch.batch_id
            for domain in domains:
                assert [(e["line"], e["outcome"], e.get("batch")) for e in _transcript(tmp_path, domain)] == \
                    [("Get-Mailbox -ResultSize 4", "ok", batch_id)]
            await quit_app(app, pilot)

    asyncio.run(scenario())


def test_opening_a_row_shows_the_tenants_console_with_the_batch_output(setup: Setup, sim: Simulator) -> None:
    ctl = setup()
    domains = _domains(sim, 2)

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await _pick(app, pilot, domains, "Get-Mailbox -ResultSize 3 | Select-Object Alias,DisplayName")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            await wait_for(pilot, lambda: app.batches.summary is not None)
            view = _view(app)
            view.rows.focus()
            view.rows.move_cursor(row=1)
            await pilot.press("enter")
            second = domains[1]
            await wait_for(pilot, lambda: not isinstance(app.screen, BatchScreen) and app.active == second,
                           timeout=10)
            console = app.console_for(second)
            await wait_for(pilot, lambda: "3 records" in _scrollback(app, second), timeout=10)
            text = _scrollback(app, second)
            batch_id = app.batches.batch.batch_id
            assert f"Get-Mailbox -ResultSize 3 | Select-Object Alias,DisplayName   (from batch {batch_id})" in text
            assert "Alias" in text and "DisplayName" in text and "Tenant" not in text   # as if typed here
            assert [list(r.properties) for r in console.last_result] == [["Alias", "DisplayName"]] * 3
            await wait_for(pilot, lambda: ctl.state(second).status is TenantStatus.READY, timeout=10)
            assert len(console.input.catalog) > 0                 # completes from the session the batch opened
            # the first tenant's console gets its part when it is opened, too
            app.show_tenant(app.tenant(domains[0]))
            await wait_for(pilot, lambda: f"(from batch {batch_id})" in _scrollback(app, domains[0]), timeout=10)
            await wait_for(pilot, lambda: "3 records" in _scrollback(app, domains[0]), timeout=10)
            # the palette shows the batch again; Esc closes it (done: nothing to stop)
            assert "batch: Show the last batch" in [e.title for e in app.palette_entries()]
            app.batches.show_view()
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, BatchScreen), timeout=10)
            await quit_app(app, pilot)

    asyncio.run(scenario())


def test_a_set_across_tenants_asks_naming_how_many_and_whatif_does_not(setup: Setup, sim: Simulator,
                                                                       tmp_path: Path) -> None:
    ctl = setup()
    domains = _domains(sim, 3)
    line = "Set-Mailbox -Identity AdeleV -CustomAttribute1 batch"

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            commands, creates = _requests(sim, "Command"), _requests(sim, "Create")
            await _pick(app, pilot, domains, line)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
            text = "\n".join(screen_lines(app))
            assert "Run in 3 tenants?" in text and "This command changes 3 tenants" in text
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), timeout=10)
            assert app.batches.batch is None                                    # nothing opened, nothing sent
            assert (_requests(sim, "Command"), _requests(sim, "Create")) == (commands, creates)

            await _pick(app, pilot, domains, line + " -WhatIf")                  # a preview: no question
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            await wait_for(pilot, lambda: app.batches.summary is not None)
            assert len(app.batches.summary.succeeded) == 3
            await pilot.press("escape")                                          # done: Esc closes the view
            await wait_for(pilot, lambda: not isinstance(app.screen, BatchScreen), timeout=10)
            for domain in domains:
                app.show_tenant(app.tenant(domain))
                await wait_for(pilot, lambda d=domain: "What if" in _scrollback(app, d), timeout=10)

            await _pick(app, pilot, domains[:1], line)                          # one tenant: the usual question
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
            assert "Run in 1 tenant?" in "\n".join(screen_lines(app))
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), timeout=10)
            await quit_app(app, pilot)

    asyncio.run(scenario())
    for domain in domains:
        # the declined batch is in the audit too, with the batch id of the run it would have been
        outcomes = [(e["line"], e["outcome"], bool(e.get("batch"))) for e in _transcript(tmp_path, domain)]
        expected = [(line, "declined", True), (line + " -WhatIf", "ok", True)]
        assert outcomes == expected + ([(line, "declined", True)] if domain == domains[0] else [])


def test_a_read_only_account_refuses_the_set_before_connecting(setup: Setup, sim: Simulator) -> None:
    ctl = setup(read_only=True)
    domains = _domains(sim, 3)

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            commands, creates = _requests(sim, "Command"), _requests(sim, "Create")
            await _pick(app, pilot, domains, "Remove-Mailbox -Identity AdeleV")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)   # no question
            await wait_for(pilot, lambda: app.batches.summary is not None)
            view = _view(app)
            await wait_for(pilot, lambda: all(_row(view, d)[2] == "refused" for d in domains), timeout=10)
            assert _row(view, domains[0])[6].startswith("Read-only: Remove-Mailbox")
            # the highlighted row's note, whole, under the table
            await wait_for(pilot, lambda: "Remove-Mailbox changes the tenant, so exohop did not send this line"
                           in view._detail.text, timeout=10)
            assert (_requests(sim, "Command"), _requests(sim, "Create")) == (commands, creates)
            app.show_tenant(app.tenant(domains[2]))
            await wait_for(pilot, lambda: "Read-only: Remove-Mailbox" in _scrollback(app, domains[2]), timeout=10)
            await quit_app(app, pilot)

    asyncio.run(scenario())


def test_ctrl_c_in_the_batch_view_stops_every_tenant(setup: Setup, big_sim: Simulator) -> None:
    ctl = setup(server=big_sim)
    domains = _domains(big_sim, 3)

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await _pick(app, pilot, domains, "Get-Mailbox -ResultSize Unlimited")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            view = _view(app)
            await wait_for(pilot, lambda: sum(r.state == "running" and r.records > 0 for r in app.batches.batch.runs)
                           >= 2)
            started = time.monotonic()
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: app.batches.summary is not None)
            assert time.monotonic() - started < 15.0   # a hang guard, not a measurement
            await wait_for(pilot, lambda: all(_row(view, d)[2] in ("stopped", "ok") for d in domains), timeout=10)
            assert "stopped" in {_row(view, d)[2] for d in domains}
            assert sum(r.records for r in app.batches.batch.runs) < 3 * 4000
            assert _requests(big_sim, "Signal") >= 1
            await quit_app(app, pilot)

    asyncio.run(scenario())
    assert sum(big_sim.stats()["open_shells"].values()) == 0


def test_a_password_is_asked_once_per_account_not_per_tenant(setup: Setup, sim: Simulator) -> None:
    ctl = setup(password=False)
    domains = _domains(sim, 3)
    asked: list[str] = []

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await _pick(app, pilot, domains, "Get-AcceptedDomain")
            await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen), timeout=10)
            asked.append(app.screen.upn)
            app.screen.query_one("#login-password").value = sim.accounts[0].password
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            await wait_for(pilot, lambda: app.batches.summary is not None)
            assert len(app.batches.summary.succeeded) == 3
            await quit_app(app, pilot)

    asyncio.run(scenario())
    assert asked == [sim.accounts[0].upn]


def test_five_tenants_of_one_account_share_its_three_shells(setup: Setup, sim: Simulator) -> None:
    ctl = setup()
    domains = _domains(sim, 5)
    upn = sim.accounts[0].upn

    async def scenario() -> None:
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await _pick(app, pilot, domains, "Get-AcceptedDomain")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), timeout=10)
            await wait_for(pilot, lambda: app.batches.summary is not None)
            assert len(app.batches.summary.succeeded) == 5
            assert sim.stats()["open_shells"].get(upn, 0) <= 3
            # the sidebar says which stayed open: ready where a session is, not connected where the batch
            # closed it for the next tenant
            await wait_for(pilot, lambda: all((ctl.state(d).status is TenantStatus.READY) == (ctl.session(d) is not None)
                                              for d in domains), timeout=10)
            assert 1 <= sum(ctl.session(d) is not None for d in domains) <= 3
            await quit_app(app, pilot)

    asyncio.run(scenario())
