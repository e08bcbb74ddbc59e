"""Benchmark: one command line across 30 tenants at once (issue #14), beside the ideal and one after another.

    python tests/bench/bench_batch.py [--tenants 30] [--latency-ms 50] [--runs 3] [--transport psrp,rest]
                                      [--separate 1]

Per transport, ``exohop simulate --tenants N --latency-ms L --write-config DIR`` in its own process (client
and server share no GIL), its first account managing the N tenants and ``tenants.toml`` listing them; the
account's secret sits in a private Secret Service (gnome-keyring on its own D-Bus, started as the tests
start it, tests/conftest.py): PSRP signs in with Basic (``exohop login --basic --password-stdin``), REST
with OAuth (``exohop login``, the device code approved with a POST to ``/devicelogin`` as a person would
in the browser; the refresh token kept in exohop's encrypted token cache).

Every exohop measurement is a fresh process running the real CLI (``tui.cli.main.main``, what the
``exohop`` script calls), as an engineer runs it: nothing stays warm between runs but the files exohop
keeps (config, token cache, catalog cache, redirects seen). A small driver imports, before its clock
starts, every module a warm-up ``exohop run`` ended up importing, then times ``main(argv)``: ``main_s``
is exohop's own work (sign-in, connects, the line, closing); ``startup_s`` is the rest of the process's
wall time (interpreter, imports, exit), reported apart and out of the ratios.

- ``one``:       ``exohop run -t <tenant> LINE`` (a different tenant each time, every catalog cache warm);
- ``batch``:     ``exohop run -t all LINE`` over the N tenants (3 PSRP shells; REST up to 8 at once);
- ``sequential``: the same batch with ``--concurrency 1``;
- ``separate``:  N ``exohop run -t <tenant>`` one after another (``--separate`` rounds), as a shell loop.
- ``ideal`` = ceil(N / 3) × one (PSRP), ceil(N / 8) × one (REST); goal: batch ≤ 1.15 × ideal.
- ``plain``:     the same line without exohop in this process (PSRP: pypsrp RunspacePool open + the
                 pipeline + close; REST: msal silent token + one ``requests`` POST), for one tenant and as
                 a plain thread pool of the same width over the N tenants: exohop's per-tenant overhead.

Server-counted requests per contender (stats diff) show the batch spends per tenant what one run does;
``peak_open_shells`` (over the whole bench) must stay ≤ 3. The PSRP warm-up (not measured) imports every
tenant's catalog once (a full import and Get-Mailbox's detail, as the console leaves its cache) and spends
the account's first-contact redirect; the REST one runs a batch once. Contenders rotate their order
between runs; medians are reported; ``cpu_s`` is the exohop process's CPU time (user + system, imports
included). ``where_time_went`` is one more batch (and one tenant) with its phases timed inside the process
(see ``where_time_went``). ``--compare TREE`` measures one tenant and the batch with another checkout's
exohop too (e.g. ``git archive <commit> | tar -x -C /tmp/before``), interleaved with this one's, on the
same server and folders; ``--profile FILE`` runs one batch more under cProfile (every worker thread) and
writes ``FILE.<transport>`` (pstats). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import tomli_w

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import _start_secret_service, _wait_for_secret_service  # noqa: E402  (the tests' own keyring)

LINE = "Get-Mailbox -ResultSize 10 | Select-Object Name,PrimarySmtpAddress"
RECORDS_PER_TENANT = 10
PSRP_WIDTH = 3          # the service's shells per account (tui.remoting.batch.PSRP_PER_ACCOUNT)
REST_WIDTH = 8          # `--concurrency`'s default for REST (tui.remoting.batch.REST_CONCURRENCY)
GOAL_RATIO = 1.15
CODE = re.compile(r"enter the code (\w+)")

# Imports what a warm-up run imported (the list in BENCH_PRELOAD), then times main() alone.
DRIVER = r"""
import importlib, json, os, sys, time
names = json.loads(open(os.environ["BENCH_PRELOAD"]).read()) if os.environ.get("BENCH_PRELOAD") else []
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass
from tui.cli.main import main
spans = []
if os.environ.get("BENCH_TIMELINE"):
    # Where a batch's time goes: each wrapped call's start and end, on its thread.
    import threading
    from tui.remoting import batch, catalog_cache, journal, pool, session, session_core, transcript
    from tui.remoting.rest import session as rest_session

    def wrap(owner, name, label):
        inner = getattr(owner, name)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spans.append((label, threading.current_thread().name, t, time.perf_counter()))
        setattr(owner, name, timed)

    for owner, name, label in ((batch.Batch, "_one", "tenant"), (batch.Batch, "_wait_for_first_connect", "gate"),
                               (pool.SessionPool, "acquire", "acquire"), (pool.SessionPool, "close", "close"),
                               (session.DelegatedSession, "open", "open"), (rest_session.RestSession, "open", "open"),
                               (session_core.SessionCore, "run", "run"), (pool.SessionPool, "close_all", "close_all"),
                               (batch.Batch, "start", "batch_start"), (batch.Batch, "wait", "batch_wait"),
                               (catalog_cache.CatalogCache, "load", "catalog_cache_load"),
                               (journal.ShellJournal, "add", "journal_add"),
                               (journal.ShellJournal, "remove", "journal_remove"),
                               (transcript.Transcript, "record", "transcript")):
        wrap(owner, name, label)
