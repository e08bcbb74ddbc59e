"""Every failure of the session layer as one ``RemotingError``: what happened and what to do.

``from_exception`` maps what pypsrp/requests raise (and what the service says) onto a ``kind`` and a
message naming the account and the tenant. Messages are built from known-safe parts only: fixed text,
the account, tenant and host from the configuration, and the service's own reason (a fault's text),
which is left out whole if it ever held the password (masking substrings would let a short password
show by the pattern of its masks). A library's exception text and class name are never shown: the
session keeps the exception as the cause, and the log records it (redacted).
"""

from __future__ import annotations

import re
import socket
import ssl
import xml.etree.ElementTree as ET

import requests
from pypsrp.exceptions import (
    AuthenticationError,
    InvalidPipelineStateError,
    InvalidPSRPOperation,
    InvalidRunspacePoolStateError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)

from tui.remoting.redirect import RedirectRequested, Throttled

# kinds
AUTH = "auth"                      # 401: wrong password
ACCESS_DENIED = "access_denied"    # no delegated admin rights for the tenant
SESSION_LIMIT = "session_limit"    # the service's 3 sessions per account
ALL_BUSY = "all_busy"              # exohop's own pool: every session of the account is running a command
DNS = "dns"
REFUSED = "refused"
TLS = "tls"
TIMEOUT = "timeout"
CONNECTION_LOST = "connection_lost"  # the server dropped the connection (mid-command or not)
SERVER_FAULT = "server_fault"        # a WS-Management fault or an unreadable answer
THROTTLED = "throttled"              # 503 after our retries
EXPIRED = "expired"                  # the shell no longer exists on the server
REDIRECT = "redirect"                # too many hops, a downgrade to http, no Location
BUSY = "busy"                        # this session already runs a command
CLOSED = "closed"
PROTOCOL = "protocol"
SIGN_IN = "sign_in"                  # OAuth: no usable token; signing in again fixes it (SignInError says why)
SIGN_IN_FAILED = "sign_in_failed"    # OAuth: the sign-in layer failed otherwise (cache, keyring, the service)

EXPIRED_FAULT_CODE = 2150858843   # invalid selectors: the shell is gone
TIMEOUT_FAULT_CODE = 2150858793   # operation timeout: a long poll with nothing yet

SESSION_LIMIT_TEXT = "exceeded the maximum number of connections allowed"
ACCESS_DENIED_TEXT = "access is denied"


class UnreadableAnswer(Exception):
    """A server's PSRP message could not be decoded: its CLIXML is not valid XML (a control character the
    server left unescaped) or not the shape of the message it claims to be. Raised in place of the
    decoder's own exception, whose text is never shown."""


