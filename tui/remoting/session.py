"""``DelegatedSession``: one tenant's delegated Exchange remote-PowerShell session over pypsrp.

open():  URI = endpoint + ``?DelegatedOrg=<domain>``; RunspacePool(configuration_name="Microsoft.Exchange")
         over Basic auth and verified TLS; redirects followed like ``-AllowRedirection``; the catalog
         from the cache at once (refreshed in the background) or imported with progress.
run():   (SessionCore) parse → bind → plan → the remote prefix as ONE PSRP pipeline, streamed → the
         local suffix on the stream → events to the caller as they arrive → one transcript line. A
         leading ``Select-Object Name, …`` of the suffix also ends the PSRP pipeline when the endpoint
         lists Select-Object (``tui.shell.plan.with_remote_select``; ``remote_select = False`` turns it off).
stop():  the PSRP stop of the running pipeline; the session stays usable.
close(): WS-Management Delete of the shell.

Blocking calls throughout: the UI runs them in thread workers, the CLI on its main thread.
"""

from __future__ import annotations

import functools
import logging
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar, cast

import requests
import urllib3
from pypsrp.complex_objects import RunspacePoolState
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan

from tui.catalog import Catalog, CmdletInfo
from tui.config import Account
from tui.remoting import abandon
from tui.remoting import errors as E
from tui.remoting.cleanup import CONFIGURATION_NAME, basic_wsman, clean_orphans, delete_shell
from tui.remoting.detail import detail_from_records, has_detail
from tui.remoting.endpoints import delegated_uri, host_of, split_uri, with_delegated_org
from tui.remoting.errors import RemotingError, from_exception
from tui.remoting.events import (
    Event,
    ImportProgress,
    RedirectEvent,
    WarningEvent,
)
from tui.remoting.importer import fetch_catalog
from tui.remoting.invoke import STOP_GRACE_S, PipelineAbandoned, RemotePipeline, run_simple
from tui.remoting.journal import ShellJournal
from tui.remoting.output import Counts
from tui.remoting.pypsrp_compat import defer_output
from tui.remoting.redirect import RedirectRequested, install_hooks, refuse_redirect
from tui.remoting.session_core import SessionCore
from tui.remoting.synopsis import (
    HelpUnavailable,
    fetch_command_names,
    fetch_synopses,
    known_synopses,
    patterns_lacking,
    with_synopses,
)
from tui.remoting.transcript import Transcript
from tui.remoting.values import UnreadableOutput, UnsendableValue
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.tenants import Tenant

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_REDIRECTS = 5          # PowerShell's default MaximumConnectionRedirectionCount
OPERATION_TIMEOUT_S = 20   # WS-Management long-poll budget per Receive
CONNECT_TIMEOUT_S = 15
CLOSE_WAIT_S = 2.0        # how long close() lets a background refresh chunk finish
READ_TIMEOUT_S = 40        # must exceed OPERATION_TIMEOUT_S: a Receive legitimately waits that long
# pypsrp re-sends a Receive that timed out five times, sleeping backoff * (2**n - 1) between: with its
# default 2 s that is 114 s of sleep on top of six read timeouts. Waits are abandonable anyway
# (tui.remoting.abandon); a short backoff only makes a stray thread give up sooner.
RECEIVE_BACKOFF_S = 0.5
CLOSE_TIMEOUT_S = 10.0     # a Delete (tenant: Disconnect) not answered by then is left to the journal


