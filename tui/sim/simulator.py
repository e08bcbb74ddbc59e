"""``Simulator``: the in-process API that starts the Exchange Online simulator on background threads.

    with Simulator(mailboxes=50) as sim:
        sim.url, sim.ca_file, sim.accounts, sim.stats(), sim.faults.throttle(1), sim.expire_shells()
"""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import threading
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

from tui.catalog import Catalog
from tui.sim.faults import Faults
from tui.sim.server import (
    STATS_PATH,
    WSMAN_PATH,
    Service,
    SimAccount,
    SimHTTPServer,
    make_ssl_context,
    serve_in_thread,
)


class Simulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: bool = True, latency_ms: int = 0,
                 mailboxes: int = 50, catalog: Catalog | None = None, idle_timeout: float = 900.0,
                 engine: Any = None) -> None:
        """``engine``: an object with SimEngine's ``run``/``command_metadata`` to serve instead of the
        built-in one (tests of the wire layer use a tiny scripted engine); default: ``SimEngine``."""
        self.host = host
        self.port = port
        self.tls = tls
        self.mailboxes = mailboxes
        self.extra_catalog = catalog
        self.idle_timeout = idle_timeout
        self.faults = Faults(latency_ms)
        self.accounts: list[SimAccount] = []
        self.tenants: list[Any] = []
        self.ca_file: str | None = None
        self.engine: Any = engine
        self._dir: Path | None = None
        self._cleanup: weakref.finalize | None = None
        self._server: SimHTTPServer | None = None
        self._service: Service | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        from tui.sim.data import ACCOUNTS, TENANTS

        if self.engine is None:
            from tui.sim.engine import SimEngine

            self.engine = SimEngine(mailboxes=self.mailboxes, extra_catalog=self.extra_catalog)
        self.tenants = list(TENANTS)
        # Fresh random passwords at every start: nothing to leak from the source tree.
        self.accounts = [SimAccount(a.upn, secrets.token_urlsafe(18), tuple(a.tenants)) for a in ACCOUNTS]
        self._dir = Path(tempfile.mkdtemp(prefix="exohop-sim-"))
        # Removed by stop(); also at interpreter exit if a caller forgot to stop the simulator.
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        context = None
        if self.tls:
            from tui.sim.certs import generate

            files = generate(self._dir, hosts=(self.host, "127.0.0.1", "localhost"))
            self.ca_file = str(files.ca_file)
            context = make_ssl_context(str(files.cert_file), str(files.key_file))
        self._service = Service(self.accounts, self.engine, self.faults, idle_timeout=self.idle_timeout,
                                machine=self.host)
        try:
            self._server = SimHTTPServer((self.host, self.port), self._service, context)
        except OSError:
            self._service.close_all()
            self._cleanup()
            raise
        self.port = self._server.server_address[1]
        self._thread = serve_in_thread(self._server)
        return self

    def stop(self) -> None:
        """Close every shell, stop serving, remove the generated certificates."""
        server, service = self._server, self._service
        if server is None or service is None:
            return
        self._server = None
        service.close_all()
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            self._poke()               # serve_forever sleeps in select(): a connection wakes it
            stopper.join(0.05)
        server.close_connections()
        server.server_close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what clients need ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + WSMAN_PATH

    @property
    def stats_url(self) -> str:
        return self.base_url + STATS_PATH

    def account(self, upn: str) -> SimAccount:
        for a in self.accounts:
            if a.upn.lower() == upn.lower():
                return a
        raise KeyError(upn)

    def stats(self) -> dict[str, Any]:
        if self._service is None:
            raise RuntimeError("the simulator is not running")
        return self._service.snapshot()

    def expire_shells(self, upn: str | None = None) -> int:
        """Expire every shell (or every shell of ``upn``) now, as the idle timer would."""
        if self._service is None:
            return 0
        return self._service.expire(upn)

    def _poke(self) -> None:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                pass
        except OSError:
            pass
