"""Benchmark: exohop's REST transport (Exchange Online's InvokeCommand) beside PSRP and a plain ``requests`` loop.

    python tests/bench/bench_rest.py [--mailboxes 10000] [--latency-ms 0,50] [--runs 3]

For each latency, against ``exohop simulate --mailboxes N --latency-ms L`` in its own process (client and
server do not share a GIL); the partner user signs in once by the device code (approved with a POST to
``{authority}/devicelogin``, as a person would in the browser) into an in-memory token cache (no keyring):

1. open to first result, sign-in cached:
   - rest: a fresh ``RestSession`` (the provider signed in, the tenant's token cached, the command list in
     the catalog cache) ``open()`` + ``run("Get-Mailbox -ResultSize 1")`` to the first RecordEvent;
     requests = REST + Entra token + Entra discovery, counted by the server;
   - psrp: a warm ``DelegatedSession`` open (catalog cache written by a previous open,
     ``refresh_in_background=False``) + the same command; requests = WS-Man by action;
   - rest_open_only: ``RestSession.open()`` alone, ``refresh_in_background=False``: what completion
     needs before it is ready (goal 0 requests when the token is cached).
2. ``Get-Mailbox -ResultSize Unlimited`` (N mailboxes) on sessions already open:
   - rest:  ``RestSession.run`` (pages of 1000: the floor is ceil(N / 1000) requests);
   - psrp:  ``DelegatedSession.run`` (streamed Receive by Receive);
   - plain: a ``requests.Session`` (``trust_env=False``, ``verify=ca_file`` per request: REQUESTS_CA_BUNDLE
     would win otherwise) POSTing the same body with the same headers, following ``@odata.nextLink`` and
     ``json()``-ing each page, no records made.
   REST overhead = exohop REST total / plain total - 1.

The warm-up (not measured, reported under ``warm_up``) signs in, spends the account's first-contact
redirects (REST: a 302 to ``/pod01b`` per caller, answered once; PSRP: the 302 of the first Create) and
builds the tenant's mailboxes (the first Get-Mailbox). The REST 302 is per caller (the user), so the plain
loop — the same user — meets none; it follows one all the same and reports how many it saw. Contenders
alternate their order between runs; medians are reported. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from bench_connect import Server  # tests/bench is on sys.path when run as a script

from tui.config import Account
from tui.remoting.auth import SignInSettings, TokenProvider
from tui.remoting.auth.cache import MemoryTokenCache
from tui.remoting.auth.provider import DeviceCodePrompt
from tui.remoting.events import RecordEvent
from tui.remoting.rest.client import anchor_for
from tui.remoting.rest.session import RestSession
from tui.remoting.session import DelegatedSession
from tui.tenants import Tenant

PAGE_SIZE = 1000
WANTED_TENANT = "contoso.onmicrosoft.com"


def snapshot(server: Server) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(server.info["stats_url"], verify=server.info["ca_file"], timeout=30).json()
    return stats


def rest_requests(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a REST client cost the server: InvokeCommand/EXOModuleFile requests (by cmdlet), Entra token
    requests (by grant) and discovery requests."""
    rest = after["rest"]["requests"] - before["rest"]["requests"]
    by_cmdlet: dict[str, int] = {}
    for cmdlet, statuses in after["rest"]["by_cmdlet"].items():
        old = before["rest"]["by_cmdlet"].get(cmdlet, {})
        n = sum(statuses.values()) - sum(old.values())
        if n:
            by_cmdlet[cmdlet] = n
    grants = {g: n - before["entra"]["token_requests"].get(g, 0)
              for g, n in after["entra"]["token_requests"].items()
              if n - before["entra"]["token_requests"].get(g, 0)}
    discovery = after["entra"]["discovery_requests"] - before["entra"]["discovery_requests"]
    redirects = after["rest"]["redirects"] - before["rest"]["redirects"]
    out: dict[str, Any] = {"rest": rest, "rest_by_cmdlet": by_cmdlet, "entra_token": sum(grants.values()),
                           "entra_discovery": discovery, "total": rest + sum(grants.values()) + discovery}
    if grants:
        out["entra_token_by_grant"] = grants
    if redirects:
        out["rest_redirects_302"] = redirects
    return out


