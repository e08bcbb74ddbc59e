"""Running command lines through a DelegatedSession: streaming, stop, -First, errors, variables, files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tui.remoting.events import (
    ErrorEvent,
    FileEvent,
    ProgressEvent,
    RecordEvent,
    TextEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.remoting.invoke import RemotePipeline
from tui.remoting.transcript import Transcript
from tui.shell.bound import BoundCommand


@pytest.fixture(scope="module")
def big_sim():   # type: ignore[no-untyped-def]
    from tui.sim import Simulator

    with Simulator(mailboxes=1200) as server:
        yield server


def test_records_stream_before_the_pipeline_ends(big_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(big_sim)
    first: dict[str, object] = {}
    progress: list[ProgressEvent] = []

    def on_event(event: object) -> None:
        if isinstance(event, RecordEvent) and not first:
            first["receives"] = big_sim.stats()["requests"]["Receive"]
        if isinstance(event, ProgressEvent):
            progress.append(event)

    summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
    assert summary.outcome == "ok" and summary.records == 1200
    receives = big_sim.stats()["requests"]["Receive"]
    assert int(first["receives"]) < receives - 2, (   # type: ignore[call-overload]
        "the first record must reach the caller before the rest of the output is even fetched")
    # (No wall-clock ratio: since output is read straight into Records the whole run is short, and on a
    # loaded machine the first Receive's share of it swings; the Receive count above is the proof.)
    # Progress records arrive with the data ("Retrieved 500 of 1,200 mailboxes"), the last one completed.
    assert len(progress) >= 3 and progress[-1].completed and not progress[1].completed
    assert 0 < progress[1].percent < 100 and "of 1,200" in progress[1].status


def test_stop_ends_the_remote_pipeline_and_session_stays_usable(big_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(big_sim)
    signals = big_sim.stats()["requests"]["Signal"]
    got: list[object] = []

    def on_event(event: object) -> None:
        got.append(event)
        if isinstance(event, RecordEvent) and sum(isinstance(e, RecordEvent) for e in got) == 10:
            threading.Thread(target=session.stop).start()    # Ctrl+C from the UI thread

    summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
    assert summary.outcome == "stopped"
    assert 10 <= summary.records < 1200
    assert not any(isinstance(e, ErrorEvent) for e in got)           # a stop is not an error
    assert big_sim.stats()["requests"]["Signal"] == signals + 1
    assert big_sim.stats()["pipelines_running"] == 0
    again = session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    assert again.outcome == "ok" and again.records == 2


def test_first_stops_the_remote_pipeline_early(big_sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(big_sim)
    signals = big_sim.stats()["requests"]["Signal"]
    events: list[object] = []
    summary = session.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 3 Name, Alias", events.append)
    records = [e.record for e in events if isinstance(e, RecordEvent)]
    assert summary.outcome == "ok" and len(records) == 3 and list(records[0]) == ["Name", "Alias"]
    assert big_sim.stats()["requests"]["Signal"] == signals + 1
    assert big_sim.stats()["pipelines_running"] == 0


def test_terminating_and_non_terminating_errors_are_both_reported(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    events: list[object] = []
    # Exchange writes a missing object as a non-terminating error (tui/sim/cmdlets/base.py says why) …
    summary = session.run("Get-Mailbox -Identity nosuchuser", events.append)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert summary.outcome == "errors" and summary.errors == 1
    assert not errors[0].terminating and "couldn't be found" in errors[0].message
    # The service names no target ("NotSpecified: (:) [Get-Mailbox], …"); its message names the object.
    assert errors[0].target is None and "ManagementObjectNotFoundException" in errors[0].exception_type
    # … and -ErrorAction Stop makes it terminating.
    events = []
    summary = session.run("Get-Mailbox -Identity nosuchuser -ErrorAction Stop", events.append)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert summary.outcome == "failed" and summary.errors == 1
    assert errors[0].terminating and "couldn't be found" in errors[0].message

    # A non-terminating error: the command goes on (pypsrp's had_errors stays False for these).
    events = []
    assert session._pool is not None
    pipeline = RemotePipeline(session._pool, [BoundCommand("Get-Command", {"Name": ["Get-Mailbox", "Get-Nothing"]})],
                              events.append)
    records = pipeline.run_to_end()
    assert [r["Name"] for r in records] == ["Get-Mailbox"]
    errs = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errs) == 1 and not errs[0].terminating and "Get-Nothing" in errs[0].message
    assert not pipeline.ps.had_errors


def test_verbose_records_arrive_with_verbose(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    events: list[object] = []
    assert session.run("Get-Mailbox -ResultSize 1 -Verbose", events.append).outcome == "ok"
    assert any(isinstance(e, VerboseEvent) and "Beginning processing" in e.message for e in events)


def test_warnings_variables_and_last(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    events: list[object] = []
    summary = session.run("$boxes = Get-Mailbox -ResultSize 4", events.append)
    assert summary.assigned_to == "boxes" and summary.records == 4
    assert not any(isinstance(e, RecordEvent) for e in events)          # an assignment shows nothing
    assert any(isinstance(e, WarningEvent) and "more results" in e.message for e in events)
    assert len(session.variables["boxes"]) == 4
    events = []
    session.run("$boxes | Select-Object -Skip 1 -First 2 Name", events.append)
    assert len([e for e in events if isinstance(e, RecordEvent)]) == 2
    events = []
    session.run("$last | Select-Object -First 1", events.append)        # $last = the previous result
    assert len([e for e in events if isinstance(e, RecordEvent)]) == 1


def test_variable_names_are_case_insensitive(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    session.run("$Boxes = Get-Mailbox -ResultSize 1", lambda e: None)
    session.run("$boxes = Get-Mailbox -ResultSize 3", lambda e: None)   # PowerShell: the same variable
    events: list[object] = []
    session.run("$BOXES | Select-Object Name", events.append)
    assert len([e for e in events if isinstance(e, RecordEvent)]) == 3
    assert [k for k in session.variables if k.lower() == "boxes"] == ["boxes"]


def test_parse_and_bind_errors_come_back_with_a_column(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    bad = session.run("Get-Mailbox -ResultSize 'x", lambda e: None)
    assert bad.outcome == "invalid" and getattr(bad.error, "column", None) is not None
    unknown = session.run("Get-Mailbox -NoSuchParameter 1", lambda e: None)
    assert unknown.outcome == "invalid" and getattr(unknown.error, "column", None) == 12


def test_export_csv_is_written_atomically_by_the_session(sim, open_session, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    target = tmp_path / "out" / "boxes.csv"
    target.parent.mkdir()
    events: list[object] = []
    summary = session.run(f"Get-Mailbox -ResultSize 3 | Select-Object Name, Alias | Export-Csv -Path '{target}'",
                          events.append)
    assert summary.outcome == "ok"
    files = [e for e in events if isinstance(e, FileEvent)]
    assert files and files[0].path == str(target)
    lines = target.read_text().splitlines()
    assert lines[0] == '"Name","Alias"' and len(lines) == 4
    assert [p.name for p in target.parent.iterdir()] == ["boxes.csv"]    # no temp file left behind
    events = []
    session.run("Get-Mailbox -ResultSize 1 | Select-Object Name | ConvertTo-Json", events.append)
    text = "".join(e.text for e in events if isinstance(e, TextEvent))
    assert "Name" in json.loads(text)


def test_transcript_has_one_line_per_command(sim, open_session, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    transcript = Transcript(tmp_path / "transcripts")
    session = open_session(sim, transcript=transcript)
    session.run("Get-Mailbox -ResultSize 2", lambda e: None)
    session.run("Get-Mailbox -Identity nosuchuser", lambda e: None)
    entries = transcript.read(session.tenant.domain)
    assert [(e["line"], e["outcome"], e["records"], e["errors"]) for e in entries] == [
        ("Get-Mailbox -ResultSize 2", "ok", 2, 0), ("Get-Mailbox -Identity nosuchuser", "errors", 0, 1)]
    assert all(e["account"] == session.account.upn and e["time"].endswith("Z") for e in entries)
    raw = (tmp_path / "transcripts" / f"{session.tenant.domain}.jsonl").read_text()
    assert sim.account(session.account.upn).password not in raw
