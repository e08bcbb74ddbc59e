"""WS-Management SOAP as the simulator speaks it: parse a request envelope, build responses and faults.

Pure: bytes in, bytes out. The response shapes are the ones pypsrp depends on (PROTOCOL.md):
``RelatesTo`` echoes the request's ``MessageID``; Create answers a ``ResourceCreated`` selector set;
Command echoes ``CommandId``; Receive carries base64 PSRP fragments in ``rsp:Stream``.
"""

from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmv": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wsmanfault": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "pwsh": "http://schemas.microsoft.com/powershell",
}
_SHELL_ACTION = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
_TRANSFER_ACTION = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
_ENUMERATION_ACTION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
SHELL_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
COMMAND_RESOURCE_URI = SHELL_RESOURCE_URI + "/Command"

# Short action name → wsa:Action URI of the request.
ACTIONS = {
    "Create": _TRANSFER_ACTION + "Create",
    "Delete": _TRANSFER_ACTION + "Delete",
    "Get": _TRANSFER_ACTION + "Get",
    "Command": _SHELL_ACTION + "Command",
    "Send": _SHELL_ACTION + "Send",
    "Receive": _SHELL_ACTION + "Receive",
    "Signal": _SHELL_ACTION + "Signal",
    "Enumerate": _ENUMERATION_ACTION + "Enumerate",
    # Disconnected sessions (MS-WSMV 3.1.4.15-17): answered with a fault, see server.py.
    "Disconnect": _SHELL_ACTION + "Disconnect",
    "Reconnect": _SHELL_ACTION + "Reconnect",
    "Connect": _SHELL_ACTION + "Connect",
}
_ACTION_NAMES = {uri: name for name, uri in ACTIONS.items()}



def is_stop_signal(code: str) -> bool:
    """PSRP's ``powershell/signal/ctrl_c`` (also spelt ``crtl_c`` in MS-PSRP) or WinRS ctrl_c/ctrl_break."""
    low = code.strip().lower()
    return low.endswith(("/ctrl_c", "/crtl_c", "/ctrl_break"))


def is_terminate_signal(code: str) -> bool:
    return code.strip().lower().endswith("/signal/terminate")

COMMAND_STATE_DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
COMMAND_STATE_RUNNING = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"

# WSManFault codes (MS-WSMV / winerror.h) the simulator answers with.
FAULT_OPERATION_TIMEOUT = 2150858793      # 0x80338029: long-poll Receive with nothing to say
FAULT_INVALID_SELECTORS = 2150858843      # 0x8033805B: the shell does not exist (any more)
FAULT_ACCESS_DENIED = 5                   # ERROR_ACCESS_DENIED
FAULT_ACTION_NOT_SUPPORTED = 2150858783   # 0x8033801F
FAULT_INVALID_RESOURCE_URI = 2150858811   # 0x8033803B
FAULT_SHELL_QUOTA = 2144108120            # how the service's MaxConcurrency budget surfaced (text matters)
FAULT_BAD_REQUEST = 2150858806            # 0x80338036: the request is not valid SOAP/WS-Man
FAULT_INTERNAL = 2150858752               # 0x80338000: WS-Management internal error

MSG_OPERATION_TIMEOUT = ("The WS-Management service cannot complete the operation within the time "
                         "specified in OperationTimeout.")
MSG_INVALID_SELECTORS = ("The WS-Management service cannot process the request because the request "
                         "contained invalid selectors for the resource.")
MSG_ACCESS_DENIED = "Access is denied."
MSG_ACTION_NOT_SUPPORTED = "The WS-Management service does not support the specified action."
# The service's words for a fourth shell, as PowerShell showed them ("Processing data from remote server
# outlook.office365.com failed with the following error message: [AuthZRequestId=…]…"): the Receive after
# the Create failed, not the Create.
MSG_MAX_CONCURRENCY = ("[AuthZRequestId={request_id}][FailureCategory=AuthZ-AuthorizationException] Fail to "
                       "create a runspace because you have exceeded the maximum number of connections allowed : "
                       "{limit} for the policy party : MaxConcurrency. Please close existing runspace and try "
                       "again.")