profiles = []
if os.environ.get("BENCH_PROFILE"):
    # Every batch worker and the main thread under cProfile; merged into one pstats file at the end.
    import cProfile
    from tui.remoting import batch as _batch

    _work = _batch.Batch._work
    def profiled_work(self, queue):
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.runcall(_work, self, queue)
    _batch.Batch._work = profiled_work
    profiles.append(cProfile.Profile())
    profiles[-1].enable()
before = set(sys.modules)
t0 = time.perf_counter()
code = main(sys.argv[1:])
main_s = time.perf_counter() - t0
if profiles:
    import pstats
    profiles[0].disable()
    merged = pstats.Stats(profiles[0])
    for prof in profiles[1:]:
        merged.add(prof)
    merged.dump_stats(os.environ["BENCH_PROFILE"])
sys.stdout.flush()
with open(os.environ["BENCH_TIMES"], "w") as f:
    json.dump({"main_s": main_s, "code": code, "tui": sys.modules["tui"].__file__, "imported_in_main": sorted(set(sys.modules) - before),
               "modules": list(sys.modules), "t0": t0, "spans": spans}, f)
sys.exit(code)
"""


def secret_service() -> Any:
    """The tests' private Secret Service, up to three tries (gnome-keyring sometimes does not come up on a
    loaded machine; a failed start is stopped whole); ``.stop()`` it afterwards."""
    failures: list[str] = []
    for _ in range(3):
        started = _start_secret_service()
        try:
            _wait_for_secret_service(started.daemon)
            return started
        except RuntimeError as exc:
            failures.append(str(exc))
            started.stop()
    raise RuntimeError("the private Secret Service did not start: " + "; ".join(failures))


def med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


class Server:
    """``exohop simulate`` in a subprocess, with a configuration for it written into ``config_dir``."""

    def __init__(self, config_dir: Path, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--port", "0",
                                      "--write-config", str(config_dir), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
        assert self.proc.stdout is not None
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline())
        self.account: dict[str, Any] = self.info["accounts"][0]

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = requests.get(self.info["stats_url"], verify=self.info["ca_file"], timeout=30).json()
        return stats

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def spent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Requests the server answered between two stats snapshots: WS-Man by action, REST, Entra token."""
    out = {k: n - before["requests"].get(k, 0) for k, n in after["requests"].items()
           if n - before["requests"].get(k, 0)}
    rest = after["rest"]["requests"] - before["rest"]["requests"]
    if rest:
        out["rest"] = rest
    token = sum(after["entra"]["token_requests"].values()) - sum(before["entra"]["token_requests"].values())
    if token:
        out["entra_token"] = token
    discovery = after["entra"]["discovery_requests"] - before["entra"]["discovery_requests"]
    if discovery:
        out["entra_discovery"] = discovery
    out["total"] = sum(out.values())
    return out


