"""The REST wire client: Exchange Online's ``InvokeCommand`` (what ExchangeOnlineManagement v3 speaks) over
one pooled keep-alive HTTPS session per tenant (research/exo-modern.md §1).

    client = RestClient("https://outlook.office365.com", provider, tenant_id, account=upn,
                        anchor=anchor_for(provider.token_for(tenant_id), home_tenant_id))
    for page in client.invoke("Get-Mailbox", {"ResultSize": "Unlimited"}, cancel=stop):
        ...   # page.records, page.warnings, page.errors

What it does for the caller:

- every request carries a token fresh from the ``TokenSource`` (it caches and refreshes before expiry)
  and the headers real clients send (§1.3, §1.4); each token is registered with the log redactor;
- pages (§1.6): one ``Page`` per HTTP page as it arrives, following ``@odata.nextLink`` (or the legacy
  ``odata.nextLink``) by re-POSTing the identical body; nothing is fetched ahead, so a consumer that stops
  iterating stops the paging;
- a 401 gets one forced token refresh and one retry (§2.6: the module treats 401 as retryable);
- 429 (``Retry-After``), 503, 504, the per-tenant concurrency refusal and the service's transient
  exceptions get bounded retries with exponential backoff (§1.9), each wait reported through ``on_wait``
  and counted in ``retries``; a wait longer than ``max_wait_s`` is not slept but reported;
- the regional 302/307/308 of the first contact (§1.2) is followed here, method, body and Authorization
  re-sent, only over https to a host of the same cloud, at most 5 hops; the new base is kept;
- every blocking call runs through ``tui.remoting.abandon``, so ``cancel`` (Ctrl+C) walks away from a
  request in flight within ~50 ms, and waits between retries end as soon as ``cancel`` is set.

Errors: a command the service refused raises ``RestCommandError`` (its ``event`` is the terminating
``ErrorEvent``, worded as the PSRP path words it: tui/remoting/rest/errors.py); the transport, the sign-in
and anything unreadable raise ``RemotingError``. No message holds a token or a library's exception text.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests

from tui import logs
from tui.remoting import abandon
from tui.remoting.auth.claims import AccessToken
from tui.remoting.auth.http import PinnedSession
from tui.remoting.auth.provider import TokenSource
from tui.remoting.errors import (
    CLOSED,
    PROTOCOL,
    REDIRECT,
    SIGN_IN,
    THROTTLED,
    RemotingError,
    from_exception,
    wait_text,
)
from tui.remoting.events import ErrorEvent
from tui.remoting.redirect import REDIRECT_CODES
from tui.remoting.rest import errors as rest_errors
from tui.remoting.rest.decode import decode_records
from tui.remoting.rest.errors import RestCommandError
from tui.remoting.rest.params import split_common
from tui.remoting.retry_after import retry_delay
from tui.shell.records import Record

__all__ = ["Page", "RestCancelled", "RestClient", "RestCommandError", "anchor_for", "normalise_location",
           "refuse_location", "service_suffix"]

log = logging.getLogger(__name__)

SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"    # §1.4, CIPP's default anchor
API_VERSION = "beta"                 # InvokeCommand lives under beta (v1.0 also answers, §1.1)
MODULE_VERSION = "3.9.2"
DEFAULT_PAGE_SIZE = 1000             # the module's page size (§1.3)
DEFAULT_TIMEOUT = (15.0, 960.0)      # read: the module's DefaultHTTPTimeout, a minute over the server's (§1.9)
BACKOFF_S = 2.0                      # the module's 2000 ms × 2^n (§1.9)
MAX_WAIT_S = 60.0
MAX_HOPS = 5
CONCURRENCY_TEXT = "maximum number of concurrent requests per tenant"     # ExoHelper's match (§1.9)
# Exception classes the service answers for a moment of trouble: M365Permissions retries the first four
# on a 400, the module the rest (§1.8, §1.9).
TRANSIENT_CLASSES = frozenset({"CmdletProxyNotAvailableFailure", "ServerBusyException", "TransientException",
                               "BackendCommunicationException", "DCOverloadedException",
                               "SuitabilityDirectoryException", "ServerInMMException",
                               "ADServerSettingsChangedException", "StorageTransientException"})
# The clouds' InvokeCommand hosts (§1.1): a redirect may go to one of them or a subdomain of it.
SERVICE_HOSTS = ("outlook.office365.com", "outlook.office365.us", "outlook-dod.office365.us",
                 "outlook.office365.cn")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class Page:
    """One HTTP page of a command's results."""

    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)      # non-terminating (@adminapi.errors)


