"""Benchmark: ``Select-Object`` of plain names run on the server (``plan.with_remote_select``) vs here.

    python tests/bench/bench_remote_select.py [--mailboxes 10000] [--latency-ms 0,50] [--runs 3]

For each latency, against ``exohop simulate --mailboxes N --latency-ms L`` in its own process (client
and server do not share a GIL), on the tenant's pod, the line
``Get-Mailbox -ResultSize Unlimited | Select-Object Name,PrimarySmtpAddress`` three ways:

- projected: ``DelegatedSession.run()`` as it is: the PSRP pipeline is ``Get-Mailbox | Select-Object``, two
             properties per object cross the wire, the local Select-Object shapes them;
- local:     the same session with ``remote_select = False`` (the path before): whole mailboxes cross,
             the local Select-Object projects them;
- plain:     plain pypsrp ``PowerShell(pool).add_cmdlet("Get-Mailbox")…add_cmdlet("Select-Object")…invoke()``
             of the same remote pipeline on a plain pypsrp pool (pypsrp deserializing).

Runs alternate their order (the machine's load drifts); medians are reported, with the server-counted
Receives and this process's CPU time. The projected and local records must be equal. Prints one JSON document.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_connect import Server, trips  # tests/bench is on sys.path when run as a script
from bench_psrp_output import med, plain_pool, run_by_latency, timed
from pypsrp.powershell import PowerShell

from tui.config import Account
from tui.remoting.events import RecordEvent
from tui.remoting.session import DelegatedSession
from tui.shell.records import Record
from tui.tenants import Tenant

LINE = "Get-Mailbox -ResultSize Unlimited | Select-Object Name,PrimarySmtpAddress"


def bench_latency(latency_ms: int, mailboxes: int, runs: int) -> dict[str, Any]:
    server = Server("--mailboxes", str(mailboxes), "--latency-ms", str(latency_ms))
    upn, password, ca_file = server.account["upn"], server.account["password"], server.info["ca_file"]
    account = Account(upn, endpoint=server.info["url"], ca_file=ca_file)
    work = Path(tempfile.mkdtemp(prefix="exohop-bench-select-"))
    out: dict[str, Any] = {"latency_ms": latency_ms, "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    session = DelegatedSession(account, Tenant(server.account["tenants"][0]), password, cache_dir=work,
                               refresh_in_background=False, import_patterns=("Get-Mailbox", "Select-Object"))
    pool = None
    try:
        session.open()
        assert "Select-Object" in session.catalog, "the endpoint does not list Select-Object"
        session.ensure_detail("Get-Mailbox")
        # Warm-up: the server builds the tenant's mailboxes on first use; not what we measure.
        session.run("Get-Mailbox -ResultSize Unlimited | Select-Object Name -First 1", lambda e: None)
        pod = session.connected_uri
        assert pod is not None
        pool = plain_pool(pod, upn, password, ca_file)

        got: dict[str, list[float]] = {k: [] for k in ("projected", "projected_cpu", "projected_first", "local",
                                                       "local_cpu", "local_first", "plain", "plain_cpu")}
        receives: dict[str, int] = {}
        records: dict[str, list[Record]] = {}

        def via_session(name: str, remote_select: bool) -> Callable[[], None]:
            def run() -> None:
                kept: list[Record] = []
                first: list[float] = []
                t0 = time.perf_counter()

                def on_event(event: object) -> None:
                    if isinstance(event, RecordEvent):
                        if not first:
                            first.append(time.perf_counter() - t0)
                        kept.append(event.record)

                session.remote_select = remote_select
                before = server.requests()
                wall, cpu, summary = timed(lambda: session.run(LINE, on_event))
                receives[name] = trips(before, server.requests()).get("Receive", 0)
                assert summary.records == mailboxes and summary.outcome == "ok", summary
                got[name].append(wall)
                got[f"{name}_cpu"].append(cpu)
                got[f"{name}_first"].append(first[0])
                records[name] = kept
            return run

        def plain() -> None:
            def call() -> list[Any]:
                return (PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited")
                        .add_cmdlet("Select-Object").add_parameter("Property", ["Name", "PrimarySmtpAddress"])
                        .invoke())

            before = server.requests()
            wall, cpu, result = timed(call)
            receives["plain"] = trips(before, server.requests()).get("Receive", 0)
            assert len(result) == mailboxes, len(result)
            assert pool is not None
            pool.pipelines.clear()
            got["plain"].append(wall)
            got["plain_cpu"].append(cpu)

        order = [via_session("projected", True), via_session("local", False), plain]
        for i in range(runs):
            for fn in order[i % 3:] + order[:i % 3]:
                fn()
        assert records["projected"] == records["local"], "the projected and local records differ"
        projected_s, local_s, plain_s = med(got["projected"]), med(got["local"]), med(got["plain"])
        out["select_name_primarysmtpaddress"] = {
            "line": LINE,
            "mailboxes": mailboxes,
            "projected": {"total_s": projected_s, "first_record_s": med(got["projected_first"]),
                          "client_cpu_s": med(got["projected_cpu"]), "receives": receives["projected"]},
            "local": {"total_s": local_s, "first_record_s": med(got["local_first"]),
                      "client_cpu_s": med(got["local_cpu"]), "receives": receives["local"]},
            "plain_pypsrp_invoke": {"total_s": plain_s, "client_cpu_s": med(got["plain_cpu"]),
                                    "receives": receives["plain"]},
            "speedup_vs_local": round(local_s / projected_s, 2),
            "speedup_vs_plain": round(plain_s / projected_s, 2),
            "records_equal": True,
            "all_totals_s": {k: [round(x, 3) for x in v] for k, v in got.items()},
        }
        out["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        session.close()
        if pool is not None:
            pool.close()
        server.stop()
    return out


if __name__ == "__main__":
    run_by_latency(bench_latency)
