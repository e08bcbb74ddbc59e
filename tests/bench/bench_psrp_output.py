"""Benchmark: PSRP output read by exohop's CLIXML decoder beside pypsrp's deserializer, in the same run.

    python tests/bench/bench_psrp_output.py [--mailboxes 10000] [--latency-ms 0,50] [--runs 3]
                                            [--only mailboxes|import]

For each latency, against ``exohop simulate --mailboxes N --latency-ms L`` in its own process (client
and server do not share a GIL), on the tenant's pod (the first-contact redirect is consumed first):

(a) ``Get-Mailbox -ResultSize Unlimited``, N records:
    - plain:  plain pypsrp ``PowerShell(pool).add_cmdlet(...).invoke()`` on a plain pypsrp pool;
    - exohop: ``DelegatedSession.run()`` (its pool keeps output as text, ``tui.remoting.clixml`` reads it
              into Records as each Receive arrives): time to the first RecordEvent, and total.
    Goals: at 0 ms exohop total ≤ 4 s and ≥ 4× faster than plain; at every latency exohop total within
    1.3× of the round-trip floor (the server-counted Receives × latency), and first record before the end.
(b) Cold import (every cmdlet, GetCommandMetadata): ``DelegatedSession.open()`` with an empty cache
    beside the previous path, the same ``importer.fetch_catalog`` on a plain pypsrp pool (pypsrp
    deserializing). Goal at 50 ms: exohop ≤ 1.5 s. Both catalogs must be equal.

``--only`` runs one part (and checks its goals only). Runs alternate their order (the machine's load drifts); medians are reported. ``client_cpu_s`` is this
process's CPU time during the run (the server's is in its own process). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench_connect import Server, trips  # tests/bench is on sys.path when run as a script
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from tui.catalog import Catalog
from tui.config import Account
from tui.remoting.events import RecordEvent
from tui.remoting.importer import fetch_catalog
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant


def med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall time, this process's CPU time, and fn's result."""
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, time.process_time() - c0, result


def plain_pool(url: str, upn: str, password: str, ca_file: str) -> RunspacePool:
    parts = urlsplit(url)
    wsman = WSMan(parts.hostname or "", port=parts.port, path=parts.path.lstrip("/") + "?" + parts.query,
                  username=upn, password=password, auth="basic", cert_validation=ca_file)
    pool = RunspacePool(wsman, configuration_name="Microsoft.Exchange")
    pool.open()
    return pool