def wsman_requests(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    diff = {k: n - before["requests"].get(k, 0) for k, n in after["requests"].items()
            if n - before["requests"].get(k, 0)}
    diff["total"] = sum(diff.values())
    return diff


def med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def sign_in(server: Server, upn: str, password: str, home: str) -> TokenProvider:
    info = server.info
    settings = SignInSettings(upn=upn, home_tenant=home, authority_host=info["authority"], ca_file=info["ca_file"])
    provider = TokenProvider(settings, cache=MemoryTokenCache())

    def on_prompt(prompt: DeviceCodePrompt) -> None:   # what the person does in the browser
        answer = requests.post(f"{info['authority']}/devicelogin",
                               data={"code": prompt.user_code, "username": upn, "password": password},
                               verify=info["ca_file"], timeout=30)
        assert answer.status_code == 200, answer.status_code

    provider.sign_in_with_device_code(on_prompt)
    return provider


def bench_latency(latency_ms: int, mailboxes: int, runs: int) -> dict[str, Any]:
    server = Server("--mailboxes", str(mailboxes), "--latency-ms", str(latency_ms))
    info = server.info
    upn, password = server.account["upn"], server.account["password"]
    home = server.account["home_tenant"]
    domain = WANTED_TENANT if WANTED_TENANT in server.account["tenants"] else server.account["tenants"][0]
    tenant_id = info["tenants"][domain]
    home_id = info["tenants"][home]
    ca_file = info["ca_file"]
    tenant = Tenant(domain, tenant_id=tenant_id)
    rest_account = Account(upn, endpoint=info["url"], ca_file=ca_file, auth="oauth", authority=info["authority"],
                           home_tenant=home)
    psrp_account = Account(upn, endpoint=info["url"], ca_file=ca_file)
    work = Path(tempfile.mkdtemp(prefix="exohop-bench-rest-"))
    rest_cache, psrp_cache = work / "rest-cache", work / "psrp-cache"
    out: dict[str, Any] = {"latency_ms": latency_ms, "tenant": domain,
                           "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    warm: dict[str, Any] = {}
    rest_open: RestSession | None = None
    psrp_open: DelegatedSession | None = None
    plain_http = requests.Session()
    plain_http.trust_env = False          # REQUESTS_CA_BUNDLE is set here: verify=ca_file per request wins
    try:
        # -- warm-up (not measured as a contender) ----------------------------------------------------------
        before = snapshot(server)
        t0 = time.perf_counter()
        provider = sign_in(server, upn, password, home)
        warm["device_code_sign_in_s"] = round(time.perf_counter() - t0, 3)
        mid = snapshot(server)
        warm["device_code_sign_in_requests"] = rest_requests(before, mid)

        # The first REST session: customer token (refresh-token grant), the 302, the command list (cached
        # for later sessions), and the first Get-Mailbox, which builds the tenant's mailboxes.
        t0 = time.perf_counter()
        rest_open = RestSession(rest_account, tenant, provider, cache_dir=rest_cache, refresh_in_background=True)
        rest_open.open()
        assert rest_open.wait_for_refresh(120)
        assert not rest_open.catalog_is_provisional
        summary = rest_open.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 1", lambda e: None)
        assert summary.records == 1, summary
        warm["first_rest_session_s"] = round(time.perf_counter() - t0, 3)
        after = snapshot(server)
        warm["first_rest_session_requests"] = rest_requests(mid, after)
        warm["first_rest_session_rebased_to"] = rest_open._client.base_url if rest_open._client else None

        # The first PSRP session: the 302 of the first Create, the cold import (writes the catalog cache).
        before = after
        t0 = time.perf_counter()
        psrp_open = DelegatedSession(psrp_account, tenant, password, cache_dir=psrp_cache,
                                     refresh_in_background=False)
        psrp_open.open()
        psrp_open.ensure_detail("Get-Mailbox")
        summary = psrp_open.run("Get-Mailbox -ResultSize Unlimited | Select-Object -First 1", lambda e: None)
        assert summary.records == 1, summary
        warm["first_psrp_session_cold_import_s"] = round(time.perf_counter() - t0, 3)
        after = snapshot(server)
        warm["first_psrp_session_requests"] = wsman_requests(before, after)
        warm["psrp_redirected_to"] = psrp_open.redirected_to
        warm["psrp_commands_imported"] = len(psrp_open.catalog)

        # The plain loop's first pass: its TLS connection is made here, as the open sessions' were.
        token = provider.token_for(tenant_id)
        anchor = anchor_for(token, home_id)
        warm["anchor"] = anchor
        base = info["rest_url"].removesuffix("/adminapi/beta")
        body = json.dumps({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}},
                          separators=(",", ":")).encode()
        plain_first: list[float] = []
        plain_total: list[float] = []
        plain_seen: dict[str, int] = {}

        def plain(record: bool = True) -> None:
            t0 = time.perf_counter()
            tok = provider.token_for(tenant_id)
            headers = {"Authorization": tok.authorization, "X-AnchorMailbox": anchor,
                       "Prefer": f"odata.maxpagesize={PAGE_SIZE}", "Content-Type": "application/json",
                       "Accept": "application/json", "X-CmdletName": "Get-Mailbox"}
            url: str | None = f"{base}/adminapi/beta/{tenant_id}/InvokeCommand"
            records = pages = redirects = 0
            first: float | None = None
            while url is not None:
                r = plain_http.post(url, data=body, headers=headers, verify=ca_file, allow_redirects=False,
                                    timeout=(15, 600))
                if r.status_code in (301, 302, 307, 308):      # the first contact's regional redirect
                    redirects += 1
                    url = urljoin(url, r.headers["Location"])
                    continue
                r.raise_for_status()
                doc = r.json()
                pages += 1
                records += len(doc.get("value") or ())
                if first is None:
                    first = time.perf_counter() - t0
                url = doc.get("@odata.nextLink")
            total = time.perf_counter() - t0
            assert records == mailboxes, records
            plain_seen["pages"] = pages
            plain_seen["redirects_followed"] = plain_seen.get("redirects_followed", 0) + redirects
            if record:
                assert first is not None
                plain_first.append(first)
                plain_total.append(total)

        before = snapshot(server)
        plain(record=False)
        warm["plain_loop_first_pass_requests"] = rest_requests(before, snapshot(server))
        warm["plain_loop_first_pass_redirects_followed"] = plain_seen.pop("redirects_followed", 0)
        out["warm_up"] = warm

        # -- 1. open to first result ------------------------------------------------------------------------
        first_rest: dict[str, list[Any]] = {"first": [], "open": [], "req": []}
        first_psrp: dict[str, list[Any]] = {"first": [], "open": [], "req": []}
        open_only: dict[str, list[Any]] = {"open": [], "req": [], "commands": [], "provisional": []}

        def first_result(make: Callable[[], Any], count: Callable[[Any, Any], Any],
                         into: dict[str, list[Any]]) -> None:
            """Open a session, run until its first record: time to it, time to open, requests made."""
            before = snapshot(server)
            got: list[float] = []
            t0 = time.perf_counter()
            s = make()
            s.open()
            opened = time.perf_counter() - t0

            def on_event(event: object) -> None:
                if not got and isinstance(event, RecordEvent):
                    got.append(time.perf_counter() - t0)

            summary = s.run("Get-Mailbox -ResultSize 1", on_event)
            after = snapshot(server)
            s.close()                       # PSRP's Delete: not part of the measure
            assert summary.records == 1 and got, summary
            into["first"].append(got[0])
            into["open"].append(opened)
            into["req"].append(count(before, after))

        def rest_first() -> None:
            first_result(lambda: RestSession(rest_account, tenant, provider, cache_dir=rest_cache,
                                             refresh_in_background=False), rest_requests, first_rest)

        def psrp_first() -> None:
            first_result(lambda: DelegatedSession(psrp_account, tenant, password, cache_dir=psrp_cache,
                                                  refresh_in_background=False), wsman_requests, first_psrp)

        def rest_open_only() -> None:
            before = snapshot(server)
            t0 = time.perf_counter()
            s = RestSession(rest_account, tenant, provider, cache_dir=rest_cache, refresh_in_background=False)
            s.open()
            opened = time.perf_counter() - t0
            after = snapshot(server)
            open_only["open"].append(opened)
            open_only["req"].append(rest_requests(before, after))
            open_only["commands"].append(len(s.catalog))
            open_only["provisional"].append(s.catalog_is_provisional)
            s.close()

        contenders1: list[Callable[[], None]] = [rest_first, psrp_first, rest_open_only]
        for i in range(runs):
            for fn in (contenders1 if i % 2 == 0 else contenders1[::-1]):
                fn()
        rest_med, psrp_med = med(first_rest["first"]), med(first_psrp["first"])
        out["open_to_first_result"] = {
            "rest_sign_in_cached": {"first_record_s": rest_med, "min_s": round(min(first_rest["first"]), 3),
                                    "open_s": med(first_rest["open"]), "requests": first_rest["req"][-1]},
            "psrp_warm_open": {"first_record_s": psrp_med, "min_s": round(min(first_psrp["first"]), 3),
                               "open_s": med(first_psrp["open"]), "wsman_requests": first_psrp["req"][-1]},
            "rest_completion_ready_after_open": {
                "requests": open_only["req"][-1]["total"], "requests_detail": open_only["req"][-1],
                "open_s": med(open_only["open"]), "commands": open_only["commands"][-1],
                "catalog_provisional": open_only["provisional"][-1]},
            "rest_vs_psrp_first_record_speedup": round(psrp_med / rest_med, 2),
        }

        # -- 2. Get-Mailbox -ResultSize Unlimited --------------------------------------------------------------
        assert rest_open is not None and psrp_open is not None
        rest_s, psrp_s = rest_open, psrp_open
        big_rest: dict[str, list[Any]] = {"first": [], "total": [], "req": []}
        big_psrp: dict[str, list[Any]] = {"first": [], "total": [], "req": []}
        plain_req: list[dict[str, Any]] = []

        def streamed(session: RestSession | DelegatedSession, into: dict[str, list[Any]],
                     count: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> None:
            before = snapshot(server)
            got: list[float] = []
            t0 = time.perf_counter()

            def on_event(event: object) -> None:
                if not got and isinstance(event, RecordEvent):
                    got.append(time.perf_counter() - t0)

            summary = session.run("Get-Mailbox -ResultSize Unlimited", on_event)
            total = time.perf_counter() - t0
            after = snapshot(server)
            assert summary.records == mailboxes and got, summary
            into["first"].append(got[0])
            into["total"].append(total)
            into["req"].append(count(before, after))

        def rest_big() -> None:
            streamed(rest_s, big_rest, rest_requests)

        def psrp_big() -> None:
            streamed(psrp_s, big_psrp, wsman_requests)

        def plain_big() -> None:
            before = snapshot(server)
            plain()
            plain_req.append(rest_requests(before, snapshot(server)))

        contenders2: list[Callable[[], None]] = [rest_big, psrp_big, plain_big]
        for i in range(runs):
            for fn in (contenders2 if i % 2 == 0 else contenders2[::-1]):
                fn()
        rest_total, psrp_total, plain_tot = med(big_rest["total"]), med(big_psrp["total"]), med(plain_total)
        out["get_mailbox_unlimited"] = {
            "mailboxes": mailboxes,
            "rest_exohop": {"first_record_s": med(big_rest["first"]), "total_s": rest_total,
                            "min_total_s": round(min(big_rest["total"]), 3),
                            "requests": big_rest["req"][-1]["rest"], "requests_detail": big_rest["req"][-1],
                            "floor_requests": math.ceil(mailboxes / PAGE_SIZE),
                            "records_per_s": round(mailboxes / rest_total)},
            "psrp_exohop_streamed": {"first_record_s": med(big_psrp["first"]), "total_s": psrp_total,
                                     "min_total_s": round(min(big_psrp["total"]), 3),
                                     "wsman_requests": big_psrp["req"][-1],
                                     "records_per_s": round(mailboxes / psrp_total)},
            "plain_requests_loop": {"first_page_s": med(plain_first), "total_s": plain_tot,
                                    "min_total_s": round(min(plain_total), 3), "pages": plain_seen["pages"],
                                    "requests": plain_req[-1]["rest"],
                                    "redirects_followed_in_runs": plain_seen.get("redirects_followed", 0)},
            "rest_overhead_vs_plain_pct": round((rest_total / plain_tot - 1) * 100, 1),
            "rest_vs_psrp_total_speedup": round(psrp_total / rest_total, 2),
            "all_totals_s": {"rest": [round(x, 3) for x in big_rest["total"]],
                             "psrp": [round(x, 3) for x in big_psrp["total"]],
                             "plain": [round(x, 3) for x in plain_total]},
        }
        out["goals"] = {
            "rest_completion_ready_after_open_0_requests":
                out["open_to_first_result"]["rest_completion_ready_after_open"]["requests"] == 0,
            "rest_paging_at_floor": big_rest["req"][-1]["rest"] == math.ceil(mailboxes / PAGE_SIZE),
        }
        out["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        plain_http.close()
        if rest_open is not None:
            rest_open.close()
        if psrp_open is not None:
            psrp_open.close()
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=10000)
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated, e.g. 0,50")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    latencies = [int(x) for x in str(args.latency_ms).split(",") if x.strip()]
    t0 = time.perf_counter()
    results: dict[str, Any] = {"mailboxes": args.mailboxes, "runs": args.runs, "page_size": PAGE_SIZE,
                               "cores": os.cpu_count(), "by_latency": {}}
    for latency in latencies:
        results["by_latency"][str(latency)] = bench_latency(latency, args.mailboxes, args.runs)
    results["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
