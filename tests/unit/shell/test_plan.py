"""Planner: the longest remote prefix is one pipeline, the rest runs locally; bad orders are refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.shell import BindError, Plan, PlanError, ShellError, parse, plan_pipeline

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Retrieves mailboxes.", ("Identity",), (
        ParameterInfo("Identity", "MailboxIdParameter", position=0, pipeline=True),
        ParameterInfo("ResultSize", "Unlimited"),
    )),
    CmdletInfo("Get-MailboxStatistics", "Gets statistics.", ("Identity",), (
        ParameterInfo("Identity", "GeneralMailboxOrMailUserIdParameter", position=0, pipeline=True,
                      mandatory_in=("Identity",)),
    )),
])


def plan(text: str, variables: dict[str, Any] | None = None) -> Plan:
    return plan_pipeline(parse(text).statements[0], CATALOG, variables)


def test_remote_prefix_then_local_suffix() -> None:
    p = plan("get-mailbox -ResultSize 5 | get-mailboxstatistics | Select-Object DisplayName -First 2")
    assert [c.name for c in p.remote] == ["Get-Mailbox", "Get-MailboxStatistics"]
    assert [c.name for c in p.local] == ["Select-Object"]
    assert p.local[0].local and not p.remote[0].local
    assert p.remote[1].parameters == {}  # Identity comes from the pipeline
    assert p.source == "get-mailbox -ResultSize 5 | get-mailboxstatistics | Select-Object DisplayName -First 2"
    assert p.assign_to is None and p.input_variable is None and p.is_remote


def test_all_remote_and_assignment() -> None:
    p = plan("$m = Get-Mailbox john")
    assert [c.name for c in p.remote] == ["Get-Mailbox"] and p.local == []
    assert p.assign_to == "m" and p.source == "$m = Get-Mailbox john"


def test_local_before_remote_is_refused_with_the_reason() -> None:
    with pytest.raises(PlanError) as info:
        plan("Get-Mailbox | Select-Object -First 5 | Get-MailboxStatistics")
    assert info.value.message == (
        "Select-Object runs locally; Get-MailboxStatistics after it would have to run on the server. "
        "Put remote commands first, e.g. Get-Mailbox … | Get-MailboxStatistics … | Select-Object …")
    assert info.value.column == 39


def test_variable_input_is_all_local() -> None:
    p = plan("$last | Sort-Object Name | Select-Object -First 1", {"last": []})
    assert p.remote == [] and [c.name for c in p.local] == ["Sort-Object", "Select-Object"]
    assert p.input_variable == "last"
    alone = plan("$last", {"last": []})
    assert alone.remote == [] and alone.local == [] and alone.input_variable == "last"


def test_variable_input_to_a_remote_command_is_refused() -> None:
    with pytest.raises(PlanError) as info:
        plan("$m | Get-MailboxStatistics", {"m": []})
    assert info.value.message.startswith("Get-MailboxStatistics runs on the server and cannot read $m")


def test_unknown_variable_and_command() -> None:
    with pytest.raises(BindError) as info:
        plan("$nope | Select-Object Name", {"last": []})
    assert info.value.message == "The variable '$nope' cannot be retrieved because it has not been set."
    with pytest.raises(BindError) as info:
        plan("Get-Mailbox | Get-MailboxStatistic")
    assert "Did you mean: Get-MailboxStatistics?" in info.value.message
    assert info.value.column == 14


def test_local_command_without_input_is_refused() -> None:
    with pytest.raises(PlanError) as info:
        plan("Select-Object -First 1")
    assert info.value.message == ("Select-Object needs input: pipe a command into it, e.g. Get-Mailbox | "
                                  "Select-Object …")


_PIECES = st.sampled_from([
    "Get-Mailbox", "Get-MailboxStatistics", "Select-Object", "Where-Object", "Sort-Object", "Format-Table",
    "ForEach-Object", "Export-Csv", "Measure-Object", "select", "?", "%", " ", " ", " ", "|", ";", "-Identity",
    "-Id", "-I", "-ResultSize", "-First", "-Property", "-Descending", "-eq", "-like", "-GT", "-Path", "-Not",
    ":", "$true", "$false", "$null", "$last", "$m", "$nope", "5", "10MB", "-3", "1.5", "Unlimited", "x",
    "'a b'", "@(1,2)", "a,b", "@{n='x';e={$_.Name}}", "{ $_.Name -eq 1 }", "-Foo", "=", "$x =",
])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_fuzz_parse_and_plan_raise_only_shell_errors(text: str) -> None:
    variables = {"last": [], "m": []}
    try:
        script = parse(text)
    except ShellError:
        return
    for statement in script.statements:
        for vars_ in (variables, None):
            try:
                plan_pipeline(statement, CATALOG, vars_)
            except ShellError as exc:
                assert exc.message