def bench_latency(latency_ms: int, mailboxes: int, runs: int, only: str | None = None) -> dict[str, Any]:
    """Both parts (or ``only`` one: "mailboxes" or "import") against one simulator at ``latency_ms``."""
    server = Server("--mailboxes", str(mailboxes), "--latency-ms", str(latency_ms))
    upn, password, ca_file = server.account["upn"], server.account["password"], server.info["ca_file"]
    account = Account(upn, endpoint=server.info["url"], ca_file=ca_file)
    tenant = Tenant(server.account["tenants"][0])
    work = Path(tempfile.mkdtemp(prefix="exohop-bench-output-"))
    out: dict[str, Any] = {"latency_ms": latency_ms, "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    sessions: list[DelegatedSession] = []
    pools: list[RunspacePool] = []
    try:
        session = DelegatedSession(account, tenant, password, cache_dir=work / "run-cache",
                                   refresh_in_background=False, import_patterns=("Get-Mailbox",))
        sessions.append(session)
        session.open()
        pod = session.connected_uri
        assert pod is not None
        pool = plain_pool(pod, upn, password, ca_file)
        pools.append(pool)
        goals: dict[str, bool] = {}
        if only in (None, "mailboxes"):
            out["get_mailbox_unlimited"], part_goals = bench_mailboxes(server, session, pool, latency_ms,
                                                                       mailboxes, runs)
            goals.update(part_goals)
        if only in (None, "import"):
            out["cold_import"], part_goals = bench_import(server, pool, account, tenant, password, work, sessions,
                                                          latency_ms, runs)
            goals.update(part_goals)
        out["goals"] = goals
        out["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for s in sessions:
            s.close()
        for p in pools:
            p.close()
        server.stop()
    return out


def bench_mailboxes(server: Server, session: DelegatedSession, pool: RunspacePool, latency_ms: int, mailboxes: int,
                    runs: int) -> tuple[dict[str, Any], dict[str, bool]]:
    """(a) ``Get-Mailbox -ResultSize Unlimited``: plain pypsrp invoke() beside DelegatedSession.run()."""
    session.ensure_detail("Get-Mailbox")
    # Warm-up: the server builds the tenant's mailboxes on first use; not what we measure.
    session.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 1", lambda e: None)
    got: dict[str, list[float]] = {"plain": [], "plain_cpu": [], "exohop": [], "exohop_cpu": [],
                                   "exohop_first": []}
    receives: list[int] = []

    def plain() -> None:
        def call() -> list[Any]:
            return PowerShell(pool).add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited").invoke()

        wall, cpu, result = timed(call)
        assert len(result) == mailboxes, len(result)
        pool.pipelines.clear()
        got["plain"].append(wall)
        got["plain_cpu"].append(cpu)

    def mine() -> None:
        first: list[float] = []
        t0 = time.perf_counter()

        def on_event(event: object) -> None:
            if not first and isinstance(event, RecordEvent):
                first.append(time.perf_counter() - t0)

        before = server.requests()
        wall, cpu, summary = timed(lambda: session.run("Get-Mailbox -ResultSize Unlimited", on_event))
        receives.append(trips(before, server.requests()).get("Receive", 0))
        assert summary.records == mailboxes, summary
        got["exohop"].append(wall)
        got["exohop_cpu"].append(cpu)
        got["exohop_first"].append(first[0])

    for i in range(runs):
        for fn in ((plain, mine) if i % 2 == 0 else (mine, plain)):
            fn()
    plain_s, mine_s = med(got["plain"]), med(got["exohop"])
    floor = receives[-1] * latency_ms / 1000
    result = {
        "mailboxes": mailboxes,
        "plain_pypsrp_invoke": {"total_s": plain_s, "client_cpu_s": med(got["plain_cpu"])},
        "exohop": {"first_record_s": med(got["exohop_first"]), "total_s": mine_s,
                   "client_cpu_s": med(got["exohop_cpu"]), "receives": receives[-1]},
        "speedup_vs_plain": round(plain_s / mine_s, 2),
        "round_trip_floor_s": round(floor, 3),
        "exohop_vs_floor": round(mine_s / floor, 2) if floor else None,
        "all_totals_s": {k: [round(x, 3) for x in v] for k, v in got.items()},
    }
    goals = {"first_record_before_end": med(got["exohop_first"]) < mine_s}
    if latency_ms == 0:
        goals["mailboxes_at_most_4_s"] = mine_s <= 4.0
        goals["mailboxes_4x_plain"] = plain_s / mine_s >= 4.0
    else:
        goals["mailboxes_within_1.3x_floor"] = mine_s <= 1.3 * floor
    return result, goals


def bench_import(server: Server, pool: RunspacePool, account: Account, tenant: Tenant, password: str, work: Path,
                 sessions: list[DelegatedSession], latency_ms: int,
                 runs: int) -> tuple[dict[str, Any], dict[str, bool]]:
    """(b) cold import: DelegatedSession's catalog load (empty cache) beside fetch_catalog on a plain pool."""
    imported: dict[str, list[Any]] = {"plain": [], "plain_cpu": [], "exohop": [], "exohop_cpu": [],
                                      "trips": []}
    catalogs: dict[str, Catalog] = {}

    def import_plain() -> None:
        wall, cpu, catalog = timed(lambda: fetch_catalog(pool))
        imported["plain"].append(wall)
        imported["plain_cpu"].append(cpu)
        catalogs["plain"] = catalog

    def import_mine() -> None:
        cache = work / "import-cache"
        for p in cache.rglob("*.json"):
            p.unlink()
        s = DelegatedSession(account, tenant, password, cache_dir=cache, refresh_in_background=False)
        sessions.append(s)
        connect = s._load_catalog
        s._load_catalog = lambda on_progress: None  # type: ignore[method-assign]   # connect first, untimed
        s.open()
        s._load_catalog = connect  # type: ignore[method-assign]
        before = server.requests()
        wall, cpu, _ = timed(lambda: s._load_catalog(None))
        imported["trips"].append(trips(before, server.requests()))
        imported["exohop"].append(wall)
        imported["exohop_cpu"].append(cpu)
        catalogs["exohop"] = s.catalog
        s.close()
        sessions.remove(s)

    for i in range(runs):
        for fn in ((import_plain, import_mine) if i % 2 == 0 else (import_mine, import_plain)):
            fn()
    assert catalogs["plain"] == catalogs["exohop"], "the two import paths disagree"
    plain_i, mine_i = med(imported["plain"]), med(imported["exohop"])
    round_trips = imported["trips"][-1]
    result = {
        "commands": len(catalogs["exohop"]),
        "previous_pypsrp_path": {"total_s": plain_i, "client_cpu_s": med(imported["plain_cpu"])},
        "exohop": {"total_s": mine_i, "client_cpu_s": med(imported["exohop_cpu"]), "round_trips": round_trips},
        "speedup": round(plain_i / mine_i, 2),
        "round_trip_floor_s": round(round_trips["total"] * latency_ms / 1000, 3),
        "all_totals_s": {k: [round(x, 3) for x in imported[k]] for k in ("plain", "exohop")},
        "catalogs_equal": True,
    }
    return result, ({"cold_import_at_most_1.5_s": mine_i <= 1.5} if latency_ms else {})


def run_by_latency(bench: Callable[..., dict[str, Any]], parts: tuple[str, ...] = ()) -> None:
    """The command line of the PSRP benches: ``bench(latency_ms, mailboxes, runs)`` per ``--latency-ms``
    (with ``only=`` one of ``parts`` when the bench has parts and ``--only`` names one), printed as one
    JSON document."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=10000)
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated, e.g. 0,50")
    parser.add_argument("--runs", type=int, default=3)
    if parts:
        parser.add_argument("--only", choices=parts, help="run only this part")
    args = parser.parse_args()
    latencies = [int(x) for x in str(args.latency_ms).split(",") if x.strip()]
    options = {"only": args.only} if parts and args.only else {}
    results: dict[str, Any] = {"mailboxes": args.mailboxes, "runs": args.runs, "cores": os.cpu_count(),
                               "by_latency": {str(lat): bench(lat, args.mailboxes, args.runs, **options)
                                              for lat in latencies}}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    run_by_latency(bench_latency, parts=("mailboxes", "import"))
