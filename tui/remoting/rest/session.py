"""``RestSession``: one customer tenant over Exchange Online's REST ``InvokeCommand``, as
ExchangeOnlineManagement v3 reaches it (research/exo-modern.md §1).

open():  a token for the tenant (silent, from the sign-in cache: its ``tid`` is the tenant's id); the
         catalog at once — the cached command list of this caller, else the shipped catalog as it is
         (provisional) — and, in the background, the commands this caller's roles allow (EXOModuleFile).
run():   (SessionCore) the remote prefix as REST requests: the first cmdlet paged (records stream page
         by page), each further cmdlet fed object by object (``rest.pipeline``), within the tenant's
         concurrency limit, in order. A local suffix starting with ``Select-Object`` of plain property
         names becomes ``$select``, so less crosses the wire; ``-First N`` stops the paging.
stop():  cancels the request in flight (walked away from) and the paging; the session stays usable.
close(): nothing to release on the server: the HTTP connections are closed.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.catalog import Catalog, CmdletInfo
from tui.config import Account
from tui.remoting import abandon
from tui.remoting import errors as E
from tui.remoting.auth import errors as A
from tui.remoting.auth.account import rest_base_of
from tui.remoting.auth.errors import SignInError
from tui.remoting.auth.provider import TokenSource
from tui.remoting.errors import RemotingError, from_exception
from tui.remoting.events import ErrorEvent, Event, ImportProgress, WarningEvent
from tui.remoting.output import Counts
from tui.remoting.rest.client import Page, RestCancelled, RestClient, RestCommandError, anchor_for
from tui.remoting.rest.params import encode_parameters
from tui.remoting.rest.pipeline import Unbindable, bind_from_pipeline
from tui.remoting.session_core import SessionCore
from tui.remoting.shipped_catalog import catalog_for, shipped_catalog, shipped_cmdlet
from tui.remoting.transcript import Transcript
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.tenants import Tenant

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 2          # setting rest_concurrency_per_tenant
CONNECT_TIMEOUT_S = 15.0
# The module waits 960 s ("one minute more than the server's timeout", research §1.9); a page that takes
# that long is a hung server to an engineer at a console: Ctrl+C walks away sooner in any case.
READ_TIMEOUT_S = 300.0
CACHE_PREFIX = "rest:"           # REST and PSRP catalogs of one account and tenant are different things


class NotAllowed(Exception):
    """A cmdlet this caller's roles do not allow in the tenant (from the list fetched this session): the
    line is refused before anything is sent, as an unknown command is (``message`` and ``column``)."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class RestSession(SessionCore):
    """A customer tenant as ``account`` over REST; ``tokens`` gives its bearer tokens (never shown)."""

    transport_name = "rest"

    def __init__(self, account: Account, tenant: Tenant, tokens: TokenSource, *, cache_dir: Path | None = None,
                 transcript: Transcript | None = None, save_cache: bool = True, refresh_in_background: bool = True,
                 concurrency: int = DEFAULT_CONCURRENCY, page_size: int = 1000,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S) -> None:
        super().__init__(account, tenant, cache_dir=cache_dir, transcript=transcript, save_cache=save_cache,
                         refresh_in_background=refresh_in_background)
        self.tokens = tokens
        self.concurrency = max(1, concurrency)
        self.page_size = page_size
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self.base_url = rest_base_of(account)
        self.tenant_id: str | None = tenant.tenant_id or None
        self.catalog_is_provisional = False   # the shipped catalog until this caller's command list arrives
        self._client: RestClient | None = None
        self._abandon = threading.Event()
        self._select: list[str] | None = None
        self._commands_fetched = False       # the allowed list came from the service in this session
        # Every request of this session (pages, fed cmdlets, the command list) takes a slot: the tenant's
        # limit of requests in flight (rest_concurrency_per_tenant).
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._run_thread: threading.Thread | None = None
        self._waits_lock = threading.Lock()
        self._late_waits: list[str] = []     # waits told by fed workers, shown by the command's own thread
        self._quiet = threading.local()      # set on the background thread: its waits are only logged
        self._cancels: set[threading.Event] = set()

    # -- state ----------------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._client is not None and not self._closed

    @property
    def host(self) -> str:
        client = self._client
        return urlsplit(client.base_url if client is not None else self.base_url).hostname or self.base_url

    # -- open -----------------------------------------------------------------------------------------

    def open(self, on_progress: Callable[[ImportProgress], None] | None = None,
             on_event: Callable[[Event], None] | None = None) -> None:
        if self.is_open:
            return
        self._closed = False
        self._abandon.clear()
        self._client = self._connect()
        self._load_catalog(on_progress)

    def _connect(self) -> RestClient:
        ref = self.tenant_id or self.tenant.domain
        try:
            token = abandon.call(lambda: self.tokens.token_for(ref), what="sign-in", give_up=self._abandon.is_set)
        except SignInError as exc:
            raise self._signed_out(exc) from None
        except abandon.Abandoned:
            raise self._refusal(f"Connecting to {self.tenant.domain} was abandoned: the session is being closed.",
                                E.CLOSED) from None
        except Exception as exc:
            raise from_exception(exc, account=self.account.upn, tenant=self.tenant.domain, during="connect") from exc
        self.tenant_id = token.tenant_id
        return RestClient(self.base_url, self.tokens, token.tenant_id, account=self.account.upn,
                          anchor=anchor_for(token, _home_tenant_id(self.tokens)),
                          ca_file=self.account.ca_file, timeout=self.timeouts, on_wait=self._waited,
                          tenant_name=self.tenant.domain)

    def _signed_out(self, exc: SignInError) -> RemotingError:
        """A SignInError from the token source, as the faces read it (sign in again, or refused, or …)."""
        return RemotingError(exc.message, remoting_kind(exc), account=self.account.upn, tenant=self.tenant.domain)

    def _waited(self, message: str) -> None:
        """The client waited (throttled or a transient fault). Only the command's own thread writes to its
        events; a fed worker's waits are shown by that thread, the background refresh's only logged."""
        if getattr(self._quiet, "on", False):
            log.info("%s (fetching the command list of %s)", message, self.tenant.domain)
            return
        with self._waits_lock:
            self.throttle_waits += 1
            if threading.current_thread() is not self._run_thread:
                self._late_waits.append(message)
                return
        sink = self._sink
        if sink is not None:
            sink(WarningEvent(message))

    def _tell_late_waits(self, counts: Counts) -> None:
        if not self._late_waits:   # per record: no lock when no wait was told (one told meanwhile comes next time)
            return
        with self._waits_lock:
            waits, self._late_waits = self._late_waits, []
        for message in waits:
            counts.emit(WarningEvent(message))

    def _cache_key(self) -> tuple[str, str, str]:
        return CACHE_PREFIX + self.account.endpoint, self.account.upn, self.tenant.domain

    def _cache_form(self, catalog: Catalog) -> Catalog:
        """The names only: the cache holds the commands this caller may run; their parameters are shipped."""
        return Catalog(CmdletInfo(name=c.name) for c in catalog)

    def _load_catalog(self, on_progress: Callable[[ImportProgress], None] | None) -> None:
        cached = self.cache.load(*self._cache_key()) if self.cache is not None else None
        if cached is not None:
            # The cache holds the names this caller may run; their parameters come from the shipped file.
            self.catalog = catalog_for(c.name for c in cached)
            self.catalog_is_provisional = False
        else:
            self.catalog = shipped_catalog()
            self.catalog_is_provisional = True
        if on_progress is not None:
            n = len(self.catalog)
            on_progress(ImportProgress(done=n, total=n, phase="cache", from_cache=True))
        if self.refresh_in_background:
            self._start_refresh()

    def _refresh(self) -> None:
        self._quiet.on = True
        try:
            self._fetch_commands()
        except Exception as exc:   # the provisional catalog stays; the next command reports any trouble
            log.info("fetching the command list of %s failed: %s", self.tenant.domain, type(exc).__name__,
                     exc_info=exc)

    def _fetch_commands(self) -> Catalog:
        client = self._client
        if client is None:
            raise self._closed_refusal()

        def fetch() -> list[str]:
            with self._slots:
                return client.module_cmdlets(cancel=self._refresh_cancel)

        try:
            names = abandon.call(fetch, what="command list",
                                 give_up=lambda: self._refresh_cancel.is_set() or self._abandon.is_set())
        except SignInError as exc:
            raise self._signed_out(exc) from None
        if self._refresh_cancel.is_set():
            return self.catalog
        catalog = catalog_for(names)
        with self._io:
            changed = catalog != self.catalog
            self.catalog = catalog
            self.catalog_is_provisional = False
            self._commands_fetched = True
            self._save_cache()
        if changed and self.on_catalog_changed is not None:
            self.on_catalog_changed(catalog)
        return catalog

    def reimport(self, on_progress: Callable[[ImportProgress], None] | None = None) -> Catalog:
        if self._run_lock.locked():
            raise self._refusal(f"{self.tenant.domain} is running a command; refresh when it is done.", E.BUSY)
        if self._client is None:
            self._client = self._connect()
        self._cancel_refresh(2.0)
        self._refresh_cancel.clear()
        try:
            catalog = self._fetch_commands()
        except (abandon.Abandoned, RestCancelled):   # closed meanwhile, or a cancel that won the race
            raise self._refusal(f"Fetching the commands of {self.tenant.domain} was abandoned.", E.CLOSED) from None
        if on_progress is not None:
            on_progress(ImportProgress(done=len(catalog), total=len(catalog)))
        return catalog

    def ensure_detail(self, cmdlet_name: str) -> CmdletInfo | None:
        return self.catalog.get(cmdlet_name)   # the shipped catalog has the detail; the service gives names only

    # -- run ------------------------------------------------------------------------------------------

    def _plan(self, statement: Any, variables: dict[str, Any]) -> Any:
        """A cmdlet Exchange Online has but this caller's roles do not allow is refused here, by name,
        before anything is sent (the service would answer 403)."""
        from tui.shell.local_catalog import is_local

        for command in getattr(statement, "commands", ()):
            name = command.name
            if is_local(name) or self.catalog.get(name) is not None:
                continue
            known = shipped_cmdlet(name)
            if known is None:
                continue              # the binder says it is not recognized, with a "did you mean"
            if self._commands_fetched:
                raise NotAllowed(
                    f"{known.name} is not among the commands {self.account.upn} may run in {self.tenant.domain}: "
                    "the roles of that account there do not include it. Ask the customer's admin (or your "
                    "GDAP relationship's owner) for a role that does, e.g. Exchange Administrator, or use "
                    "an account that has one.", getattr(command, "column", 0))
            # A cached list may be older than a role just granted: let it bind and the service decide (403).
            with self._io:
                self.catalog = self.catalog.with_cmdlet(known)
        return super()._plan(statement, variables)

    def _execute(self, plan: Any, counts: Counts, variables: dict[str, Any]) -> list[Record]:
        self._select = server_side_select(list(plan.local))
        try:
            return super()._execute(plan, counts, variables)
        finally:
            self._select = None

    def _remote_records(self, remote: Sequence[BoundCommand], counts: Counts) -> Iterator[Record]:
        if self._closed:
            raise self._closed_refusal()
        if self._client is None:
            self._client = self._connect()
        self._run_thread = threading.current_thread()
        with self._waits_lock:
            self._late_waits = []
        first, rest = remote[0], list(remote[1:])
        stream = self._invoke(first, self._parameters(first), counts, select=None if rest else self._select)
        for command in rest:
            stream = self._fed(stream, command, counts)
        try:
            for record in stream:
                self._tell_late_waits(counts)
                yield record
        except SignInError as exc:
            raise self._signed_out(exc) from None
        finally:
            self._tell_late_waits(counts)

    def _parameters(self, command: BoundCommand) -> dict[str, Any]:
        try:
            return encode_parameters(command)
        except ValueError as exc:
            raise self._refusal(str(exc), E.PROTOCOL) from None

    def _invoke(self, command: BoundCommand, parameters: dict[str, Any], counts: Counts, *,
                select: Sequence[str] | None = None) -> Iterator[Record]:
        client = self._client
        assert client is not None
        pages = client.invoke(command.name, parameters, select=select, cancel=self._stop_requested,
                              page_size=self.page_size)
        try:
            for page in self._limited(pages):
                _report(page, counts)
                yield from page.records
                if self._stop_requested.is_set():
                    return
        except RestCommandError as exc:
            counts.emit(exc.event)
        finally:
            pages.close()      # -First N or Ctrl+C: no further page is asked for

    def _limited(self, pages: Iterator[Page]) -> Iterator[Page]:
        """Each page's request within the tenant's limit of requests in flight (a slot per request)."""
        while True:
            with self._slots:
                page = next(pages, None)
            if page is None:
                return
            yield page

    def _fed(self, upstream: Iterator[Record], command: BoundCommand, counts: Counts) -> Iterator[Record]:
        """``command`` once per upstream object, output in order. A cmdlet that only reads runs up to the
        tenant's limit ahead; one that changes state runs for an object only once the one before it has
        been taken (``-First 1`` must change one object, as in PowerShell)."""
        client = self._client
        assert client is not None
        info = self.catalog.get(command.name)
        workers = self.concurrency
        ahead = workers if _only_reads(command.name, self.catalog) else 0
        stop_here = threading.Event()       # this stage is done (-First N, a failure): its requests stop
        self._cancels.add(stop_here)
        if self._stop_requested.is_set():
            stop_here.set()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"exohop-rest-{self.tenant.domain}")
        pending: deque[Future[list[Page | ErrorEvent]]] = deque()

        def one(parameters: dict[str, Any]) -> list[Page | ErrorEvent]:
            out: list[Page | ErrorEvent] = []
            try:
                out.extend(self._limited(client.invoke(command.name, parameters, cancel=stop_here,
                                                       page_size=self.page_size)))
            except RestCommandError as exc:
                out.append(_non_terminating(exc.event))
            return out

        def drain(future: Future[list[Page | ErrorEvent]]) -> Iterator[Record]:
            for part in future.result():
                if isinstance(part, ErrorEvent):
                    counts.emit(part)
                else:
                    _report(part, counts)
                    yield from part.records

        try:
            for item in upstream:
                try:
                    parameters = self._parameters(BoundCommand(command.name, bind_from_pipeline(command, info, item),
                                                               command.parameter_set, text=command.text))
                except Unbindable as exc:
                    done: Future[list[Page | ErrorEvent]] = Future()
                    done.set_result([ErrorEvent(str(exc), category="InvalidArgument",
                                                error_id=f"InputObjectNotBound,{command.name}")])
                    pending.append(done)
                else:
                    pending.append(pool.submit(one, parameters))
                while len(pending) > ahead:
                    yield from drain(pending.popleft())
                if self._stop_requested.is_set():
                    return
            while pending and not self._stop_requested.is_set():
                yield from drain(pending.popleft())
        finally:
            stop_here.set()
            self._cancels.discard(stop_here)
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)   # a stopped request is walked away from

    def _wire_failure(self, exc: Exception, counts: Counts) -> None:
        raise from_exception(exc, account=self.account.upn, tenant=self.tenant.domain, host=self.host,
                             during="command") from exc

    # -- stop / close ---------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_requested.set()
        for event in list(self._cancels):
            event.set()

    def abandon(self) -> None:
        self._abandon.set()
        self._refresh_cancel.set()
        self.stop()

    def close(self, timeout_s: float = 10.0) -> None:
        self._closed = True
        self._refresh_cancel.set()
        client, self._client = self._client, None
        if client is not None:
            client.close()


