"""The simulator's SOAP layer and fault plan, without sockets."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from pypsrp.wsman import NAMESPACES, WSMan

from tui.sim import wsman
from tui.sim.faults import Faults, Plan

REQUEST = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
 xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">
<s:Header>
 <wsa:Action s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</wsa:Action>
 <wsman:MaxEnvelopeSize s:mustUnderstand="true">512000</wsman:MaxEnvelopeSize>
 <wsa:MessageID>uuid:8A1B0C3D-0000-4000-8000-000000000001</wsa:MessageID>
 <wsman:OperationTimeout>PT20S</wsman:OperationTimeout>
 <wsman:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/powershell/Microsoft.Exchange</wsman:ResourceURI>
 <wsman:SelectorSet><wsman:Selector Name="ShellId">6a1f9a3e-0000-4000-8000-00000000000a</wsman:Selector></wsman:SelectorSet>
</s:Header>
<s:Body><rsp:Receive><rsp:DesiredStream CommandId="c0ffee00-0000-4000-8000-000000000002">stdout</rsp:DesiredStream>
</rsp:Receive></s:Body></s:Envelope>"""


def test_parse_request_reads_what_the_server_routes_on() -> None:
    req = wsman.parse_request(REQUEST.encode())
    assert req.action == "Receive"
    assert req.message_id == "uuid:8A1B0C3D-0000-4000-8000-000000000001"
    assert req.max_envelope_size == 512000 and req.operation_timeout == 20.0
    assert req.shell_id == "6A1F9A3E-0000-4000-8000-00000000000A"
    assert wsman.receive_target(req.body) == "C0FFEE00-0000-4000-8000-000000000002"


@pytest.mark.parametrize("body", [b"", b"<not xml", b"<a/>", b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'/>"])
def test_parse_request_rejects_what_is_not_ws_management(body: bytes) -> None:
    with pytest.raises(wsman.WSManRequestError):
        wsman.parse_request(body)


@pytest.mark.parametrize(("text", "seconds"), [("PT20S", 20.0), ("PT20.000S", 20.0), ("PT1M30S", 90.0),
                                               ("PT0.5S", 0.5), ("", 7.0), ("garbage", 7.0)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert wsman.parse_duration(text, 7.0) == seconds


def test_receive_response_relates_to_the_request_and_carries_one_base64_stream_per_payload() -> None:
    req = wsman.parse_request(REQUEST.encode())
    cid = "C0FFEE00-0000-4000-8000-000000000002"
    streams = wsman.stream_element(cid, b"\x00\x01psrp") + wsman.stream_element(cid, b"more")
    xml = ET.fromstring(wsman.receive_response(req, cid, streams, True))
    assert xml.find("s:Header/wsa:RelatesTo", NAMESPACES).text == req.message_id
    found = xml.findall("s:Body/rsp:ReceiveResponse/rsp:Stream", NAMESPACES)
    assert [s.attrib for s in found] == [{"Name": "stdout", "CommandId": cid}] * 2
    assert [base64.b64decode(s.text) for s in found] == [b"\x00\x01psrp", b"more"]
    state = xml.find("s:Body/rsp:ReceiveResponse/rsp:CommandState", NAMESPACES)
    assert state.attrib["State"].endswith("/CommandState/Done")


def test_faults_parse_as_pypsrp_reads_them() -> None:
    text = wsman.fault("uuid:1", wsman.FAULT_ACCESS_DENIED, wsman.MSG_ACCESS_DENIED).decode()
    parsed = WSMan._parse_wsman_fault(text)
    assert parsed.code == 5 and parsed.reason == "Access is denied."
    limit = WSMan._parse_wsman_fault(wsman.fault(None, wsman.FAULT_SHELL_QUOTA,
                                                 wsman.MSG_MAX_CONCURRENCY.format(request_id='1', limit=3)).decode())
    assert "maximum number of connections allowed : 3 for the policy party : MaxConcurrency" in limit.reason


def test_stop_and_terminate_signals() -> None:
    assert wsman.is_stop_signal("powershell/signal/ctrl_c")
    assert wsman.is_stop_signal("powershell/signal/crtl_c")
    assert wsman.is_terminate_signal("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate")
    assert not wsman.is_stop_signal("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate")


def test_fault_plan_counts_requests() -> None:
    faults = Faults()
    faults.drop_after(2)
    assert [faults.take().drop for _ in range(3)] == [False, True, False]
    faults.throttle(2, retry_after=9)
    assert [faults.take().throttle_retry_after for _ in range(3)] == [9, 9, None]
    faults.malformed(1)
    faults.drop_mid_response(1)
    assert faults.take() == Plan(drop_mid_response=True)
    assert faults.take() == Plan(malformed=True)
    assert faults.take() == Plan()
    with pytest.raises(ValueError):
        faults.drop_after(0)
