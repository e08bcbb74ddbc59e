"""The simulator engine alone (no sockets): data generation, Get-Mailbox, pipelines, filter, trace, catalog.

Run: ``python tests/bench/bench_sim_engine.py`` (optionally ``--mailboxes N --repeat R``). Prints JSON.

Each figure has a plain-Python baseline measured in the same run doing the least work that gives the
same result, so the ratio shows what the engine's binding, streaming and object building cost:
- ``generate``: first use of a tenant of N mailboxes, against building N dicts with a uuid5 and names.
- ``get_mailbox_all``: ``Get-Mailbox -ResultSize Unlimited`` into a RunContext, against copying every
  mailbox's properties into a SimObject in a loop.
- ``filter_like``: ``Get-Mailbox -ResultSize Unlimited -Filter "Name -like 'A*'"``, against fnmatch in
  a comprehension.
- ``pipeline_stats``: ``Get-Mailbox -ResultSize 1000 | Get-MailboxStatistics`` (binding by property name
  per object), against looking each mailbox up by name and building its statistics directly.
- ``message_trace``: ``Get-MessageTraceV2 -StartDate (10 days ago) -ResultSize 5000`` (warm data).
- ``catalog``: building the built-in catalog (730 cmdlets) and ``command_metadata('*')``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.sim import builtin_catalog as catalog_module
from tui.sim.cmdlets.mailbox import stats_object
from tui.sim.data import MAILBOX_TYPES, NAMESPACE
from tui.sim.engine import SimEngine
from tui.sim.model import SimObject

TENANT = "contoso.onmicrosoft.com"


class Sink:
    account = "admin@fabrikampartner.onmicrosoft.com"
    tenant = TENANT

    def __init__(self) -> None:
        self.count = 0

    def output(self, obj: SimObject) -> None:
        self.count += 1

    def warning(self, text: str) -> None:
        pass

    def verbose(self, text: str) -> None:
        pass

    def progress(self, *args: Any, **kwargs: Any) -> None:
        pass

    def error(self, err: Any) -> None:
        pass

    def check_stopped(self) -> None:
        pass


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def run(engine: SimEngine, commands: list[tuple[str, list[tuple[str | None, Any]]]]) -> int:
    sink = Sink()
    engine.run(TENANT, commands, sink)
    return sink.count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailboxes", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n, repeat = args.mailboxes, args.repeat
    results: dict[str, Any] = {"mailboxes": n, "repeat": repeat, "python": platform.python_version()}

    def generate() -> None:
        engine = SimEngine(mailboxes=n)
        _ = engine.tenant_data(TENANT).index

    def generate_baseline() -> None:
        rows = []
        for i in range(n):
            alias = f"User{i}"
            rows.append({"Name": alias, "Alias": alias, "Guid": uuid.uuid5(NAMESPACE, alias),
                         "PrimarySmtpAddress": f"{alias}@contoso.com", "DisplayName": f"User {i}"})
        _ = {r["Name"].lower(): r for r in rows}
    results["generate"] = {"engine_ms": median_ms(generate, max(1, repeat // 2)),
                           "baseline_ms": median_ms(generate_baseline, max(1, repeat // 2))}

    engine = SimEngine(mailboxes=n)
    data = engine.tenant_data(TENANT)
    _ = data.index
    all_cmd = [("Get-Mailbox", [("ResultSize", "Unlimited")])]
    assert run(engine, all_cmd) == n

    def copy_baseline() -> None:
        sink = Sink()
        for m in data.mailboxes:
            sink.output(SimObject(MAILBOX_TYPES, dict(m.props), m.props["Name"]))
    results["get_mailbox_all"] = {"engine_ms": median_ms(lambda: run(engine, all_cmd), repeat),
                                  "baseline_ms": median_ms(copy_baseline, repeat)}

    like_cmd = [("Get-Mailbox", [("ResultSize", "Unlimited"), ("Filter", "Name -like 'A*'")])]
    expected = sum(1 for m in data.mailboxes if fnmatch.fnmatchcase(m.props["Name"].lower(), "a*"))
    assert run(engine, like_cmd) == expected
    results["filter_like"] = {
        "matches": expected,
        "engine_ms": median_ms(lambda: run(engine, like_cmd), repeat),
        "baseline_ms": median_ms(lambda: [SimObject(MAILBOX_TYPES, dict(m.props), m.props["Name"])
                                          for m in data.mailboxes
                                          if fnmatch.fnmatchcase(m.props["Name"].lower(), "a*")], repeat)}

    size = min(1000, n)
    pipe_cmd = [("Get-Mailbox", [("ResultSize", size)]), ("Get-MailboxStatistics", [])]
    assert run(engine, pipe_cmd) == size

    def stats_baseline() -> None:
        for m in data.mailboxes[:size]:
            stats_object(data, data.find_mailboxes(m.props["Name"])[0])
    results["pipeline_stats"] = {"objects": size, "engine_ms": median_ms(lambda: run(engine, pipe_cmd), repeat),
                                 "baseline_ms": median_ms(stats_baseline, repeat)}

    trace_cmd = [("Get-MessageTraceV2", [("StartDate", datetime.now(UTC) - timedelta(days=10)),
                                         ("ResultSize", 5000)])]
    start = time.perf_counter()
    cold = run(engine, trace_cmd)
    results["message_trace"] = {"objects": cold, "cold_ms": round((time.perf_counter() - start) * 1000, 2),
                                "warm_ms": median_ms(lambda: run(engine, trace_cmd), repeat)}

    def build_catalog() -> None:
        catalog_module.builtin_catalog.cache_clear()
        catalog_module.builtin_catalog()
    cat = catalog_module.builtin_catalog()
    results["catalog"] = {"cmdlets": len(cat), "parameters": sum(len(c.parameters) for c in cat),
                          "build_ms": median_ms(build_catalog, repeat),
                          "metadata_all_ms": median_ms(lambda: engine.command_metadata(["*"]), repeat)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
