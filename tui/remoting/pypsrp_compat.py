"""Every use of a private pypsrp attribute, in one place, for the version it was written against.

pypsrp 0.9 has no public way to (1) send a ready-made PSRP message through a ``PowerShell`` (the
importer drives GetCommandMetadata receive by receive to report progress), (2) get at the
``requests.Session`` before the first request (the redirect and throttling hooks must be on it
before anything leaves), (3) split ``poll_invoke`` into its round trip and its decoding (the next
Receive goes out while the previous answer is decoded: ``tui.remoting.receive_ahead``), (4) keep
an output object's CLIXML as text instead of deserializing it (``defer_output``: exohop reads it
itself, 30× faster, see ``tui.remoting.clixml``) or (5) decode ``_xHHHH_`` escapes the way its
deserializer does. For (3) the Receive is built and sent with pypsrp's own pieces
(``WSMan._create_header``, ``WinRS._selector_set``, ``WSMan._parse_wsman_fault``) and its answer is
parsed afterwards, by the caller. If pypsrp changes, this import fails with a message naming this
module instead of the app misbehaving somewhere deep in a session.
"""

from __future__ import annotations

import base64
import logging
import struct
import xml.etree.ElementTree as ET
from importlib.metadata import version
from typing import Any

import requests
from pypsrp.complex_objects import GenericComplexObject, ObjectMeta
from pypsrp.exceptions import (
    FragmentError,
    SerializationError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)
from pypsrp.messages import Message, MessageType, PipelineOutput
from pypsrp.powershell import Fragmenter, PowerShell, RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.shell import CommandState
from pypsrp.wsman import NAMESPACES, OptionSet, WSMan, WSManAction

log = logging.getLogger(__name__)

SUPPORTED = "0.9."
_found = version("pypsrp")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/remoting/pypsrp_compat.py was written for pypsrp {SUPPORTED}x and found {_found}: "
                      "check its private calls (PowerShell._invoke, PowerShell._command_id, "
                      "transport._build_session, RunspacePool._fragmenter, RunspacePool._parse_responses, "
                      "Serializer._deserialize_string, WSMan._create_header, WSMan._parse_wsman_fault, "
                      "WinRS._selector_set) and the pin")
for _owner, _name in ((PowerShell, "_invoke"), (RunspacePool, "_parse_responses"), (WSMan, "_create_header"),
                      (WSMan, "_parse_wsman_fault"), (Serializer, "_deserialize_string")):
    if not callable(getattr(_owner, _name, None)):
        raise ImportError(f"pypsrp's {_owner.__name__}.{_name} is gone: tui/remoting/pypsrp_compat.py needs updating")


def invoke_message(ps: PowerShell, message: Any) -> None:
    """Start ``ps`` with an arbitrary PSRP message (what ``get_command_metadata`` does inside)."""
    ps._invoke(message)


def build_session(transport: Any) -> requests.Session:
    """The ``requests.Session`` pypsrp's transport would build lazily on its first send, built now."""
    session: requests.Session = transport._build_session()
    return session


# WS-Management's "the operation timed out" fault on a long-poll Receive: nothing yet, ask again
# (what ``PowerShell.poll_invoke`` does with it).
OPERATION_TIMEOUT_FAULT = 2150858793
_RSP = NAMESPACES["rsp"]


