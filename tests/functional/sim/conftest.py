"""The real pypsrp client against the simulator, opened the way ``-AllowRedirection`` does.

pypsrp cannot follow the service's 302 (requests turns the POST into a bodiless GET), so this helper
does what a client must: stop at the redirect, then re-create the WSMan connection at ``Location``.
It is deliberately small and local to these tests; exohop's own implementation is tui/remoting's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan

from tui.sim import SimAccount, Simulator


class Redirected(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _stop_on_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.is_redirect:
        raise Redirected(response.headers["Location"])


def make_wsman(url: str, upn: str, password: str, ca_file: str | None, **kwargs: Any) -> WSMan:
    parts = urlsplit(url)
    path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    wsman = WSMan(parts.hostname or "", port=parts.port, path=path, ssl=parts.scheme == "https",
                  username=upn, password=password, auth="basic",
                  cert_validation=ca_file if ca_file else True,
                  encryption="auto" if parts.scheme == "https" else "never", **kwargs)
    # pypsrp builds its requests.Session lazily; build it now to hang the redirect hook on it.
    wsman.transport.session = wsman.transport._build_session()
    wsman.transport.session.hooks["response"].append(_stop_on_redirect)
    return wsman


@dataclass
class Connection:
    pool: RunspacePool
    url: str
    redirects: list[str] = field(default_factory=list)


def open_pool(sim: Simulator, account: SimAccount | None = None, tenant: str | None = None, *,
              password: str | None = None, idle_timeout: int | None = None, **wsman_kwargs: Any) -> Connection:
    account = account or sim.accounts[0]
    tenant = tenant or account.tenants[0]
    url = f"{sim.url}?DelegatedOrg={tenant}"
    redirects: list[str] = []
    for _ in range(5):
        wsman = make_wsman(url, account.upn, password if password is not None else account.password,
                           sim.ca_file, **wsman_kwargs)
        pool = RunspacePool(wsman, configuration_name="Microsoft.Exchange", idle_timeout=idle_timeout)
        try:
            pool.open()
        except Redirected as r:
            url = urljoin(url, r.location)
            redirects.append(url)
            continue
        return Connection(pool, url, redirects)
    raise AssertionError(f"too many redirects: {redirects}")


@pytest.fixture(scope="session")
def pool_opener() -> Callable[..., Connection]:
    """``open_pool`` itself, for module-scoped fixtures (the caller closes what it opens)."""
    return open_pool


@pytest.fixture
def connect() -> Iterator[Callable[..., Connection]]:
    """``connect(sim, account=None, tenant=None, **kw)`` → Connection; every pool closed at teardown."""
    opened: list[Connection] = []

    def factory(sim: Simulator, *args: Any, **kwargs: Any) -> Connection:
        conn = open_pool(sim, *args, **kwargs)
        opened.append(conn)
        return conn

    yield factory
    for conn in opened:
        try:
            conn.pool.close()
        except Exception:
            pass
