"""``exohop simulate``: serve the simulator until SIGINT/SIGTERM, announcing itself in one JSON line.

stdout gets exactly one line, ``{"url", "ca_file", "stats_url", "accounts": [{"upn", "password",
"tenants"}]}``, so scripts and tests can read where to connect; human notes go to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from tui.catalog import Catalog, CatalogError, load

EXIT_OK = 0
EXIT_USAGE = 2
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


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

    # Block the stop signals in every thread (the server's threads inherit this mask) and take
    # them synchronously below: no handler racing the main thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    sim = Simulator(host=args.host, port=args.port, tls=not args.no_tls, latency_ms=args.latency_ms,
                    mailboxes=args.mailboxes, catalog=catalog, idle_timeout=args.idle_timeout)
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
                             account_upns=[a.upn for a in sim.accounts], tenants=sim.tenants)
            except OSError as exc:
                print(f"exohop simulate: cannot write the configuration into {target}: "
                      f"{exc.strerror or exc}.", file=sys.stderr)
                return EXIT_USAGE
            print(f"exohop simulate: wrote config.toml and tenants.toml into {target} "
                  f"(use EXOHOP_CONFIG_DIR={target})", file=sys.stderr)
        announce = {
            "url": sim.url,
            "ca_file": sim.ca_file,
            "stats_url": sim.stats_url,
            "accounts": [{"upn": a.upn, "password": a.password, "tenants": list(a.tenants)}
                         for a in sim.accounts],
        }
        sys.stdout.write(json.dumps(announce) + "\n")
        sys.stdout.flush()
        print(f"exohop simulate: serving {sim.url} — Ctrl+C or SIGTERM stops it", file=sys.stderr)
        signal.sigwait(_STOP_SIGNALS)
    finally:
        sim.stop()
    print("exohop simulate: stopped, every shell closed", file=sys.stderr)
    return EXIT_OK


def _check(args: argparse.Namespace) -> str | None:
    if not 0 <= args.port <= 65535:
        return f"--port {args.port} is not a TCP port (0-65535; 0 picks a free one)"
    if args.latency_ms < 0:
        return "--latency-ms cannot be negative"
    if args.mailboxes < 1:
        return "--mailboxes must be at least 1"
    if not args.idle_timeout > 0:
        return "--idle-timeout must be a positive number of seconds"
    return None
