"""Benchmark: a 10,000-record Get-Mailbox streamed through exohop, beside plain pypsrp ``invoke()``.

    python tests/bench/bench_stream.py [--mailboxes 10000] [--latency-ms 50] [--runs 2]

Against ``exohop simulate --mailboxes N --latency-ms L`` in its own process. Both clients run
``Get-Mailbox -ResultSize Unlimited`` on an already open pool:

- baseline: plain pypsrp ``PowerShell.invoke()`` on a plain pypsrp pool to the same pod (the session's
            own pool hands output over as text, see bench_psrp_output.py); its first record is
            available when it returns;
- exohop:   ``DelegatedSession.run()``: time to the first RecordEvent, and total (output read into
            Record objects by tui.remoting.clixml and delivered one by one as each Receive arrives).

Goal: streaming overhead (exohop total / baseline total - 1) ≤ 10%. Runs alternate their order; the
medians are compared. ``record_wrapping_s`` is exohop's own per-object work (wrapping into Record)
timed alone on the baseline's objects. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_connect import Server  # tests/bench is on sys.path when run as a script
from bench_psrp_output import plain_pool
from pypsrp.powershell import PowerShell

from tui.config import Account
from tui.remoting.events import RecordEvent
from tui.remoting.session import DelegatedSession
from tui.remoting.values import to_record
from tui.tenants import Tenant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=10000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    server = Server("--mailboxes", str(args.mailboxes), "--latency-ms", str(args.latency_ms))
    upn, password = server.account["upn"], server.account["password"]
    account = Account(upn, endpoint=server.info["url"], ca_file=server.info["ca_file"])
    tenant = Tenant(server.account["tenants"][0])
    session = DelegatedSession(account, tenant, password, cache_dir=Path(tempfile.mkdtemp()),
                               refresh_in_background=False, import_patterns=("Get-Mailbox",))
    results: dict[str, Any] = {"mailboxes": args.mailboxes, "latency_ms": args.latency_ms, "runs": args.runs}
    try:
        session.open()
        session.ensure_detail("Get-Mailbox")
        # Warm-up: the server builds the tenant's mailboxes on first use; not what we measure.
        session.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 1", lambda e: None)
        assert session.connected_uri is not None
        pool = plain_pool(session.connected_uri, upn, password, server.info["ca_file"])

        plain_total: list[float] = []
        mine_first: list[float] = []
        mine_total: list[float] = []
        wrap_s = 0.0

        def plain() -> None:
            nonlocal wrap_s
            t0 = time.perf_counter()
            out = PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited").invoke()
            plain_total.append(time.perf_counter() - t0)
            assert len(out) == args.mailboxes, len(out)
            pool.pipelines.clear()
            t1 = time.perf_counter()
            for obj in out:                  # exohop's own work per object, measured on the same objects
                to_record(obj)
            wrap_s = time.perf_counter() - t1

        def mine() -> None:
            first: list[float] = []
            t0 = time.perf_counter()

            def on_event(event: object) -> None:
                if not first and isinstance(event, RecordEvent):
                    first.append(time.perf_counter() - t0)

            summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
            mine_total.append(time.perf_counter() - t0)
            mine_first.append(first[0])
            assert summary.records == args.mailboxes, summary

        for i in range(args.runs):           # alternate the order: the machine's load drifts
            for fn in ((plain, mine) if i % 2 == 0 else (mine, plain)):
                fn()

        base = statistics.median(plain_total)
        total = statistics.median(mine_total)
        results["baseline_plain_pypsrp_invoke"] = {"first_record_s": round(base, 3), "total_s": round(base, 3)}
        results["exohop_streamed"] = {"first_record_s": round(statistics.median(mine_first), 3),
                                      "total_s": round(total, 3)}
        results["streaming_overhead_pct"] = round((total / base - 1) * 100, 1)
        results["record_wrapping_s"] = round(wrap_s, 3)
        results["record_wrapping_pct_of_baseline"] = round(wrap_s / base * 100, 2)
        results["first_record_speedup"] = round(base / statistics.median(mine_first), 1)
        results["goals"] = {"overhead_at_most_10_pct": total <= base * 1.10}
        pool.close()
    finally:
        session.close()
        server.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
