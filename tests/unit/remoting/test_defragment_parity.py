"""``pypsrp_compat.DeferringFragmenter`` beside pypsrp's own ``Fragmenter`` (with the deferring serializer a
session's pool has), on the same Receive bytes: the same messages in the same order (an output message's
text, every other message pypsrp's own object), the same fragments kept for the next Receive, or the same
kind of failure. The bytes are PSRP fragments of generated messages, interleaved, cut into Receives, and
sometimes damaged.
"""

from __future__ import annotations

import itertools
import struct
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypsrp.complex_objects import PSInvocationState
from pypsrp.messages import Destination, Message, MessageType, PipelineState
from pypsrp.powershell import Fragmenter
from pypsrp.serializer import Serializer

from tui.remoting.pypsrp_compat import DeferringFragmenter, DeferringSerializer, RawOutput

POOL_ID, PIPELINE_ID = str(uuid.uuid4()), str(uuid.uuid4())
MAX_PAYLOAD = 153600


def pair() -> tuple[Fragmenter, Fragmenter]:
    """(pypsrp's fragmenter, exohop's), both with a deferring serializer, as a session's pool would have."""
    reference = Fragmenter(MAX_PAYLOAD, DeferringSerializer(Serializer()))  # type: ignore[arg-type]
    mine = DeferringFragmenter(Fragmenter(MAX_PAYLOAD, DeferringSerializer(Serializer())))  # type: ignore[arg-type]
    return reference, mine


def output_message(body: bytes, bom: bool) -> bytes:
    return (struct.pack("<II", Destination.CLIENT, MessageType.PIPELINE_OUTPUT) + uuid.UUID(POOL_ID).bytes_le
            + uuid.UUID(PIPELINE_ID).bytes_le + (b"\xef\xbb\xbf" if bom else b"") + body)


def state_message() -> bytes:
    """A real PIPELINE_STATE message, as pypsrp packs one."""
    state = PipelineState(state=PSInvocationState.COMPLETED)
    return Message(Destination.CLIENT, POOL_ID, PIPELINE_ID, state, Serializer()).pack()


def fragments(object_id: int, message: bytes, size: int) -> list[bytes]:
    """``message`` as PSRP fragments of at most ``size`` bytes of blob each ([MS-PSRP] 2.2.4)."""
    pieces = [message[i:i + size] for i in range(0, len(message), size)] or [b""]
    out = []
    for n, piece in enumerate(pieces):
        flags = (0x1 if n == 0 else 0) | (0x2 if n == len(pieces) - 1 else 0)
        out.append(struct.pack(">QQBI", object_id, n, flags, len(piece)) + piece)
    return out


def picture(messages: list[Any]) -> list[Any]:
    shown = []
    for m in messages:
        data = m.data.data if m.message_type == MessageType.PIPELINE_OUTPUT else m.data
        if isinstance(data, RawOutput):
            shown.append((m.message_type, "raw", data.xml))
        else:
            shown.append((m.message_type, type(data).__name__, getattr(data, "state", None)))
    return shown


def outcome(fragmenter: Fragmenter, receives: list[bytes]) -> tuple[str, Any]:
    got: list[Any] = []
    try:
        for data in receives:
            got.extend(picture(fragmenter.defragment(data)))
    except Exception as exc:
        return ("error", (type(exc).__name__, got))
    return ("ok", (got, {k: dict(v) for k, v in fragmenter.incoming_buffer.items()}))


bodies = st.one_of(
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),        # anything UTF-8, markup or not
    st.just(b'<Obj RefId="0"><TN RefId="0"><T>System.Object</T></TN><ToString>x</ToString></Obj>'),
)


@st.composite
def message(draw: st.DrawFn) -> bytes:
    """Mostly output objects, some states, now and then bytes too short for a message header or not UTF-8."""
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return draw(st.binary(max_size=45))
    if kind == 1:
        return state_message()
    if kind == 2:                # often not UTF-8: pypsrp's own path fails, and so must exohop's
        return output_message(draw(st.binary(max_size=60)), draw(st.booleans()))
    return output_message(draw(bodies), draw(st.booleans()))


messages = st.lists(message(), min_size=1, max_size=8)


@st.composite
def receive_bytes(draw: st.DrawFn) -> list[bytes]:
    """Fragments of the messages (two objects interleaved), cut into Receives, perhaps damaged."""
    msgs = draw(messages)
    size = draw(st.integers(1, 120))
    streams = [fragments(i + 1, m, size) for i, m in enumerate(msgs)]
    order: list[bytes] = []
    while any(streams):
        pick = draw(st.integers(0, len(streams) - 1))
        live = [s for s in streams if s]
        stream = live[pick % len(live)]
        order.append(stream.pop(0))
        if draw(st.integers(0, 3)) == 0 and len(live) > 1:        # keep at most two objects open at once
            continue
    data = b"".join(order)
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "flip", "split"]))
    if damage == "cut" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif damage == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if damage == "split":     # Receives that do not end on a fragment boundary (PSRP's always do)
        cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=4))))
        return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if data[a:b]] or [data]
    ends = list(itertools.accumulate(len(f) for f in order))          # Receives end on fragment boundaries
    cuts = sorted(set(draw(st.lists(st.sampled_from(ends), max_size=4)))) if damage == "none" else []
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if data[a:b]] or [data]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(receive_bytes())
def test_receive_bytes_give_what_pypsrps_fragmenter_gives(receives: list[bytes]) -> None:
    reference, mine = pair()
    assert outcome(mine, receives) == outcome(reference, receives)


def test_a_whole_result_reads_as_output_messages_and_a_state() -> None:
    reference, mine = pair()
    msgs = [output_message(f'<S>{n}</S>'.encode(), bom=True) for n in range(40)] + [state_message()]
    frags = [f for i, m in enumerate(msgs) for f in fragments(i + 1, m, 50)]
    receives = [b"".join(frags[:len(frags) // 2]), b"".join(frags[len(frags) // 2:])]   # on a fragment boundary
    got = outcome(mine, receives)
    assert got == outcome(reference, receives)
    status, (shown, kept) = got
    assert status == "ok" and kept == {}
    assert [s[2] for s in shown[:40]] == [f"<S>{n}</S>" for n in range(40)]
    assert shown[40][:2] == (MessageType.PIPELINE_STATE, "PipelineState")


def test_the_pools_fragmenter_is_replaced_with_its_state_kept() -> None:
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    from tui.remoting.pypsrp_compat import defer_output

    pool = RunspacePool(WSMan("localhost", username="u", password="p", auth="basic"))
    before = pool._fragmenter
    before.outgoing_counter = 7
    defer_output(pool)
    defer_output(pool)                      # twice is once
    after = pool._fragmenter
    assert isinstance(after, DeferringFragmenter) and isinstance(after.serializer, DeferringSerializer)
    assert after.outgoing_counter == 7 and after.max_size == before.max_size