class Exohop:
    """Fresh ``exohop`` processes on one configuration (its own config, data and cache folders)."""

    def __init__(self, home: Path, keyring_env: dict[str, str], tree: Path = ROOT) -> None:
        self.home = home
        self.tree = tree
        self.env = {**os.environ, **keyring_env, "PYTHONPATH": str(tree), "PYTHONUNBUFFERED": "1"}
        for name in ("config", "data", "cache"):
            (home / name).mkdir(parents=True, exist_ok=True)
            self.env[f"EXOHOP_{name.upper()}_DIR"] = str(home / name)
        self.preload: Path | None = None

    def on_tree(self, tree: Path) -> Exohop:
        """The same folders (config, sign-in, caches), another checkout's exohop."""
        other = Exohop(self.home, {}, tree)
        other.env = {**self.env, "PYTHONPATH": str(tree)}
        return other

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui", *args], env=self.env, text=True, capture_output=True,
                              input=stdin, timeout=300, cwd=self.home)

    def run(self, *args: str, timeline: bool = False, profile: Path | None = None) -> dict[str, Any]:
        """``exohop run ARGS --format json`` through the driver: wall, main() and start-up times, records;
        with ``timeline``, where main()'s time went (see ``where_time_went``)."""
        times = self.home / "times.json"
        env = {**self.env, "BENCH_TIMES": str(times)}
        if timeline:
            env["BENCH_TIMELINE"] = "1"
        if profile is not None:
            env["BENCH_PROFILE"] = str(profile)
        if self.preload is not None:
            env["BENCH_PRELOAD"] = str(self.preload)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # cwd: the folders, not a checkout (`python -c` puts the cwd first on sys.path, ahead of PYTHONPATH).
        done = subprocess.run([sys.executable, "-c", DRIVER, "run", *args, "--format", "json"], env=env,
                              text=True, capture_output=True, timeout=600, stdin=subprocess.DEVNULL, cwd=self.home)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"exohop run {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
        measured = json.loads(times.read_text())
        assert Path(measured["tui"]).is_relative_to(self.tree), (measured["tui"], self.tree)
        rows = json.loads(done.stdout)
        return {"wall_s": wall, "main_s": measured["main_s"], "startup_s": wall - measured["main_s"],
                "cpu_s": r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime,
                "rows": rows, "stderr": done.stderr, "imported_in_main": measured["imported_in_main"],
                "modules": measured["modules"], "spans": measured["spans"], "t0": measured["t0"]}

    def learn_imports(self, *args: str) -> None:
        """One run, unmeasured: what it imports is what later drivers import before their clock starts."""
        result = self.run(*args)
        self.preload = self.home / f"preload-{abs(hash(str(self.tree)))}.json"
        self.preload.write_text(json.dumps(result["modules"]))


def where_time_went(result: dict[str, Any]) -> dict[str, Any]:
    """A timed run's main() split up. A batch: before its workers start, their time per tenant by phase
    (``tenant`` = all of one tenant; ``acquire`` = connecting, ``catalog_cache_load`` and ``journal_add``
    within it; ``run`` = the line; ``close`` = the Delete before the worker's next tenant, ``journal_remove``
    within it; ``transcript`` = writing the tenant's transcript line, within ``run``; ``gate`` = waiting for
    the account's first connect), the workers' idle
    time (width × their span − their tenants' time), and after the last tenant (closing the pool). One
    tenant: main() before the connect, the connect, the line, closing the pool, the rest."""
    spans = result["spans"]
    t0 = result["t0"]
    end = t0 + result["main_s"]
    workers: dict[str, list[tuple[str, float, float]]] = {}
    for label, thread, a, b in spans:
        if thread.startswith("exohop-batch-"):
            workers.setdefault(thread, []).append((label, a, b))
    close_all = round(sum(b - a for label, _, a, b in spans if label == "close_all"), 3)
    if not workers:
        first = {label: (a, b) for label, _, a, b in reversed(spans)}
        acquire, run = first["acquire"], first["run"]
        return {"before_connect_s": round(acquire[0] - t0, 3), "connect_s": round(acquire[1] - acquire[0], 3),
                "run_s": round(run[1] - run[0], 3), "close_all_s": close_all,
                "rest_s": round(result["main_s"] - (acquire[1] - t0) - (run[1] - run[0]) - close_all, 3)}
    start = min(a for label, _, a, _b in spans if label == "batch_start")
    tenant_spans = [(a, b) for w in workers.values() for label, a, b in w if label == "tenant"]
    finished = max(b for _, b in tenant_spans)
    by_phase: dict[str, float] = {}
    for w in workers.values():
        for label, a, b in w:
            by_phase[label] = by_phase.get(label, 0.0) + (b - a)
    gates = [b - a for w in workers.values() for label, a, b in w if label == "gate"]
    return {
        "before_workers_s": round(start - t0, 3),
        "workers": len(workers),
        "workers_span_s": round(finished - start, 3),
        "per_tenant_s": {k: round(v / len(tenant_spans), 3) for k, v in sorted(by_phase.items())},
        "worker_idle_s": round(len(workers) * (finished - start) - by_phase["tenant"], 3),
        "longest_gate_wait_s": round(max(gates), 3),
        "close_all_s": close_all,
        "after_last_tenant_s": round(end - finished, 3),
    }