class RestCancelled(Exception):
    """``cancel`` was set while ``module_cmdlets`` waited (``invoke`` just stops yielding)."""


def anchor_for(token: AccessToken, home_tenant_id: str | None) -> str:
    """The ``X-AnchorMailbox`` for ``token`` (§1.4): the user's own mailbox in their own tenant, else
    (a partner user in a customer, or an app) the tenant's system mailbox."""
    if token.upn and home_tenant_id and token.tenant_id.lower() == home_tenant_id.lower():
        return f"UPN:{token.upn}"
    return f"APP:{SYSTEM_MAILBOX}@{token.tenant_id}"


def service_suffix(host: str) -> str:
    """The host a redirect from ``host`` may go to (it or a subdomain of it): the cloud's service host
    when ``host`` is one or a regional subdomain of one, else ``host`` itself."""
    host = host.lower().rstrip(".")
    for known in SERVICE_HOSTS:
        if host == known or host.endswith("." + known):
            return known
    return host


def refuse_location(root_host: str, current: str, target: str) -> str | None:
    """Why a redirect (or nextLink) from ``current`` to ``target`` must not be followed with the token,
    or None. Allowed: https to the cloud's host or a subdomain of it (an IP address: itself only); http
    only from http on the very same loopback host and port (a test server)."""
    here, there = urlsplit(current), urlsplit(target)
    host = (there.hostname or "").lower()
    if not host:
        return "to an address without a host"
    if there.username or there.password:
        return "to an address with credentials in it"
    if there.scheme != "https":
        same = there.scheme == "http" and here.scheme == "http" and host == (here.hostname or "").lower() \
            and there.port == here.port and host in _LOOPBACK
        if not same:
            return f"to an unencrypted address ({there.scheme}://{host})"
    suffix = service_suffix(root_host)
    if host == suffix:
        return None
    if _is_ip(suffix) or not host.endswith("." + suffix):
        return f"to {host}, which is not a host of the Exchange Online service exohop connects to ({suffix})"
    return None


def normalise_location(current: str, target: str) -> str:
    """A regional host's :446 becomes the default port (ScubaGear and an unattributed Go client rewrite
    the redirect's :446 to 443, §1.2); a same-host redirect keeps its port."""
    here, there = urlsplit(current), urlsplit(target)
    if there.port == 446 and (there.hostname or "").lower() != (here.hostname or "").lower():
        host = there.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        return urlunsplit((there.scheme, netloc, there.path, there.query, there.fragment))
    return target


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _seconds(delay: float) -> str:
    return f"{delay:.0f}" if delay >= 1 else f"{delay:.1f}"


