"""``exohop simulate``: serve the simulator until SIGINT/SIGTERM, announcing itself in one JSON line.

stdout gets exactly one line, ``{"url", "rest_url", "ca_file", "stats_url", "accounts": [{"upn", "password",
"tenants", "home_tenant"}], "authority", "tenants": {domain: id}, "app": {"client_id", "key_file",
"cert_file", "pem_file", "tenants"}}``, so scripts and tests can read where to connect; human notes go
to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from tui.catalog import Catalog, CatalogError, load
from tui.sim.tenant_set import tenant_set

EXIT_OK = 0
EXIT_USAGE = 2
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
DEFAULT_TOKEN_LIFETIME = 3600
DEFAULT_WRITE_CONFIG_AUTH = "oauth"
# The request handlers and the pipelines' workers share one GIL (the real service has none): with
# CPython's 5 ms default a handler's every socket call can wait 5 ms behind a worker writing output,
# on every round trip. 1 ms keeps that artifact out of the latency clients see; no byte changes.
SWITCH_INTERVAL_S = 0.001


def main(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        print(f"exohop simulate: {problem}", file=sys.stderr)
        return EXIT_USAGE
    catalog: Catalog | None = None
    if args.catalog:
        try:
            catalog = load(args.catalog)
        except (CatalogError, OSError) as exc:
            # CatalogError messages already name the file; OSError's strerror does not.
            reason = f"{args.catalog}: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
            print(f"exohop simulate: cannot use the catalog {reason}. "
                  "Give a catalog JSON file in exohop's schema (see README).", file=sys.stderr)
            return EXIT_USAGE

    from tui.sim.simulator import Simulator

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # Block the stop signals in every thread (the server's threads inherit this mask) and take
    # them synchronously below: no handler racing the main thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    sim = Simulator(host=args.host, port=args.port, tls=not args.no_tls, latency_ms=args.latency_ms,
                    mailboxes=args.mailboxes, catalog=catalog, idle_timeout=args.idle_timeout,
                    token_lifetime=_token_lifetime(args), customer_tenants=getattr(args, "tenants", None))
    try:
        sim.start()
    except OSError as exc:
        print(f"exohop simulate: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
              "Pick another --port (0 chooses a free one).", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.write_config:
            from tui.sim.config_writer import write_config

            target = Path(args.write_config).expanduser()
            try:
                write_config(target, url=sim.url, ca_file=sim.ca_file,
                             account_upns=[a.upn for a in sim.accounts], tenants=sim.tenants,
                             auth=getattr(args, "write_config_auth", DEFAULT_WRITE_CONFIG_AUTH),
                             authority=sim.authority)
            except OSError as exc:
                print(f"exohop simulate: cannot write the configuration into {target}: "
                      f"{exc.strerror or exc}.", file=sys.stderr)
                return EXIT_USAGE
            print(f"exohop simulate: wrote config.toml and tenants.toml into {target} "
                  f"(use EXOHOP_CONFIG_DIR={target})", file=sys.stderr)
        announce = _announcement(sim)
        sys.stdout.write(json.dumps(announce) + "\n")
        sys.stdout.flush()
        print(f"exohop simulate: serving {sim.url} — Ctrl+C or SIGTERM stops it", file=sys.stderr)
        signal.sigwait(_STOP_SIGNALS)
    finally:
        sim.stop()
    print("exohop simulate: stopped, every shell closed", file=sys.stderr)
    return EXIT_OK


def _announcement(sim: Any) -> dict[str, Any]:
    app_tenants = []
    if sim.directory is not None:
        app = sim.directory.app(sim.app_client_id)
        app_tenants = sorted(t.domain for t in sim.directory.tenants.values() if app and t.tenant_id in app.consented)
    return {
        "url": sim.url,
        "rest_url": sim.rest_url,
        "ca_file": sim.ca_file,
        "stats_url": sim.stats_url,
        "accounts": [{"upn": a.upn, "password": a.password, "tenants": list(a.tenants),
                      "home_tenant": sim.home_tenant_of(a.upn)} for a in sim.accounts],
        "authority": sim.authority,
        "tenants": sim.tenant_ids,
        "app": {"client_id": sim.app_client_id, "key_file": sim.app_key_file, "cert_file": sim.app_cert_file,
                "pem_file": sim.app_pem_file, "tenants": app_tenants},
    }


def _token_lifetime(args: argparse.Namespace) -> int:
    return int(getattr(args, "token_lifetime", DEFAULT_TOKEN_LIFETIME))


def _check(args: argparse.Namespace) -> str | None:
    if not 0 <= args.port <= 65535:
        return f"--port {args.port} is not a TCP port (0-65535; 0 picks a free one)"
    if args.latency_ms < 0:
        return "--latency-ms cannot be negative"
    if args.mailboxes < 1:
        return "--mailboxes must be at least 1"
    if not args.idle_timeout > 0:
        return "--idle-timeout must be a positive number of seconds"
    if _token_lifetime(args) < 1:
        return "--token-lifetime must be a positive number of seconds"
    tenants = getattr(args, "tenants", None)
    if tenants is not None:
        try:
            tenant_set(tenants)
        except ValueError as exc:
            return f"--tenants {tenants}: {exc}"
    return None