def keep_tenants(config_dir: Path, domains: list[str]) -> None:
    """tenants.toml with the account's own tenants only (the simulator lists two it does not manage)."""
    path = config_dir / "tenants.toml"
    entries = [t for t in tomllib.loads(path.read_text())["tenants"] if t["domain"] in domains]
    assert [t["domain"] for t in entries] == domains, "the written directory lacks some of the account's tenants"
    path.write_text(tomli_w.dumps({"tenants": entries}))


def login_basic(exo: Exohop, upn: str, password: str) -> None:
    done = exo.cli("login", upn, "--basic", "--password-stdin", stdin=password + "\n")
    assert done.returncode == 0, done.stderr


def login_oauth(exo: Exohop, server: Server) -> None:
    upn, password = server.account["upn"], server.account["password"]
    info = server.info
    proc = subprocess.Popen([sys.executable, "-m", "tui", "login", upn], env=exo.env, text=True, cwd=exo.home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stderr is not None
    seen = ""
    while (found := CODE.search(seen)) is None:
        line = proc.stderr.readline()
        assert line, f"exohop login ended without a code: {seen!r}"
        seen += line
    answer = requests.post(f"{info['authority']}/devicelogin", verify=info["ca_file"], timeout=30,
                           data={"code": found.group(1), "username": upn, "password": password})
    assert answer.status_code == 200, answer.status_code
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err


# -- plain baselines (no exohop) ------------------------------------------------------------------------


def plain_psrp(server: Server, url: str) -> Callable[[str], int]:
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    upn, password, ca_file = server.account["upn"], server.account["password"], server.info["ca_file"]
    parts = urlsplit(url)

    def one(domain: str) -> int:
        wsman = WSMan(parts.hostname or "", port=parts.port, path=parts.path.lstrip("/") + f"?DelegatedOrg={domain}",
                      username=upn, password=password, auth="basic", cert_validation=ca_file)
        with RunspacePool(wsman, configuration_name="Microsoft.Exchange") as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-Mailbox").add_parameter("ResultSize", RECORDS_PER_TENANT)
            ps.add_cmdlet("Select-Object").add_parameter("Property", ["Name", "PrimarySmtpAddress"])
            return len(ps.invoke())

    return one


def plain_rest(server: Server) -> Callable[[str], int]:
    """msal (one device-code sign-in, then a silent token per tenant: refresh-token grant, as a fresh process
    with no access token does) and one ``requests`` POST of the line's InvokeCommand per tenant."""
    import msal

    info = server.info
    upn, password = server.account["upn"], server.account["password"]
    http = requests.Session()
    http.verify, http.trust_env = info["ca_file"], False
    cache = msal.TokenCache()
    client_id = "fb78d390-0c51-40cd-8e17-fdbfab77341b"     # the ExchangeOnlineManagement module's
    scope = ["https://outlook.office365.com/.default"]
    lock = threading.Lock()

    def app(tenant: str) -> msal.PublicClientApplication:
        return msal.PublicClientApplication(client_id, authority=f"{info['authority']}/{tenant}",
                                            instance_discovery=False, http_client=http, token_cache=cache)

    home = app(server.account["home_tenant"])
    flow = home.initiate_device_flow(scopes=scope)
    answer = requests.post(f"{info['authority']}/devicelogin", verify=info["ca_file"], timeout=30,
                           data={"code": flow["user_code"], "username": upn, "password": password})
    assert answer.status_code == 200
    assert "access_token" in home.acquire_token_by_device_flow(flow)
    base = info["rest_url"]
    body = json.dumps({"CmdletInput": {"CmdletName": "Get-Mailbox",
                                       "Parameters": {"ResultSize": RECORDS_PER_TENANT}}}).encode()

    def one(domain: str) -> int:
        customer = app(domain)
        with lock:
            account = customer.get_accounts(username=upn)[0]
        token = customer.acquire_token_silent(scope, account=account, force_refresh=True)
        assert token and "access_token" in token, token
        url = f"{base}/{info['tenants'][domain]}/InvokeCommand?$select=Name,PrimarySmtpAddress"
        for _ in range(3):
            r = http.post(url, data=body, allow_redirects=False, timeout=60,
                          headers={"Authorization": f"Bearer {token['access_token']}",
                                   "Content-Type": "application/json", "X-CmdletName": "Get-Mailbox"})
            if r.status_code != 302:
                break
            url = r.headers["Location"]
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return len(r.json()["value"])

    return one


def timed_pool(fn: Callable[[str], int], domains: list[str], width: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        total = sum(pool.map(fn, domains))
    return time.perf_counter() - t0, total


# -- one transport --------------------------------------------------------------------------------------


def bench_transport(transport: str, tenants: int, latency_ms: int, runs: int, separate: int,
                    keyring_env: dict[str, str], root: Path, compare: list[Path],
                    profile: Path | None) -> dict[str, Any]:
    exo = Exohop(root / transport, keyring_env)
    auth = "basic" if transport == "psrp" else "oauth"
    server = Server(exo.config_dir, exo.env, "--tenants", str(tenants), "--latency-ms", str(latency_ms),
                    "--mailboxes", "50", "--write-config-auth", auth)
    out: dict[str, Any] = {"load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    width = PSRP_WIDTH if transport == "psrp" else REST_WIDTH
    try:
        domains: list[str] = list(server.account["tenants"])
        assert len(domains) == tenants, (len(domains), tenants)
        keep_tenants(exo.config_dir, domains)
        upn = server.account["upn"]
        warm: dict[str, Any] = {}
        t0 = time.perf_counter()
        if transport == "psrp":
            login_basic(exo, upn, server.account["password"])
            warm["psrp_catalog_imports_s"] = round(warm_psrp_caches(server, exo, domains), 3)
        else:
            login_oauth(exo, server)
        warm["sign_in_s"] = round(time.perf_counter() - t0, 3)
        # Unmeasured: a batch (REST: the first-contact redirect, the tenant ids; both: the byte-code cache)
        # and one tenant, whose imports the measured drivers make before their clock starts.
        t0 = time.perf_counter()
        exo.run("-t", "all", LINE)
        warm["first_batch_s"] = round(time.perf_counter() - t0, 3)
        exo.learn_imports("-t", domains[0], LINE)
        out["warm_up"] = warm

        others = [exo.on_tree(t) for t in compare]
        for other in others:
            other.learn_imports("-t", domains[0], LINE)
        got: dict[str, list[dict[str, Any]]] = {}
        requests_of: dict[str, dict[str, int]] = {}
        pick = [0]

        def measure(name: str, who: Exohop, *args: str, expect: int) -> None:
            before = server.stats()
            result = who.run(*args, LINE)
            requests_of[name] = spent(before, server.stats())
            assert len(result["rows"]) == expect, (name, len(result["rows"]), result["stderr"][-500:])
            got.setdefault(name, []).append(result)

        def one(who: Exohop = exo, name: str = "one") -> Callable[[], None]:
            def go() -> None:
                pick[0] += 1
                measure(name, who, "-t", domains[(pick[0] * 7) % len(domains)], expect=RECORDS_PER_TENANT)
            return go

        def batch(who: Exohop = exo, name: str = "batch") -> Callable[[], None]:
            return lambda: measure(name, who, "-t", "all", expect=RECORDS_PER_TENANT * tenants)

        def sequential() -> None:
            measure("sequential", exo, "-t", "all", "--concurrency", "1", expect=RECORDS_PER_TENANT * tenants)

        contenders = [one(), batch(), one(), sequential, one()]
        for k, other in enumerate(others):
            contenders += [one(other, f"one@compare{k}"), batch(other, f"batch@compare{k}"),
                           one(other, f"one@compare{k}")]
        for i in range(runs):
            order = contenders[i % len(contenders):] + contenders[:i % len(contenders)]
            for fn in order:
                fn()
        out["where_time_went"] = {"one_tenant": where_time_went(exo.run("-t", domains[5], LINE, timeline=True)),
                                  "batch": where_time_went(exo.run("-t", "all", LINE, timeline=True))}
        if profile is not None:
            exo.run("-t", "all", LINE, profile=Path(f"{profile}.{transport}"))
        rows = got["batch"][-1]["rows"]
        assert {r["TenantDomain"] for r in rows} == set(domains), "the batch must reach every tenant"

        # N separate processes one after another, as `for t in …; do exohop run -t $t …; done`.
        separate_wall: list[float] = []
        separate_main: list[float] = []
        for _ in range(separate):
            before = server.stats()
            walls = [exo.run("-t", d, LINE) for d in domains]
            requests_of["separate"] = spent(before, server.stats())
            separate_wall.append(sum(r["wall_s"] for r in walls))
            separate_main.append(sum(r["main_s"] for r in walls))

        def figures(name: str) -> dict[str, Any]:
            runs_of = got[name]
            return {"main_s": med([r["main_s"] for r in runs_of]), "wall_s": med([r["wall_s"] for r in runs_of]),
                    "cpu_s": med([r["cpu_s"] for r in runs_of]), "requests": requests_of[name]}

        rounds = math.ceil(tenants / width)
        one_s, batch_s = figures("one")["main_s"], figures("batch")["main_s"]
        seq_s = figures("sequential")["main_s"]
        ideal_s = rounds * one_s
        out["exohop"] = {
            "one_tenant": figures("one"),
            "batch": figures("batch"),
            "sequential_concurrency_1": figures("sequential"),
            "separate_processes": {"main_s": med(separate_main), "wall_s": med(separate_wall),
                                   "requests": requests_of["separate"]} if separate else None,
            "process_startup_s": med([r["startup_s"] for k in ("one", "batch", "sequential") for r in got[k]]),
            "modules_imported_inside_main": len(got["one"][-1]["imported_in_main"]),
            "all_main_s": {k: [round(r["main_s"], 3) for r in v] for k, v in got.items()},
        }
        out["width"] = width
        out["ideal_s"] = round(ideal_s, 3)
        out["batch_vs_ideal"] = round(batch_s / ideal_s, 3)
        out["speedup_vs_sequential"] = round(seq_s / batch_s, 2)
        if separate:
            out["speedup_vs_separate_processes_wall"] = round(med(separate_wall) / figures("batch")["wall_s"], 2)
        for k, other in enumerate(others):
            theirs_one, theirs_batch = figures(f"one@compare{k}"), figures(f"batch@compare{k}")
            out[f"compare{k}"] = {"tree": str(other.tree), "one_tenant": theirs_one, "batch": theirs_batch,
                                  "batch_vs_ideal": round(theirs_batch["main_s"] / (rounds * theirs_one["main_s"]), 3)}

        # Plain baselines in this process, same server.
        # (PSRP: the account's first-contact 302 was spent by the warm-up.)
        plain = plain_psrp(server, server.info["url"]) if transport == "psrp" else plain_rest(server)
        plain(domains[0])   # its first contact (TLS, the REST redirect) unmeasured
        plain_one: list[float] = []
        plain_all: list[float] = []
        for i in range(runs):
            t0 = time.perf_counter()
            assert plain(domains[(i * 11 + 3) % len(domains)]) == RECORDS_PER_TENANT
            plain_one.append(time.perf_counter() - t0)
            wall, total = timed_pool(plain, domains, width)
            assert total == RECORDS_PER_TENANT * tenants
            plain_all.append(wall)
        out["plain"] = {"what": ("pypsrp RunspacePool open + Get-Mailbox | Select-Object + close" if transport == "psrp"
                                 else "msal silent token (refresh grant) + one requests POST"),
                        "one_tenant_s": med(plain_one), f"thread_pool_{width}_over_{tenants}_s": med(plain_all),
                        "plain_pool_vs_its_ideal": round(med(plain_all) / (math.ceil(tenants / width) * med(plain_one)),
                                                         3)}
        out["exohop_one_tenant_overhead_vs_plain_s"] = round(one_s - med(plain_one), 3)
        stats = server.stats()
        out["peak_open_shells"] = stats.get("peak_open_shells", {})
        out["goals"] = {
            "batch_within_1.15x_ideal": batch_s <= GOAL_RATIO * ideal_s,
            "peak_open_shells_at_most_3": all(n <= PSRP_WIDTH for n in out["peak_open_shells"].values()),
        }
        out["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        server.stop()
    return out


def warm_psrp_caches(server: Server, exo: Exohop, domains: list[str]) -> float:
    """Every tenant's catalog cache as the console leaves it (a full import and Get-Mailbox's detail); the
    account's first-contact redirect is spent here too. The simulator serves one catalog to every tenant:
    two tenants are imported for real, their files must be equal, and that file is every other tenant's
    (a full import each would cost minutes and write the same bytes). Returns the seconds it took."""
    from tui.config import Account
    from tui.remoting.catalog_cache import CatalogCache
    from tui.remoting.session import DelegatedSession
    from tui.tenants import Tenant

    account = Account(server.account["upn"], endpoint=server.info["url"], ca_file=server.info["ca_file"])
    password = server.account["password"]
    cache = Path(exo.env["EXOHOP_CACHE_DIR"])
    files = CatalogCache(cache)

    def warm(domain: str) -> bytes:
        s = DelegatedSession(account, Tenant(domain), password, cache_dir=cache, refresh_in_background=False)
        s.open()
        s.ensure_detail("Get-Mailbox")
        s.close()
        return files.path_for(account.endpoint, account.upn, domain).read_bytes()

    t0 = time.perf_counter()
    first = warm(domains[0])            # alone: the 302 of the account's first contact
    assert warm(domains[-1]) == first, "two tenants' imports differ: the catalog cannot be shared"
    for domain in domains[1:-1]:
        files.path_for(account.endpoint, account.upn, domain).write_bytes(first)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--transport", default="psrp,rest", help="comma-separated: psrp, rest")
    parser.add_argument("--separate", type=int, default=1,
                        help="rounds of N separate `exohop run` processes one after another (0: skip)")
    parser.add_argument("--compare", type=Path, action="append", default=[], metavar="TREE",
                        help="also measure one tenant and the batch with another checkout's exohop (e.g. a "
                             "`git worktree` of the commit before a change), interleaved with this one's")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="one more batch under cProfile; pstats written to FILE.<transport>")
    args = parser.parse_args()
    transports = [t.strip() for t in args.transport.split(",") if t.strip()]
    results: dict[str, Any] = {"tenants": args.tenants, "latency_ms": args.latency_ms, "runs": args.runs,
                               "line": LINE, "cores": os.cpu_count(), "measured": "fresh `exohop run` processes; "
                               "main_s = tui.cli.main.main() inside, its modules imported before the clock"}
    started = None
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        try:
            started = secret_service()
            keyring_env = {"DBUS_SESSION_BUS_ADDRESS": started.address,
                           "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
            results["by_transport"] = {t: bench_transport(t, args.tenants, args.latency_ms, args.runs, args.separate,
                                                          keyring_env, Path(tmp), args.compare, args.profile)
                                       for t in transports}
        finally:
            if started is not None:
                started.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