class DelegatedSession(SessionCore):
    """A delegated session to ``tenant`` as ``account``. The password stays in memory, never in text."""

    transport_name = "psrp"
    runs_remote_select = True   # a PSRP pipeline may end in Select-Object when the endpoint lists it

    def __init__(self, account: Account, tenant: Tenant, password: str, *, cache_dir: Path | None = None,
                 transcript: Transcript | None = None, refresh_in_background: bool = True,
                 operation_timeout_s: int = OPERATION_TIMEOUT_S, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 read_timeout_s: float = READ_TIMEOUT_S, import_patterns: Sequence[str] = ("*",),
                 save_cache: bool = True, journal: ShellJournal | None = None) -> None:
        super().__init__(account, tenant, cache_dir=cache_dir, transcript=transcript, save_cache=save_cache,
                         refresh_in_background=refresh_in_background)
        self.__password = password
        self.import_patterns = tuple(import_patterns)   # like Import-PSSession -CommandName; "*" = everything
        # The read timeout must exceed the operation timeout (a Receive long-polls that long); the defaults do.
        self.timeouts = (operation_timeout_s, connect_timeout_s, read_timeout_s)
        self.uri = delegated_uri(account.endpoint, tenant.domain)
        self.redirected_to: str | None = None
        self._pool: RunspacePool | None = None
        self._wsman: WSMan | None = None
        self._current: RemotePipeline | None = None
        self._detailed: set[str] = set()      # cmdlets whose Get-Command detail is in the catalog
        self._help_refused = False            # Get-Help failed once: no more synopsis requests this session
        self._waiting = 0                     # detail lookups waiting for the pool (the refresh yields to them)
        self._waiting_lock = threading.Lock()
        self.journal = journal                # open shells, so that a lost Delete is made up for later
        self._abandon = threading.Event()     # quit/close: every blocked call returns at once
        self._stop_at: float | None = None
        self._opened_once = False
        self._given_up: list[tuple[str, RunspacePool]] = []   # broken pools whose shells close() still deletes

    # -- state --------------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._pool is not None and not self._closed and self._pool.state == RunspacePoolState.OPENED

    @property
    def broken(self) -> bool:
        """The pool was given up (a hung server after Ctrl+C): the next command reconnects."""
        return self._pool is None and self._opened_once and not self._closed

    @property
    def connected_uri(self) -> str | None:
        """The URI every request of the open session goes to (``wsa:To`` included): the redirect target, if any."""
        return self._wsman.transport.endpoint if self._wsman is not None else None

    @property
    def host(self) -> str:
        return host_of(self.redirected_to or self.uri)

    def _error(self, exc: BaseException, during: str) -> RemotingError:
        return from_exception(exc, account=self.account.upn, tenant=self.tenant.domain, host=self.host,
                              during=during, password=self.__password)

    # -- open ---------------------------------------------------------------------------------------

    def open(self, on_progress: Callable[[ImportProgress], None] | None = None,
             on_event: Callable[[Event], None] | None = None) -> None:
        """Connect (following redirects) and load the catalog; raises RemotingError.

        ``on_event`` receives a RedirectEvent when the service redirected the connection.
        """
        if self.is_open:
            return
        self._closed = False
        self._sink = on_event   # a throttling wait during the connect is told like one during a command
        try:
            self._connect(on_event)
        finally:
            self._sink = None
        try:
            self._load_catalog(on_progress)
        except RemotingError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise self._error(exc, "import") from exc

    def _make_pool(self, uri: str) -> tuple[WSMan, RunspacePool]:
        wsman = basic_wsman(uri, self.account, self.__password, operation_timeout=self.timeouts[0],
                            connection_timeout=cast(int, self.timeouts[1]), read_timeout=cast(int, self.timeouts[2]),
                            reconnection_backoff=RECEIVE_BACKOFF_S)

        def waited(delay: float, attempt: int) -> None:
            self.throttle_waits += 1
            log.info("throttled by %s; retry %d in %.1fs", host_of(uri), attempt, delay)
            sink = self._sink
            if sink is not None:
                sink(WarningEvent(f"The service is throttling requests (HTTP 503); retrying in {delay:.0f} s "
                                  f"(attempt {attempt})."))

        install_hooks(wsman, on_throttle_wait=waited)
        pool = RunspacePool(wsman, configuration_name=CONFIGURATION_NAME)
        defer_output(pool)   # output objects read by tui.remoting.clixml, not deserialized by pypsrp
        return wsman, pool

    def _connect(self, on_event: Callable[[Event], None] | None) -> None:
        """Open the pool. On the service's session limit, first delete the shells of this account that
        the journal lists and nobody will Delete (a killed exohop, a lost Create), then try once more."""
        try:
            self._connect_once(on_event)
        except RemotingError as exc:
            if exc.kind != E.SESSION_LIMIT or self.journal is None:
                raise
            if not clean_orphans(self.journal, self.account, self.__password):
                raise
            log.info("deleted abandoned shells of %s; connecting again", self.account.upn)
            self._connect_once(on_event)

    def _connect_once(self, on_event: Callable[[Event], None] | None) -> None:
        uri = self.redirected_to or self.uri
        hops = 0
        while True:
            wsman, pool = self._make_pool(uri)
            # Known before open(): if a signal cuts the open short after the Create, close() still deletes it.
            self._wsman, self._pool = wsman, pool
            # Journalled before the Create: pypsrp sends the pool id as the ShellId, so a Create whose
            # answer never comes (or a SIGKILL right after it) still leaves the id to delete.
            if self.journal is not None:
                self.journal.add(wsman.transport.endpoint, self.account.upn, pool.id)
            try:
                abandon.call(pool.open, what="Create", give_up=self._abandon.is_set)
            except RedirectRequested as redirect:
                self._forget_shell(pool)
                self._wsman = self._pool = None
                wsman.close()
                uri = self._follow(uri, redirect, hops)
                hops += 1
                self.redirected_to = uri
                if on_event is not None:
                    on_event(RedirectEvent(uri, f'Your connection has been redirected to the following URI: "{uri}"'))
                continue
            except abandon.Abandoned:
                self._wsman = self._pool = None
                self._give_up_shell(pool)
                raise self._refusal(f"Connecting to {self.tenant.domain} was abandoned: the session is being closed.",
                                    E.CLOSED) from None
            except Exception as exc:
                self._wsman = self._pool = None
                self._discard_failed_open(wsman, pool, exc)
                wsman.close()
                raise self._error(exc, "connect") from exc
            self._opened_once = True
            return

    def _discard_failed_open(self, wsman: WSMan, pool: RunspacePool, exc: Exception) -> None:
        """A failed open may still have left a shell on the server: delete it (bounded), or leave it to
        the journal. A fault or a request that never left created nothing."""
        if not pool.shell.opened and (isinstance(exc, WSManFaultError) or _never_sent(exc)):
            self._forget_shell(pool)
            return
        try:
            if pool.shell.opened:      # the shell exists (e.g. the pool broke after Create): its own Delete
                abandon.call(pool.close, what="Delete", give_up=self._abandon.is_set, timeout_s=CLOSE_WAIT_S)
                gone = True
            else:                      # the Create's answer was lost or garbled: delete the id we sent
                gone = abandon.call(lambda: delete_shell(wsman.transport.endpoint, pool.id, self.account,
                                                         self.__password),
                                    what="Delete", give_up=self._abandon.is_set, timeout_s=CLOSE_WAIT_S)
        except Exception as close_exc:
            log.debug("deleting a half-open shell: %s", type(close_exc).__name__, exc_info=close_exc)
            gone = False
        if gone:
            self._forget_shell(pool)
        else:
            self._give_up_shell(pool)

    def _forget_shell(self, pool: RunspacePool) -> None:
        if self.journal is not None:
            self.journal.remove(pool.id)

    def _give_up_shell(self, pool: RunspacePool) -> None:
        if self.journal is not None:
            self.journal.give_up(pool.id)

    def _follow(self, current: str, redirect: RedirectRequested, hops: int) -> str:
        who = f"{self.tenant.domain} (as {self.account.upn})"
        if hops >= MAX_REDIRECTS:
            raise self._refusal(f"The connection to {who} was redirected more than {MAX_REDIRECTS} times "
                                f"(last to {redirect.location}). The service is misconfigured; try later.",
                                E.REDIRECT)
        location = redirect.location
        if not location:
            raise self._refusal(f"{host_of(current)} redirected the connection to {who} without saying where.",
                                E.REDIRECT)
        if current.startswith("https:") and not location.startswith("https:"):
            raise self._refusal(f"{host_of(current)} tried to redirect the connection to {who} to an unencrypted "
                                f"address ({location}); exohop refuses to send the password there.", E.REDIRECT)
        refused = refuse_redirect(current, location, self.tenant.domain)
        if refused is not None:
            raise self._refusal(f"{host_of(current)} tried to redirect the connection to {who} {refused}.", E.REDIRECT)
        if "delegatedorg=" not in location.lower():
            # A pod URI without the tenant would land in the partner's own organization: keep the tenant.
            location = with_delegated_org(location, self.tenant.domain)
        try:
            split_uri(location)
        except ValueError:
            raise self._refusal(f"{host_of(current)} redirected the connection to {who} to an unusable address "
                                f"({location!r}).", E.REDIRECT) from None
        return location

    def _load_catalog(self, on_progress: Callable[[ImportProgress], None] | None) -> None:
        cached = self.cache.load(*self._cache_key()) if self.cache else None
        if cached is not None:
            self.catalog = cached
            self._detailed = {c.name.lower() for c in cached if has_detail(c)}
            if on_progress is not None:
                on_progress(ImportProgress(done=len(cached), total=len(cached), phase="cache", from_cache=True))
            if self.refresh_in_background:
                self._start_refresh()
            return
        with self._io:
            pool = self._pool
            assert pool is not None
            try:
                catalog = abandon.call(lambda: fetch_catalog(pool, on_progress, self.import_patterns),
                                       what="import", give_up=self._abandon.is_set)
            except abandon.Abandoned:
                raise self._refusal(f"Importing the commands of {self.tenant.domain} was abandoned: the session is "
                                    "being closed.", E.CLOSED) from None
        self.catalog = catalog
        self._save_cache()
        if self.refresh_in_background:
            self._start_refresh(import_metadata=False)   # the synopses, without holding up the connect

    def _chunks(self) -> list[str]:
        """Import patterns in small chunks (commands by first letter), so a refresh can give way between them."""
        patterns = self.import_patterns
        return [f"{c}*" for c in string.ascii_uppercase] if patterns == ("*",) else list(patterns)

    def _in_turn(self, fetch: Callable[[RunspacePool], T]) -> T | None:
        """Run one background chunk once the engineer is idle; None when the refresh was cancelled.

        A command or a detail lookup waits for one chunk at most, never for the whole refresh.
        """
        while (self._run_lock.locked() or self._waiting) and not self._refresh_cancel.is_set():
            time.sleep(0.02)
        with self._io:
            pool = self._pool
            if self._refresh_cancel.is_set() or pool is None:
                return None
            # Abandoned only when the session is given up (quit): the refresh thread must not keep a
            # hung pool's lock, nor is its late answer of any use then.
            return abandon.call(lambda: fetch(pool), what="refresh", give_up=self._abandon.is_set)

    def _refresh(self, import_metadata: bool = True) -> None:
        """Background: import the catalog again (unless ``import_metadata`` is False), fetch the synopses
        it lacks (Get-Help), swap the result in whole (keeping fetched detail) and save it."""
        chunks = self._chunks()
        try:
            fresh: Catalog | None = None
            if import_metadata:
                found: dict[str, CmdletInfo] = {}
                for chunk in chunks:
                    part = self._in_turn(functools.partial(fetch_catalog, on_progress=None, patterns=[chunk],
                                                           cancel=self._refresh_cancel))
                    if part is None:
                        return
                    found.update((c.name.lower(), c) for c in part)
                fresh = Catalog(found.values())
                if self._refresh_cancel.is_set() or not len(fresh):
                    return
            # Synopses already known (from the cache) carry over; Get-Help only for chunks still lacking one.
            known = known_synopses(self.catalog)
            synopses: dict[str, str] = {}
            lacking = [] if self._help_refused else patterns_lacking(with_synopses(fresh or self.catalog, known),
                                                                     chunks)
            for pattern in lacking:
                try:
                    got = self._in_turn(functools.partial(fetch_synopses, pattern=pattern))
                except HelpUnavailable as exc:   # the commands still refresh; no synopses this session
                    log.info("no synopses from %s: Get-Help refused (%s)", self.tenant.domain, exc)
                    self._help_refused = True
                    break
                if got is None:
                    return
                synopses.update(got)
            with self._io:                     # no detail lookup swaps the catalog meanwhile
                current = self.catalog
                base = current if fresh is None else Catalog(
                    (current.get(c.name) or c) if c.name.lower() in self._detailed else c for c in fresh)
                merged = with_synopses(base, {**known_synopses(current), **synopses})
                if self._refresh_cancel.is_set() or merged == current:
                    return
                self.catalog = merged
                self._save_cache()
            if self.on_catalog_changed is not None:
                self.on_catalog_changed(merged)
        except Exception as exc:   # a failed refresh keeps the cached catalog; the next command reports trouble
            log.info("background catalog refresh failed: %s", type(exc).__name__, exc_info=exc)

    def reimport(self, on_progress: Callable[[ImportProgress], None] | None = None) -> Catalog:
        """Import the catalog afresh on the open session (with progress), replacing cache and detail.

        No new shell: the open one is reused. Synopses already known are kept; those of new commands
        follow in the background (Get-Help), like after a first import.
        """
        if self._run_lock.locked():
            raise self._refusal(f"{self.tenant.domain} is running a command; re-import when it is done.", E.BUSY)
        self._cancel_refresh(OPERATION_TIMEOUT_S + 5)
        with self._io:
            if self._pool is None:
                self._reopen()
            assert self._pool is not None
            try:
                catalog = fetch_catalog(self._pool, on_progress, self.import_patterns)
            except Exception as exc:
                raise self._error(exc, "import") from exc
            catalog = with_synopses(catalog, known_synopses(self.catalog))
            self.catalog = catalog
            self._detailed = set()
            self._save_cache()
        if self.on_catalog_changed is not None:
            self.on_catalog_changed(catalog)
        if self.refresh_in_background:
            self._start_refresh(import_metadata=False)
        return catalog

    # -- detail -------------------------------------------------------------------------------------

    def ensure_detail(self, cmdlet_name: str) -> CmdletInfo | None:
        """The cmdlet with parameter sets, positions, mandatory flags and valid values (``Get-Command``).

        Fetched once per cmdlet, merged into the catalog (swapped whole) and cached.
        """
        base = self.catalog.get(cmdlet_name)
        if base is None or base.name.lower() in self._detailed or not self.is_open:
            return base
        with self._waiting_lock:
            self._waiting += 1               # the background refresh gives way between its chunks
        try:
            self._io.acquire()
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        try:
            if base.name.lower() in self._detailed:
                return self.catalog.get(cmdlet_name)
            assert self._pool is not None
            try:
                records, _errors = run_simple(self._pool, "Get-Command", {"Name": base.name},
                                              give_up=self._stopped_long_ago, host=self.host)
            except PipelineAbandoned as exc:
                self._break()
                raise self._refusal(str(exc), E.TIMEOUT) from None
            except Exception as exc:
                raise self._error(exc, "command") from exc
            self._detailed.add(base.name.lower())
            detail = detail_from_records(base, records)
            if detail is None:
                return base
            merged = base.merged_with(detail)
            self.catalog = self.catalog.with_cmdlet(merged)
            self._save_cache()
            return merged
        finally:
            self._io.release()

    def command_names(self) -> list[str]:
        """The catalog's names when it was imported whole, else (``exohop run``'s import of the line's
        commands only) asked of the service with ``Get-Help -Name *`` (names and one-line synopses: 0.6 s
        at 50 ms latency where a whole import took 12 s). Empty when the service refuses."""
        if self.import_patterns == ("*",) or not self.is_open:
            return super().command_names()
        with self._io:
            pool = self._pool
            if pool is None:
                return []
            try:
                return fetch_command_names(pool, give_up=self._abandon.is_set, host=self.host)
            except Exception as exc:   # only a hint is lost: the line's own error is reported as it is
                log.info("no command names from %s: %s", self.tenant.domain, type(exc).__name__, exc_info=exc)
                return []

    # -- run (the transport's half; SessionCore.run drives it) -----------------------------------------

    def _remote_records(self, remote: Sequence[BoundCommand], counts: Counts) -> Iterator[Record]:
        pipeline = self._start_remote(remote, counts)
        yield from pipeline.records()

    def _is_wire_exception(self, exc: BaseException) -> bool:
        return (isinstance(exc, PipelineAbandoned | UnreadableOutput) or type(exc).__module__.startswith("pypsrp")
                or super()._is_wire_exception(exc))

    def _wire_failure(self, exc: Exception, counts: Counts) -> None:
        if not isinstance(exc, PipelineAbandoned):
            raise self._error(exc, "command") from exc
        self._break()
        if not self._stop_requested.is_set():   # given up by a quit/close, not by the engineer's Ctrl+C
            raise self._refusal(str(exc), E.TIMEOUT) from None
        counts.emit(WarningEvent(f"{self.host} did not confirm the stop; the command was abandoned and the "
                                 "session reconnects for the next command."))

    def _after_run(self) -> None:
        current, self._current = self._current, None
        if current is not None and current.abandoned and self._pool is current.pool:
            self._break()             # Ctrl+C/SIGTERM left its Receive blocked: that pool is unusable

    def _start_remote(self, remote: Sequence[BoundCommand], counts: Counts) -> RemotePipeline:
        """Start the remote prefix; a shell that expired is reopened and the command retried once."""
        for attempt in (1, 2):
            if self._pool is None:
                self._reopen()
            assert self._pool is not None
            try:
                pipeline = RemotePipeline(self._pool, remote, counts.emit, give_up=self._abandon.is_set,
                                          host=self.host, silence_s=self.timeouts[2])
            except UnsendableValue as exc:
                raise self._refusal(str(exc), E.PROTOCOL) from None
            self._current = pipeline          # a stop during the Command reaches it
            try:
                with self._io:
                    pipeline.start()
            except PipelineAbandoned:
                raise
            except Exception as exc:
                err = self._error(exc, "command")
                if attempt == 1 and err.kind == E.EXPIRED:
                    # Nothing ran: the shell was gone before the Command. Reconnect and send it again.
                    # (A connection lost on the Command is not retried: the server may have started it.)
                    self._drop_pool()
                    continue
                if err.kind == E.EXPIRED:
                    self._drop_pool()
                raise err from exc
            self._current = pipeline
            if self._stop_requested.is_set():
                pipeline.stop()
            return pipeline
        raise AssertionError("unreachable")

    def _reopen(self) -> None:
        self._connect(None)

    def _drop_pool(self) -> None:
        """Forget a pool whose shell is gone (no Delete: the server already lost it)."""
        if self._wsman is not None:
            self._wsman.close()
        if self._pool is not None:
            self._forget_shell(self._pool)
        self._pool = None
        self._wsman = None

    # -- stop / close -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the running command (PSRP stop); returns at once. The session stays usable; when the server
        does not confirm within ``STOP_GRACE_S`` the command is abandoned and the next one reconnects."""
        if not self._stop_requested.is_set():
            self._stop_at = time.monotonic()
        self._stop_requested.set()
        pipeline = self._current
        if pipeline is not None:
            pipeline.stop()

    def abandon(self) -> None:
        """Give up every call blocked on the server (quit): they return at once, their threads left behind."""
        self._abandon.set()
        self.stop()

    def _stopped_long_ago(self) -> bool:
        if self._abandon.is_set():
            return True
        at = self._stop_at
        return self._stop_requested.is_set() and at is not None and time.monotonic() - at > STOP_GRACE_S

    def _break(self) -> None:
        """Give up a pool whose server stopped answering: its blocked call stays in its thread, the next
        command opens a new shell, and the old one is deleted in the background (or by the next start,
        from the journal, if that Delete is not answered either)."""
        pool, wsman = self._pool, self._wsman
        self._pool = None
        self._wsman = None
        if pool is None or wsman is None:
            return
        self._give_up_shell(pool)
        endpoint = wsman.transport.endpoint
        self._given_up.append((endpoint, pool))
        threading.Thread(target=self._delete_given_up, args=([(endpoint, pool)],),
                         name=f"exohop-delete-{self.tenant.domain}", daemon=True).start()

    def _delete_given_up(self, pools: list[tuple[str, RunspacePool]]) -> None:
        for endpoint, pool in pools:
            if delete_shell(endpoint, pool.id, self.account, self.__password):
                self._forget_shell(pool)

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Delete the shell on the server (WS-Management Delete). Raises RemotingError if it fails or gets
        no answer within ``timeout_s``; the journal then keeps the shell for the next start to delete."""
        self._closed = True
        self._cancel_refresh(min(CLOSE_WAIT_S, timeout_s))   # a background chunk ends in a moment: let it, not race it
        pool, wsman = self._pool, self._wsman
        self._pool = None
        self._wsman = None
        given_up, self._given_up = self._given_up, []
        if given_up:   # a Ctrl+C just before the quit: the process may be gone before the background Delete
            try:
                abandon.call(lambda: self._delete_given_up(given_up), what="Delete", timeout_s=timeout_s)
            except abandon.Abandoned:
                pass       # still journalled: the next start deletes them
        if pool is None:
            return
        sent = pool.shell.opened       # False: the Create never got its answer, so pypsrp sends no Delete
        try:
            abandon.call(pool.close, what="Delete", timeout_s=timeout_s)
        except abandon.Abandoned:
            self._give_up_shell(pool)
            raise self._refusal(f"{self.tenant.domain} (as {self.account.upn}): no answer to the disconnect within "
                                f"{timeout_s:.0f} s; exohop deletes that session when it next connects as "
                                f"{self.account.upn}.", E.TIMEOUT) from None
        except Exception as exc:
            err = self._error(exc, "close")
            if err.kind == E.EXPIRED:
                self._forget_shell(pool)
            else:
                self._give_up_shell(pool)
            raise err from exc
        finally:
            if wsman is not None:
                wsman.close()
        if sent:
            self._forget_shell(pool)
        else:
            self._give_up_shell(pool)


def _never_sent(exc: BaseException) -> bool:
    """True when the request could not have reached the server (no connection, no TLS session)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        return isinstance(getattr(exc.args[0], "reason", None), urllib3.exceptions.NewConnectionError)
    return False