_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


class WSManRequestError(ValueError):
    """The request body is not a WS-Management envelope the simulator understands."""


@dataclass(slots=True)
class Request:
    action: str                    # short name: Create, Command, Send, Receive, Signal, Delete, Get, or the URI
    message_id: str
    resource_uri: str
    max_envelope_size: int
    operation_timeout: float
    shell_id: str | None
    body: ET.Element | None
    options: dict[str, str] = field(default_factory=dict)


def parse_request(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise WSManRequestError(f"not XML: {exc}") from None
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if header is None or body is None:
        raise WSManRequestError("not a SOAP envelope")
    action_uri = _text(header.find("wsa:Action", NS))
    message_id = _text(header.find("wsa:MessageID", NS))
    if not action_uri or not message_id:
        raise WSManRequestError("missing wsa:Action or wsa:MessageID")
    try:
        max_env = int(_text(header.find("wsman:MaxEnvelopeSize", NS)) or 153600)
    except ValueError:
        max_env = 153600
    shell_id = None
    for sel in header.findall("wsman:SelectorSet/wsman:Selector", NS):
        if sel.attrib.get("Name") == "ShellId":
            shell_id = (sel.text or "").strip().upper()
    options = {o.attrib.get("Name", ""): (o.text or "") for o in header.findall("wsman:OptionSet/wsman:Option", NS)}
    return Request(
        action=_ACTION_NAMES.get(action_uri, action_uri),
        message_id=message_id,
        resource_uri=_text(header.find("wsman:ResourceURI", NS)),
        max_envelope_size=max(max_env, 8192),
        operation_timeout=parse_duration(_text(header.find("wsman:OperationTimeout", NS)), 20.0),
        shell_id=shell_id,
        body=body[0] if len(body) else None,
        options=options,
    )


def parse_duration(text: str, default: float) -> float:
    """``PT20S`` / ``PT20.000S`` / ``PT1M30S`` → seconds."""
    m = _DURATION.match(text.strip()) if text else None
    if not m or not any(m.groups()):
        return default
    minutes, seconds = m.groups()
    return float(minutes or 0) * 60 + float(seconds or 0)


# -- request bodies ----------------------------------------------------------------------------------------

def creation_xml(body: ET.Element | None) -> tuple[str | None, bytes, str | None]:
    """From a Create body: (ShellId the client chose, the creationXml PSRP bytes, IdleTimeOut text)."""
    if body is None or body.tag != f"{{{NS['rsp']}}}Shell":
        raise WSManRequestError("Create needs an rsp:Shell body")
    creation = body.find("pwsh:creationXml", NS)
    if creation is None or not creation.text:
        raise WSManRequestError("Create needs a creationXml element")
    idle = body.find("rsp:IdleTimeOut", NS)
    shell_id = body.attrib.get("ShellId")
    return (shell_id.upper() if shell_id else None), _b64(creation.text), _text(idle) or None


def command_line(body: ET.Element | None) -> tuple[str | None, bytes]:
    """From a Command body: (CommandId the client chose, first PSRP fragment bytes)."""
    if body is None or body.tag != f"{{{NS['rsp']}}}CommandLine":
        raise WSManRequestError("Command needs an rsp:CommandLine body")
    args = body.find("rsp:Arguments", NS)
    command_id = body.attrib.get("CommandId")
    return (command_id.upper() if command_id else None), _b64((args.text or "") if args is not None else "")


def send_streams(body: ET.Element | None) -> list[tuple[str | None, bytes]]:
    """From a Send body: [(CommandId or None for the pool, bytes)]."""
    if body is None or body.tag != f"{{{NS['rsp']}}}Send":
        raise WSManRequestError("Send needs an rsp:Send body")
    out = []
    for stream in body.findall("rsp:Stream", NS):
        cid = stream.attrib.get("CommandId")
        out.append((cid.upper() if cid else None, _b64(stream.text or "")))
    return out


def receive_target(body: ET.Element | None) -> str | None:
    """From a Receive body: the CommandId it polls, or None for the pool."""
    if body is None or body.tag != f"{{{NS['rsp']}}}Receive":
        raise WSManRequestError("Receive needs an rsp:Receive body")
    stream = body.find("rsp:DesiredStream", NS)
    cid = stream.attrib.get("CommandId") if stream is not None else None
    return cid.upper() if cid else None


def signal_of(body: ET.Element | None) -> tuple[str | None, str]:
    """From a Signal body: (CommandId, signal code URI)."""
    if body is None or body.tag != f"{{{NS['rsp']}}}Signal":
        raise WSManRequestError("Signal needs an rsp:Signal body")
    cid = body.attrib.get("CommandId")
    return (cid.upper() if cid else None), _text(body.find("rsp:Code", NS))


# -- responses ---------------------------------------------------------------------------------------------

_ENVELOPE_OPEN = (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
    'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
)


def envelope(action_uri: str, relates_to: str, body: str) -> bytes:
    head, tail = _envelope_around(action_uri, relates_to)
    return head + body.encode() + tail


def _envelope_around(action_uri: str, relates_to: str) -> tuple[bytes, bytes]:
    """An envelope's bytes before and after its body."""
    head = (
        f"{_ENVELOPE_OPEN}<s:Header><a:Action>{escape(action_uri)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header><s:Body>"
    )
    return head.encode(), b"</s:Body></s:Envelope>"


def create_response(req: Request, address: str, shell_id: str, owner: str, client_ip: str,
                    idle_timeout: float) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{escape(req.resource_uri)}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters></x:ResourceCreated>"
        f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId>"
        f"<rsp:ResourceUri>{escape(req.resource_uri)}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>PT{idle_timeout:.3f}S</rsp:IdleTimeOut>"
        "<rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
        "</rsp:Shell>"
    )
    return envelope(_TRANSFER_ACTION + "CreateResponse", req.message_id, body)


