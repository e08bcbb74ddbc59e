"""The merged output of a batch: ordered by tenant while the tenants finish in any order, or by arrival;
the Tenant property; the summary's wording; the exit code."""

from __future__ import annotations

import io
import json

from tui.cli.batch_output import MergedOutput
from tui.cli.batch_progress import ended_line, status_line
from tui.cli.batch_run import exit_code_of
from tui.config import Account
from tui.remoting.batch import (
    CONNECT_FAILED,
    ERRORS,
    OK,
    QUEUED,
    RUNNING,
    SKIPPED,
    BatchSummary,
    TenantRun,
    with_tenant,
)
from tui.remoting.events import ErrorEvent, RecordEvent, RunSummary
from tui.shell.records import Record
from tui.tenants import Tenant

ACCOUNT = Account(upn="admin@partner.onmicrosoft.com", endpoint="https://example.invalid/powershell-liveid")


def _runs(*names: str) -> list[TenantRun]:
    return [TenantRun(Tenant(f"{n.lower()}.onmicrosoft.com", n), ACCOUNT) for n in names]


def _record(run: TenantRun, i: int) -> RecordEvent:
    return RecordEvent(with_tenant(Record({"Name": f"{run.tenant.name}-{i}"}), run.tenant, domain=True))


def _finish(output: MergedOutput, run: TenantRun, state: str = OK) -> None:
    run.state = state
    output.tenant_done(run)


def test_ordered_output_holds_later_tenants_until_the_earlier_ones_end() -> None:
    a, b, c = runs = _runs("A", "B", "C")
    out, err = io.StringIO(), io.StringIO()
    merged = MergedOutput("jsonl", "tenant", runs, out, err)
    merged.event(c, _record(c, 1))          # C answers first …
    merged.event(b, _record(b, 1))
    assert out.getvalue() == ""              # … but waits for A
    merged.event(a, _record(a, 1))
    assert [json.loads(x)["Name"] for x in out.getvalue().splitlines()] == ["A-1"]   # A has the turn: live
    _finish(merged, c)                       # C done before B: still waits
    _finish(merged, a)                       # A done: B's held record prints, B has the turn
    merged.event(b, _record(b, 2))
    _finish(merged, b)                       # B done: C's held record prints
    merged.finish()
    assert [json.loads(x)["Name"] for x in out.getvalue().splitlines()] == ["A-1", "B-1", "B-2", "C-1"]


def test_arrival_order_prints_at_once_and_messages_name_their_tenant() -> None:
    a, b = runs = _runs("A", "B")
    out, err = io.StringIO(), io.StringIO()
    merged = MergedOutput("jsonl", "arrival", runs, out, err)
    merged.event(b, _record(b, 1))
    merged.event(b, ErrorEvent("couldn't be found", error_id="NotFound,Get-Mailbox"))
    merged.event(a, _record(a, 1))
    merged.finish()
    assert [json.loads(x)["Name"] for x in out.getvalue().splitlines()] == ["B-1", "A-1"]
    assert err.getvalue() == "ERROR: B: couldn't be found (NotFound,Get-Mailbox)\n"


def test_a_stop_prints_what_was_held_in_tenant_order() -> None:
    a, b = runs = _runs("A", "B")
    out = io.StringIO()
    merged = MergedOutput("json", "tenant", runs, out, io.StringIO())
    merged.event(b, _record(b, 1))
    merged.event(a, _record(a, 1))
    merged.finish()                          # A never finished (stopped): B's record still comes out, after A's
    assert [r["Name"] for r in json.loads(out.getvalue())] == ["A-1", "B-1"]


def test_the_tenant_property_leads_and_a_scalar_becomes_a_value() -> None:
    tenant = Tenant("contoso.onmicrosoft.com", "Contoso Ltd")
    tagged = with_tenant(Record({"Name": "x", "tenant": "theirs"}), tenant, domain=True)
    assert list(tagged) == ["Tenant", "TenantDomain", "Name"] and tagged["Tenant"] == "Contoso Ltd"
    scalar = with_tenant(Record({}, text="LeeG"), tenant)
    assert dict(scalar) == {"Tenant": "Contoso Ltd", "Value": "LeeG"}


def test_summary_progress_and_exit_codes() -> None:
    a, b, c, d = runs = _runs("A", "B", "C", "D")
    a.state, a.summary, a.records = OK, RunSummary("x", "ok", records=3), 3
    b.state, b.errors = ERRORS, 2
    c.state, c.message = CONNECT_FAILED, "Access is denied to c.onmicrosoft.com"
    d.state = QUEUED
    summary = BatchSummary("abc123", tuple(runs), 2.0)
    lines = summary.lines()
    assert lines[0] == "1 of 4 tenants succeeded, 2 failed (3 records, 2.0 s)"
    assert "  B (b.onmicrosoft.com): 2 errors" in lines and any("Access is denied" in x for x in lines)
    assert exit_code_of(runs) == 3                                   # one could not connect
    c.state = SKIPPED
    assert exit_code_of(runs) == 3
    c.state = OK
    assert exit_code_of(runs) == 1                                   # errors only
    b.state = OK
    d.state = OK
    assert exit_code_of(runs) == 0
    assert ended_line(a, 1, 4) == "[1/4] A (a.onmicrosoft.com): ok, 3 records"
    d.state, d.started = RUNNING, 0.0
    assert "4/4" not in status_line(runs, 5.0) and "running: D" in status_line(runs, 5.0)
