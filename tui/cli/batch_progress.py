"""What ``exohop run`` across tenants shows on stderr while it runs.

On a terminal: one live line (Rich, which Textual brings anyway) with tenants done of total, the
tenants running now, failures so far and the time elapsed; messages print above it. Otherwise (a log
file, CI) one plain line per tenant as it ends, so a log reads in the order things happened.
Tenant names come from tenants.toml and the service: shown as text (never as Rich markup), their
control characters made visible.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tui.remoting.batch import CONNECT_FAILED, ERRORS, FINAL, RUNNING, TenantRun, describe
from tui.shell.safe_text import visible

RUNNING_SHOWN = 4        # names of running tenants on the line; the rest as "+N"
REFRESH_PER_S = 4


def _counts(runs: list[TenantRun]) -> tuple[int, int, list[TenantRun]]:
    done = sum(1 for r in runs if r.state in FINAL)
    failed = sum(1 for r in runs if r.state in (ERRORS, CONNECT_FAILED))
    running = [r for r in runs if r.state == RUNNING or (r.started is not None and r.state not in FINAL)]
    return done, failed, running


def status_line(runs: list[TenantRun], elapsed_s: float) -> str:
    done, failed, running = _counts(runs)
    parts = [f"{done}/{len(runs)} tenants done"]
    if failed:
        parts.append(f"{failed} failed")
    parts.append(f"{elapsed_s:.0f} s")
    if running:
        names = ", ".join(visible(r.tenant.display_name) for r in running[:RUNNING_SHOWN])
        more = f" +{len(running) - RUNNING_SHOWN}" if len(running) > RUNNING_SHOWN else ""
        parts.append(f"running: {names}{more}")
    return " · ".join(parts)


def ended_line(run: TenantRun, index: int, total: int) -> str:
    """A tenant's end, as a plain line: ``[3/30] Contoso (contoso.onmicrosoft.com): ok, 12 records, 1.3 s``."""
    what = describe(run)
    counts = f", {run.records} record{'s' if run.records != 1 else ''}" if run.summary is not None else ""
    took = f", {run.duration_s:.1f} s" if run.started is not None else ""
    return f"[{index}/{total}] {visible(run.tenant.display_name)} ({run.tenant.domain}): {visible(what)}{counts}{took}"


class Progress:
    """``changed(run)`` from the workers, ``say(text)`` for a message; ``live()`` around the batch."""

    def __init__(self, runs: list[TenantRun], err: TextIO, *, interactive: bool | None = None) -> None:
        self.runs = runs
        self.err = err
        self.interactive = err.isatty() if interactive is None else interactive
        self._ended = 0
        self._lock = threading.Lock()
        self._live: Any = None
        self._t0 = time.monotonic()

    def changed(self, run: TenantRun) -> None:
        if run.state not in FINAL:
            return
        with self._lock:
            self._ended += 1
            index = self._ended
        if not self.interactive or run.state in (ERRORS, CONNECT_FAILED):
            # A failure is said as it happens, on a terminal too: stderr names the tenant and the reason.
            self.say(f"exohop: {ended_line(run, index, len(self.runs))}")

    def say(self, text: str) -> None:
        live = self._live
        if live is not None:
            from rich.text import Text

            live.console.print(Text(text), soft_wrap=True)   # above the live line; Text: never markup
        else:
            print(text, file=self.err, flush=True)

    def write_out(self, out: TextIO, text: str) -> None:
        """stdout's text while the live line is on the same terminal: through Rich, so it is not torn."""
        live = self._live
        if live is not None:
            from rich.text import Text

            live.console.print(Text(text, end=""), soft_wrap=True)
        else:
            out.write(text)

    @contextmanager
    def live(self) -> Iterator[None]:
        if not self.interactive:
            yield
            return
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        console = Console(file=self.err, highlight=False, markup=False)

        def render() -> Text:
            return Text(status_line(self.runs, time.monotonic() - self._t0), style="dim", no_wrap=True,
                        overflow="ellipsis")

        with Live(get_renderable=render, console=console, refresh_per_second=REFRESH_PER_S, transient=True,
                  redirect_stdout=False, redirect_stderr=False) as live:
            self._live = live
            try:
                yield
            finally:
                self._live = None