def command_response(req: Request, command_id: str) -> bytes:
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(_SHELL_ACTION + "CommandResponse", req.message_id, body)


def stream_element(command_id: str | None, data: bytes) -> bytes:
    """One ``<rsp:Stream>`` of a ReceiveResponse: a PSRP payload's base64. Windows' PowerShell plugin answers
    a Receive with one of these per payload it produced (pypsrp's recorded sessions show up to 42 in one
    answer), so the shell encodes each payload as it is produced, not the whole answer on the Receive."""
    cid_attr = f' CommandId="{command_id}"' if command_id else ""
    return b"".join((f'<rsp:Stream Name="stdout"{cid_attr}>'.encode(), base64.b64encode(data), b"</rsp:Stream>"))


def receive_response(req: Request, command_id: str | None, streams: bytes, done: bool) -> bytes:
    """The answer to a Receive: ``streams`` (``stream_element``s, back to back) and the command's state."""
    head, tail = _envelope_around(_SHELL_ACTION + "ReceiveResponse", req.message_id)
    parts = [head, b"<rsp:ReceiveResponse>", streams]
    if command_id:
        state = COMMAND_STATE_DONE if done else COMMAND_STATE_RUNNING
        parts.append(f'<rsp:CommandState CommandId="{command_id}" State="{state}"/>'.encode())
    parts += [b"</rsp:ReceiveResponse>", tail]
    return b"".join(parts)


def receive_overhead(command_id: str | None) -> int:
    """Bytes a Receive response takes besides its streams (for the MaxEnvelopeSize budget)."""
    return _RECEIVE_OVERHEAD[command_id is not None]


_PROBE = Request("Receive", "uuid:" + "0" * 36, "", 153600, 20.0, None, None)
_RECEIVE_OVERHEAD = {has_command: len(receive_response(_PROBE, "0" * 36 if has_command else None, b"", True)) + 128
                     for has_command in (False, True)}


def empty_response(req: Request, name: str) -> bytes:
    """SendResponse / SignalResponse / DeleteResponse: nothing but the acknowledgement."""
    if name == "Delete":
        return envelope(_TRANSFER_ACTION + "DeleteResponse", req.message_id, "")
    return envelope(_SHELL_ACTION + f"{name}Response", req.message_id, f"<rsp:{name}Response/>")