def receive_answer(ps: PowerShell) -> tuple[bytes, bool, str]:
    """``poll_invoke``'s round trip alone: one Receive for ``ps``'s command, the answer's envelope as it
    came (nothing parsed: the XML and its base64 are read by ``take_answer``, off the round trip), whether
    the command is Done, and the request's MessageID. Touches no pypsrp state.

    This is ``WinRS.receive`` and ``WSMan.receive``/``invoke`` (build the envelope, send it with its five
    retries of a read timeout, a transport error's fault raised as ``WSManFaultError``) without their last
    step: parsing a 500 KB answer and decoding its base64 took 6 of the round trip's 23 ms of overhead
    (tests/bench/bench_psrp_output.py) and held the next Receive back that long."""
    shell = ps.runspace_pool.shell
    wsman = shell.wsman
    receive = ET.Element(f"{{{_RSP}}}Receive")
    stream = ET.SubElement(receive, f"{{{_RSP}}}DesiredStream")
    stream.text = "stdout"
    if ps._command_id is not None:
        stream.attrib["CommandId"] = ps._command_id
    options = OptionSet()
    options.add_option("WSMAN_CMDSHELL_OPTION_KEEPALIVE", str(True))
    message_id, header = wsman._create_header(WSManAction.RECEIVE, shell.resource_uri, options,
                                              shell._selector_set, None)
    envelope = ET.Element(f"{{{NAMESPACES['s']}}}Envelope")
    envelope.append(header)
    ET.SubElement(envelope, f"{{{NAMESPACES['s']}}}Body").append(receive)
    try:
        try:
            # pypsrp's WSMan.receive retries a read timeout 5 times: the same Receive again gets the same data.
            answer: bytes = wsman.transport.send(ET.tostring(envelope, encoding="utf-8", method="xml"),
                                                 retries_on_read_timeout=5)
        except WinRMTransportError as err:
            try:
                fault = wsman._parse_wsman_fault(err.response_text)
            except ET.ParseError:
                raise err from None
            raise fault from None
    except WSManFaultError as err:
        if err.code == OPERATION_TIMEOUT_FAULT:
            return b"", False, ""
        raise
    return answer, _says_done(answer), f"uuid:{message_id}"


# The command's state is the one attribute value of a ReceiveResponse that ends in this URI; the output is
# base64, which has no quotes, so finding the URI followed by a quote cannot be fooled by what a command wrote.
_DONE = CommandState.DONE.encode()


def _says_done(answer: bytes) -> bool:
    at = answer.rfind(_DONE)
    return at >= 0 and answer[at + len(_DONE):at + len(_DONE) + 1] in (b'"', b"'")


def take_answer(ps: PowerShell, answer: bytes, message_id: str) -> None:
    """``poll_invoke``'s decoding alone: one Receive's answer (``receive_answer``) into ``ps``'s state,
    streams and output, checked as ``WSMan.invoke`` checks it (the answer relates to the request)."""
    if not message_id:
        return                         # the long poll timed out (receive_answer): nothing came
    root = ET.fromstring(answer)       # an empty body from the server raises here, as in pypsrp
    relates_to = root.find("s:Header/wsa:RelatesTo", namespaces=NAMESPACES)
    if (relates_to.text if relates_to is not None else "") != message_id:
        raise WinRMError("Received related id does not match related expected message id: "
                         f"Sent: {message_id}, Received: {relates_to.text if relates_to is not None else ''}")
    data = b"".join(base64.b64decode(stream.text) for stream in
                    root.iterfind("s:Body/rsp:ReceiveResponse/rsp:Stream", namespaces=NAMESPACES)
                    if stream.text and stream.attrib.get("Name") == "stdout")
    for message_type, value in ps.runspace_pool._parse_responses(data, ps):
        if message_type == MessageType.PIPELINE_OUTPUT:
            ps.output.append(value.data.data)


_strings = Serializer()


def unescape_string(text: str) -> str:
    """A CLIXML string's ``_xHHHH_`` escapes decoded exactly as pypsrp decodes them (it raises on bad ones)."""
    result: str = _strings._deserialize_string(text)
    return result


class RawOutput:
    """One PIPELINE_OUTPUT message's CLIXML, as ``PowerShell.output`` holds it on a deferring pool."""

    __slots__ = ("cipher", "xml")

    def __init__(self, xml: str, cipher: Any) -> None:
        self.xml = xml
        self.cipher = cipher      # the session key, should the object hold a SecureString

    def __repr__(self) -> str:
        return f"RawOutput({len(self.xml)} characters)"


class DeferringSerializer:
    """The pool's serializer, except that an output message's text is kept as it is (``RawOutput``).

    pypsrp's ``Message.unpack`` calls ``deserialize(text)`` without metadata only for PIPELINE_OUTPUT
    (and PIPELINE_INPUT, which a client never receives); everything else keeps pypsrp's path.
    """

    def __init__(self, inner: Serializer) -> None:
        self._inner = inner

    def deserialize(self, element: Any, metadata: Any = None, clear: bool = True) -> Any:
        if metadata is None and isinstance(element, str):
            return RawOutput(element, self._inner.cipher)
        return self._inner.deserialize(element, metadata, clear)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class OutputMessage:
    """A PIPELINE_OUTPUT message as ``RunspacePool._parse_responses`` uses it: its type, and its object's
    text in ``data.data``. (Its two pipeline ids are not read: pypsrp routes by the pipeline received for.)"""

    __slots__ = ("data",)
    message_type = MessageType.PIPELINE_OUTPUT

    def __init__(self, raw: RawOutput) -> None:
        self.data = PipelineOutput(raw)


