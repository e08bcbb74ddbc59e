"""Output read by exohop's CLIXML reader over real pypsrp, beside pypsrp's own deserializer, against the simulator.

A session's pool keeps each PIPELINE_OUTPUT message as text (``pypsrp_compat.defer_output``); a plain
pypsrp pool to the same pod deserializes as before. Both must give identical records and catalogs, the
records must stream (the first one before the last Receive), and none may leave the fast path.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from tui.config import Account
from tui.remoting.cleanup import CONFIGURATION_NAME, basic_wsman
from tui.remoting.events import Event, RecordEvent
from tui.remoting.importer import fetch_catalog
from tui.remoting.invoke import RemotePipeline
from tui.remoting.pypsrp_compat import RawOutput
from tui.remoting.session import DelegatedSession
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.tenants import Tenant

from .conftest import TEST_COMMANDS

MAILBOXES = 1500
OFF_THE_FAST_PATH = "output object read by pypsrp"


def picture(value: Any) -> Any:
    """Records with their text and property order; Python types kept (True is not 1)."""
    if isinstance(value, Record):
        return (value.type_names, value.text, [(k, picture(v)) for k, v in value.properties.items()])
    if isinstance(value, list):
        return [picture(v) for v in value]
    if isinstance(value, dict):
        return {k: picture(v) for k, v in value.items()}
    return (type(value).__name__, value)


@pytest.fixture
def pod_session(make_sim, tmp_path: Path):   # type: ignore[no-untyped-def]
    """A simulator with MAILBOXES mailboxes, a session cold-imported on it, and a plain pypsrp pool to the same pod."""
    sim = make_sim(mailboxes=MAILBOXES)
    a = sim.accounts[0]
    account = Account(upn=a.upn, endpoint=sim.url, ca_file=sim.ca_file)
    session = DelegatedSession(account, Tenant(a.tenants[0]), a.password, cache_dir=tmp_path / "cache",
                               refresh_in_background=False, import_patterns=TEST_COMMANDS)
    session.open()
    assert session.connected_uri is not None
    plain = RunspacePool(basic_wsman(session.connected_uri, account, a.password), configuration_name=CONFIGURATION_NAME)
    plain.open()
    yield sim, session, plain
    plain.close()
    session.close()


def test_a_large_result_is_the_same_through_both_paths_and_streams(pod_session, caplog) -> None:   # type: ignore[no-untyped-def]
    sim, session, plain = pod_session
    caplog.set_level(logging.DEBUG, logger="tui.remoting.values")
    mine: list[Record] = []
    receives_at_first: list[int] = []
    before = sim.stats()["requests"]["Receive"]

    def on_event(event: Event) -> None:
        if isinstance(event, RecordEvent):
            if not mine:
                receives_at_first.append(sim.stats()["requests"]["Receive"] - before)
            mine.append(event.record)

    summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
    receives = sim.stats()["requests"]["Receive"] - before
    assert summary.records == MAILBOXES and summary.errors == 0
    assert receives_at_first[0] < receives, "the first record waited for the last Receive"
    assert OFF_THE_FAST_PATH not in caplog.text
    assert session._pool is not None      # the session's pool hands output over as text; the plain one does not
    deferred = PowerShell(session._pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 2).invoke()
    assert [type(o) for o in deferred] == [RawOutput, RawOutput]
    session._pool.pipelines.clear()

    reference = RemotePipeline(plain, [BoundCommand("Get-Mailbox", {"ResultSize": "Unlimited"})],
                               lambda event: None).run_to_end()
    assert len(reference) == MAILBOXES
    assert [picture(r) for r in mine] == [picture(r) for r in reference]
    first = mine[0]
    assert first.type_name == "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    assert isinstance(first["EmailAddresses"], list) and isinstance(first["Guid"], uuid.UUID)
    assert isinstance(first["LitigationHoldEnabled"], bool) and str(first) == first["Name"]


def test_the_cold_import_reads_the_same_catalog_as_pypsrps_objects(pod_session, caplog) -> None:   # type: ignore[no-untyped-def]
    _sim, session, plain = pod_session
    caplog.set_level(logging.DEBUG, logger="tui.remoting.values")
    again = session.reimport()              # through the session's (deferring) pool, with the fast reader
    assert OFF_THE_FAST_PATH not in caplog.text
    reference = fetch_catalog(plain, patterns=TEST_COMMANDS)   # pypsrp's objects
    assert len(reference) > 20 and again == reference
    mailbox = again.get("Set-Mailbox")
    assert mailbox is not None and any(p.switch for p in mailbox.parameters)
