"""The simulator's HTTP(S) face: Basic auth, DelegatedOrg routing, the first-contact redirect, the
per-account shell budget, idle expiry, stats, fault injection; WS-Management requests are handed
to ``wsman`` (SOAP) and ``runspace`` (PSRP).

The shell budget is the service's: three shells per account. A fourth Create is answered (the shell
id is handed out) and its first Receive gets the MaxConcurrency fault, which is where PowerShell
reported it ("Processing data from remote server … failed": the Receive after the Create). A
shell enumeration (WS-Management Enumerate) lists the account's own shells. Disconnect, Reconnect
and Connect get a fault: the service's PowerShell-LiveID endpoint is IIS-hosted WinRM, which keeps no
shell once its client lets go, so it has no disconnected sessions to offer; the simulator still
advertises protocol 2.3 because that is what the endpoint's PowerShell 5.1 sends in
SESSION_CAPABILITY (a client learns that disconnecting is refused from the fault, as it would there).

One thread per connection (``ThreadingHTTPServer``), HTTP/1.1 keep-alive, TLS wrapped lazily in the
connection's own thread so a slow handshake never blocks ``accept``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from tui.sim import entra_web, rest, wsman
from tui.sim.entra import TokenService
from tui.sim.faults import Faults, Plan
from tui.sim.reply import Reply
from tui.sim.runspace import Engine, NothingYet, ProtocolFailure, Shell, ShellGone

log = logging.getLogger(__name__)

WSMAN_PATH = "/powershell-liveid"
REGIONAL_PATH = "/PowerShell-LiveID/pod01"      # where the first Create of an account is redirected
REDIRECT_PSVERSION = "5.1.19041.1"
STATS_PATH = "/_exohop/stats"
EXCHANGE_RESOURCE_URI = "http://schemas.microsoft.com/powershell/Microsoft.Exchange"
REALM = "outlook.office365.com"
MAX_SHELLS_PER_ACCOUNT = 3
MAX_LONG_POLL_S = 60.0


@dataclass(frozen=True, slots=True)
class SimAccount:
    upn: str
    password: str = field(repr=False)
    tenants: tuple[str, ...] = ()


class Stats:
    """Request counts per WS-Management action and shell lifecycle counters (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter({a: 0 for a in ("Create", "Command", "Receive", "Send",
                                                             "Signal", "Delete")})
        self.shells_created = 0
        self.shells_deleted = 0
        self.shells_expired = 0
        self.cpu_seconds = 0.0             # CPU the server spent: request handling (incl. TLS) + pipelines
        # Each PSRP pipeline the clients sent, as its command names ("Get-Mailbox | Select-Object"): what
        # ran on the server and what the client kept for itself.
        self.pipelines: Counter[str] = Counter()
        # The most shells each account had open at once (a test of many tenants reads that the limit held).
        self.peak_open_shells: dict[str, int] = {}

    def count(self, action: str) -> None:
        with self._lock:
            self.requests[action] += 1

    def pipeline(self, names: Sequence[str]) -> None:
        with self._lock:
            self.pipelines[" | ".join(names)] += 1

    def peak(self, upn: str, open_now: int) -> None:
        with self._lock:
            self.peak_open_shells[upn] = max(open_now, self.peak_open_shells.get(upn, 0))

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self, open_shells: dict[str, int], running: int = 0) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "open_shells": open_shells,
                "pipelines_running": running,
                "shells_created": self.shells_created,
                "shells_deleted": self.shells_deleted,
                "shells_expired": self.shells_expired,
                "server_cpu_seconds": round(self.cpu_seconds, 6),
                "pipelines": dict(self.pipelines),
                "peak_open_shells": dict(self.peak_open_shells),
            }


