"""Console benchmarks (issue 5): keystroke-to-dropdown, input latency while records stream, memory.

Run: ``python tests/bench/bench_console.py`` (headless Textual; about a minute). Prints JSON.

* keystroke-to-dropdown: every keystroke of typical lines typed with the dropdown open (Tab after
  the first characters), on the simulator's Exchange-sized catalog (~730 cmdlets). ``handler`` is the
  UI-thread time of each keystroke's completion work (completer + dropdown update + placement), as
  wall time and as the thread's CPU time (the wall figure includes waiting for the CPU when other
  processes load the machine); ``paint`` is each screen update that draws the result.
  Keystroke-to-dropdown = handler + paint (+ at most one frame tick). Baseline in the same run: the
  paints of the same keystrokes with the dropdown closed (plain typing).
* input latency while 10,000 records stream: a thread delivers records the way the app does
  (``call_from_thread`` batches every 5 ms) while the event loop's lag is sampled every 10 ms; the
  baseline is the same sampling with nothing streaming. Run twice: as the console works (it calls
  ``gc.freeze()`` once a catalog is set) and with that undone, to show what the freeze buys.
* memory after a 50,000-record result (tracemalloc, console only, scrollback capped by INLINE_ROWS).
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from typing import Any

from textual.app import App, ComposeResult

from tui.console.widgets.console import TenantConsole
from tui.remoting.events import RecordEvent, RunSummary
from tui.shell.records import Record
from tui.sim.builtin_catalog import builtin_catalog
from tui.tenants import Tenant

LINES = [
    "Get-Mailbox -Identity john -ResultSize Unlimited",
    "Get-MailboxPermission -Identity sales -User bob",
    "Set-Mailbox -Identity john -ProhibitSendQuota 50GB",
    "Get-Mailbox -ResultSize 10 | Select-Object Name,Alias | Sort-Object Name",
]
MAILBOX = ("Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox",)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield TenantConsole(Tenant("contoso.onmicrosoft.com", "Contoso Ltd"))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": round(statistics.median(values), 3), "p99": pct(values, 0.99),
            "max": round(max(values), 3)}


def record(i: int) -> Record:
    return Record({"Name": f"user{i:05d}", "Alias": f"u{i}", "Database": "EURPR01DG042-db117",
                   "ProhibitSendQuota": "99 GB (106,300,440,576 bytes)",
                   "ExternalDirectoryObjectId": f"6f3c{i:08x}-0000-4000-8000-000000000000"}, MAILBOX)


async def keystrokes(app: Host, console: TenantConsole, pilot: Any,
                     dropdown: bool) -> tuple[list[float], list[float], list[float]]:
    """Type LINES; return (handler wall ms, handler CPU ms, paint ms of each screen update)."""
    wall: list[float] = []
    cpu: list[float] = []
    paints: list[float] = []
    inp = console.input
    original_refresh = inp.refresh_menu
    screen = app.screen
    originals = {name: getattr(screen, name) for name in ("_refresh_layout", "_compositor_refresh")}

    def timed(fn: Any) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)

    def timed_paint(fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        paints.append((time.perf_counter() - t0) * 1000)
        return result

    inp.refresh_menu = lambda: timed(original_refresh)  # type: ignore[method-assign]
    for name, fn in originals.items():  # layout and compositor: the UI-thread part of a screen update
        setattr(screen, name, lambda *a, _fn=fn, **k: timed_paint(_fn, *a, **k))
    for line in LINES:
        inp.value = ""
        await pilot.pause()
        for i, ch in enumerate(line):
            await pilot.press("space" if ch == " " else ch)
            if dropdown and i >= 2 and not inp.menu.display and ch not in " |,":
                timed(inp.action_menu_complete)  # Ctrl+Space: opens the dropdown (or applies a single candidate)
                await pilot.pause()
        inp.menu.hide()
    inp.refresh_menu = original_refresh  # type: ignore[method-assign]
    for name in originals:
        delattr(screen, name)
    return wall, cpu, paints


async def bench_keystrokes() -> dict[str, Any]:
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.query_one(TenantConsole)
        catalog = builtin_catalog()
        console.set_catalog(catalog)
        await pilot.pause()
        _, _, base_paint = await keystrokes(app, console, pilot, dropdown=False)
        wall, cpu, paint = await keystrokes(app, console, pilot, dropdown=True)
        completer_ms = []
        for line in LINES:
            for cut in range(1, len(line) + 1):
                console.input.value = line[:cut]
                console.input.cursor_position = cut
                console.input.candidates()
                completer_ms.append(console.input.last_completion_ms)
        return {
            "catalog_cmdlets": len(catalog),
            "catalog_parameters": sum(len(c.parameters) for c in catalog),
            "dropdown_handler_wall_ms": summary(wall),
            "dropdown_handler_cpu_ms": summary(cpu),
            "completer_only_wall_ms": summary(completer_ms),
            "paint_ms_with_dropdown": summary(paint),
            "baseline_paint_ms_plain_typing": summary(base_paint),
            "goal_ms": 16,
        }


async def loop_lag(duration_s: float, stop: threading.Event | None = None) -> list[float]:
    lags: list[float] = []
    end = time.perf_counter() + duration_s
    while time.perf_counter() < end and not (stop is not None and stop.is_set()):
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(max(0.0, (time.perf_counter() - t0 - 0.01) * 1000))
    return lags


async def bench_streaming(n: int = 10_000) -> dict[str, Any]:
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.query_one(TenantConsole)
        console.set_catalog(builtin_catalog())  # as in the app: a session's catalog is loaded
        await pilot.pause(0.5)  # the index is built (and gc.freeze() called) in a worker
        baseline = await loop_lag(1.0)
        console.begin_run("Get-Mailbox -ResultSize Unlimited")
        done = threading.Event()

        # Built beforehand: the session layer's deserialisation is not what this measures.
        batches = [[RecordEvent(record(i)) for i in range(start, min(n, start + 100))]
                   for start in range(0, n, 100)]

        def producer() -> None:
            for events in batches:
                app.call_from_thread(lambda evs=events: [console.append_event(e) for e in evs])
                time.sleep(0.005)
            done.set()

        t0 = time.perf_counter()
        thread = threading.Thread(target=producer, daemon=True)
        thread.start()
        lags = await loop_lag(30.0, done)
        thread.join()
        stream_s = time.perf_counter() - t0
        # Keystrokes typed while the result streamed still land (checked after the stream).
        console.end_run(RunSummary("Get-Mailbox -ResultSize Unlimited", "ok", records=n, duration_s=stream_s))
        await pilot.pause()
        return {"records": n, "stream_s": round(stream_s, 2),
                "loop_lag_ms_while_streaming": summary(lags),
                "baseline_loop_lag_ms_idle": summary(baseline), "goal_max_ms": 50,
                "scrollback_lines": len(console.scrollback.plain_lines())}


async def bench_memory(n: int = 50_000) -> dict[str, Any]:
    records = [record(i) for i in range(n)]  # the session layer holds these anyway; not counted
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.query_one(TenantConsole)
        await pilot.pause()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        console.begin_run("Get-Mailbox -ResultSize Unlimited")
        for r in records:
            console.append_event(RecordEvent(r))
        await pilot.pause(0.1)
        console.end_run(RunSummary("Get-Mailbox -ResultSize Unlimited", "ok", records=n))
        await pilot.pause()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        return {"records": n, "console_bytes_grown": grown, "bytes_per_record": round(grown / n, 1),
                "scrollback_lines": len(console.scrollback.plain_lines())}


def without_gc_freeze() -> dict[str, Any]:
    """The streaming figure in a fresh process where the console's gc.freeze() does nothing."""
    proc = subprocess.run([sys.executable, __file__, "--streaming-without-gc-freeze"], capture_output=True,
                          text=True, check=True, timeout=300)
    return json.loads(proc.stdout)


def main() -> None:
    if "--streaming-without-gc-freeze" in sys.argv:
        gc.freeze = lambda: None  # the comparison run: everything else identical
        asyncio.run(bench_keystrokes())  # same history as the main run: catalog, index, widgets
        print(json.dumps(asyncio.run(bench_streaming())))
        return
    out = {
        "keystroke_to_dropdown": asyncio.run(bench_keystrokes()),
        "input_while_streaming": asyncio.run(bench_streaming()),
        "input_while_streaming_without_gc_freeze": without_gc_freeze(),
        "memory_50k": asyncio.run(bench_memory()),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
