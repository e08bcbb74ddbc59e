"""Benchmark: the simulator under a plain pypsrp client and under exohop's session layer.

    python tests/bench/bench_sim.py [--runs 3] [--big 10000]

1. Open pool + GetCommandMetadata (every cmdlet) + one small invoke (Get-Mailbox -ResultSize 1), then
   close: median wall time over ``--runs``, at --latency-ms 0 and 50, and the round trips each run
   made (counted by the server's stats). Clients: plain pypsrp (the baseline, doing exactly these
   steps) and exohop's DelegatedSession (redirect + import with a cold cache, then a warm cache).
2. A 10,000-object ``Get-Mailbox -ResultSize Unlimited`` through plain pypsrp: total time and the share
   of it the server spent (server CPU for request handling, TLS and the pipeline, from its stats).

The server runs in its own process (``exohop simulate``), so client and server do not share a GIL.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan


class Server:
    """``exohop simulate`` in a subprocess; reads its JSON line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        self.info = json.loads(self.proc.stdout.readline())
        self.account = self.info["accounts"][0]
        self.tenant = self.account["tenants"][0]

    def stats(self) -> dict[str, Any]:
        return requests.get(self.info["stats_url"], verify=self.info["ca_file"], timeout=30).json()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class _Redirected(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.is_redirect:
        raise _Redirected(response.headers["Location"])


def plain_pool(server: Server, url: str) -> tuple[RunspacePool, str]:
    """A plain pypsrp RunspacePool; the 302 is followed the way -AllowRedirection does (re-Create there)."""
    for _ in range(3):
        parts = urlsplit(url)
        wsman = WSMan(parts.hostname or "", port=parts.port, path=parts.path.lstrip("/") + "?" + parts.query,
                      username=server.account["upn"], password=server.account["password"], auth="basic",
                      cert_validation=server.info["ca_file"])
        wsman.transport.session = wsman.transport._build_session()
        wsman.transport.session.hooks["response"].append(_hook)
        pool = RunspacePool(wsman, configuration_name="Microsoft.Exchange")
        try:
            pool.open()
            return pool, url
        except _Redirected as r:
            url = urljoin(url, r.location)
    raise RuntimeError("redirect loop")


def run_plain(server: Server, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    pool, url = plain_pool(server, url)
    meta = pool.get_command_metadata("*")
    out = PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", 1).invoke()
    pool.close()
    assert meta and len(out) == 1
    return time.perf_counter() - started, len(meta)


def run_exohop(server: Server, cache_dir: Path) -> float:
    from tui.config import Account
    from tui.remoting.session import DelegatedSession
    from tui.tenants import Tenant

    account = Account(server.account["upn"], endpoint=server.info["url"], ca_file=server.info["ca_file"])
    session = DelegatedSession(account, Tenant(server.tenant), server.account["password"], cache_dir=cache_dir,
                               refresh_in_background=False)
    started = time.perf_counter()
    session.open()
    session.run("Get-Mailbox -ResultSize 1", lambda event: None)
    session.close()
    return time.perf_counter() - started


def round_trips(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    diff = {k: after["requests"].get(k, 0) - before["requests"].get(k, 0) for k in after["requests"]}
    diff = {k: v for k, v in diff.items() if v}
    diff["total"] = sum(diff.values())
    return diff


def measure(fn: Any, server: Server, runs: int) -> dict[str, Any]:
    times, trips, cpu = [], [], []
    for _ in range(runs):
        before = server.stats()
        times.append(fn())
        after = server.stats()
        trips.append(round_trips(before, after))
        cpu.append(after["server_cpu_seconds"] - before["server_cpu_seconds"])
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "server_cpu_median_s": round(statistics.median(cpu), 4), "round_trips": trips[-1]}


def scenario(latency_ms: int, runs: int) -> dict[str, Any]:
    server = Server("--mailboxes", "50", "--latency-ms", str(latency_ms))
    try:
        base = server.info["url"] + f"?DelegatedOrg={server.tenant}"
        # The first Create of an account is redirected once per server: take that out of the timings.
        pool, _ = plain_pool(server, base)
        pool.close()
        cmdlets: list[int] = []

        def plain() -> float:
            elapsed, count = run_plain(server, base)
            cmdlets.append(count)
            return elapsed

        result: dict[str, Any] = {"latency_ms": latency_ms}
        result["plain_pypsrp"] = measure(plain, server, runs)
        result["cmdlets"] = cmdlets[-1]
        try:
            with tempfile.TemporaryDirectory() as tmp:
                cold = measure(lambda: run_exohop(server, Path(tempfile.mkdtemp(dir=tmp))), server, runs)
                warm_dir = Path(tmp) / "warm"
                run_exohop(server, warm_dir)
                warm = measure(lambda: run_exohop(server, warm_dir), server, runs)
            result["exohop_cold_cache"] = cold
            result["exohop_warm_cache"] = warm
        except ImportError as exc:          # the session layer is optional for this bench
            result["exohop"] = f"unavailable: {exc}"
        return result
    finally:
        server.stop()


def big_get_mailbox(count: int) -> dict[str, Any]:
    server = Server("--mailboxes", str(count))
    try:
        pool, _ = plain_pool(server, server.info["url"] + f"?DelegatedOrg={server.tenant}")
        before = server.stats()
        started = time.perf_counter()
        out = PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited").invoke()
        total = time.perf_counter() - started
        after = server.stats()
        pool.close()
        server_cpu = after["server_cpu_seconds"] - before["server_cpu_seconds"]
        return {"objects": len(out), "total_s": round(total, 3), "server_cpu_s": round(server_cpu, 3),
                "server_share": round(server_cpu / total, 3), "objects_per_s": round(len(out) / total),
                "round_trips": round_trips(before, after)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", type=int, default=10000)
    args = parser.parse_args()
    report = {
        "open_import_invoke": [scenario(0, args.runs), scenario(50, args.runs)],
        "big_get_mailbox": big_get_mailbox(args.big),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