# What a SignInError means to the faces: signing in again fixes it, or the tenant refuses this account, or …
_SIGN_IN_KINDS = {A.NOT_SIGNED_IN: E.SIGN_IN, A.SIGN_IN_AGAIN: E.SIGN_IN, A.INTERACTION: E.SIGN_IN,
                  A.WRONG_USER: E.SIGN_IN, A.EXPIRED: E.SIGN_IN, A.NO_ACCESS: E.ACCESS_DENIED,
                  A.CONSENT: E.ACCESS_DENIED, A.REVOKED: E.ACCESS_DENIED, A.UNREACHABLE: E.REFUSED, A.TLS: E.TLS}


def remoting_kind(exc: SignInError) -> str:
    return _SIGN_IN_KINDS.get(exc.reason, E.SIGN_IN_FAILED)


def server_side_select(local: Sequence[BoundCommand]) -> list[str] | None:
    """The properties of a leading ``Select-Object Name, Alias`` (plain names only), else None: the same
    rule as a PSRP session's remote Select-Object (``tui.shell.plan.projected_properties``)."""
    from tui.shell.plan import projected_properties

    return projected_properties(local[0]) if local else None


def _only_reads(cmdlet: str, catalog: Catalog) -> bool:
    from tui.shell.safety import changes_state

    return not changes_state(cmdlet, catalog)


def _home_tenant_id(tokens: TokenSource) -> str | None:
    """The signed-in user's own tenant (None for an app): there the anchor is the user, elsewhere the system mailbox."""
    signed_in = getattr(tokens, "signed_in_user", None)
    user = signed_in() if callable(signed_in) else None
    return str(user.home_tenant_id) if user is not None and user.home_tenant_id else None


def _report(page: Page, counts: Counts) -> None:
    for text in page.warnings:
        counts.emit(WarningEvent(text))
    for error in page.errors:
        counts.emit(error)


def _non_terminating(event: ErrorEvent) -> ErrorEvent:
    """An error of one object of a fed cmdlet: the pipeline goes on with the next, as PowerShell's does."""
    return replace(event, terminating=False)
