"""Planner: a leading local ``Select-Object`` of plain names also runs at the end of the remote pipeline,
when the endpoint lists Select-Object, and only then (``with_remote_select``)."""

from __future__ import annotations

from typing import Any

import pytest

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.shell import Plan, parse, plan_pipeline
from tui.shell.plan import with_remote_select

_GET_MAILBOX = CmdletInfo("Get-Mailbox", "Retrieves mailboxes.", ("Identity",), (
    ParameterInfo("Identity", "MailboxIdParameter", position=0, pipeline=True),
    ParameterInfo("ResultSize", "Unlimited"),
))
# What a PSRP import of Exchange's restricted endpoint gives: its own cmdlets and Select-Object.
WITH_SELECT = Catalog([_GET_MAILBOX, CmdletInfo("Select-Object", "Selects objects or object properties.", (), (
    ParameterInfo("Property", "Object[]", position=0), ParameterInfo("First", "Int32")))])
WITHOUT_SELECT = Catalog([_GET_MAILBOX])


def planned(text: str, catalog: Catalog = WITH_SELECT, variables: dict[str, Any] | None = None) -> Plan:
    return with_remote_select(plan_pipeline(parse(text).statements[0], catalog, variables), catalog)


def remote_of(p: Plan) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.parameters) for c in p.remote]


def test_plain_names_are_selected_on_the_server_and_again_here() -> None:
    p = planned("Get-Mailbox -ResultSize Unlimited | Select-Object Name,PrimarySmtpAddress")
    assert remote_of(p) == [("Get-Mailbox", {"ResultSize": "Unlimited"}),
                            ("Select-Object", {"Property": ["Name", "PrimarySmtpAddress"]})]
    assert not p.remote[-1].local
    assert [c.name for c in p.local] == ["Select-Object"]     # the local one still shapes the records
    assert p.projected == ("Name", "PrimarySmtpAddress")
    assert p.source == "Get-Mailbox -ResultSize Unlimited | Select-Object Name,PrimarySmtpAddress"


def test_the_alias_and_one_name_and_what_follows_locally() -> None:
    p = planned("Get-Mailbox | select DisplayName | Sort-Object DisplayName | Format-Table")
    assert remote_of(p)[-1] == ("Select-Object", {"Property": ["DisplayName"]})
    assert [c.name for c in p.local] == ["Select-Object", "Sort-Object", "Format-Table"]


@pytest.mark.parametrize(("line", "first"), [
    ("Get-Mailbox | Select-Object Name -First 5", 5),
    ("Get-Mailbox | Select-Object Name -Skip 2 -First 3", 5),    # the local one skips the first two
    ("Get-Mailbox | Select-Object Name -First 0", 0),
])
def test_first_goes_along_so_the_server_stops_by_itself(line: str, first: int) -> None:
    assert remote_of(planned(line))[-1] == ("Select-Object", {"Property": ["Name"], "First": first})


@pytest.mark.parametrize("line", [
    "Get-Mailbox | Select-Object Name -Last 5",
    "Get-Mailbox | Select-Object Name -First 2 -Last 2",
    "Get-Mailbox | Select-Object Name -Skip 3",
    "Get-Mailbox | Select-Object Name -Unique",
])
def test_picking_that_needs_every_object_stays_local_the_server_only_projects(line: str) -> None:
    assert remote_of(planned(line))[-1] == ("Select-Object", {"Property": ["Name"]})


@pytest.mark.parametrize("line", [
    "Get-Mailbox | Select-Object Name, @{n='Mail'; e={$_.PrimarySmtpAddress}}",   # calculated: hashtable
    "Get-Mailbox | Select-Object Name, {$_.Alias.Length}",                        # calculated: script block
    "Get-Mailbox | Select-Object Name, Primary*",                                 # wildcard
    "Get-Mailbox | Select-Object Display?ame",
    "Get-Mailbox | Select-Object [DN]ame",
    "Get-Mailbox | Select-Object Name, name",                                     # the same name twice
    "Get-Mailbox | Select-Object -ExpandProperty EmailAddresses",
    "Get-Mailbox | Select-Object Name -ExpandProperty EmailAddresses",
    "Get-Mailbox | Select-Object Name, Alias -ExcludeProperty Alias",
    "Get-Mailbox | Select-Object -First 5",                                       # nothing to project
    "Get-Mailbox | Where-Object { $_.Alias -like 'a*' } | Select-Object Name",    # Where needs all of it
    "Get-Mailbox | Sort-Object Name | Select-Object Name",
    "Get-Mailbox",
])
def test_not_selected_on_the_server(line: str) -> None:
    p = planned(line)
    assert [c.name for c in p.remote] == ["Get-Mailbox"] and p.projected == ()


def test_a_variable_input_has_no_remote_pipeline_to_project() -> None:
    p = planned("$last | Select-Object Name", variables={"last": []})
    assert p.remote == [] and p.projected == ()


def test_an_endpoint_without_select_object_keeps_the_local_path() -> None:
    p = planned("Get-Mailbox | Select-Object Name,PrimarySmtpAddress -First 3", WITHOUT_SELECT)
    assert [c.name for c in p.remote] == ["Get-Mailbox"] and p.projected == ()
    assert [c.name for c in p.local] == ["Select-Object"]


def test_a_first_from_a_variable_the_binder_resolved_goes_along() -> None:
    p = planned("Get-Mailbox | Select-Object Name -First $n", variables={"n": 4})
    assert remote_of(p)[-1] == ("Select-Object", {"Property": ["Name"], "First": 4})


def test_a_first_not_known_when_planning_is_left_to_the_local_select_object() -> None:
    p = planned("Get-Mailbox | Select-Object Name -First $n")   # no variables given: bound as a Variable
    assert [c.name for c in p.remote] == ["Get-Mailbox"]
