"""Redirect rules beyond the simulator's single hop: at most 5 hops, never https→http (real HTTPS server)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.session import DelegatedSession
from tui.sim.certs import generate
from tui.tenants import Tenant


@pytest.fixture
def redirector(tmp_path: Path) -> Iterator[Callable[[Callable[[str, int], str]], tuple[str, str, list[str]]]]:
    """Start an HTTPS server answering every POST with a 302 to ``location(path, n)``."""
    servers: list[ThreadingHTTPServer] = []

    def start(location: Callable[[str, int], str]) -> tuple[str, str, list[str]]:
        files = generate(tmp_path / f"certs{len(servers)}")
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen.append(self.path)
                self.send_response(302)
                self.send_header("Location", location(self.path, len(seen)))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(files.cert_file), str(files.key_file))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}/powershell-liveid", str(files.ca_file), seen

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _open(url: str, ca: str) -> RemotingError:
    session = DelegatedSession(Account("admin@p.onmicrosoft.com", url, ca), Tenant("contoso.onmicrosoft.com"),
                               "pw-123456", cache_dir=None)
    with pytest.raises(RemotingError) as info:
        session.open()
    return info.value


def test_redirect_chain_is_capped_at_five_hops(redirector) -> None:   # type: ignore[no-untyped-def]
    url, ca, seen = redirector(lambda path, n: f"/pod{n}/powershell-liveid?DelegatedOrg=contoso.onmicrosoft.com")
    err = _open(url, ca)
    assert err.kind == E.REDIRECT and "more than 5 times" in err.message
    assert len(seen) == 6 and seen[-1].startswith("/pod5/")    # the original request + 5 followed hops


def test_redirect_to_plain_http_is_refused(redirector) -> None:   # type: ignore[no-untyped-def]
    url, ca, seen = redirector(lambda path, n: "http://127.0.0.1:9/powershell-liveid?DelegatedOrg=x.com")
    err = _open(url, ca)
    assert err.kind == E.REDIRECT and "unencrypted" in err.message and len(seen) == 1


def test_a_pod_location_without_the_tenant_keeps_it(redirector) -> None:   # type: ignore[no-untyped-def]
    url, ca, seen = redirector(lambda path, n: "/pod/powershell-liveid?PSVersion=5.1" if n == 1 else path)
    err = _open(url, ca)
    assert err.kind == E.REDIRECT
    assert seen[1] == "/pod/powershell-liveid?PSVersion=5.1&DelegatedOrg=contoso.onmicrosoft.com"


def test_redirect_to_another_tenant_is_refused(redirector) -> None:   # type: ignore[no-untyped-def]
    url, ca, seen = redirector(lambda path, n: "/pod/powershell-liveid?DelegatedOrg=fabrikam.onmicrosoft.com")
    err = _open(url, ca)
    assert err.kind == E.REDIRECT and "another tenant (fabrikam.onmicrosoft.com)" in err.message
    assert len(seen) == 1                      # the Create was not re-sent anywhere


def test_an_http_redirect_may_not_leave_the_host() -> None:
    from tui.remoting.redirect import refuse_redirect

    here = "http://127.0.0.1:8080/powershell-liveid?DelegatedOrg=contoso.onmicrosoft.com"
    assert refuse_redirect(here, "http://127.0.0.1:8080/pod1/powershell-liveid", "contoso.onmicrosoft.com") is None
    away = refuse_redirect(here, "http://evil.example/powershell-liveid", "contoso.onmicrosoft.com")
    assert away is not None and "another host (evil.example)" in away
    assert refuse_redirect(here, "https://outlook.office365.com/x?DelegatedOrg=CONTOSO.onmicrosoft.com",
                           "contoso.onmicrosoft.com") is None
