"""A server message exohop cannot decode (invalid CLIXML) is a clear error naming it, never a Python
exception's text, and the session goes on; and control characters round-trip escaped both ways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psrpcore.types import NETException

from tui.remoting.events import ErrorEvent, RecordEvent
from tui.sim import Simulator
from tui.sim.engine import SimEngine

ODD = "a\x01b\x00c_x0041_d"


class UnescapingEngine(SimEngine):
    """The simulator's engine, except that ``Get-Mailbox -Identity <control character>`` writes its error
    through psrpcore's own ``write_error``, whose ErrorRecord <ToString> has no CLIXML escapes: a raw
    U+0001 in the message, as a server that does not escape it sends (and the simulator did)."""

    def run(self, tenant: str, commands: Sequence[tuple[str, Sequence[tuple[str | None, Any]]]], ctx: Any,
            **kwargs: Any) -> None:
        name, args = commands[0]
        if name == "Get-Mailbox" and any("\x01" in str(v) for _, v in args):
            # The runspace's own emit path (tui.sim.runspace._Context), bypassing its escaping error_record.
            ctx._shell._emit(ctx._run, lambda p: p.write_error(NETException(Message="raw\x01text")),
                             stop_raises=False)
            return
        super().run(tenant, commands, ctx, **kwargs)


def test_an_undecodable_message_is_a_clear_error_and_the_session_goes_on(open_session) -> None:   # type: ignore[no-untyped-def]
    with Simulator(mailboxes=10, engine=UnescapingEngine(mailboxes=10)) as server:
        session = open_session(server)
        events: list[object] = []
        summary = session.run("Get-Mailbox -Identity 'x\x01y'", events.append)
        errors = [e for e in events if isinstance(e, ErrorEvent)]
        assert summary.outcome == "failed" and len(errors) == 1
        message = errors[0].message
        assert "could not decode" in message and "not valid CLIXML" in message and "run the command again" in message
        for leak in ("AttributeError", "MESSAGE_TYPE", "Traceback", "'str' object"):
            assert leak not in message
        after: list[object] = []
        assert session.run("Get-Mailbox -ResultSize 1", after.append).outcome == "ok"
        assert [e for e in after if isinstance(e, RecordEvent)]


def test_control_characters_in_an_argument_come_back_as_sent(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    events: list[object] = []
    summary = session.run(f"Get-Mailbox -Identity '{ODD}'", events.append)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert summary.outcome == "errors" and len(errors) == 1
    assert f"object '{ODD}' couldn't be found" in errors[0].message
