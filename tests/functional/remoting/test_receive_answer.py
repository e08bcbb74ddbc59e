"""One Receive split into its round trip and its decoding (``pypsrp_compat.receive_answer`` / ``take_answer``),
against the simulator over real pypsrp: the two together read exactly what pypsrp's ``invoke()`` reads, the
round trip's quick "is the command Done" agrees with the parsed CommandState on every answer, and an
answer that relates to another request is refused as pypsrp refuses it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from pypsrp.exceptions import WinRMError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.shell import CommandState
from pypsrp.wsman import NAMESPACES

from tui.config import Account
from tui.remoting.cleanup import CONFIGURATION_NAME, basic_wsman
from tui.remoting.pypsrp_compat import receive_answer, take_answer

MAILBOXES = 300
ENVELOPE = 48 * 1024      # small answers: the result spans many Receives


@pytest.fixture
def pool(make_sim, open_session) -> Iterator[RunspacePool]:   # type: ignore[no-untyped-def]
    """A plain pypsrp pool on the tenant's pod (found by a session, which follows the first redirect)."""
    sim = make_sim(mailboxes=MAILBOXES)
    session = open_session(sim)
    assert session.connected_uri is not None
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    opened = RunspacePool(basic_wsman(session.connected_uri, account, a.password, max_envelope_size=ENVELOPE),
                          configuration_name=CONFIGURATION_NAME)
    opened.open()
    try:
        yield opened
    finally:
        opened.close()


def get_mailbox(pool: RunspacePool) -> PowerShell:
    return PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited")


def names(objects: list[Any]) -> list[str]:
    return [str(o.adapted_properties["Name"]) for o in objects]


def parsed_state(answer: bytes) -> str:
    state = ET.fromstring(answer).find("s:Body/rsp:ReceiveResponse/rsp:CommandState", NAMESPACES)
    return "" if state is None else state.attrib["State"]


def test_the_split_receive_reads_what_invoke_reads_and_knows_when_the_command_is_done(
        pool: RunspacePool) -> None:
    expected = names(get_mailbox(pool).invoke())
    ps = get_mailbox(pool)
    ps.begin_invoke()
    answers: list[tuple[bytes, bool]] = []
    while ps.state == PSInvocationState.RUNNING:
        answer, done, message_id = receive_answer(ps)
        answers.append((answer, done))
        take_answer(ps, answer, message_id)
    assert ps.state == PSInvocationState.COMPLETED and not ps.had_errors
    assert names(ps.output) == expected and len(expected) == MAILBOXES
    assert len(answers) > 10, "the result should span many Receives"
    for answer, done in answers:
        assert done == (parsed_state(answer) == CommandState.DONE)
    assert answers[-1][1], "the last answer says Done"
    assert max(len(ET.fromstring(a).findall("s:Body/rsp:ReceiveResponse/rsp:Stream", NAMESPACES))
               for a, _ in answers) > 1, "WinRM answers with one Stream per PSRP payload"


def test_an_answer_to_another_request_is_refused(pool: RunspacePool) -> None:
    ps = get_mailbox(pool)
    ps.begin_invoke()
    answer, _done, message_id = receive_answer(ps)
    with pytest.raises(WinRMError, match="related id does not match"):
        take_answer(ps, answer, "uuid:00000000-0000-0000-0000-000000000000")
    assert message_id.startswith("uuid:")
