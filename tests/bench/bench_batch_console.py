"""The console's batch view under load (issue 14), printed as JSON.

    python tests/bench/bench_batch_console.py          # a few minutes on the 2-core machine

1. 30 tenants × 5,000 records through the console's batch path (``BatchFlow``: the queue the batch's
   threads fill, the 100 ms tick, the view's rows and merged table, the tenants' consoles): 30 threads
   report like the engine does (real ``TenantRun``s, ``on_event`` / ``on_change`` in order, records
   with their Tenant property), ~1,000 records a second each. Key latency in the view's export box
   while that streams, against the same keys in the same box before it starts (same run); then while
   the merged table takes the rest of the rows after the end, and the time a console takes to show
   its tenant's part when it is brought to the front.
2. A real batch against ``exohop simulate`` in its own process (remote PowerShell, 3 shells for the
   account): ``Get-Mailbox -ResultSize Unlimited`` in the account's 11 tenants × 2,000 mailboxes, key
   latency in the same box while it runs, against the same keys once it is done.

Goal: a key never waits more than 50 ms while a batch streams (as for one tenant's stream, bench_ui).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ui import ServerProcess, _key, _latency, _stats_ms  # noqa: E402

TENANTS = 30
RECORDS = 5_000
PER_SECOND = 1_000     # records a second per tenant (a PSRP stream decodes about that many)
SIZE = (150, 44)


def _note(text: str) -> None:
    print(f"[bench_batch_console] {text}", file=sys.stderr, flush=True)


async def _keys(app: Any, box: Any, *, while_: Any = None, samples: int = 0) -> list[float]:
    """Painted latency of one key at a time (every 20 ms) into ``box``: while ``while_()`` holds, or
    ``samples`` of them."""
    out: list[float] = []
    while (while_() if while_ is not None else len(out) < samples):
        n = len(box.value)
        _h, painted = await _latency(app, lambda: app.post_message(_key("x")), lambda n=n: len(box.value) > n)
        out.append(painted)
        if len(box.value) > 40:
            box.value = ""
        await asyncio.sleep(0.02)
    return out


async def _export_box(app: Any, pilot: Any) -> Any:
    """The batch view's export box, focused (typing there changes nothing until Enter)."""
    from textual.widgets import Input

    view = app.batches.view
    view.viewer.action_export("csv")
    box = view.viewer.query_one("#export-path", Input)
    await pilot.pause(0.2)
    box.value = ""
    return box


LINE = "Get-Mailbox -ResultSize Unlimited"
TYPE_NAMES = ("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object")


def _feed(run: Any, inbox: Any, line: str) -> None:
    """One tenant's part as the engine reports it: running, RECORDS records (Tenant first), ok."""
    from tui.remoting import batch as B
    from tui.remoting.events import RecordEvent, RunSummary
    from tui.shell.records import Record

    run.started = time.monotonic()
    run.state = B.RUNNING
    inbox.push("change", run)
    for i in range(RECORDS):
        record = Record({"Name": f"user{i:05d}", "Alias": f"user{i:05d}",
                         "PrimarySmtpAddress": f"user{i:05d}@{run.tenant.domain}",
                         "RecipientTypeDetails": "UserMailbox"}, TYPE_NAMES)
        run.records += 1
        inbox.push("event", run, RecordEvent(B.with_tenant(record, run.tenant)))
        if i % 50 == 49:
            time.sleep(50 / PER_SECOND)
    run.summary = RunSummary(line=line, outcome="ok", records=RECORDS, duration_s=run.duration_s)
    run.state = B.OK
    run.ended = time.monotonic()
    inbox.push("change", run)


