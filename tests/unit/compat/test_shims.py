"""The private-API shims, each on the pinned version: the guard accepts it, and each call does what
the code above it relies on (so a library upgrade fails here, named, not deep in a session)."""

from __future__ import annotations

import asyncio
import importlib
import sys
from typing import Any

import pytest


def _reimport_with_version(monkeypatch: pytest.MonkeyPatch, module: str, found: str) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: found)
    monkeypatch.delitem(sys.modules, module, raising=False)
    importlib.import_module(module)


@pytest.mark.parametrize(("module", "shim_path"), [
    ("tui.remoting.pypsrp_compat", "tui/remoting/pypsrp_compat.py"),
    ("tui.sim.psrpcore_compat", "tui/sim/psrpcore_compat.py"),
    ("tui.console.textual_compat", "tui/console/textual_compat.py"),
])
def test_another_library_version_fails_at_import_naming_the_shim(monkeypatch: pytest.MonkeyPatch, module: str,
                                                                shim_path: str) -> None:
    original = sys.modules.get(module) or importlib.import_module(module)
    try:
        with pytest.raises(ImportError, match=shim_path):
            _reimport_with_version(monkeypatch, module, "99.0.0")
    finally:
        sys.modules[module] = original


def test_pypsrp_build_session_gives_the_transport_session_before_any_request() -> None:
    import requests
    from pypsrp.wsman import WSMan

    from tui.remoting.pypsrp_compat import build_session

    wsman = WSMan("127.0.0.1", port=1, ssl=True, username="u@x", password="p", auth="basic",
                  cert_validation=True)
    session = build_session(wsman.transport)
    assert isinstance(session, requests.Session)
    assert session.auth is not None          # pypsrp's Basic auth is on it: hooks added to it apply to every send


def test_pypsrp_invoke_message_wraps_the_private_entry_of_this_version() -> None:
    """``PowerShell._invoke(msg)`` is what get_command_metadata calls on 0.9; the importer's progress
    depends on it (driven end to end against the simulator in tests/functional/remoting)."""
    import inspect

    from pypsrp.powershell import PowerShell, RunspacePool

    assert list(inspect.signature(PowerShell._invoke).parameters) == ["self", "msg"]
    assert "._invoke(" in inspect.getsource(RunspacePool.get_command_metadata)


def _opened_pools() -> tuple[Any, Any]:
    from psrpcore import ClientRunspacePool, ServerRunspacePool

    client, server = ClientRunspacePool(), ServerRunspacePool()
    client.open()
    server.receive_data(client.data_to_send())
    while server.next_event():
        pass
    client.receive_data(server.data_to_send())
    while client.next_event():
        pass
    return client, server


def _started_pipeline(client: Any, server: Any) -> tuple[Any, Any]:
    from psrpcore import ClientPowerShell, ServerPipeline

    ps = ClientPowerShell(client)
    ps.add_command("Get-Mailbox")
    ps.start()
    pipe = ServerPipeline(server, ps.pipeline_id)
    server.receive_data(client.data_to_send())
    while server.next_event():
        pass
    pipe.start()
    return ps, pipe


def _client_events(client: Any, server: Any) -> list[Any]:
    client.receive_data(server.data_to_send())
    events = []
    while (event := client.next_event()) is not None:
        events.append(event)
    return events


def test_psrpcore_queue_output_reaches_the_client_as_pipeline_output() -> None:
    from psrpcore import PipelineOutputEvent

    from tui.sim.psrpcore_compat import queue_output

    client, server = _opened_pools()
    _ps, pipe = _started_pipeline(client, server)
    queue_output(pipe, b'<S>ready-made CLIXML</S>')
    outputs = [e for e in _client_events(client, server) if isinstance(e, PipelineOutputEvent)]
    assert [e.data for e in outputs] == ["ready-made CLIXML"]


def test_psrpcore_fail_pipeline_fails_it_with_the_record() -> None:
    from psrpcore.types import ErrorCategoryInfo, ErrorRecord, NETException, PSInvocationState

    from tui.sim.psrpcore_compat import fail_pipeline

    client, server = _opened_pools()
    ps, pipe = _started_pipeline(client, server)
    record = ErrorRecord(Exception=NETException("refused"), CategoryInfo=ErrorCategoryInfo(),
                         FullyQualifiedErrorId="ScriptsNotAllowed")
    fail_pipeline(pipe, record)
    _client_events(client, server)
    assert pipe.state == PSInvocationState.Failed
    assert ps.state == PSInvocationState.Failed


def test_textual_set_virtual_size_changes_the_size_without_a_layout() -> None:
    from textual.app import App, ComposeResult
    from textual.containers import ScrollableContainer
    from textual.geometry import Size
    from textual.widgets import Static

    from tui.console.textual_compat import set_virtual_size

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            with ScrollableContainer(id="view"):
                yield Static("x\n" * 200)

    async def run() -> None:
        app = Host()
        async with app.run_test(size=(40, 10)) as pilot:
            await pilot.pause()
            view = app.query_one("#view")
            size = Size(view.virtual_size.width, view.virtual_size.height + 50)
            pending = set_virtual_size(view, size)
            assert view.virtual_size == size
            assert pending is False                  # the scrollbar was already there: no layout needed
            assert view.max_scroll_y == size.height - view.scrollable_content_region.height

    asyncio.run(run())


def test_textual_quiet_input_keeps_input_behaviour() -> None:
    from textual.app import App, ComposeResult

    from tui.console.textual_compat import QuietInput

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield QuietInput(id="line")

    async def run() -> None:
        app = Host()
        async with app.run_test(size=(40, 5)) as pilot:
            await pilot.press("G", "e", "t")
            line = app.query_one(QuietInput)
            assert line.value == "Get"
            assert line.cursor_position == 3
            assert line.virtual_size.width == line.content_width

    asyncio.run(run())
