"""The simulator as a second, stricter client sees it: pipeline input, the PowerShell cmdlets of the
restricted endpoint, error records, SET_MAX_RUNSPACES, the shell enumeration, disconnect, and control
characters, each driven through the real pypsrp client over HTTPS."""

from __future__ import annotations

import base64
import struct
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool

from tui.sim import Simulator

SELECTED_MAILBOX = ["Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox",
                    "System.Management.Automation.PSCustomObject", "System.Object"]


@pytest.fixture(scope="module")
def fid_sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=30) as server:
        yield server


@pytest.fixture(scope="module")
def pool(fid_sim: Simulator, pool_opener: Callable[..., Any]) -> Iterator[RunspacePool]:
    conn = pool_opener(fid_sim)
    yield conn.pool
    conn.pool.close()


def pipeline(pool: RunspacePool, *commands: tuple[str, dict[str, Any]], arguments: tuple[Any, ...] = ()) -> PowerShell:
    ps = PowerShell(pool)
    for name, params in commands:
        ps.add_cmdlet(name)
        for key, value in params.items():
            ps.add_parameter(key, value)
    for value in arguments:
        ps.add_argument(value)
    return ps


def aliases(pool: RunspacePool, count: int) -> list[str]:
    out = pipeline(pool, ("Get-Mailbox", {"ResultSize": count})).invoke()
    return [str(o.adapted_properties["Alias"]) for o in out]


# -- pipeline input ---------------------------------------------------------------------------------------

def test_pipeline_input_binds_by_value_to_the_identity(pool: RunspacePool) -> None:
    first, second = aliases(pool, 2)
    ps = pipeline(pool, ("Get-Mailbox", {}))
    out = ps.invoke(input=[first])
    assert [o.adapted_properties["Alias"] for o in out] == [first]        # one, not the first 1,000
    ps = pipeline(pool, ("Get-MailboxStatistics", {}))
    out = ps.invoke(input=[first, second])
    assert not ps.streams.error and len(out) == 2 and ps.state == 4       # Completed
    assert [o.adapted_properties["DisplayName"] for o in out] == [
        o.adapted_properties["DisplayName"] for o in pipeline(pool, ("Get-Mailbox", {"ResultSize": 2})).invoke()]


def test_pipeline_input_binds_by_property_name(pool: RunspacePool) -> None:
    mailbox = pipeline(pool, ("Get-Mailbox", {"ResultSize": 1})).invoke()[0]
    carrier = GenericComplexObject()
    carrier.types = ["System.Management.Automation.PSCustomObject", "System.Object"]
    carrier.extended_properties = {"Identity": mailbox.adapted_properties["PrimarySmtpAddress"], "Note": "x"}
    ps = pipeline(pool, ("Get-MailboxStatistics", {}))
    out = ps.invoke(input=[carrier])
    assert not ps.streams.error and len(out) == 1
    assert out[0].adapted_properties["DisplayName"] == mailbox.adapted_properties["DisplayName"]


def test_each_input_object_that_is_missing_is_an_error_and_the_rest_are_returned(pool: RunspacePool) -> None:
    first, second = aliases(pool, 2)
    ps = pipeline(pool, ("Get-Mailbox", {}))
    out = ps.invoke(input=[first, "no-such-person", second])
    assert [o.adapted_properties["Alias"] for o in out] == [first, second]
    assert len(ps.streams.error) == 1 and "'no-such-person' couldn't be found" in str(ps.streams.error[0])


# -- the PowerShell cmdlets of the endpoint ----------------------------------------------------------------

def test_select_object_projects_as_a_selected_pscustomobject(pool: RunspacePool) -> None:
    ps = pipeline(pool, ("Get-Mailbox", {"ResultSize": 3}), ("Select-Object", {"Property": ["Name", "Primary*"]}))
    out = ps.invoke()
    assert len(out) == 3 and not ps.streams.error
    obj = out[0]
    assert obj.types == SELECTED_MAILBOX
    assert obj.adapted_properties == {}                                   # note properties: CLIXML <MS>
    assert list(obj.extended_properties) == ["Name", "PrimarySmtpAddress"]
    name, smtp = obj.extended_properties["Name"], obj.extended_properties["PrimarySmtpAddress"]
    assert str(obj) == f"@{{Name={name}; PrimarySmtpAddress={smtp}}}"


