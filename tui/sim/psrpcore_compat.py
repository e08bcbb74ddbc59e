"""Every use of a private psrpcore attribute, in one place, for the version it was written against.

psrpcore 0.3 has no public way for a server to (1) queue CLIXML that is already serialized (the
simulator's fast path: psrpcore's generic serializer costs more than the cmdlets) or (2) fail a
pipeline with a reason. If psrpcore changes, this import fails with a message naming this module.
"""

from __future__ import annotations

from importlib.metadata import version

from psrpcore import ServerPipeline, StreamType
from psrpcore._payload import PSRPMessage, create_message
from psrpcore.types import ErrorRecord, PSInvocationState, PSRPMessageType

SUPPORTED = "0.3."
_found = version("psrpcore")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/sim/psrpcore_compat.py was written for psrpcore {SUPPORTED}x and found {_found}: "
                      "check its private uses (_payload, _send_buffer, _fragment_counter, _change_state)")


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
