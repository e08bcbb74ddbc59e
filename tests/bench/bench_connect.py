"""Benchmark: connecting to a tenant, cold / warm / switching, beside a plain pypsrp script.

    python tests/bench/bench_connect.py [--latency-ms 50] [--runs 2]

Against ``exohop simulate --latency-ms N`` in its own process (client and server do not share a GIL):

- baseline: plain pypsrp, RunspacePool.open() + get_command_metadata("*") (what Import-PSSession needs);
- cold:     exohop DelegatedSession.open() with an empty cache (open + GetCommandMetadata with progress);
- warm:     DelegatedSession.open() with the cache from the cold run (goal: the 2 round trips of opening
            a pool, Create + Receive, nothing more);
- synopses: the background Get-Help after a cold import (for the completion menu), then a warm connect
            from the cache that holds them (goal: still 2 round trips);
- switch:   SessionPool.acquire() of a tenant whose session is already open (goal: 0 round trips).

The first-contact redirect of the account is consumed before measuring (every client pays it once
per account); its cost is reported separately. Wall time is the median over --runs; round trips are
counted by the server. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan

from tui.config import Account
from tui.remoting.pool import SessionPool
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant


class Server:
    """``exohop simulate`` in a subprocess; its JSON line tells the URL, CA and accounts."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        self.info = json.loads(self.proc.stdout.readline())
        self.account = self.info["accounts"][0]

    def requests(self) -> dict[str, int]:
        stats = requests.get(self.info["stats_url"], verify=self.info["ca_file"], timeout=30).json()
        return dict(stats["requests"])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def trips(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    diff = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}
    diff["total"] = sum(diff.values())
    return diff


def measure(server: Server, fn: Callable[[], Any], runs: int) -> dict[str, Any]:
    times: list[float] = []
    counted: list[dict[str, int]] = []
    for _ in range(runs):
        before = server.requests()
        t0 = time.perf_counter()
        cleanup = fn()
        times.append(time.perf_counter() - t0)
        counted.append(trips(before, server.requests()))
        if callable(cleanup):
            cleanup()          # closing (Delete) is not part of connecting
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "round_trips": counted[-1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    server = Server("--latency-ms", str(args.latency_ms))
    upn, password = server.account["upn"], server.account["password"]
    tenants = [Tenant(d) for d in server.account["tenants"]]
    account = Account(upn, endpoint=server.info["url"], ca_file=server.info["ca_file"])
    work = Path(tempfile.mkdtemp(prefix="exohop-bench-"))
    results: dict[str, Any] = {"latency_ms": args.latency_ms, "runs": args.runs}
    try:
        # Consume the account's first-contact redirect (302 + re-Create at Location), and time it.
        before = server.requests()
        t0 = time.perf_counter()
        first = DelegatedSession(account, tenants[0], password, cache_dir=None)
        first._load_catalog = lambda on_progress: None  # type: ignore[method-assign]   # connect only
        first.open()
        results["first_contact_with_redirect"] = {"s": round(time.perf_counter() - t0, 3),
                                                  "round_trips": trips(before, server.requests()),
                                                  "redirected_to": first.redirected_to}
        first.close()
        pod_url = first.redirected_to or server.info["url"]

        def plain() -> Callable[[], None]:
            from urllib.parse import urlsplit

            parts = urlsplit(pod_url)
            wsman = WSMan(parts.hostname or "", port=parts.port, path=parts.path.lstrip("/") + "?" + parts.query,
                          username=upn, password=password, auth="basic", cert_validation=server.info["ca_file"])
            pool = RunspacePool(wsman, configuration_name="Microsoft.Exchange")
            pool.open()
            meta = pool.get_command_metadata("*")
            assert len(meta) > 500
            return pool.close

        cache = work / "cache"
        counts: list[int] = []

        def cold() -> Callable[[], None]:
            for p in cache.rglob("*.json"):
                p.unlink()
            s = DelegatedSession(account, tenants[0], password, cache_dir=cache, refresh_in_background=False)
            s.open()
            counts.append(len(s.catalog))
            return s.close

        def warm() -> Callable[[], None]:
            s = DelegatedSession(account, tenants[0], password, cache_dir=cache, refresh_in_background=False)
            s.open()
            assert len(s.catalog) == counts[-1]
            return s.close

        results["baseline_plain_pypsrp_open_plus_metadata"] = measure(server, plain, args.runs)
        results["exohop_cold_connect"] = measure(server, cold, args.runs)
        results["exohop_cold_connect"]["commands"] = counts[-1]
        results["exohop_warm_connect"] = measure(server, warm, args.runs)

        # Synopses (Get-Help, for the completion menu) come in the background after a cold import and go
        # into the cache; the warm connect that follows must still cost only the pool's 2 round trips.
        for p in cache.rglob("*.json"):
            p.unlink()
        s = DelegatedSession(account, tenants[0], password, cache_dir=cache)
        before = server.requests()
        t0 = time.perf_counter()
        s.open()
        opened_s = time.perf_counter() - t0
        assert s.wait_for_refresh(120)
        with_synopses = sum(1 for c in s.catalog if c.synopsis)
        spent = trips(before, server.requests())
        results["cold_connect_then_background_synopses"] = {
            "open_s": round(opened_s, 3), "synopses_done_s": round(time.perf_counter() - t0, 3),
            "round_trips": spent, "get_help_calls": spent.get("Command", 0) - 1,
            "commands_with_synopsis": with_synopses, "commands": len(s.catalog)}
        s.close()

        def warm_with_synopses() -> Callable[[], None]:
            s = DelegatedSession(account, tenants[0], password, cache_dir=cache, refresh_in_background=False)
            s.open()
            assert sum(1 for c in s.catalog if c.synopsis) == with_synopses
            return s.close

        results["exohop_warm_connect_cache_with_synopses"] = measure(server, warm_with_synopses, args.runs)

        # Switching between tenants whose sessions are open (the pool keeps ≤3 warm per account).
        factory = functools.partial(DelegatedSession, refresh_in_background=False)
        pool = SessionPool(3, cache_dir=cache, factory=factory)
        for t in tenants[1:3]:
            pool.acquire(t, account, password)          # cold for these tenants: not measured
        turn = [0]

        def switch() -> None:
            turn[0] += 1
            pool.acquire(tenants[1 + turn[0] % 2], account, password)

        results["exohop_switch_to_open_session"] = measure(server, switch, max(args.runs, 10))
        failures = pool.close_all(10)
        assert not failures, failures
        base = results["baseline_plain_pypsrp_open_plus_metadata"]["median_s"]
        results["warm_vs_baseline_speedup"] = round(base / results["exohop_warm_connect"]["median_s"], 1)
        results["cold_vs_baseline_ratio"] = round(results["exohop_cold_connect"]["median_s"] / base, 3)
        results["goals"] = {
            "warm_connect_is_2_round_trips": results["exohop_warm_connect"]["round_trips"]["total"] == 2,
            "warm_connect_with_synopses_is_2_round_trips":
                results["exohop_warm_connect_cache_with_synopses"]["round_trips"]["total"] == 2,
            "switch_costs_0_round_trips": results["exohop_switch_to_open_session"]["round_trips"]["total"] == 0,
        }
    finally:
        server.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