def test_select_object_names_a_property_as_the_object_spells_it_and_counts_the_pipeline(
        fid_sim: Simulator, pool: RunspacePool) -> None:
    before = fid_sim.stats()["pipelines"].get("Get-Mailbox | Select-Object", 0)
    ps = pipeline(pool, ("Get-Mailbox", {"ResultSize": 2}),
                  ("Select-Object", {"Property": ["primarysmtpaddress", "name", "NoSuchProperty"]}))
    out = ps.invoke()
    assert [list(o.extended_properties) for o in out] == [["PrimarySmtpAddress", "Name", "NoSuchProperty"]] * 2
    assert all(o.extended_properties["NoSuchProperty"] is None for o in out)   # missing: $null, as typed
    assert fid_sim.stats()["pipelines"]["Get-Mailbox | Select-Object"] == before + 1


def test_select_object_first_last_skip_unique_and_expand(pool: RunspacePool) -> None:
    names = aliases(pool, 6)

    def expanded(**params: Any) -> list[str]:
        ps = pipeline(pool, ("Get-Mailbox", {"ResultSize": 6}), ("Select-Object", {"ExpandProperty": "Alias", **params}))
        return [str(o) for o in ps.invoke()]

    assert expanded() == names                          # strings, each its own output object
    assert expanded(First=2) == names[:2]
    assert expanded(Last=2) == names[-2:]
    assert expanded(Skip=4) == names[4:]
    assert expanded(Skip=1, First=2) == names[1:3]
    kinds = pipeline(pool, ("Get-Mailbox", {"ResultSize": 6}),
                     ("Select-Object", {"Property": "RecipientTypeDetails", "Unique": True})).invoke()
    assert 1 <= len(kinds) < 6 and len({str(k) for k in kinds}) == len(kinds)


def test_measure_object_counts_and_sums(pool: RunspacePool) -> None:
    stats = pipeline(pool, ("Get-Mailbox", {"ResultSize": 5}), ("Get-MailboxStatistics", {})).invoke()
    counts = [int(s.adapted_properties["ItemCount"]) for s in stats]
    count = pipeline(pool, ("Get-Mailbox", {"ResultSize": 5}), ("Measure-Object", {})).invoke()[0]
    assert count.types[0] == "Microsoft.PowerShell.Commands.GenericMeasureInfo"
    assert count.adapted_properties["Count"] == 5 and count.adapted_properties["Sum"] is None
    ps = pipeline(pool, ("Get-Mailbox", {"ResultSize": 5}), ("Get-MailboxStatistics", {}),
                  ("Measure-Object", {"Property": "ItemCount", "Sum": True, "Average": True, "Maximum": True,
                                      "Minimum": True}))
    measured = ps.invoke()[0].adapted_properties
    assert measured["Count"] == 5 and measured["Property"] == "ItemCount"
    assert measured["Sum"] == sum(counts) and measured["Maximum"] == max(counts) and measured["Minimum"] == min(counts)
    assert measured["Average"] == pytest.approx(sum(counts) / 5)


def test_get_formatdata_out_default_and_exit_pssession_are_there(pool: RunspacePool) -> None:
    views = pipeline(pool, ("Get-FormatData", {"TypeName": "Microsoft.Exchange.Data.Directory.Management.Mailbox"}))
    out = views.invoke()
    assert len(out) == 1 and out[0].types[0] == "System.Management.Automation.ExtendedTypeDefinition"
    assert out[0].adapted_properties["TypeName"] == "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    assert pipeline(pool, ("Get-FormatData", {"TypeName": "No.Such.Type"})).invoke() == []
    passed = pipeline(pool, ("Get-Mailbox", {"ResultSize": 2}), ("Out-Default", {})).invoke()
    assert len(passed) == 2
    ps = pipeline(pool, ("Exit-PSSession", {}))
    assert ps.invoke() == [] and not ps.had_errors and not ps.streams.error


