"""What a tenant session does above the wire, whichever wire it is: the transport-blind half.

``run()``: parse → (read-only: refuse a state change) → bind → plan → the remote prefix streamed from the
transport → the local suffix on the stream → events to the caller as they arrive → one transcript line.
The catalog cache, the variables, one command line at a time and the stop flag live here too.

A transport subclass supplies the wire (the transport interface):

    open(on_progress, on_event)      connect and load the catalog (the commands this caller may run)
    _remote_records(remote, counts)  the bound remote prefix as a stream of Records; warnings, errors
                                     and progress go to ``counts.emit`` as they arrive
    ensure_detail(name)              parameter detail a cmdlet lacks (or the catalog entry as it is)
    reimport() / _refresh()          the catalog afresh, in the foreground / in the background thread
    stop() / abandon() / close()     stop the running command / give up every wait / release the server's side
    _wire_failure(exc, counts)       a failure of the remote stream → raise RemotingError, or report it

``DelegatedSession`` (tui.remoting.session) speaks remote PowerShell over pypsrp; ``RestSession``
(tui.remoting.rest.session) speaks Exchange Online's REST InvokeCommand.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.catalog import Catalog, CmdletInfo
from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.catalog_cache import CatalogCache
from tui.remoting.errors import RemotingError, UnreadableAnswer
from tui.remoting.events import (
    ErrorEvent,
    Event,
    ImportProgress,
    RecordEvent,
    RunSummary,
    TextEvent,
    WarningEvent,
)
from tui.remoting.output import Counts, side_output
from tui.remoting.transcript import Transcript
from tui.shell.bound import BoundCommand
from tui.shell.operators import as_list
from tui.shell.records import Record
from tui.shell.safety import leave_account_read_only, read_only_refusal
from tui.tenants import Tenant

log = logging.getLogger(__name__)


class SessionCore(ABC):
    """One tenant as one account. Blocking calls: the UI runs them in thread workers, the CLI on its main thread."""

    transport_name = ""
    # The transport sends a remote Select-Object (plan.with_remote_select) when the endpoint lists it.
    runs_remote_select = False

    def __init__(self, account: Account, tenant: Tenant, *, cache_dir: Path | None = None,
                 transcript: Transcript | None = None, save_cache: bool = True,
                 refresh_in_background: bool = True) -> None:
        self.account = account
        self.tenant = tenant
        self.cache = CatalogCache(cache_dir) if cache_dir is not None else None
        self.transcript = transcript
        self.save_cache = save_cache                     # False: a narrowed import must not pose as the catalog
        self.refresh_in_background = refresh_in_background
        self.catalog: Catalog = Catalog()
        self.variables: dict[str, Any] = {}
        self.last_used = time.monotonic()
        self.on_catalog_changed: Callable[[Catalog], None] | None = None
        self.throttle_waits = 0
        self._io = threading.RLock()          # one wire conversation at a time (a refresh yields to commands)
        self._run_lock = threading.Lock()     # one command line at a time
        self._sink: Callable[[Event], None] | None = None   # the running command's on_event
        self._stop_requested = threading.Event()
        self._closed = False
        self._refresh_thread: threading.Thread | None = None   # the background catalog refresh (_refresh)
        self._refresh_cancel = threading.Event()
        # Read-only mode (an account's ``read_only = true``, ``--read-only``, the console's toggle): a line
        # that changes the tenant is refused before anything is sent; ``read_only_leave`` says how to leave.
        self.read_only = account.read_only
        self.read_only_leave = leave_account_read_only(account.upn)
        # False: every Select-Object runs here only (a bench's baseline, or an endpoint that misbehaves).
        self.remote_select = True

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.tenant.domain!r}, account={self.account.upn!r}, "
                f"open={self.is_open})")

    # -- state ----------------------------------------------------------------------------------------

    @property
    def domain(self) -> str:
        return self.tenant.domain

    @property
    def busy(self) -> bool:
        return self._run_lock.locked()

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """Connected, with a catalog: a command runs without connecting first."""

    @property
    def broken(self) -> bool:
        """The connection was given up (a hung server after Ctrl+C): the next command reconnects."""
        return False

    @property
    @abstractmethod
    def host(self) -> str:
        """The host the session talks to (for messages)."""

    def set_read_only(self, on: bool, leave: str | None = None) -> None:
        """Turn read-only on or off for the next command line; ``leave``: how the engineer turns it off."""
        self.read_only = on
        if leave is not None:
            self.read_only_leave = leave

    def _refusal(self, message: str, kind: str) -> RemotingError:
        """An error exohop itself raises about this session (not a mapped exception)."""
        return RemotingError(message, kind, account=self.account.upn, tenant=self.tenant.domain)

    def _closed_refusal(self) -> RemotingError:
        return self._refusal(f"The session to {self.tenant.domain} is closed; connect again.", E.CLOSED)

    # -- the transport interface ----------------------------------------------------------------------

    @abstractmethod
    def open(self, on_progress: Callable[[ImportProgress], None] | None = None,
             on_event: Callable[[Event], None] | None = None) -> None:
        """Connect and load the catalog; raises RemotingError."""

    @abstractmethod
    def ensure_detail(self, cmdlet_name: str) -> CmdletInfo | None:
        """The catalog entry of ``cmdlet_name`` with its parameter detail, fetched if the transport can
        (once: a cmdlet already detailed, or unknown, costs nothing)."""

    @abstractmethod
    def _remote_records(self, remote: Sequence[BoundCommand], counts: Counts) -> Iterator[Record]:
        """Run the remote prefix; yield its output records as they arrive."""

    @abstractmethod
    def _wire_failure(self, exc: Exception, counts: Counts) -> None:
        """The remote stream failed with ``exc`` (not a RemotingError): raise one, or report and return."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the running command; returns at once; the session stays usable."""

    @abstractmethod
    def abandon(self) -> None:
        """Give up every call blocked on the server (quit)."""

    @abstractmethod
    def close(self, timeout_s: float = 10.0) -> None:
        """Release what the server holds for this session; raises RemotingError when it cannot."""

    def command_names(self) -> list[str]:
        """Every command name this account may run in the tenant, for "Did you mean" hints (the catalog's;
        a transport whose catalog may hold less says so by overriding this)."""
        return list(self.catalog.names)

    def refresh_catalog(self, on_progress: Callable[[ImportProgress], None] | None = None) -> Catalog:
        """Load the catalog afresh (the app's "tenant: Refresh commands")."""
        return self.reimport(on_progress)

    @abstractmethod
    def reimport(self, on_progress: Callable[[ImportProgress], None] | None = None) -> Catalog:
        """Fetch the catalog from the service again, replacing the cached one."""

    @abstractmethod
    def _refresh(self) -> None:
        """Background (``_start_refresh``): load the catalog afresh; gives up once ``_refresh_cancel`` is set."""

    def _start_refresh(self, **kwargs: Any) -> None:
        """``_refresh(**kwargs)`` in a daemon thread of its own."""
        self._refresh_cancel.clear()
        thread = threading.Thread(target=self._refresh, kwargs=kwargs, name=f"exohop-refresh-{self.tenant.domain}",
                                  daemon=True)
        self._refresh_thread = thread
        thread.start()

    def _cancel_refresh(self, wait_s: float) -> None:
        """Tell a background refresh to stop, and wait up to ``wait_s`` for a running one to end."""
        self._refresh_cancel.set()
        thread = self._refresh_thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(wait_s)

    def wait_for_refresh(self, timeout_s: float = 30.0) -> bool:
        """Wait for a background catalog refresh to end; True when none is running."""
        thread = self._refresh_thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def _after_run(self) -> None:
        """Called after each command line, under the run lock (a transport's clean-up hook)."""
        return None

    # -- cache ----------------------------------------------------------------------------------------

    def take_notices(self) -> list[str]:
        """What the faces should tell the user about this session's open (a catalog cache set aside)."""
        return self.cache.take_notices() if self.cache is not None else []

    def _cache_key(self) -> tuple[str, str, str]:
        """Whose catalog this is in the cache: (endpoint, upn, domain)."""
        return self.account.endpoint, self.account.upn, self.tenant.domain

    def _cache_form(self, catalog: Catalog) -> Catalog:
        """What of ``catalog`` the cache keeps (all of it, unless the transport says otherwise)."""
        return catalog

    def _save_cache(self) -> None:
        if self.cache is None or not self.save_cache or not len(self.catalog):
            return
        try:
            self.cache.save(*self._cache_key(), self._cache_form(self.catalog))
        except OSError as exc:
            log.warning("could not write the catalog cache: %s", exc.strerror)

    # -- run ------------------------------------------------------------------------------------------

    def run(self, line: str, on_event: Callable[[Event], None], variables: dict[str, Any] | None = None, *,
            batch: str | None = None) -> RunSummary:
        """Run one command line; events go to ``on_event`` as they arrive. Never raises for command
        failures: parse/bind errors and connection failures come back in ``RunSummary.error``. ``batch``:
        the id of the multi-tenant run this line belongs to, written on its transcript line."""
        if self._closed:
            raise self._closed_refusal()
        if not self._run_lock.acquire(blocking=False):
            raise self._refusal(f"{self.tenant.domain} is still running a command; wait for it or stop it "
                                "(Ctrl+C).", E.BUSY)
        started_at = datetime.now(UTC)
        t0 = time.monotonic()
        counts = Counts(on_event)
        waits_before = self.throttle_waits
        summary: RunSummary
        try:
            self._stop_requested.clear()
            self._sink = counts.emit
            with self._io:                    # a background refresh yields within one chunk
                summary = self._run_line(line, counts, self.variables if variables is None else variables, t0)
            if self.throttle_waits > waits_before:
                summary = replace(summary, retries=self.throttle_waits - waits_before)
        finally:
            self.last_used = time.monotonic()
            try:
                self._after_run()
            finally:
                self._sink = None
                self._run_lock.release()
        if self.transcript is not None and line.strip():
            try:
                self.transcript.record(account=self.account.upn, tenant=self.tenant.domain, summary=summary,
                                       started=started_at, batch=batch)
            except OSError as exc:
                on_event(WarningEvent(f"could not write the transcript: {exc.strerror}"))
        return summary

    def _run_line(self, line: str, counts: Counts, variables: dict[str, Any], t0: float) -> RunSummary:
        from tui.shell import ParseError, parse

        def done(outcome: str, error: Exception | None = None, assigned: str | None = None) -> RunSummary:
            return RunSummary(line=line, outcome=outcome, records=counts.records, errors=counts.errors,
                              warnings=counts.warnings, duration_s=time.monotonic() - t0,
                              assigned_to=assigned, error=error)

        try:
            script = parse(line)
        except ParseError as exc:
            return done("invalid", exc)
        if self.read_only:   # before binding: a parameter lookup is a round trip too
            refusal = read_only_refusal(line, self.catalog, leave=self.read_only_leave)
            if refusal is not None:
                counts.emit(ErrorEvent(refusal, category="PermissionDenied", terminating=True))
                return done("refused")
        assigned: str | None = None
        for statement in script.statements:
            try:
                plan = self._plan(statement, variables)
            except RemotingError as exc:
                return done("failed", exc)
            except Exception as exc:   # ParseError / BindError / PlanError carry .message and .column
                if hasattr(exc, "message"):
                    return done("invalid", exc)
                raise
            if self._stop_requested.is_set():   # stopped during a Get-Command lookup: run nothing more
                return done("stopped", assigned=assigned)
            try:
                results = self._execute(plan, counts, variables)
            except RemotingError as exc:
                counts.emit(ErrorEvent(exc.message, category="ConnectionError", terminating=True,
                                       exception_type=exc.kind))
                return done("failed", exc)
            if plan.assign_to:
                _assign(variables, plan.assign_to, results)
                assigned = plan.assign_to
            else:
                _assign(variables, "last", results)
            if self._stop_requested.is_set():
                return done("stopped", assigned=assigned)
            if counts.terminating:
                return done("failed", assigned=assigned)
        return done("errors" if counts.errors else "ok", assigned=assigned)

    def _plan(self, statement: Any, variables: dict[str, Any]) -> Any:
        from tui.shell.local_catalog import local_cmdlet
        from tui.shell.plan import plan_pipeline, with_remote_select

        for command in getattr(statement, "commands", ()):
            if local_cmdlet(command.name) is not None:
                continue   # binds against the local catalog: the server's detail of it is never used
            try:
                self.ensure_detail(command.name)
            except RemotingError as exc:   # bind with what the catalog gave; the run reports trouble
                log.info("no parameter detail for %s: %s", command.name, exc.kind)
        plan = plan_pipeline(statement, self.catalog, variables)
        if self.runs_remote_select and self.remote_select:
            plan = with_remote_select(plan, self.catalog)
            if plan.projected:
                log.debug("Select-Object %s runs on the server too", ", ".join(plan.projected))
        return plan

    def _execute(self, plan: Any, counts: Counts, variables: dict[str, Any]) -> list[Record]:
        """Run a plan: remote prefix streamed into the local suffix; returns the result records."""
        results: list[Record] = []
        remote: list[BoundCommand] = list(plan.remote)
        local: list[BoundCommand] = list(plan.local)
        source: Iterator[Record] = (self._remote_records(remote, counts) if remote
                                    else iter(_plan_input(plan, variables)))
        try:
            if local:
                from tui.shell.local import run_local

                # Built before the first pull, so a local usage error never leaves a remote pipeline running.
                items: Iterator[Any] = iter(run_local(local, source, variables))
            else:
                items = source
            quiet = bool(plan.assign_to)   # `$x = …` keeps the records and shows none, as PowerShell does
            for item in items:
                if isinstance(item, Record):
                    results.append(item)
                    if quiet:
                        counts.records += 1
                    elif not item.properties and item.text is not None:
                        counts.records += 1            # a string/number the service returned: shown as text
                        counts.emit(TextEvent(item.text))
                    else:
                        counts.emit(RecordEvent(item))
                else:
                    side_output(item, counts)
                if self._stop_requested.is_set():
                    break
        except RemotingError:
            raise
        except Exception as exc:
            if remote and self._is_wire_exception(exc):
                self._wire_failure(exc, counts)
            else:
                # A local cmdlet failed (bad expression, type error): reported as an error, session intact.
                message = getattr(exc, "message", None)
                if not message:   # a bug in a local cmdlet: the traceback to the log, a sentence to the engineer
                    log.error("a local command failed in %s", self.tenant.domain, exc_info=exc)
                    message = "A local command failed unexpectedly (the details are in exohop.log)."
                counts.emit(ErrorEvent(str(message), category="LocalError", terminating=True))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()   # stops the remote pipeline if the local suffix finished early (-First)
        return results

    def _is_wire_exception(self, exc: BaseException) -> bool:
        """True when ``exc`` came from the transport's libraries rather than from a local cmdlet."""
        mod = type(exc).__module__
        return (mod.startswith(("requests", "urllib3", "xml", "json")) or isinstance(exc, OSError | UnreadableAnswer))


def _plan_input(plan: Any, variables: dict[str, Any]) -> list[Any]:
    """Input of a plan without a remote prefix: the variable it starts from (``$last | …``)."""
    name = getattr(plan, "input_variable", None)
    if not name:
        return []
    lowered = {k.lower(): v for k, v in variables.items()}
    return as_list(lowered.get(name.lower()))


def _assign(variables: dict[str, Any], name: str, value: Any) -> None:
    """Set ``$name`` as PowerShell does: names are case-insensitive, so ``$a = …`` replaces ``$A``."""
    for key in [k for k in variables if k.lower() == name.lower()]:
        del variables[key]
    variables[name] = value