class RestClient:
    """One tenant's InvokeCommand client. Thread-safe for sequential use by one command at a time (the
    session layer's rule); ``retries`` and ``redirects`` count over the client's life."""

    def __init__(self, base_url: str, tokens: TokenSource, tenant: str, *, account: str | None, anchor: str,
                 ca_file: str | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 max_retries: int = 4, on_wait: Callable[[str], None] | None = None,
                 backoff_s: float = BACKOFF_S, max_wait_s: float = MAX_WAIT_S,
                 tenant_name: str | None = None) -> None:
        """``tenant``: the customer's tenant id (what the module puts in the URL, §1.1; a domain works too);
        ``tenant_name``: how messages name it (default ``tenant``); ``anchor``: see ``anchor_for``."""
        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or not host:
            raise ValueError(f"the REST base {base_url!r} is not an https:// address")
        if parts.scheme == "http" and host not in _LOOPBACK:
            raise ValueError(f"the REST base {base_url!r} is not encrypted: tokens are only sent over https")
        self.base_url = base_url.strip().rstrip("/")
        self.tokens = tokens
        self.tenant = tenant.strip()
        self.tenant_name = tenant_name or self.tenant
        self.account = account
        self.anchor = anchor
        self.timeout = timeout
        self.max_retries = max_retries
        self.on_wait = on_wait
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.host = parts.netloc
        self.connection_id = str(uuid.uuid4())          # one per connection (§1.3)
        self.session = PinnedSession(ca_file)           # keeps verify=ca_file over REQUESTS_CA_BUNDLE
        self.retries = 0
        self.redirects = 0
        self._root_host = host
        self._lock = threading.Lock()
        self._sent: deque[str] = deque(maxlen=8)      # recent tokens: scrubbed from any text shown
        self._closed = False

    # -- public --------------------------------------------------------------------------------------------

    def invoke(self, cmdlet: str, parameters: dict[str, Any], *, select: Sequence[str] | None = None,
               cancel: threading.Event | None = None, page_size: int = DEFAULT_PAGE_SIZE
               ) -> Generator[Page, None, None]:
        """Run ``cmdlet`` with ``parameters`` (already JSON-ready: ``params.encode_parameters``) and yield
        its pages. Returns early, quietly, once ``cancel`` is set (the caller knows it asked)."""
        params, common = split_common(parameters)
        envelope = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": params}}     # §1.5
        try:
            body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"The parameters of {cmdlet} cannot be written as JSON; encode them with "
                             "tui.remoting.rest.params.encode_parameters first.") from exc
        headers = {"Prefer": f"odata.maxpagesize={max(1, int(page_size))}", "X-CmdletName": cmdlet, **common}
        url: str | None = self._url("InvokeCommand", select=select)
        first = True
        seen: set[str] = set()
        while url is not None:
            if cancel is not None and cancel.is_set():
                return
            if url in seen:   # a server that hands back a link it already gave would page forever
                raise RemotingError(f"{self._who()}: the service returned the same next page twice while listing "
                                    f"{cmdlet}; the results so far are shown. Run the command again.",
                                    PROTOCOL, account=self.account, tenant=self.tenant_name)
            seen.add(url)
            response = self._exchange("POST", url, body, headers, cmdlet, cancel, rebase=first)
            if response is None:
                return
            page, next_link = self._page(response, cmdlet)
            current = response.url or url
            yield page
            first = False
            url = self._next_url(current, next_link, cmdlet) if next_link else None

    def module_cmdlets(self, version: str = MODULE_VERSION, *, cancel: threading.Event | None = None) -> list[str]:
        """The cmdlets this account's roles allow in the tenant: ``EXOModuleFile``'s ``exportedCmdlets``
        (§1.10), in the service's order."""
        url = self._url("EXOModuleFile", api_version="v1.0") + f"?Version={quote(version, safe='')}"
        response = self._exchange("GET", url, None, {"CommandName": "*"}, "EXOModuleFile", cancel, rebase=True)
        if response is None:
            raise RestCancelled("EXOModuleFile")
        doc = self._json(response, "EXOModuleFile")
        values = doc.get("value") if isinstance(doc, dict) else None
        if not isinstance(values, list):
            raise rest_errors.unreadable(response.status_code, self.host, "EXOModuleFile", self.tenant_name,
                                         self.account)
        names: list[str] = []
        for item in values:
            if isinstance(item, dict):
                names += [n.strip() for n in str(item.get("exportedCmdlets") or "").split(",") if n.strip()]
        return list(dict.fromkeys(names))

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.session.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- one request, with its redirects, refresh and retries ----------------------------------------------

    def _exchange(self, method: str, url: str, body: bytes | None, extra: dict[str, str], cmdlet: str,
                  cancel: threading.Event | None, *, rebase: bool) -> requests.Response | None:
        """The final response (2xx) of ``method url``, None when cancelled; raises for everything else."""
        refreshed: AccessToken | None = None
        waits = hops = 0
        while True:
            if self._closed:
                raise RemotingError(f"The REST connection to {self._who()} is closed.", CLOSED,
                                    account=self.account, tenant=self.tenant_name)
            token = refreshed or self._token(cancel, force=False)
            if token is None:
                return None
            response = self._send(method, url, body, self._headers(token, extra), cmdlet, cancel)
            if response is None:
                return None
            status = response.status_code
            if status in REDIRECT_CODES:
                hops += 1
                target = self._redirect_target(url, response, hops)
                if rebase:
                    self._rebase(url, target)
                url = target
                continue
            if status == 401:
                if refreshed is not None:
                    raise self._unauthorized(response)
                refreshed = self._token(cancel, force=True)     # one forced refresh, one retry
                if refreshed is None:
                    return None
                continue
            if 200 <= status < 300:
                return response
            err = rest_errors.parse_error_body(response.content, response.headers, tuple(self._sent))
            retry = self._retry_reason(response, err)
            if retry is not None:
                waits += 1
                if waits > self.max_retries:
                    raise self._exhausted(response, retry, waits - 1)
                delay = self._delay(response, waits)
                with self._lock:
                    self.retries += 1
                if self.on_wait is not None:
                    self.on_wait(f"{retry}, retrying in {_seconds(delay)} s")
                log.info("%s %s for %s: %s; waiting %.1f s (retry %d of %d)", cmdlet, status, self.tenant_name,
                         retry, delay, waits, self.max_retries)
                if (cancel or threading.Event()).wait(delay):
                    return None
                continue
            raise self._failure(response, cmdlet, err)

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str], cmdlet: str,
              cancel: threading.Event | None) -> requests.Response | None:
        """One HTTP exchange in a thread the caller can walk away from (``abandon``); None if cancelled."""
        walked_away = threading.Event()

        def exchange() -> requests.Response:
            response = self.session.request(method, url, data=body, headers=headers, timeout=self.timeout,
                                            allow_redirects=False, stream=True)
            try:
                _ = response.content
            except requests.exceptions.ContentDecodingError:
                # §1.8: a live test saw an (empty) error body declared gzip that was not gzip.
                response._content = b""
            finally:
                response.close()          # the body is read: the connection goes back to the pool
            if walked_away.is_set():
                log.debug("%s %s answered %s after it was abandoned", method, cmdlet, response.status_code)
            return response

        started = time.monotonic()
        try:
            response = abandon.call(exchange, what=f"rest-{cmdlet}",
                                    give_up=cancel.is_set if cancel is not None else abandon.never)
        except abandon.Abandoned:
            walked_away.set()
            log.info("%s %s for %s abandoned after %.1f s (cancelled)", method, cmdlet, self.tenant_name,
                     time.monotonic() - started)
            return None
        except RemotingError:
            raise
        except Exception as exc:
            walked_away.set()
            log.debug("%s %s for %s failed: %s", method, cmdlet, self.tenant_name, type(exc).__name__, exc_info=exc)
            raise from_exception(exc, account=self.account, tenant=self.tenant_name, host=self.host,
                                 during="command") from exc
        except BaseException:            # KeyboardInterrupt in the waiting thread: abandon gave up for us
            walked_away.set()
            raise
        log.debug("%s %s %s → %s in %.0f ms (client-request-id %s)", method, cmdlet, url.split("?", 1)[0],
                  response.status_code, (time.monotonic() - started) * 1000, headers.get("client-request-id"))
        return response

    def _token(self, cancel: threading.Event | None, *, force: bool) -> AccessToken | None:
        """A token for the tenant (forced fresh after a 401), registered with the log redactor."""
        def fetch() -> AccessToken:
            if force:
                refresh = getattr(self.tokens, "refresh_after_unauthorized", None)
                if callable(refresh):
                    token: AccessToken = refresh(self.tenant)
                    return token
                return self.tokens.token_for(self.tenant, force_refresh=True)
            return self.tokens.token_for(self.tenant)

        try:
            token = abandon.call(fetch, what="rest-token",
                                 give_up=cancel.is_set if cancel is not None else abandon.never)
        except abandon.Abandoned:
            return None
        except RemotingError:
            raise                        # SignInError says who, where and what to do
        except Exception as exc:
            # Not a SignInError (those pass through above): a bug, whose traceback the log keeps.
            log.error("the token source failed for %s", self.tenant_name, exc_info=exc)
            raise RemotingError(f"exohop could not get a token for {self._who()}. Sign in again: "
                                f"`exohop login {self.account or 'UPN'}`.", SIGN_IN, account=self.account,
                                tenant=self.tenant_name) from exc
        if token.token not in self._sent:
            logs.register_secret(token.token, user=token.upn)
            self._sent.append(token.token)
        return token

    def _headers(self, token: AccessToken, extra: dict[str, str]) -> dict[str, str]:
        # §1.3: what real clients send; §1.4: the anchor routes the request to the tenant's mailbox server.
        return {"Authorization": token.authorization, "Content-Type": "application/json",
                "Accept": "application/json", "X-AnchorMailbox": self.anchor,
                "X-ResponseFormat": "json", "client-request-id": str(uuid.uuid4()),
                "connection-id": self.connection_id, **extra}

    # -- URLs and redirects --------------------------------------------------------------------------------

    def _url(self, op: str, *, api_version: str = API_VERSION, select: Sequence[str] | None = None) -> str:
        with self._lock:
            base = self.base_url
        url = f"{base}/adminapi/{api_version}/{quote(self.tenant, safe='')}/{op}"
        names = [s.strip() for s in select or () if s and s.strip()]
        if names:
            url += "?$select=" + ",".join(quote(n, safe="") for n in names)      # §1.5 property selection
        return url

    def _redirect_target(self, url: str, response: requests.Response, hops: int) -> str:
        location = response.headers.get("Location")
        if hops > MAX_HOPS:
            raise RemotingError(f"{self.host} redirected the request for {self._who()} more than {MAX_HOPS} times; "
                                "exohop stopped following it. Try again in a minute; if it persists, check the "
                                "account's endpoint in config.toml.", REDIRECT, account=self.account,
                                tenant=self.tenant_name)
        if not location:
            raise RemotingError(f"{self.host} answered a redirect without a Location for {self._who()}. Try again; "
                                "if it persists the service is having trouble.", REDIRECT, account=self.account,
                                tenant=self.tenant_name)
        target = urljoin(url, location)
        why = refuse_location(self._root_host, url, target)
        if why is not None:
            raise RemotingError(f"{self.host} redirected the request for {self._who()} {why}; exohop refused to "
                                "send the account's token there. Check the account's endpoint in config.toml "
                                "(or the proxy in between).", REDIRECT, account=self.account, tenant=self.tenant_name)
        with self._lock:
            self.redirects += 1
        log.info("%s redirected %s to %s", self.host, self.tenant_name, target.split("?", 1)[0])
        return normalise_location(url, target)

    def _rebase(self, url: str, target: str) -> None:
        """After the first contact's redirect, later requests go to the regional base straight away."""
        parts = urlsplit(target)
        cut = parts.path.lower().find("/adminapi/")
        with self._lock:
            if cut < 0 or not url.startswith(self.base_url + "/"):
                return
            self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path[:cut], "", "")).rstrip("/")

    def _next_url(self, current: str, link: Any, cmdlet: str) -> str:
        target = urljoin(current, str(link))
        why = refuse_location(self._root_host, current, target)
        if why is not None:
            raise RemotingError(f"{self.host} sent the next page of {cmdlet} for {self._who()} {why}; exohop refused "
                                "to send the account's token there.", REDIRECT, account=self.account,
                                tenant=self.tenant_name)
        return target

    # -- answers -------------------------------------------------------------------------------------------

    def _json(self, response: requests.Response, cmdlet: str) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise rest_errors.unreadable(0, self.host, cmdlet, self.tenant_name, self.account) from None

    def _page(self, response: requests.Response, cmdlet: str) -> tuple[Page, Any]:
        doc = self._json(response, cmdlet)
        if not isinstance(doc, dict):
            raise rest_errors.unreadable(0, self.host, cmdlet, self.tenant_name, self.account)
        value = doc.get("value")
        if value is not None and not isinstance(value, list):
            value = [value]
        secrets = tuple(self._sent)
        warnings = [rest_errors.clean(str(w), secrets) for w in doc.get("@adminapi.warnings") or () if w]
        confirmation = doc.get("@adminapi.confirmationmessage")     # §1.6: WhatIf output, shown as a warning
        if isinstance(confirmation, str) and confirmation.strip():
            warnings.append(rest_errors.clean(confirmation, secrets))
        errors = rest_errors.non_terminating(doc.get("@adminapi.errors"), cmdlet, secrets)
        next_link = doc.get("@odata.nextLink") or doc.get("odata.nextLink")       # §1.6, legacy without @
        return Page(decode_records(value), warnings, errors), next_link

    def _retry_reason(self, response: requests.Response, err: rest_errors.ServiceError | None) -> str | None:
        """What to tell the user while waiting, when the answer (its error ``err``) is worth a retry; else None."""
        status = response.status_code
        if status == 429:
            return "throttled by Exchange Online"
        if status in (503, 504):
            return f"Exchange Online is unavailable (HTTP {status})"
        if status < 400:
            return None
        text = response.content[:4096].decode("utf-8", "replace")
        if CONCURRENCY_TEXT in text.lower():
            return "throttled by Exchange Online"
        if err is not None and rest_errors.short_class(err.exception_type) in TRANSIENT_CLASSES:
            return f"Exchange Online is busy ({rest_errors.short_class(err.exception_type)})"
        return None

    def _delay(self, response: requests.Response, attempt: int) -> float:
        delay, too_long = retry_delay(response.headers.get("Retry-After"), attempt, self.backoff_s, self.max_wait_s)
        if too_long:
            wait = wait_text(delay)
            raise RemotingError(f"Exchange Online is throttling requests for {self._who()} (HTTP "
                                f"{response.status_code}) and asked exohop to wait {wait}. Run the command "
                                f"again in {wait}.", THROTTLED, account=self.account, tenant=self.tenant_name)
        return delay

    def _exhausted(self, response: requests.Response, reason: str, tries: int) -> RemotingError:
        what = "throttling" if "throttled" in reason else "refusing"
        return RemotingError(f"Exchange Online kept {what} requests for {self._who()} (HTTP "
                             f"{response.status_code}) after exohop waited and retried {tries} "
                             f"time{'s' if tries != 1 else ''}. Wait a minute and run the command again.",
                             THROTTLED, account=self.account, tenant=self.tenant_name)

    def _unauthorized(self, response: requests.Response) -> RemotingError:
        err = rest_errors.parse_error_body(response.content, response.headers, tuple(self._sent))
        said = f" (Exchange Online said: \"{err.message}\")" if err is not None else ""
        return RemotingError(f"Exchange Online at {self.host} refused the token of {self.account or 'the account'} "
                             f"for {self.tenant_name} (HTTP 401) even after exohop fetched a new one{said}. Sign in "
                             f"again: `exohop login {self.account or 'UPN'}`; if it persists, check that the "
                             "account has an admin relationship with this tenant.", SIGN_IN,
                             account=self.account, tenant=self.tenant_name)

    def _failure(self, response: requests.Response, cmdlet: str, err: rest_errors.ServiceError | None) -> Exception:
        status = response.status_code
        if status == 403:
            if err is None:
                if not response.content.strip(b"\0 \t\r\n"):
                    return rest_errors.unknown_cmdlet(cmdlet, self.tenant_name)     # §1.8: empty 403
                return rest_errors.unreadable(status, self.host, cmdlet, self.tenant_name, self.account)
            if rest_errors.is_organization_refusal(err):
                return rest_errors.organization_refusal(err, self.tenant_name, self.account)
            return rest_errors.role_refusal(err, cmdlet, self.tenant_name, self.account)
        if err is None:
            return rest_errors.unreadable(status, self.host, cmdlet, self.tenant_name, self.account)
        if err.code == "ErrorIncorrectRoutingHint":
            return RemotingError(f"Exchange Online refused the routing hint exohop sent for {self._who()} "
                                 f"(X-AnchorMailbox {self.anchor}): \"{err.message}\". Reconnect to the tenant; if "
                                 "it persists, report it.", PROTOCOL, account=self.account, tenant=self.tenant_name)
        return RestCommandError(rest_errors.event_for(err, cmdlet), status)

    def _who(self) -> str:
        return f"{self.tenant_name} (as {self.account})" if self.account else self.tenant_name
