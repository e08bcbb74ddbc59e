"""Every use of a private psrpcore attribute, in one place, for the version it was written against.

psrpcore 0.3 has no public way for a server to (1) queue CLIXML that is already serialized (the
simulator's fast path: psrpcore's generic serializer costs more than the cmdlets), (2) fail a
pipeline with a reason, or (3) read a client's message whose property names differ in case from
MS-PSRP's spelling (pypsrp 0.8 sends SET_MAX_RUNSPACES' call id as ``CI``, psrpcore reads ``ci``;
PowerShell looks property names up case-insensitively, so the real server accepts both). If
psrpcore changes, this import fails with a message naming this module.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any
from xml.etree import ElementTree

from psrpcore import ServerPipeline, ServerRunspacePool, StreamType
from psrpcore._events import _REGISTRY as _EVENTS
from psrpcore._payload import PSRPMessage, create_message
from psrpcore.types import ErrorRecord, PSInvocationState, PSRPMessageType

SUPPORTED = "0.3."
_found = version("psrpcore")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/sim/psrpcore_compat.py was written for psrpcore {SUPPORTED}x and found {_found}: "
                      "check its private uses (_payload, _events, _send_buffer, _fragment_counter, _change_state, "
                      "_process_message)")


def queue_output(pipeline: ServerPipeline, data: bytes) -> None:
    """Queue pre-serialized CLIXML as PIPELINE_OUTPUT: psrpcore's ``prepare_message`` minus its serializer."""
    pool = pipeline.runspace_pool
    message = create_message(False, PSRPMessageType.PipelineOutput, data, pool.runspace_pool_id,
                             pipeline.pipeline_id)
    pool._send_buffer.append(PSRPMessage(PSRPMessageType.PipelineOutput, bytearray(message),
                                         pool.runspace_pool_id, pipeline.pipeline_id, pool._fragment_counter,
                                         StreamType.default))


def fail_pipeline(pipeline: ServerPipeline, record: ErrorRecord) -> None:
    """Move ``pipeline`` to Failed with ``record`` as the reason (what a refused script gets)."""
    pipeline._change_state(PSInvocationState.Failed, error=record)


def read_names_case_insensitively(pool: ServerRunspacePool) -> None:
    """Make ``pool`` read the client's PSRP messages with PowerShell's case-insensitive property names.

    Before psrpcore deserializes a message, each top-level property whose name matches one the message
    type declares (ignoring case) is renamed to the declared spelling; nothing else changes.
    """
    original: Callable[[PSRPMessage], Any] = pool._process_message

    def process(message: PSRPMessage) -> Any:
        names = _declared_names(message.message_type)
        data = message.data
        respelled = _respelled(data, names) if names and data else data
        if respelled is not data:
            message = PSRPMessage(message.message_type, bytearray(respelled), message.runspace_pool_id,
                                  message.pipeline_id, message.object_id, message.stream_type)
        return original(message)

    pool._process_message = process  # type: ignore[method-assign]


def _declared_names(message_type: PSRPMessageType) -> dict[str, str]:
    event_cls = _EVENTS.get(message_type)
    bases = getattr(event_cls, "__orig_bases__", ())
    args = getattr(bases[0], "__args__", ()) if bases else ()
    meta = getattr(args[0], "PSObject", None) if args else None
    props = [*getattr(meta, "adapted_properties", []), *getattr(meta, "extended_properties", [])]
    return {p.name.lower(): p.name for p in props}


def _respelled(data: bytes, names: dict[str, str]) -> bytes:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return data                      # psrpcore reports the broken message itself
    changed = False
    for group in root:
        if group.tag not in ("MS", "Props"):
            continue
        for prop in group:
            given = prop.attrib.get("N")
            wanted = names.get(given.lower()) if given else None
            if wanted and wanted != given:
                prop.attrib["N"] = wanted
                changed = True
    return ElementTree.tostring(root, encoding="utf-8") if changed else data