async def feeders_without_ui() -> dict[str, Any]:
    """Baseline: key latency in a bare Input while the same 30 threads make the same records and nobody
    takes them (what is left is the threads' own share of the interpreter)."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    from tui.console.batch_flow import _Inbox
    from tui.remoting import batch as B
    from tui.tenants import Tenant

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    tenants = [Tenant(f"tenant{i:02d}.onmicrosoft.com") for i in range(TENANTS)]
    batch = B.Batch(None, LINE, [(t, None) for t in tenants], lambda a: None, on_event=lambda r, e: None)
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        box = app.query_one(Input)
        box.focus()
        await pilot.pause(0.3)
        sys.setswitchinterval(0.001)   # as the console sets it
        threads = [threading.Thread(target=_feed, args=(run, _Inbox(), LINE), daemon=True) for run in batch.runs]
        for t in threads:
            t.start()
        latency = _stats_ms(await _keys(app, box, while_=lambda: any(t.is_alive() for t in threads)))
    return {"streaming_key_latency": latency}


async def synthetic() -> dict[str, Any]:
    from tui.config import Account, Config
    from tui.console.app import make_app
    from tui.console.batch_run import BatchPlan
    from tui.console.controller import Controller
    from tui.remoting import batch as B
    from tui.tenants import Tenant, TenantDirectory

    account = Account("admin@fabrikampartner.onmicrosoft.com", "https://127.0.0.1:9/powershell-liveid", default=True)
    tenants = [Tenant(f"tenant{i:02d}.onmicrosoft.com", f"Tenant {i:02d}") for i in range(TENANTS)]
    ctl = Controller(Config(accounts=[account]), TenantDirectory(tenants), password_source=lambda upn: None)
    app = make_app(ctl)
    line = LINE
    out: dict[str, Any] = {"tenants": TENANTS, "records_per_tenant": RECORDS}
    async with app.run_test(size=SIZE) as pilot:
        for t in tenants:   # every tenant's console open: its part is written there live (the worst case)
            app.show_tenant(t)
        await pilot.pause(3.0)   # settled: their first frames, the render thread
        flow = app.batches
        plan = BatchPlan(line, [(t, account) for t in tenants], batch_id=B.new_batch_id())
        batch = B.Batch(None, line, plan.targets, lambda a: None, on_event=lambda r, e: None)
        inbox = flow._inbox

        def feed(run: Any) -> None:
            _feed(run, inbox, line)

        ticks = [0]
        tick = flow.tick

        def counted() -> None:
            ticks[0] += 1
            tick()

        flow.tick = counted   # type: ignore[method-assign]
        flow.begin(batch, plan)   # as BatchFlow._start does, with these runs in place of the engine's threads
        await pilot.pause(0.5)
        box = await _export_box(app, pilot)
        out["idle_key_latency"] = _stats_ms(await _keys(app, box, samples=40))
        _note(f"idle: {out['idle_key_latency']}")
        threads = [threading.Thread(target=feed, args=(run,), daemon=True) for run in batch.runs]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        ticks_before = ticks[0]
        out["streaming_key_latency"] = _stats_ms(await _keys(app, box, while_=lambda: any(t.is_alive()
                                                                                          for t in threads)))
        streamed_s = time.perf_counter() - t0
        out["stream_s"] = round(streamed_s, 2)
        out["ticks_per_s"] = round((ticks[0] - ticks_before) / streamed_s, 1)
        out["rows_in_table_while_streaming"] = flow.view.viewer.loaded
        # The end: the merged table takes the rest in chunks, as the result viewer loads any large result.
        flow._result = batch.summary()
        while flow.summary is None:
            await asyncio.sleep(0.05)
        viewer = flow.view.viewer
        t_fill = time.perf_counter()
        loaded = viewer.loaded
        out["key_latency_while_the_table_fills"] = _stats_ms(await _keys(app, box, samples=100))
        fill_s = time.perf_counter() - t_fill
        out["table_fill_rows_per_s"] = round((viewer.loaded - loaded) / fill_s)
        # Each tenant's console takes its part when it is next shown.
        shown = tenants[7]
        t_show = time.perf_counter()
        app.show_tenant(shown)
        console = app.console_for(shown.domain)
        while len(console.last_result) < RECORDS or console.busy:
            await asyncio.sleep(0.01)
        out["console_shown_with_its_part_s"] = round(time.perf_counter() - t_show, 3)
        _note(f"streaming: {out}")
        await pilot.press("ctrl+q")
    return out


async def real_batch() -> dict[str, Any]:
    from tui.config import Account, Config
    from tui.console.app import make_app
    from tui.console.controller import Controller
    from tui.console.screens.batch_pick import BatchPickScreen
    from tui.tenants import Tenant, TenantDirectory

    work = Path(tempfile.mkdtemp(prefix="exohop-bench-batch-"))
    out: dict[str, Any] = {}
    with ServerProcess(mailboxes=2_000) as sim:
        account = sim.accounts[0]
        config = Config(accounts=[Account(account["upn"], sim.url, ca_file=sim.ca_file, default=True)])
        domains = list(account["tenants"])
        ctl = Controller(config, TenantDirectory([Tenant(d) for d in domains]),
                         password_source=lambda upn: account["password"], cache_dir=work / "cache",
                         history_dir=work / "history", refresh_in_background=False)
        app = make_app(ctl)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+g")
            while not isinstance(app.screen, BatchPickScreen):
                await asyncio.sleep(0.02)
            picker = app.screen
            await pilot.pause(0.3)
            picker.rows.focus()
            await pilot.press("ctrl+a")   # every tenant shown
            picker.input.value = "Get-Mailbox -ResultSize Unlimited"
            picker.input.focus()
            t0 = time.perf_counter()
            await pilot.press("enter")
            flow = app.batches
            while flow.view is None or not flow.view.is_attached:
                await asyncio.sleep(0.02)
            box = await _export_box(app, pilot)
            while not flow.records:   # the first tenants connected and streaming
                await asyncio.sleep(0.05)
            out["first_record_s"] = round(time.perf_counter() - t0, 2)
            out["streaming_key_latency"] = _stats_ms(await _keys(app, box, while_=lambda: flow.summary is None))
            out["batch_s"] = round(time.perf_counter() - t0, 2)
            out["summary"] = flow.summary.lines()[0]
            out["idle_key_latency"] = _stats_ms(await _keys(app, box, samples=40))
            _note(f"real batch: {out}")
            await pilot.press("ctrl+q")
            while app.is_running:
                await asyncio.sleep(0.05)
        out["open_shells_after_quit"] = sum(sim.stats()["open_shells"].values())
    return out


def main() -> int:
    result = {"goal": {"key_wait_while_streaming_ms": 50},
              "synthetic_30x5000_threads_only": asyncio.run(feeders_without_ui()),
              "synthetic_30x5000": asyncio.run(synthetic()),
              "simulator_11_tenants": asyncio.run(real_batch())}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
