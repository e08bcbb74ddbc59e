"""``Simulator``: the in-process API that starts the Exchange Online simulator on background threads.

    with Simulator(mailboxes=50) as sim:
        sim.url, sim.ca_file, sim.accounts, sim.stats(), sim.faults.throttle(1), sim.expire_shells()
        sim.authority, sim.tenant_ids, sim.directory, sim.entra, sim.approve_device_code(code, upn)
        sim.rest_url, sim.faults.rest_concurrency(2), stats["rest"]   (the REST door: tui/sim/rest.py)
"""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import threading
import uuid
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

from tui.catalog import Catalog
from tui.sim.certs import generate_app_credential
from tui.sim.data import NAMESPACE
from tui.sim.directory import Directory, partner_domain
from tui.sim.directory import build as build_directory
from tui.sim.entra import TokenService
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
from tui.sim.tenant_set import tenant_set


class Simulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: bool = True, latency_ms: int = 0,
                 mailboxes: int = 50, catalog: Catalog | None = None, idle_timeout: float = 900.0,
                 engine: Any = None, token_lifetime: int = 3600, device_code_lifetime: int = 900,
                 device_poll_interval: int = 1, customer_tenants: int | None = None) -> None:
        """``engine``: an object with SimEngine's ``run``/``command_metadata`` to serve instead of the
        built-in one (tests of the wire layer use a tiny scripted engine); default: ``SimEngine``.
        ``token_lifetime``: seconds an access token lives (msal counts one with < 300 s left as expired);
        ``device_poll_interval``: what the device flow tells msal to wait between polls (the real service
        says 5; 1 keeps sign-ins quick). ``customer_tenants``: the first account manages this many
        customers, generated ones after today's (``tui.sim.tenant_set``); None: today's fixed set.
        ValueError when it is below what the first account manages today."""
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
        self.token_lifetime = token_lifetime
        self.device_code_lifetime = device_code_lifetime
        self.device_poll_interval = device_poll_interval
        self.tenant_set = tenant_set(customer_tenants)
        self.directory: Directory | None = None
        self.entra: TokenService | None = None
        self.app_client_id = str(uuid.uuid5(NAMESPACE, "app:exohop-automation"))
        self.app_key_file: str | None = None      # the registered app's private key (PEM, 0600)
        self.app_cert_file: str | None = None     # its certificate (PEM)
        self.app_pem_file: str | None = None      # key + certificate in one PEM (0600)
        self._dir: Path | None = None
        self._cleanup: weakref.finalize | None = None
        self._server: SimHTTPServer | None = None
        self._service: Service | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        if self.engine is None:
            from tui.sim.engine import SimEngine

            self.engine = SimEngine(mailboxes=self.mailboxes, extra_catalog=self.extra_catalog,
                                    tenants=self.tenant_set.tenants)
        self.tenants = list(self.tenant_set.tenants)
        # Fresh random passwords at every start: nothing to leak from the source tree.
        self.accounts = [SimAccount(a.upn, secrets.token_urlsafe(18), tuple(a.tenants))
                         for a in self.tenant_set.accounts]
        self._dir = Path(tempfile.mkdtemp(prefix="exohop-sim-"))
        # Removed by stop(); also at interpreter exit if a caller forgot to stop the simulator.
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        context = None
        if self.tls:
            from tui.sim.certs import generate

            files = generate(self._dir, hosts=(self.host, "127.0.0.1", "localhost"))
            self.ca_file = str(files.ca_file)
            context = make_ssl_context(str(files.cert_file), str(files.key_file))
        app = generate_app_credential(self._dir)
        self.app_key_file, self.app_cert_file, self.app_pem_file = (str(app.key_file), str(app.cert_file),
                                                                    str(app.pem_file))
        self.directory = build_directory(self.accounts, self.tenants, automation_client_id=self.app_client_id,
                                         automation_certificate_pem=app.certificate_pem)
        self.entra = TokenService(self.directory, token_lifetime=self.token_lifetime,
                                  device_code_lifetime=self.device_code_lifetime,
                                  device_poll_interval=self.device_poll_interval)
        self._service = Service(self.accounts, self.engine, self.faults, idle_timeout=self.idle_timeout,
                                machine=self.host, entra=self.entra)
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
    def rest_url(self) -> str:
        """The REST door's base: ``{rest_url}/{tenant id or domain}/InvokeCommand`` (tui/sim/rest.py)."""
        return self.base_url + "/adminapi/beta"

    @property
    def stats_url(self) -> str:
        return self.base_url + STATS_PATH

    @property
    def authority(self) -> str:
        """The base URL of the Entra authorities: ``{authority}/{tenant id or domain}``."""
        return self.base_url

    @property
    def tenant_ids(self) -> dict[str, str]:
        """Every directory tenant (customers and the partners' home tenants): initial domain → tenant id."""
        if self.directory is None:
            return {t.domain: t.tenant_id for t in self.tenants}
        return {t.domain: t.tenant_id for t in self.directory.tenants.values()}

    def home_tenant_of(self, upn: str) -> str:
        """The partner tenant's initial domain for an account (its sign-in's home tenant)."""
        return partner_domain(upn)

    def approve_device_code(self, user_code: str, upn: str) -> None:
        """Approve a pending device code as ``upn`` (no password: the demo's in-process shortcut)."""
        self._token_service().approve_device_code(user_code, upn)

    def auto_approve(self, upn: str | None) -> None:
        """Approve every new device code as ``upn`` at once (None: stop); ``exohop --demo`` uses it."""
        self._token_service().auto_approve_upn = upn

    def _token_service(self) -> TokenService:
        if self.entra is None:
            raise RuntimeError("the simulator is not running")
        return self.entra

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