def test_get_command_lists_the_powershell_cmdlets_with_their_metadata(pool: RunspacePool) -> None:
    names = ["Select-Object", "Measure-Object", "Get-FormatData", "Out-Default", "Exit-PSSession"]
    metas = {m.name: m for m in pool.get_command_metadata(names)}
    assert sorted(metas) == sorted(names)
    assert metas["Select-Object"].parameters["First"].parameter_type == "System.Int32"
    assert metas["Measure-Object"].parameters["Sum"].switch_parameter is True
    out = pipeline(pool, ("Get-Command", {"Name": "Select-Object"})).invoke()[0].adapted_properties
    assert out["ModuleName"] == "Microsoft.PowerShell.Utility"
    params = {str(p): p.adapted_properties for s in out["ParameterSets"] for p in s.adapted_properties["Parameters"]}
    assert params["InputObject"]["ValueFromPipeline"] is True
    assert params["InputObject"]["ValueFromPipelineByPropertyName"] is False


# -- error records -----------------------------------------------------------------------------------------

def test_not_found_is_a_non_terminating_error_record_as_exchange_writes_it(pool: RunspacePool) -> None:
    ps = pipeline(pool, ("Get-Mailbox", {}), arguments=("no.such.user",))
    assert ps.invoke() == []
    assert ps.state == 4 and not ps.had_errors       # Completed: the pipeline went on
    err = ps.streams.error[0]
    assert err.message == "NotSpecified: (:) [Get-Mailbox], ManagementObjectNotFoundException"
    assert err.activity == "Get-Mailbox" and err.reason == "ManagementObjectNotFoundException"
    assert "[FailureCategory=Cmdlet-ManagementObjectNotFoundException]" in err.fq_error
    # pypsrp asks for InvocationInfo (RemoteStreamOptions AddInvocationInfo): the record carries it.
    assert err.invocation is True and err.invocation_name == "Get-Mailbox"
    assert err.invocation_pipeline_length == 1 and err.invocation_pipeline_position == 1
    assert err.command_name == "Get-Mailbox"


def test_invocation_info_only_when_the_pipeline_asks(pool: RunspacePool) -> None:
    ps = pipeline(pool, ("Get-Mailbox", {}), arguments=("no.such.user",))
    ps.invoke(remote_stream_options=0)
    assert ps.streams.error and ps.streams.error[0].invocation is False


def test_error_action_stop_makes_it_terminating_and_silently_continue_drops_it(pool: RunspacePool) -> None:
    stop = pipeline(pool, ("Get-Mailbox", {"ErrorAction": "Stop"}), arguments=("no.such.user",))
    stop.invoke()
    assert stop.had_errors and stop.state == 5                          # Failed
    silent = pipeline(pool, ("Get-Mailbox", {"ErrorAction": "SilentlyContinue"}), arguments=("no.such.user",))
    assert silent.invoke() == [] and not silent.streams.error and not silent.had_errors


def test_an_unknown_command_names_no_activity(pool: RunspacePool) -> None:
    ps = pipeline(pool, ("Get-NoSuchThing", {}))
    ps.invoke()
    assert ps.had_errors
    err = ps.streams.error[0]
    assert err.message == "ObjectNotFound: (Get-NoSuchThing:String) [], CommandNotFoundException"


# -- runspace pool and WS-Management ------------------------------------------------------------------------

def test_set_max_runspaces_from_the_legacy_api_is_answered(fid_sim: Simulator, connect: Callable[..., Any]) -> None:
    conn = connect(fid_sim)
    conn.pool.max_runspaces = 2          # SET_MAX_RUNSPACES, whose call id pypsrp spells "CI"
    assert conn.pool.max_runspaces == 2
    assert pipeline(conn.pool, ("Get-Mailbox", {"ResultSize": 1})).invoke()


def _garbage_message(pool: RunspacePool) -> bytes:
    """One whole PSRP fragment whose message body is not CLIXML (MS-PSRP 2.2.4 framing)."""
    body = b"<Obj RefId='0'><not-closed>"
    message = struct.pack("<II", 2, 0x00021002) + uuid.UUID(str(pool.id)).bytes_le + uuid.UUID(int=0).bytes_le + body
    return struct.pack(">QQBI", 99, 0, 3, len(message)) + message


