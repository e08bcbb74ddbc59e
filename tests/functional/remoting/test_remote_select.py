"""Select-Object on the server over real pypsrp against the simulator: a line whose local suffix starts with
``Select-Object Name, …`` also sends that Select-Object in its PSRP pipeline (when the endpoint lists it),
and what the engineer gets is exactly what the local path gives."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tui import accounts
from tui.cli.main import main
from tui.config import Account
from tui.remoting.events import Event, RecordEvent, RunSummary
from tui.remoting.output import Counts
from tui.remoting.session import DelegatedSession
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.shell.views import view_for
from tui.tenants import Tenant

from .conftest import TEST_COMMANDS, seed_cache, write_sim_config

SELECTED_MAILBOX = ("Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox",
                    "System.Management.Automation.PSCustomObject", "System.Object")


class WatchedSession(DelegatedSession):
    """A DelegatedSession that also keeps the records as they came off the wire (before the local suffix)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrived: list[Record] = []

    def _remote_records(self, remote: Sequence[BoundCommand], counts: Counts) -> Iterator[Record]:
        for record in super()._remote_records(remote, counts):
            self.arrived.append(record)
            yield record


@pytest.fixture
def session(sim, tmp_path: Path) -> Iterator[WatchedSession]:   # type: ignore[no-untyped-def]
    """A session whose import (like a full one) lists Select-Object among the endpoint's commands."""
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    s = WatchedSession(account, Tenant(a.tenants[0]), a.password, cache_dir=tmp_path / "cache",
                       refresh_in_background=False, import_patterns=(*TEST_COMMANDS, "Select-Object"))
    s.open()
    yield s
    s.close()


def picture(value: Any) -> Any:
    """Records with type names, text and property order; Python types kept (True is not 1)."""
    if isinstance(value, Record):
        return (value.type_names, value.text, [(k, picture(v)) for k, v in value.properties.items()])
    if isinstance(value, list):
        return [picture(v) for v in value]
    return (type(value).__name__, value)


def run(session: WatchedSession, line: str, *, remote_select: bool = True) -> tuple[RunSummary, list[Record]]:
    records: list[Record] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RecordEvent):
            records.append(event.record)

    session.remote_select = remote_select
    session.arrived = []
    summary = session.run(line, on_event)
    return summary, records


def pipelines_since(sim, before: dict[str, int]) -> dict[str, int]:   # type: ignore[no-untyped-def]
    """The PSRP pipelines the simulator ran since ``before`` (a parameter-detail Get-Command left out)."""
    now = sim.stats()["pipelines"]
    return {k: v - before.get(k, 0) for k, v in now.items() if v != before.get(k, 0) and k != "Get-Command"}


def test_the_import_lists_select_object_and_the_selection_runs_on_the_server(sim, session) -> None:   # type: ignore[no-untyped-def]
    assert "Select-Object" in session.catalog
    line = "Get-Mailbox -ResultSize Unlimited | Select-Object Name,PrimarySmtpAddress"
    before = sim.stats()["pipelines"]
    summary, projected = run(session, line)
    assert summary.outcome == "ok" and summary.records == 50
    assert pipelines_since(sim, before) == {"Get-Mailbox | Select-Object": 1}
    # Only the two properties crossed the wire, in Select-Object's shape.
    assert {tuple(r.properties) for r in session.arrived} == {("Name", "PrimarySmtpAddress")}
    assert {r.type_names for r in session.arrived} == {SELECTED_MAILBOX}

    before = sim.stats()["pipelines"]
    summary_local, local = run(session, line, remote_select=False)
    assert pipelines_since(sim, before) == {"Get-Mailbox": 1}
    assert len(session.arrived[0].properties) > 20          # the whole mailbox crossed
    assert summary_local.records == summary.records and picture(projected) == picture(local)
    assert projected[0].type_names == SELECTED_MAILBOX and projected[0].text is None
    assert view_for(projected[0].type_names) is None         # no mailbox view with columns it lacks
    assert summary.line == line                              # the transcript keeps the line as typed


