"""`exohop --demo` keeps its catalog cache in the demo's own folder and finds it again on the next start
(the simulator's port changes; the cache key leaves a loopback port out). The real app under Pilot,
the real in-process simulator speaking PSRP, the real import."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.cli.demo import start_demo
from tui.config import demo_folders
from tui.console.app import make_app
from tui.console.startup import demo_setup

from .conftest import open_tenant, quit_app, wait_for

CONTOSO = "contoso.onmicrosoft.com"


def start_once() -> tuple[int, list[Path]]:
    """One demo start: open Contoso, quit. Returns the simulator's Command count once Contoso was ready
    (the import is one: GetCommandMetadata) and the demo cache's files."""
    async def scenario() -> int:
        setup, started = demo_setup(lambda: start_demo(transport="psrp"))
        app = make_app(setup=setup)
        try:
            async with app.run_test(size=(140, 40)) as pilot:
                await wait_for(pilot, lambda: app.controller is not None and bool(app.ctl.tenants))
                app.ctl.refresh_in_background = False   # the open alone is measured, not the later refresh
                await open_tenant(app, pilot, CONTOSO)
                commands = int(started[0].sim.stats()["requests"].get("Command", 0))
                await quit_app(app, pilot)
                return commands
        finally:
            for demo in started:
                demo.stop()

    commands = asyncio.run(scenario())
    return commands, sorted((demo_folders().cache / "catalogs").glob("*.json"))


def test_the_console_demo_imports_once_then_reuses_its_cache(exohop_dirs: dict[str, Path]) -> None:
    commands, cached = start_once()
    assert commands >= 1                                                      # the first start imports …
    assert cached, "the demo wrote no catalog cache"
    assert all(p.is_relative_to(exohop_dirs["data"] / "demo") for p in cached)   # … into the demo's folder
    assert not list(exohop_dirs["cache"].rglob("*.json"))                     # not the user's cache
    written = {p: p.stat().st_mtime_ns for p in cached}

    commands, cached_again = start_once()
    assert commands == 0                                  # no GetCommandMetadata: the cache was used
    assert {p: p.stat().st_mtime_ns for p in cached_again} == written   # and not rewritten