class Service:
    """Everything behind the HTTP layer: accounts, shells, redirect memory, expiry."""

    def __init__(self, accounts: Iterable[SimAccount], engine: Engine, faults: Faults, *,
                 idle_timeout: float = 900.0, machine: str = "127.0.0.1",
                 entra: TokenService | None = None) -> None:
        self.accounts = {a.upn.lower(): a for a in accounts}
        self.entra = entra                 # the Entra ID door on the same listener (None: WS-Management only)
        # The REST door needs Entra's tokens; it shares the engine (and so the data) with the PSRP door.
        self.rest = rest.RestDoor(engine, entra, faults) if entra is not None else None
        self.engine = engine
        self.faults = faults
        self.stats = Stats()
        self.idle_timeout = idle_timeout
        self.machine = machine
        self._lock = threading.Condition()
        self._shells: dict[str, Shell] = {}
        self._refused: dict[str, tuple[str, float]] = {}    # a fourth shell's id → (owner, when), until Received
        self._redirected: set[str] = set()
        self._stopping = False
        self._reaper = threading.Thread(target=self._reap, name="sim-reaper", daemon=True)
        self._reaper.start()

    # -- shells ------------------------------------------------------------------------------------------

    def open_shells(self) -> dict[str, int]:
        with self._lock:
            counts: Counter[str] = Counter(s.upn for s in self._shells.values())
        return {a.upn: counts.get(a.upn, 0) for a in self.accounts.values() if counts.get(a.upn)}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            shells = list(self._shells.values())
        snap = self.stats.snapshot(self.open_shells(), sum(s.running for s in shells))
        if self.entra is not None:
            snap["entra"] = self.entra.stats.snapshot()
        if self.rest is not None:
            snap["rest"] = self.rest.stats.snapshot()
        return snap

    def expire(self, upn: str | None = None) -> int:
        """Expire every shell (or every shell of ``upn``) now, as the idle timer would."""
        with self._lock:
            victims = [s for s in self._shells.values() if upn is None or s.upn.lower() == upn.lower()]
            for s in victims:
                del self._shells[s.shell_id]
        for s in victims:
            s.close()
            self.stats.add("shells_expired")
        return len(victims)

    def close_all(self) -> None:
        with self._lock:
            self._stopping = True
            victims = list(self._shells.values())
            self._shells.clear()
            self._lock.notify_all()
        for s in victims:
            s.close()
            self.stats.add("shells_deleted")

    def _reap(self) -> None:
        """Expire idle shells: sleeps on the condition until the next deadline, never polls."""
        with self._lock:
            while not self._stopping:
                now = time.monotonic()
                expired = [s for s in self._shells.values() if now - s.last_activity >= s.idle_timeout]
                for s in expired:
                    del self._shells[s.shell_id]
                if expired:
                    self._lock.release()
                    try:
                        for s in expired:
                            s.close()
                            self.stats.add("shells_expired")
                    finally:
                        self._lock.acquire()
                    continue
                if self._shells:
                    nxt = min(s.last_activity + s.idle_timeout for s in self._shells.values())
                    self._lock.wait(max(nxt - now, 0.05))
                else:
                    self._lock.wait()

    # -- requests ----------------------------------------------------------------------------------------

    def handle(self, path: str, query: str, headers: Any, body: bytes, client_ip: str,
               base_url: str) -> Reply:
        plan = self.faults.take()
        if plan.drop:
            return Reply(0, plan=plan)
        if plan.throttle_retry_after is not None:
            return Reply(503, b"", {"Retry-After": str(plan.throttle_retry_after)}, plan)
        if plan.unavailable is not None:
            return Reply(plan.unavailable, b"", {}, plan)
        response = self._handle(path, query, headers, body, client_ip, base_url)
        if response.plan == Plan():   # a fault of the request's own tenant (drop_tenant_output) stands
            response.plan = plan
        return response

    def _handle(self, path: str, query: str, headers: Any, body: bytes, client_ip: str,
                base_url: str) -> Reply:
        low = path.rstrip("/").lower()
        regional = low == REGIONAL_PATH.lower()
        if low != WSMAN_PATH and not regional:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        account = self._authenticate(headers.get("Authorization", ""))
        if account is None:
            return Reply(401, b"", {"WWW-Authenticate": f'Basic realm="{REALM}"'})
        try:
            req = wsman.parse_request(body)
        except wsman.WSManRequestError as exc:
            return self._fault(None, wsman.FAULT_BAD_REQUEST, f"The WS-Management service cannot process the "
                                                               f"request: {exc}", status=400)
        if req.action in self.stats.requests or req.action in wsman.ACTIONS:
            self.stats.count(req.action)
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        tenant = params.get("delegatedorg", "").strip().lower()
        try:
            if req.action == "Create":
                return self._create(req, account, tenant, regional, client_ip, base_url)
            if req.action == "Enumerate":
                return self._enumerate(req, account)
            refused = self._refusal(req, account)
            if refused is not None:
                return refused
            shell = self._shell_for(req, account)
            reply = self._dispatch(req, shell)
            if (req.action == "Receive" and wsman.receive_target(req.body)
                    and self.faults.take_tenant_output(shell.tenant)):
                reply.plan = Plan(drop_mid_response=True)
            return reply
        except ShellGone:
            return self._fault(req, wsman.FAULT_INVALID_SELECTORS, wsman.MSG_INVALID_SELECTORS)
        except (wsman.WSManRequestError, ProtocolFailure) as exc:
            return self._fault(req, wsman.FAULT_BAD_REQUEST,
                               f"The WS-Management service cannot process the request: {exc}", status=400)

    def _authenticate(self, header: str) -> SimAccount | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        account = self.accounts.get(user.lower())
        if account is None or not _equal(password, account.password):
            return None
        return account

    def _create(self, req: wsman.Request, account: SimAccount, tenant: str, regional: bool,
                client_ip: str, base_url: str) -> Reply:
        with self._lock:
            first = account.upn.lower() not in self._redirected
            if first:
                self._redirected.add(account.upn.lower())
        if first and not regional:
            location = (f"{base_url}{REGIONAL_PATH}?PSVersion={REDIRECT_PSVERSION}"
                        f"&DelegatedOrg={quote(tenant, safe='@.-')}")
            return Reply(302, b"", {"Location": location})
        if not tenant or tenant not in {t.lower() for t in account.tenants}:
            return self._fault(req, wsman.FAULT_ACCESS_DENIED, wsman.MSG_ACCESS_DENIED, subcode="w:AccessDenied")
        if req.resource_uri.lower() != EXCHANGE_RESOURCE_URI.lower():
            return self._fault(req, wsman.FAULT_INVALID_RESOURCE_URI,
                               f"The WS-Management service cannot process the request. The resource URI "
                               f"({req.resource_uri}) was not found in the WS-Management catalog.",
                               subcode="w:DestinationUnreachable")
        client_shell_id, creation, idle_text = wsman.creation_xml(req.body)
        # A client may ask for a shorter idle timeout (rsp:IdleTimeOut), never a longer one.
        idle_timeout = min(self.idle_timeout, wsman.parse_duration(idle_text or "", self.idle_timeout))
        address = f"{base_url}{WSMAN_PATH}"
        with self._lock:
            mine = sum(1 for s in self._shells.values() if s.upn == account.upn)
            shell_id = client_shell_id if client_shell_id and client_shell_id not in self._shells \
                and client_shell_id not in self._refused else str(uuid.uuid4()).upper()
            if mine >= MAX_SHELLS_PER_ACCOUNT:
                # Answered; the refusal comes with the first Receive (``_refusal``).
                now = time.monotonic()
                self._refused = {k: v for k, v in self._refused.items() if now - v[1] < MAX_LONG_POLL_S * 10}
                self._refused[shell_id] = (account.upn, now)
                return Reply(200, wsman.create_response(req, address, shell_id, account.upn, client_ip,
                                                           idle_timeout))
            # ~Envelope budget for fragments: the client's MaxEnvelopeSize less the response's own XML.
            raw_budget = (req.max_envelope_size - wsman.receive_overhead(shell_id)) * 3 // 4
            shell = Shell(shell_id, account.upn, tenant, self.engine, fragment_size=min(raw_budget, 64 * 1024),
                          idle_timeout=idle_timeout, on_cpu=lambda s: self.stats.add("cpu_seconds", s),
                          on_pipeline=self.stats.pipeline)
            shell.client_ip = client_ip
            self._shells[shell_id] = shell         # reserve the slot before the (slower) PSRP open
            self.stats.peak(account.upn, mine + 1)
            self._lock.notify_all()
        try:
            shell.open(creation)
        except ProtocolFailure:
            with self._lock:
                self._shells.pop(shell_id, None)
            raise
        self.stats.add("shells_created")
        return Reply(200, wsman.create_response(req, address, shell_id, account.upn, client_ip,
                                                   idle_timeout))

    def _refusal(self, req: wsman.Request, account: SimAccount) -> Reply | None:
        """The answer for a request on a shell refused for the account's shell budget, else None."""
        with self._lock:
            entry = self._refused.get(req.shell_id or "")
            if entry is None or entry[0] != account.upn:
                return None
            if req.action in ("Receive", "Delete"):
                del self._refused[req.shell_id or ""]
        if req.action == "Delete":
            return Reply(200, wsman.empty_response(req, "Delete"))
        if req.action == "Receive":
            message = wsman.MSG_MAX_CONCURRENCY.format(request_id=uuid.uuid4(), limit=MAX_SHELLS_PER_ACCOUNT)
            return self._fault(req, wsman.FAULT_SHELL_QUOTA, message)
        return self._fault(req, wsman.FAULT_INVALID_SELECTORS, wsman.MSG_INVALID_SELECTORS)

    def _enumerate(self, req: wsman.Request, account: SimAccount) -> Reply:
        """The account's shells (resource .../windows/shell), or one shell's commands (.../shell/Command)."""
        uri = req.resource_uri.rstrip("/").lower()
        if uri not in (wsman.SHELL_RESOURCE_URI.lower(), wsman.COMMAND_RESOURCE_URI.lower()):
            return self._fault(req, wsman.FAULT_INVALID_RESOURCE_URI,
                               f"The WS-Management service cannot process the request. The resource URI "
                               f"({req.resource_uri}) was not found in the WS-Management catalog.",
                               subcode="w:DestinationUnreachable")
        commands_of = wsman.enumeration_filter(req.body) if uri == wsman.COMMAND_RESOURCE_URI.lower() else None
        now = time.monotonic()
        with self._lock:
            mine = [s for s in self._shells.values() if s.upn == account.upn]
        entries = [wsman.ShellEntry(s.shell_id, EXCHANGE_RESOURCE_URI, s.upn, s.client_ip, s.idle_timeout,
                                    now - s.created, now - s.last_activity, tuple(s.commands())) for s in mine]
        return Reply(200, wsman.enumerate_response(req, entries, commands_of))

    def _shell_for(self, req: wsman.Request, account: SimAccount) -> Shell:
        with self._lock:
            shell = self._shells.get(req.shell_id or "")
        if shell is None or shell.upn != account.upn:
            raise ShellGone(req.shell_id or "")
        return shell

    def _dispatch(self, req: wsman.Request, shell: Shell) -> Reply:
        if req.action == "Receive":
            command_id = wsman.receive_target(req.body)
            budget = req.max_envelope_size - wsman.receive_overhead(command_id)
            timeout = min(req.operation_timeout, MAX_LONG_POLL_S)
            try:
                data, done = shell.receive(command_id, timeout, budget)
            except NothingYet:
                return self._fault(req, wsman.FAULT_OPERATION_TIMEOUT, wsman.MSG_OPERATION_TIMEOUT,
                                   subcode="w:TimedOut")
            reply = Reply(200, wsman.receive_response(req, command_id, data, done))
            shell.resume()
            return reply
        if req.action == "Command":
            command_id, fragment = wsman.command_line(req.body)
            cid = shell.command(command_id, fragment)
            return Reply(200, wsman.command_response(req, cid))
        if req.action == "Send":
            for _cid, data in wsman.send_streams(req.body):
                shell.send(data)
            return Reply(200, wsman.empty_response(req, "Send"))
        if req.action == "Signal":
            command_id, code = wsman.signal_of(req.body)
            shell.signal(command_id, stop=wsman.is_stop_signal(code), terminate=wsman.is_terminate_signal(code))
            return Reply(200, wsman.empty_response(req, "Signal"))
        if req.action == "Delete":
            with self._lock:
                removed = self._shells.pop(shell.shell_id, None)
            shell.close()
            if removed is not None:
                self.stats.add("shells_deleted")
            return Reply(200, wsman.empty_response(req, "Delete"))
        if req.action == "Get":
            return Reply(200, wsman.get_shell_response(req, shell.shell_id, "Connected"))
        if req.action in ("Disconnect", "Reconnect", "Connect"):
            # No disconnected sessions on this endpoint (module docstring); the shell stays as it was.
            return self._fault(req, wsman.FAULT_ACTION_NOT_SUPPORTED, wsman.MSG_ACTION_NOT_SUPPORTED,
                               subcode="w:ActionNotSupported")
        return self._fault(req, wsman.FAULT_ACTION_NOT_SUPPORTED,
                           f"The WS-Management service does not support the specified action: {req.action}",
                           subcode="w:ActionNotSupported")

    def _fault(self, req: wsman.Request | None, code: int, message: str, *, status: int = 500,
               subcode: str = "w:InternalError") -> Reply:
        body = wsman.fault(req.message_id if req else None, code, message, self.machine, subcode)
        return Reply(status, body, {"Content-Type": "application/soap+xml;charset=UTF-8"})


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# -- HTTP ----------------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True     # headers and body leave in one segment each: no 40 ms delayed-ACK stall
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: SimHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        cpu = time.thread_time()
        url = urlsplit(self.path)
        if url.path == STATS_PATH:
            if not _is_loopback(self.client_address[0]):
                self._send(403, b"stats are served to loopback clients only", {"Content-Type": "text/plain"})
                return
            body = json.dumps(self.server.service.snapshot()).encode()
            self._send(200, body, {"Content-Type": "application/json"})
            return
        if self._entra("GET", url.path, url.query, b"") or self._rest("GET", url.path, url.query, b""):
            self.server.service.stats.add("cpu_seconds", time.thread_time() - cpu)
            return
        if url.path.rstrip("/").lower() in (WSMAN_PATH, REGIONAL_PATH.lower()):
            self._send(405, b"", {"Allow": "POST"})
        else:
            self._send(404, b"Not Found", {"Content-Type": "text/plain"})
        self.server.service.stats.add("cpu_seconds", time.thread_time() - cpu)

    def do_POST(self) -> None:
        cpu = time.thread_time()
        service = self.server.service
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > 64 * 1024 * 1024:
            self._send(400, b"", {})
            return
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        if self._entra("POST", url.path, url.query, body) or self._rest("POST", url.path, url.query, body):
            service.stats.add("cpu_seconds", time.thread_time() - cpu)
            return
        base_url = self._base_url()
        try:
            response = service.handle(url.path, url.query, self.headers, body, self.client_address[0], base_url)
        except Exception:
            # A simulator bug must look like a server fault to the client, not like a dropped connection.
            log.exception("simulator failed to answer %s", url.path)
            response = Reply(500, wsman.fault(None, wsman.FAULT_INTERNAL, "The simulator failed to process "
                                                 "the request (internal error).", service.machine),
                                {"Content-Type": "application/soap+xml;charset=UTF-8"})
        self._deliver(response, b"<s:Envelope><not-soap", "application/soap+xml")
        service.stats.add("cpu_seconds", time.thread_time() - cpu)

    def _deliver(self, reply: Reply, malformed: bytes, malformed_type: str) -> None:
        """Send ``reply`` after the armed latency, with its fault plan applied (``malformed``: the body a
        malformed answer gets instead, of ``malformed_type``)."""
        faults = self.server.service.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        plan = reply.plan
        if plan.drop:
            self.close_connection = True
            self._abort()
        elif plan.drop_mid_response:
            self._send(reply.status, reply.body, reply.headers, cut=True)
        elif plan.malformed:
            self._send(reply.status, malformed, {"Content-Type": malformed_type})
        else:
            self._send(reply.status, reply.body, reply.headers)

    def _base_url(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"{self.server.scheme}://{host}"

    def _entra(self, method: str, path: str, query: str, body: bytes) -> bool:
        """Answer an Entra ID request (True), or leave the request to the WS-Management door (False)."""
        entra = self.server.service.entra
        if entra is None:
            return False
        try:
            reply = entra_web.route(entra, method, path, query, body, self._base_url())
        except Exception:
            log.exception("simulator failed to answer %s", path)
            reply = Reply(500, b'{"error":"server_error"}', {"Content-Type": "application/json"})
        if reply is None:
            return False
        self._send(reply.status, reply.body, reply.headers)
        return True

    def _rest(self, method: str, path: str, query: str, body: bytes) -> bool:
        """Answer a REST (InvokeCommand / EXOModuleFile) request (True), or leave it to the others (False).
        Latency and the armed faults apply as on the WS-Management door."""
        door = self.server.service.rest
        if door is None or not rest.is_rest_path(path):
            return False
        try:
            reply = door.handle(method, path, query, self.headers, body, self._base_url())
        except Exception:
            log.exception("simulator failed to answer %s", path)
            reply = Reply(500, b'{"error":{"code":"InternalServerError","message":"simulator failure"}}',
                                   {"Content-Type": "application/json"})
        self._deliver(reply, b'{"value":[{"Name":', "application/json")
        return True

    def _send(self, status: int, body: bytes, headers: dict[str, str], cut: bool = False) -> None:
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Server: {self.server_version}",
                 f"Date: {self.date_time_string()}", f"Content-Length: {len(body)}"]
        if body and not any(k.lower() == "content-type" for k in headers):
            lines.append("Content-Type: application/soap+xml;charset=UTF-8")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if cut:
                self.wfile.write(head + body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self._abort()
                return
            self.wfile.write(head + body)      # one send: no delayed-ACK stall between headers and body
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _abort(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: Service,
                 ssl_context: ssl.SSLContext | None) -> None:
        self.service = service
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context else "http"
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            # The handshake happens on first read, in the connection's own thread.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def make_ssl_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


def serve_in_thread(server: SimHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 3600}, name="sim-http",
                         daemon=True)
    t.start()
    return t


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