def test_unprocessable_psrp_data_gets_a_fault_without_python_text(fid_sim: Simulator, connect: Callable[..., Any],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    conn = connect(fid_sim)
    with pytest.raises(WSManFaultError) as caught:
        conn.pool.shell.send("stdin", _garbage_message(conn.pool))
    reason = str(caught.value.reason)
    assert "could not be processed" in reason
    for leak in ("Error", "Exception", "Traceback", "object has no attribute", "line "):
        assert leak not in reason
    assert any("could not be processed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_fourth_pool_is_refused_on_the_receive_after_its_create(make_sim: Callable[..., Simulator],
                                                                    connect: Callable[..., Any]) -> None:
    sim = make_sim()
    account = sim.accounts[0]
    for _ in range(3):
        connect(sim, account)
    before = sim.stats()
    with pytest.raises(WSManFaultError) as caught:
        connect(sim, account)
    after = sim.stats()
    assert after["requests"]["Create"] == before["requests"]["Create"] + 1       # the Create was answered …
    assert after["requests"]["Receive"] > before["requests"]["Receive"]          # … the Receive refused
    assert after["shells_created"] == before["shells_created"] and after["open_shells"][account.upn] == 3
    reason = str(caught.value.reason)
    assert reason.startswith("[AuthZRequestId=") and "][FailureCategory=AuthZ-AuthorizationException] " in reason
    assert reason.endswith("Fail to create a runspace because you have exceeded the maximum number of connections "
                           "allowed : 3 for the policy party : MaxConcurrency. Please close existing runspace and "
                           "try again.")


def test_enumerate_lists_this_accounts_shells_and_their_commands(make_sim: Callable[..., Simulator],
                                                                 connect: Callable[..., Any]) -> None:
    sim = make_sim()
    mine = [connect(sim, sim.accounts[0]).pool for _ in range(2)]
    connect(sim, sim.accounts[1])                                     # another account's: not listed
    found = RunspacePool.get_runspace_pools(mine[0].connection)
    assert sorted(str(p.id).upper() for p in found) == sorted(str(p.id).upper() for p in mine)


def test_disconnect_is_refused_and_the_session_goes_on(fid_sim: Simulator, connect: Callable[..., Any]) -> None:
    conn = connect(fid_sim)
    with pytest.raises(WSManFaultError) as caught:
        conn.pool.disconnect()
    assert caught.value.code == 2150858783       # ERROR_WSMAN_ACTION_NOT_SUPPORTED
    assert caught.value.reason == "The WS-Management service does not support the specified action."
    assert pipeline(conn.pool, ("Get-Mailbox", {"ResultSize": 1})).invoke()


# -- control characters ----------------------------------------------------------------------------------------

def test_control_characters_round_trip_escaped(fid_sim: Simulator, pool: RunspacePool,
                                               pool_opener: Callable[..., Any]) -> None:
    odd = "a\x01b\x00c_x0041_d"
    ps = pipeline(pool, ("Get-Mailbox", {}), arguments=(odd,))
    ps.invoke()
    err = ps.streams.error[0]
    assert f"object '{odd}' couldn't be found" in err.exception.adapted_properties["Message"]
    assert f"'{odd}'" in str(err)
    # On the wire: CLIXML escapes, never a raw control character (which no XML parser accepts).
    raw = _raw_receive_of(pool_opener(fid_sim), odd)
    assert "_x0001_" in raw and "_x0000_" in raw and "_x005F_x0041_" in raw and "\x01" not in raw


def _raw_receive_of(conn: Any, identity: str) -> str:
    """The CLIXML text of the messages a Get-Mailbox <identity> pipeline sends back, decoded from the wire."""
    captured: list[str] = []
    try:
        session = conn.pool.connection.transport.session

        def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            for chunk in response.text.split('Name="stdout"')[1:]:
                captured.append(_clixml_of(base64.b64decode(chunk.split(">", 1)[1].split("<", 1)[0])))

        session.hooks["response"].append(keep)
        pipeline(conn.pool, ("Get-Mailbox", {}), arguments=(identity,)).invoke()
    finally:
        conn.pool.close()
    return "".join(captured)


def _clixml_of(data: bytes) -> str:
    """The message bodies in a run of PSRP fragments (MS-PSRP 2.2.4: 21-byte fragment header; a message's
    first fragment starts with its 40-byte header)."""
    out, offset = [], 0
    while offset + 21 <= len(data):
        flags, length = struct.unpack(">BI", data[offset + 16:offset + 21])
        blob = data[offset + 21:offset + 21 + length]
        out.append(blob[40:] if flags & 1 else blob)
        offset += 21 + length
    return b"".join(out).decode("utf-8")
