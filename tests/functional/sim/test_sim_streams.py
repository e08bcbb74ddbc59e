"""Every RunContext stream reaches pypsrp typed and as it happens (a scripted engine, the real wire)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool

from tui.catalog import Catalog, CmdletInfo
from tui.sim import Simulator
from tui.sim.model import CmdletError, SimObject

WHEN = dt.datetime(2026, 3, 14, 15, 9, 26, tzinfo=dt.UTC)
GUID = uuid.UUID("0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9")


class ScriptedEngine:
    """Two commands: Write-Everything (every stream, every value type) and Wait-Release (streams, then waits)."""

    catalog = Catalog([CmdletInfo("Write-Everything"), CmdletInfo("Wait-Release")])

    def __init__(self) -> None:
        self.release = threading.Event()
        self.seen_args: list[Any] = []

    def command_metadata(self, patterns: Sequence[str]) -> list[CmdletInfo]:
        return list(self.catalog)

    def run(self, tenant: str, commands: Sequence[tuple[str, Sequence[tuple[str | None, Any]]]], ctx: Any) -> None:
        name, args = commands[0]
        self.seen_args.append(list(args))
        if name == "Wait-Release":
            ctx.output(SimObject(("Demo.First", "System.Object"), {"N": 1}, "first"))
            while not self.release.wait(0.01):
                ctx.check_stopped()
            ctx.output(SimObject(("Demo.Second", "System.Object"), {"N": 2}, "second"))
            return
        ctx.verbose("verbose text")
        ctx.warning("warning text")
        ctx.progress("Working", "half way", 50, record_id=3)
        ctx.error(CmdletError("not this one", category="ObjectNotFound", error_id="NotFound,Demo",
                              exception_type="Demo.NotFoundException", target="x", terminating=False))
        inner = SimObject(("Demo.Inner", "System.Object"), {"Depth": 2}, "inner")
        ctx.output(SimObject(("Demo.Outer", "Demo.Base", "System.Object"), {
            "Text": "é & <tag>", "Int": 7, "Big": 2**40, "Float": 1.25, "Flag": True, "Nothing": None,
            "When": WHEN, "Guid": GUID, "List": ["a", "b"], "Map": {"k": "v"}, "Inner": inner}, "outer"))


@pytest.fixture(scope="module")
def engine() -> ScriptedEngine:
    return ScriptedEngine()


@pytest.fixture(scope="module")
def pool(engine: ScriptedEngine, pool_opener: Callable[..., Any]) -> Iterator[RunspacePool]:
    with Simulator(engine=engine) as sim:
        conn = pool_opener(sim)
        yield conn.pool
        conn.pool.close()


def test_every_stream_and_value_type_arrives(pool: RunspacePool, engine: ScriptedEngine) -> None:
    ps = PowerShell(pool).add_cmdlet("Write-Everything").add_parameter("Names", ["x", "y"]).add_parameter(
        "Count", 3).add_parameter("Force", True)
    out = ps.invoke()
    assert not ps.had_errors, "a non-terminating error leaves the pipeline Completed"
    assert [v.message for v in ps.streams.verbose] == ["verbose text"]
    assert [w.message for w in ps.streams.warning] == ["warning text"]
    progress = ps.streams.progress[0]
    assert (progress.activity, progress.description, progress.percent_complete,
            progress.activity_id) == ("Working", "half way", 50, 3)
    err = ps.streams.error[0]
    assert str(err) == "not this one" and err.fq_error == "NotFound,Demo" and err.reason == "NotFoundException"

    obj = out[0]
    assert obj.types == ["Demo.Outer", "Demo.Base", "System.Object"] and str(obj) == "outer"
    p = obj.adapted_properties
    assert (p["Text"], p["Int"], p["Big"], p["Float"], p["Flag"], p["Nothing"]) == (
        "é & <tag>", 7, 2**40, 1.25, True, None)
    assert p["When"].startswith("2026-03-14T15:09:26")
    assert p["Guid"] == GUID and p["List"] == ["a", "b"] and p["Map"] == {"k": "v"}
    assert p["Inner"].types[0] == "Demo.Inner" and p["Inner"].adapted_properties["Depth"] == 2
    # Arguments reach the engine as plain Python values.
    assert engine.seen_args[-1] == [("Names", ["x", "y"]), ("Count", 3), ("Force", True)]


def test_output_streams_before_the_pipeline_ends(pool: RunspacePool, engine: ScriptedEngine) -> None:
    engine.release.clear()
    ps = PowerShell(pool).add_cmdlet("Wait-Release")
    ps.begin_invoke()
    deadline = time.monotonic() + 10
    while not ps.output and time.monotonic() < deadline:
        ps.poll_invoke()
    assert [str(o) for o in ps.output] == ["first"]
    assert ps.state == PSInvocationState.RUNNING
    engine.release.set()
    assert [str(o) for o in ps.end_invoke()] == ["first", "second"]
