"""A delegated session end to end with the real pypsrp client: import, typed output, changes, errors, stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.sim import Simulator

MAILBOX_TYPES = [
    "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
    "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
    "Microsoft.Exchange.Data.Directory.ADObject",
    "Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Microsoft.Exchange.Data.ConfigurableObject",
    "System.Object",
]


@pytest.fixture(scope="module")
def session_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=50) as server:
        yield server


@pytest.fixture(scope="module")
def pool(session_sim: Simulator, pool_opener: Callable[..., Any]) -> Iterator[RunspacePool]:
    conn = pool_opener(session_sim)
    yield conn.pool
    conn.pool.close()


def invoke(pool: RunspacePool, *commands: tuple[str, dict[str, Any]]) -> PowerShell:
    ps = PowerShell(pool)
    for name, params in commands:
        ps.add_cmdlet(name)
        for key, value in params.items():
            ps.add_parameter(key, value)
    ps.invoke()
    return ps


def test_get_command_metadata_answers_every_matching_command(session_sim: Simulator, pool: RunspacePool) -> None:
    metas = pool.get_command_metadata(["Get-Mailbox"])
    assert [m.name for m in metas] == ["Get-Mailbox"]
    params = metas[0].parameters
    assert params["Identity"].parameter_type.endswith(".MailboxIdParameter")
    assert params["Archive"].switch_parameter is True
    assert params["Identity"].switch_parameter is False and params["Identity"].dynamic is False
    assert str(metas[0].command_type) == "Cmdlet"

    # Wildcards; pypsrp drops the leading count object, so a missing count would cost one command here.
    wild = pool.get_command_metadata(["Get-Mailbox*", "*-DistributionGroupMember"])
    expected = session_sim.engine.command_metadata(["Get-Mailbox*", "*-DistributionGroupMember"])
    assert [m.name for m in wild] == [c.name for c in expected]
    assert {"Get-Mailbox", "Get-MailboxStatistics", "Add-DistributionGroupMember"} <= {m.name for m in wild}


def test_get_command_metadata_for_a_verb_returns_all_its_cmdlets(session_sim: Simulator,
                                                                 pool: RunspacePool) -> None:
    # "*" (the whole ~730-cmdlet catalog) is exercised by tests/bench; "Get-*" keeps this test quick.
    metas = pool.get_command_metadata("Get-*")
    expected = [c.name for c in session_sim.engine.catalog if c.name.startswith("Get-")]
    assert [m.name for m in metas] == expected and len(expected) > 100
    assert all(isinstance(m.parameters, dict) for m in metas)


def test_get_command_gives_syntax_lines_per_parameter_set(pool: RunspacePool) -> None:
    ps = invoke(pool, ("Get-Command", {"Name": ["Get-Mailbox", "Set-Mailbox"]}))
    by_name = {str(o): o for o in ps.output}
    get_mailbox = by_name["Get-Mailbox"].adapted_properties
    sets = [str(s) for s in get_mailbox["ParameterSets"]]
    assert len(sets) == 3
    assert sets[0].startswith("Get-Mailbox [[-Identity] <MailboxIdParameter>] ")
    assert "[-Anr <string>]" in sets[1]
    assert get_mailbox["Definition"].startswith(sets[0])
    set_mailbox = by_name["Set-Mailbox"].adapted_properties
    assert str(set_mailbox["ParameterSets"][0]).startswith("Set-Mailbox [-Identity] <MailboxIdParameter> ")
    assert "[-ExternalOofOptions {External | InternalOnly}]" in set_mailbox["Definition"]


def test_get_mailbox_returns_typed_objects(pool: RunspacePool) -> None:
    ps = invoke(pool, ("Get-Mailbox", {"ResultSize": 3}))
    assert len(ps.output) == 3 and not ps.had_errors
    mbx = ps.output[0]
    assert mbx.types == MAILBOX_TYPES
    props = mbx.adapted_properties
    assert {"Name", "Alias", "DisplayName", "PrimarySmtpAddress", "ProhibitSendQuota",
            "ExternalDirectoryObjectId"} <= set(props)
    assert props["ProhibitSendQuota"].endswith(" bytes)")
    assert str(mbx) == props["Name"]
    assert [w.message for w in ps.streams.warning] == ["There are more results available than currently displayed."]


def test_a_pipeline_of_remote_cmdlets_binds_by_property_name(pool: RunspacePool) -> None:
    ps = invoke(pool, ("Get-Mailbox", {"ResultSize": 2}), ("Get-MailboxStatistics", {}))
    assert len(ps.output) == 2 and not ps.had_errors
    assert ps.output[0].types[0] == "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics"


def test_set_then_get_shows_the_change_in_every_shell(session_sim: Simulator, pool: RunspacePool,
                                                      connect: Callable[..., Any]) -> None:
    alias = invoke(pool, ("Get-Mailbox", {"ResultSize": 1})).output[0].adapted_properties["Alias"]
    ps = invoke(pool, ("Set-Mailbox", {"Identity": alias, "CustomAttribute1": "ticket-4711"}))
    assert not ps.had_errors and not ps.streams.error
    got = invoke(pool, ("Get-Mailbox", {"Identity": alias})).output
    assert got[0].adapted_properties["CustomAttribute1"] == "ticket-4711"
    other = connect(session_sim).pool      # a second shell of the same tenant sees it too
    assert invoke(other, ("Get-Mailbox", {"Identity": alias})).output[0].adapted_properties[
        "CustomAttribute1"] == "ticket-4711"


def test_missing_object_fails_in_the_service_words(pool: RunspacePool) -> None:
    ps = invoke(pool, ("Get-Mailbox", {"Identity": "no.such.user"}))
    assert ps.streams.error
    err = ps.streams.error[0]
    assert str(err).startswith("The operation couldn't be performed because object 'no.such.user' couldn't be found")
    assert err.reason == "ManagementObjectNotFoundException"


def test_a_script_is_refused_by_the_no_language_endpoint(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_script("Get-Mailbox | ForEach-Object { $_.Name }")
    ps.invoke()
    assert ps.had_errors
    err = ps.streams.error[0]
    assert str(err) == ("The syntax is not supported by this runspace. This might be because it is in "
                        "no-language mode.")
    assert err.fq_error == "ScriptsNotAllowed" and err.reason == "ParseException"
    assert invoke(pool, ("Get-Mailbox", {"ResultSize": 1})).output, "the shell stays usable"


def test_an_unknown_command_is_command_not_found(pool: RunspacePool) -> None:
    ps = invoke(pool, ("Get-Mialbox", {}))
    assert ps.had_errors
    err = ps.streams.error[0]
    assert err.fq_error == "CommandNotFoundException"
    assert str(err).startswith("The term 'Get-Mialbox' is not recognized")


def test_stop_mid_stream_stops_the_pipeline_and_keeps_the_shell(make_sim: Callable[..., Simulator],
                                                               connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=4000)
    pool = connect(sim).pool
    ps = PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited")
    ps.begin_invoke()
    while not ps.output:
        ps.poll_invoke()
    assert len(ps.output) < 4000
    ps.stop()
    deadline = time.monotonic() + 10
    while sim.stats()["pipelines_running"] and time.monotonic() < deadline:
        time.sleep(0.02)
    stats = sim.stats()
    assert stats["pipelines_running"] == 0 and stats["requests"]["Signal"] == 1
    after = invoke(pool, ("Get-Mailbox", {"ResultSize": 2}))
    assert len(after.output) == 2 and not after.had_errors


def test_large_output_is_split_to_the_client_envelope_size(make_sim: Callable[..., Simulator],
                                                          connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=250)
    envelope = 32 * 1024
    conn = connect(sim, max_envelope_size=envelope)
    sizes: list[int] = []
    conn.pool.connection.transport.session.hooks["response"].append(
        lambda r, *a, **k: sizes.append(len(r.content)))
    ps = invoke(conn.pool, ("Get-Mailbox", {"ResultSize": "Unlimited"}))
    assert len(ps.output) == 250 and not ps.had_errors
    assert len(sizes) > 10 and max(sizes) <= envelope


def test_extra_catalog_cmdlets_are_served_and_answer_with_a_warning(make_sim: Callable[..., Simulator],
                                                                   connect: Callable[..., Any]) -> None:
    extra = Catalog([CmdletInfo("Get-ContosoWidget", "A cmdlet only this catalog has.", ("Default",),
                                (ParameterInfo("Identity", "String", position=1),
                                 ParameterInfo("Verbose2", "SwitchParameter", switch=True)))])
    sim = make_sim(mailboxes=5, catalog=extra)
    pool = connect(sim).pool
    metas = pool.get_command_metadata("Get-Contoso*")
    assert [m.name for m in metas] == ["Get-ContosoWidget"]
    assert metas[0].parameters["Verbose2"].switch_parameter is True
    ps = invoke(pool, ("Get-ContosoWidget", {"Identity": "w1"}))
    assert ps.output == [] and not ps.had_errors
    assert "no behaviour for Get-ContosoWidget" in ps.streams.warning[0].message


def test_stopping_a_message_trace_mid_stream(make_sim: Callable[..., Simulator],
                                             connect: Callable[..., Any]) -> None:
    # ~4,700 trace rows: more than the server queues ahead of the client, so it is still running.
    sim = make_sim(mailboxes=2000)
    pool = connect(sim).pool
    ps = PowerShell(pool).add_cmdlet("Get-MessageTraceV2").add_parameter("ResultSize", 5000)
    ps.begin_invoke()
    deadline = time.monotonic() + 10
    while not ps.output and time.monotonic() < deadline:
        ps.poll_invoke()
    assert ps.output[0].types[0] == "Microsoft.Exchange.Management.FfoReporting.MessageTraceV2"
    assert ps.streams.progress, "a long trace reports progress"
    ps.stop()
    while sim.stats()["pipelines_running"] and time.monotonic() < deadline:
        time.sleep(0.02)
    stats = sim.stats()
    assert stats["pipelines_running"] == 0 and stats["requests"]["Signal"] == 1
    assert invoke(pool, ("Get-Mailbox", {"ResultSize": 1})).output, "the shell stays usable"