class RemotingError(Exception):
    """``message`` says what happened and what to do; ``kind`` is one of the constants above."""

    def __init__(self, message: str, kind: str, *, account: str | None = None,
                 tenant: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.account = account
        self.tenant = tenant

    def __str__(self) -> str:
        return self.message


def scrub(text: str, secret: str | None) -> str:
    """``text`` when it does not hold ``secret``, else "" (an untrusted part is dropped whole, never masked)."""
    return "" if secret and secret in text else text


def wait_text(seconds: float) -> str:
    """``3600`` → "1 hour", ``90`` → "2 minutes", ``20`` → "20 seconds" (how long the service asked for)."""
    s = max(1, round(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if s >= size * (1.5 if unit == "minute" else 1):
            n = round(s / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{s} second{'s' if s != 1 else ''}"


def _who(account: str | None, tenant: str | None) -> str:
    if account and tenant:
        return f"{tenant} (as {account})"
    return tenant or account or "the service"


def _reason_of(exc: BaseException) -> str:
    """Text to classify ``exc`` by (never shown: for a library's exception it is the library's text)."""
    if isinstance(exc, WSManFaultError):
        return str(exc.reason or exc.provider_fault or "").strip()
    if isinstance(exc, WinRMTransportError):
        return _fault_reason_from_text(str(exc.response_text or "")) or ""
    return str(exc)


def _fault_reason_from_text(text: str) -> str | None:
    """The human text of a SOAP fault body, when the body is one."""
    if not text or "<" not in text:
        return text.strip()[:300] if text else None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    parts = [t.strip() for el in root.iter() if el.tag.endswith(("Text", "Message")) and (t := el.text or "")]
    return " ".join(p for p in parts if p)[:500] or None


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes, contexts and exceptions carried in args (pypsrp and msal nest them there)."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
        if cur is None and seen[-1].args:
            nested = [a for a in seen[-1].args if isinstance(a, BaseException)]
            cur = nested[0] if nested else None
    return seen


def from_exception(exc: BaseException, *, account: str | None, tenant: str | None, host: str | None = None,
                   during: str = "connect", password: str | None = None) -> RemotingError:
    """Map an exception from pypsrp/requests onto a RemotingError for ``account`` in ``tenant``."""
    if isinstance(exc, RemotingError):
        return exc
    who = _who(account, tenant)
    where = host or "the server"
    login = f"exohop login {account}" if account else "exohop login UPN"

    def make(message: str, kind: str) -> RemotingError:
        return RemotingError(message, kind, account=account, tenant=tenant)

    if isinstance(exc, RedirectRequested):   # only the Create may be redirected; later requests may not
        return make(f"{where} redirected a request of the open session to {who} ({exc.location or 'nowhere'}). "
                    "Reconnect to the tenant.", REDIRECT)
    text = _reason_of(exc)
    low = text.lower()
    # The service's own words (a WS-Management fault, a SOAP fault body): the only text from outside exohop
    # a message may hold; a library's exception text is never shown.
    reason = scrub(text, password) if isinstance(exc, WSManFaultError | WinRMTransportError) else ""
    if SESSION_LIMIT_TEXT in low:
        return make(f"Cannot open a session to {who}: the service allows 3 sessions per account and {account} "
                    f"already has them{_quoted(reason)}. Close a session (or wait about 15 minutes for "
                    "abandoned ones to expire), then try again.", SESSION_LIMIT)
    if isinstance(exc, AuthenticationError) or (isinstance(exc, WinRMTransportError) and exc.code == 401):
        return make(f"The password of {account} was refused by {where} (HTTP 401) while connecting to {tenant}. "
                    f"Store the right one with `{login}`.", AUTH)
    if (isinstance(exc, WinRMTransportError) and exc.code == 403) or ACCESS_DENIED_TEXT in low:
        return make(f"Access is denied to {tenant} for {account}: the account has no delegated admin rights "
                    "for that tenant. Check the customer's admin relationship (GDAP) in Partner Center, "
                    "or pick the account that manages this customer.", ACCESS_DENIED)
    if isinstance(exc, Throttled):
        wait = wait_text(exc.retry_after_s)
        return make(f"{where} is throttling requests for {who} (HTTP {exc.status}) and asked exohop to wait {wait}. "
                    f"Run the command again in {wait}.", THROTTLED)
    if isinstance(exc, WinRMTransportError) and exc.code in (429, 503):
        return make(f"{where} is throttling requests for {who} (HTTP {exc.code}) and kept doing so after "
                    "exohop waited and retried. Wait a minute and run the command again.", THROTTLED)
    if isinstance(exc, WSManFaultError) and exc.code == EXPIRED_FAULT_CODE:
        return make(f"The session to {who} has expired on the server. exohop reconnects on the next command.",
                    EXPIRED)
    chain = exception_chain(exc)
    if any(isinstance(e, OSError) and "tls ca certificate bundle" in str(e).lower() for e in chain):
        # requests' own check of the account's ca_file (tui.config checks first; this is the fallback).
        return make(f"The CA file configured for {account} is missing, so {where} cannot be verified for {who}. "
                    "Fix ca_file in config.toml (or remove it to use the system's CAs).", TLS)
    if any(isinstance(e, requests.exceptions.SSLError | ssl.SSLError) for e in chain):
        return make(f"Cannot verify the TLS certificate of {where} for {who}: {_short(chain)}. Check the "
                    "account's ca_file in config.toml, or the proxy that intercepts TLS (set REQUESTS_CA_BUNDLE "
                    "to its CA).", TLS)
    if any(isinstance(e, requests.exceptions.Timeout | socket.timeout | TimeoutError) for e in chain):
        return make(f"{where} did not answer in time while {_doing(during)} for {who}. Check the network "
                    "(or the proxy) and try again.", TIMEOUT)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
            s in text for s in ("name or service not known", "nodename nor servname", "failed to resolve",
                                "name resolution", "getaddrinfo failed", "temporary failure in name")):
        return make(f"Cannot find {where} (DNS lookup failed) for {who}. Check the account's endpoint in "
                    "config.toml and your network or VPN.", DNS)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text:
        return make(f"{where} refused the connection for {who}. Check the endpoint (and port) in config.toml, "
                    "or whether the service is up.", REFUSED)
    if any(isinstance(e, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
                      | ConnectionError) for e in chain):
        return make(f"The connection to {where} was lost while {_doing(during)} for {who}. "
                    "Run the command again; exohop reconnects if the session is gone.",
                    CONNECTION_LOST)
    if isinstance(exc, UnreadableAnswer):
        return make(f"{where} sent a message exohop could not decode while {_doing(during)} for {who}: it is "
                    "not valid CLIXML (for example a control character the server did not escape as _xHHHH_). "
                    "What arrived before it is shown; run the command again, and if it persists report it to "
                    "the service.", SERVER_FAULT)
    if isinstance(exc, ET.ParseError) or "not well-formed" in text or "syntax error" in text:
        return make(f"{where} sent an answer exohop could not read while {_doing(during)} for {who}. "
                    "Run it again; if it persists the service is having trouble.", SERVER_FAULT)
    if isinstance(exc, WSManFaultError):
        return make(f"The server reported a fault while {_doing(during)} for {who}: {reason or exc.code}. "
                    "Run it again; if it persists, reconnect.", SERVER_FAULT)
    if isinstance(exc, WinRMTransportError):
        detail = reason or f"HTTP {exc.code}"
        return make(f"{where} answered HTTP {exc.code} while {_doing(during)} for {who}: {detail}. "
                    "Run it again; if it persists, reconnect.", SERVER_FAULT)
    if isinstance(exc, InvalidRunspacePoolStateError | InvalidPipelineStateError | InvalidPSRPOperation):
        return make(f"The session to {who} broke while {_doing(during)}. Reconnect and try again.", SERVER_FAULT)
    if isinstance(exc, WinRMError):
        return make(f"Remote PowerShell failed while {_doing(during)} for {who}{f': {reason}' if reason else ''}.",
                    PROTOCOL)
    return make(f"Unexpected failure while {_doing(during)} for {who} (the details are in exohop.log). "
                "Run it again; if it persists, reconnect.", PROTOCOL)


def _quoted(reason: str) -> str:
    return f' ("{reason}")' if reason else ""


def _doing(during: str) -> str:
    return {"connect": "connecting", "command": "running the command", "import": "importing the commands",
            "close": "closing the session"}.get(during, during)


_VERIFY_REASON = re.compile(r"certificate verify failed(: [a-zA-Z ,'-]{1,80})?")


def _short(chain: list[BaseException]) -> str:
    """OpenSSL's verify reason (a fixed vocabulary: "self-signed certificate …"), else fixed text."""
    for e in reversed(chain):
        found = _VERIFY_REASON.search(str(e))
        if found:
            return found.group(0)
    return "the TLS handshake failed"