_FRAGMENT_HEADER = struct.Struct(">QQBI")     # [MS-PSRP] 2.2.4: ObjectId, FragmentId, S/E flags, BlobLength
_MESSAGE_TYPE = struct.Struct("<I")           # [MS-PSRP] 2.2.1: Destination, then MessageType, at offset 4
_UTF8_BOM = b"\xef\xbb\xbf"


class DeferringFragmenter(Fragmenter):
    """The pool's fragmenter, except that a PIPELINE_OUTPUT message is cut straight out of its bytes
    (``OutputMessage``) instead of going through ``Message.unpack``, which reads, prints and reads again
    the two pipeline ids of every output object: a third of the time a mailbox takes. The reassembly is
    pypsrp's, fragment by fragment (its ``incoming_buffer``, its errors); every other message, and an
    output message that is not UTF-8, is pypsrp's ``Message.unpack``."""

    def __init__(self, inner: Fragmenter) -> None:
        super().__init__(0, inner.serializer)
        self.__dict__.update(vars(inner))      # max_size, counters, buffers: carried on as they are

    def defragment(self, data: bytes) -> list[Any]:
        complete: list[bytes] = []
        buffers = self.incoming_buffer
        offset, size = 0, len(data)
        while offset < size:
            object_id, fragment_id, flags, length = _FRAGMENT_HEADER.unpack_from(data, offset)
            blob = data[offset + 21:offset + 21 + length]
            offset += 21 + length
            buffer = buffers.get(object_id)
            if buffer is None:
                buffer = buffers[object_id] = {"data": b"", "id": 0}
            if fragment_id != buffer["id"]:
                raise FragmentError(f"Fragment Fragment Id: {fragment_id} != Expected Fragment Id: {buffer['id']}")
            start, end = flags & 0x1, flags & 0x2
            if start and end:
                complete.append(blob)
                del buffers[object_id]
            elif start:
                buffer["data"] = blob
                buffer["id"] += 1
            elif end:
                complete.append(buffer["data"] + blob)
                del buffers[object_id]
            else:
                buffer["data"] += blob
                buffer["id"] += 1
        return [self._unpack(message) for message in complete]

    def _unpack(self, message: bytes) -> Any:
        if len(message) >= 40 and _MESSAGE_TYPE.unpack_from(message, 4)[0] == MessageType.PIPELINE_OUTPUT:
            body = message[43:] if message[40:43] == _UTF8_BOM else message[40:]
            try:
                xml = body.decode("utf-8")
            except UnicodeDecodeError:
                pass                           # pypsrp's own path raises what it raises
            else:
                return OutputMessage(RawOutput(xml, self.serializer.cipher))
        return Message.unpack(message, self.serializer)


def defer_output(pool: RunspacePool) -> None:
    """From now on ``pool``'s pipelines put ``RawOutput`` in ``output``; fragments, states, errors and
    the other streams stay pypsrp's. Whoever reads ``output`` decodes it (``values.output_value``)."""
    fragmenter: Fragmenter = pool._fragmenter
    if not isinstance(fragmenter.serializer, DeferringSerializer):
        fragmenter.serializer = DeferringSerializer(fragmenter.serializer)  # type: ignore[assignment]
    if not isinstance(fragmenter, DeferringFragmenter):
        pool._fragmenter = DeferringFragmenter(fragmenter)


def pypsrp_output(raw: RawOutput) -> Any:
    """What pypsrp's ``Message.unpack`` would have put in ``output`` for this message (its own fallback
    to a generic object included). Raises what pypsrp raises."""
    serializer = Serializer()
    serializer.cipher = raw.cipher
    try:
        return serializer.deserialize(raw.xml)
    except SerializationError as err:
        log.debug("output object read as a generic object: %s", err)
        return serializer.deserialize(raw.xml, ObjectMeta("ObjDynamic", object=GenericComplexObject))
