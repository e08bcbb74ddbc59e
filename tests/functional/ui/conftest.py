"""Pilot helpers for the tests that drive the whole app against the simulator."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from tui.console.app import ExohopApp
from tui.console.controller import TenantStatus


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            app = pilot.app
            states = getattr(getattr(app, "controller", None), "states", {})
            raise AssertionError(f"timed out waiting for the app; screen={app.screen!r} states={states}")
        await pilot.pause(0.03)


async def open_tenant(app: ExohopApp, pilot: Pilot[Any], domain: str) -> None:
    """Filter the sidebar to ``domain`` and press Enter, then wait until its session is ready."""
    await pilot.press("ctrl+t", "slash")  # from a console, "/" is just a character of the command line
    app.sidebar.filter_input.value = domain  # typing it key by key costs a frame per key
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.ctl.state(domain).status is TenantStatus.READY)


async def submit_line(app: ExohopApp, pilot: Pilot[Any], domain: str, line: str) -> None:
    """Put ``line`` in the tenant's console and press Enter (a confirmation may follow)."""
    console = app.console_for(domain)
    console.input.value = line
    console.input.focus()
    await pilot.press("enter")


async def run_line(app: ExohopApp, pilot: Pilot[Any], domain: str, line: str) -> None:
    """``submit_line``, then wait until the command has finished."""
    await submit_line(app, pilot, domain, line)
    console = app.console_for(domain)
    await wait_for(pilot, lambda: not console.busy and domain not in app.ctl.runs)


async def quit_app(app: ExohopApp, pilot: Pilot[Any]) -> None:
    """Ctrl+Q, then wait until the app has disconnected every session and exited."""
    await pilot.press("ctrl+q")
    await wait_for(pilot, lambda: not app.is_running)


_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
                   r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>')


def screen_lines(app: App[Any]) -> list[str]:
    """The composited screen as lines of text (from the SVG that ``export_screenshot`` draws)."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, length, line, raw in _TEXT.findall(app.export_screenshot()):
        text = html.unescape(raw).replace("\xa0", " ")
        column = round(float(x) / (float(length) / len(text)))
        for i, ch in enumerate(text):
            if 0 <= column + i < width and int(line) < height:
                rows[int(line)][column + i] = ch
    return ["".join(r).rstrip() for r in rows]