@dataclass(frozen=True, slots=True)
class ShellEntry:
    """One shell as WS-Management's shell enumeration lists it."""

    shell_id: str
    resource_uri: str
    owner: str
    client_ip: str
    idle_timeout: float
    run_time_s: float
    inactive_s: float
    commands: tuple[tuple[str, bool], ...] = ()    # (CommandId, done)


def enumeration_filter(body: ET.Element | None) -> str | None:
    """From an Enumerate body: the ShellId of its SelectorFilter (the Command enumeration), if any."""
    if body is None or body.tag != "{http://schemas.xmlsoap.org/ws/2004/09/enumeration}Enumerate":
        raise WSManRequestError("Enumerate needs a wsen:Enumerate body")
    for sel in body.findall("wsman:Filter/wsman:SelectorSet/wsman:Selector", NS):
        if sel.attrib.get("Name") == "ShellId":
            return (sel.text or "").strip().upper()
    return None


def enumerate_response(req: Request, shells: list[ShellEntry], commands_of: str | None) -> bytes:
    """EnumerateResponse with every item in it (OptimizeEnumeration) and EndOfSequence: the shells, or with
    ``commands_of`` the commands of that shell (MS-WSMV 3.1.4.11)."""
    items: list[str] = []
    for sh in shells:
        if commands_of is not None:
            if sh.shell_id != commands_of:
                continue
            items += [f"<rsp:Command><rsp:CommandId>{cid}</rsp:CommandId><rsp:CommandState>"
                      f"{COMMAND_STATE_DONE if done else COMMAND_STATE_RUNNING}</rsp:CommandState></rsp:Command>"
                      for cid, done in sh.commands]
            continue
        items.append(
            f"<rsp:Shell><rsp:ShellId>{sh.shell_id}</rsp:ShellId><rsp:ResourceUri>{escape(sh.resource_uri)}"
            f"</rsp:ResourceUri><rsp:Owner>{escape(sh.owner)}</rsp:Owner><rsp:ClientIP>{escape(sh.client_ip)}"
            f"</rsp:ClientIP><rsp:IdleTimeOut>PT{sh.idle_timeout:.3f}S</rsp:IdleTimeOut>"
            "<rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>"
            "<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
            "<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding>"
            f"<rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State>"
            f"<rsp:ShellRunTime>{_xs_duration(sh.run_time_s)}</rsp:ShellRunTime>"
            f"<rsp:ShellInactivity>{_xs_duration(sh.inactive_s)}</rsp:ShellInactivity></rsp:Shell>")
    body = ('<n:EnumerateResponse xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">'
            f"<w:Items>{''.join(items)}</w:Items><w:EndOfSequence/></n:EnumerateResponse>")
    return envelope(_ENUMERATION_ACTION + "EnumerateResponse", req.message_id, body)


def _xs_duration(seconds: float) -> str:
    s = int(seconds)
    return f"P{s // 86400}DT{s % 86400 // 3600}H{s % 3600 // 60}M{s % 60}S"


def get_shell_response(req: Request, shell_id: str, state: str) -> bytes:
    body = (f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{escape(req.resource_uri)}</rsp:ResourceUri><rsp:State>{state}</rsp:State></rsp:Shell>")
    return envelope(_TRANSFER_ACTION + "GetResponse", req.message_id, body)


def fault(relates_to: str | None, code: int, message: str, machine: str = "127.0.0.1",
          subcode: str = "w:InternalError") -> bytes:
    """An HTTP-500 body: ``s:Fault`` whose ``wsmanfault:WSManFault`` carries ``Code`` and the message."""
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
        f"<s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(message)}</s:Text></s:Reason>'
        '<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f"Code={quoteattr(str(code))} Machine={quoteattr(machine)}>"
        f"<f:Message>{escape(message)}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to or "", body)


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=False)
    except (ValueError, TypeError):
        raise WSManRequestError("a stream is not valid base64") from None