@pytest.mark.parametrize("line", [
    "Get-Mailbox -ResultSize 8 | select name, primarysmtpaddress",          # the objects' spelling either way
    "Get-Mailbox -ResultSize 8 | Select-Object Name, NoSuchProperty",       # $null for a missing property
    "Get-Mailbox -ResultSize 8 | Select-Object EmailAddresses, Name, IsMailboxEnabled, WhenCreated",
    "Get-Mailbox -ResultSize 8 | Select-Object RecipientTypeDetails -Unique",
    "Get-Mailbox -ResultSize 8 | Select-Object Name -Last 3",
    "Get-Mailbox -ResultSize 8 | Select-Object Name, Alias | Sort-Object Alias -Descending",
    "Get-Mailbox -ResultSize 8 | Select-Object Name, Alias | ConvertTo-Json",
])
def test_the_projected_line_gives_what_the_local_path_gives(sim, session, line: str) -> None:   # type: ignore[no-untyped-def]
    shown_by: dict[bool, list[Any]] = {}
    for remote_select in (True, False):
        shown: list[Any] = []

        def on_event(event: Event, shown: list[Any] = shown) -> None:
            shown.append(picture(event.record) if isinstance(event, RecordEvent) else repr(event))

        before = sim.stats()["pipelines"]
        session.remote_select = remote_select
        summary = session.run(line, on_event)
        assert summary.outcome == "ok", summary.error
        assert pipelines_since(sim, before) == ({"Get-Mailbox | Select-Object": 1} if remote_select
                                                else {"Get-Mailbox": 1})
        shown_by[remote_select] = shown
    assert shown_by[True] and shown_by[True] == shown_by[False]


def test_first_stops_the_server_by_itself(sim, session) -> None:   # type: ignore[no-untyped-def]
    line = "Get-Mailbox -ResultSize Unlimited | Select-Object Name, Alias -Skip 2 -First 3"
    signals = sim.stats()["requests"]["Signal"]
    summary, projected = run(session, line)
    assert summary.outcome == "ok" and summary.records == 3
    assert len(session.arrived) == 5                         # -First 5 on the server; the local one skips 2
    assert sim.stats()["requests"]["Signal"] == signals      # no stop had to be sent
    _, local = run(session, line, remote_select=False)
    assert picture(projected) == picture(local)


def test_an_endpoint_whose_import_lacks_select_object_keeps_the_local_path(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    plain = open_session(sim)                                # the cache of a TEST_COMMANDS import
    assert "Select-Object" not in plain.catalog
    before = sim.stats()["pipelines"]
    records: list[Record] = []
    summary = plain.run("Get-Mailbox -ResultSize 3 | Select-Object Name,PrimarySmtpAddress",
                        lambda e: records.append(e.record) if isinstance(e, RecordEvent) else None)
    assert summary.records == 3 and pipelines_since(sim, before) == {"Get-Mailbox": 1}
    assert [list(r.properties) for r in records] == [["Name", "PrimarySmtpAddress"]] * 3


def test_calculated_properties_and_wildcards_stay_local(sim, session) -> None:   # type: ignore[no-untyped-def]
    for line in ("Get-Mailbox -ResultSize 3 | Select-Object Name, @{n='Mail'; e={$_.PrimarySmtpAddress}}",
                 "Get-Mailbox -ResultSize 3 | Select-Object Name, Primary*",
                 "Get-Mailbox -ResultSize 3 | Where-Object { $_.Name } | Select-Object Name"):
        before = sim.stats()["pipelines"]
        summary, _ = run(session, line)
        assert summary.records == 3 and pipelines_since(sim, before) == {"Get-Mailbox": 1}, line


@pytest.mark.keyring
def test_exohop_run_output_is_unchanged(sim, secret_service, exohop_dirs, seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    write_sim_config(exohop_dirs, sim, [a.tenants[0]])
    line = "Get-Mailbox -ResultSize 6 | Select-Object Name,PrimarySmtpAddress"
    formats = ("table", "list", "json", "csv")
    accounts.set_password(a.upn, a.password)
    try:
        outputs: dict[str, dict[str, str]] = {}
        # No catalog cache: the one-shot import asks for the line's commands and Select-Object.
        for path, expected in (("server", "Get-Mailbox | Select-Object"), ("local", "Get-Mailbox")):
            if path == "local":   # a cached catalog from an import that does not list Select-Object
                seed_cache(exohop_dirs["cache"], sim, seeded_catalog)
            outputs[path] = {}
            for fmt in formats:
                before = sim.stats()["pipelines"]
                assert main(["run", "-t", "contoso", line, "--format", fmt]) == 0
                out, _ = capsys.readouterr()
                assert pipelines_since(sim, before) == {expected: 1}, (path, fmt)
                outputs[path][fmt] = out
        assert outputs["server"] == outputs["local"]
        rows = json.loads(outputs["server"]["json"])
        assert len(rows) == 6 and all(list(r) == ["Name", "PrimarySmtpAddress"] for r in rows)
        assert outputs["server"]["csv"].splitlines()[0] == '"Name","PrimarySmtpAddress"'
        assert outputs["server"]["table"].split()[:2] == ["Name", "PrimarySmtpAddress"]
    finally:
        accounts.delete_password(a.upn)
