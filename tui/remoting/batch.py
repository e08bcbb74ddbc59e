"""``Batch``: one command line across many tenants, through the session pool, in parallel within limits.

Remote PowerShell allows three shells per account, so an account's PSRP tenants run at most
``min(concurrency, pool.per_account)`` at a time; a REST session holds nothing on the server, so an
account's REST tenants run up to ``rest_concurrency`` at a time (each session still keeps its own
per-tenant request limit and throttling rules). Accounts run side by side. Each account has a queue in
the order the tenants were chosen and a few workers that take the next tenant as soon as theirs is
done: a finished session is closed at once when more of that account's tenants wait (its shell is the
slot the next one needs), so no worker waits on an eviction and no time is lost between tenants.

One tenant's failure never stops the others. A sign-in the service refused (a wrong password, no
token) would fail every tenant of that account the same way, and each attempt counts toward Entra's
smart lockout: the account's remaining tenants are skipped, with the reason. Every tenant's command is
one line in that tenant's transcript, and every line of one batch carries the same ``batch`` id.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.events import ErrorEvent, Event, RecordEvent, RunSummary, WarningEvent
from tui.remoting.session_core import SessionCore
from tui.remoting.transcript import Transcript
from tui.shell.records import Record
from tui.tenants import Tenant

log = logging.getLogger(__name__)

PSRP_PER_ACCOUNT = 3          # the service's limit of shells per account
REST_CONCURRENCY = 8          # REST tenants of one account at once (--concurrency)
# A refused sign-in fails every tenant of the account alike, and each attempt counts toward lockout.
SIGN_IN_KINDS = frozenset({E.AUTH, E.SIGN_IN})

# A tenant's state, in the order a tenant goes through them.
QUEUED = "queued"
CONNECTING = "connecting"
RUNNING = "running"
OK = "ok"                     # the line ran without an error
ERRORS = "errors"             # it ran and reported errors (or failed as a command)
CONNECT_FAILED = "connect_failed"   # could not connect (sign-in, no delegated rights, unreachable, …)
SKIPPED = "skipped"           # not tried: its account's sign-in already failed in this batch
REFUSED = "refused"           # not tried: read-only mode refuses the line (nothing sent)
STOPPED = "stopped"           # stopped (Ctrl+C) while running, or never started because of the stop
FINAL = frozenset({OK, ERRORS, CONNECT_FAILED, SKIPPED, REFUSED, STOPPED})

Credential = Any
Acquire = Callable[["TenantRun", Credential, Callable[[Event], None]], SessionCore]


@dataclass
class TenantRun:
    """One tenant's part of a batch; ``records``/``errors`` count live while it runs."""

    tenant: Tenant
    account: Account
    state: str = QUEUED
    summary: RunSummary | None = None
    message: str | None = None       # why it failed, was skipped or refused (shown to the engineer)
    records: int = 0
    errors: int = 0
    retries: int = 0
    started: float | None = None     # monotonic, when its connect began
    ended: float | None = None
    session: SessionCore | None = field(default=None, repr=False)

    @property
    def duration_s(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    @property
    def done(self) -> bool:
        return self.state in FINAL


@dataclass(frozen=True)
class BatchSummary:
    """What the faces report at the end: counts, the failures by tenant, and the exit code's basis."""

    batch_id: str
    runs: tuple[TenantRun, ...]
    elapsed_s: float

    def _in(self, *states: str) -> list[TenantRun]:
        return [r for r in self.runs if r.state in states]

    @property
    def succeeded(self) -> list[TenantRun]:
        return self._in(OK)

    @property
    def failed(self) -> list[TenantRun]:
        """Ran and reported errors, or could not connect."""
        return self._in(ERRORS, CONNECT_FAILED)

    @property
    def skipped(self) -> list[TenantRun]:
        return self._in(SKIPPED, REFUSED, STOPPED)

    @property
    def retries(self) -> int:
        return sum(r.retries for r in self.runs)

    @property
    def records(self) -> int:
        return sum(r.records for r in self.runs)

    def lines(self) -> list[str]:
        """The summary as the CLI prints it on stderr (and the console shows above the batch table)."""
        total = len(self.runs)
        parts = [f"{len(self.succeeded)} of {total} tenants succeeded"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        head = ", ".join(parts) + f" ({self.records} records, {self.elapsed_s:.1f} s"
        if self.retries:
            head += f", {self.retries} {'retry' if self.retries == 1 else 'retries'} after throttling"
        out = [head + ")"]
        for r in self.runs:
            if r.state in (ERRORS, CONNECT_FAILED, SKIPPED, REFUSED) or (r.state == STOPPED and r.started):
                out.append(f"  {r.tenant.display_name} ({r.tenant.domain}): {describe(r)}")
        return out


def describe(run: TenantRun) -> str:
    """One tenant's outcome in a few words (the batch table's and the summary's)."""
    if run.state == ERRORS:
        if run.message:
            return run.message
        n = run.errors
        return f"{n} error{'s' if n != 1 else ''}" if n else "failed"
    if run.state == STOPPED:
        return "stopped" if run.started else "not started (stopped)"
    if run.message:
        return run.message
    return {OK: "ok", QUEUED: "waiting", CONNECTING: "connecting", RUNNING: "running"}.get(run.state, run.state)


def with_tenant(record: Record, tenant: Tenant, *, domain: bool = False) -> Record:
    """``record`` with a leading ``Tenant`` property (the display name) and, with ``domain``, ``TenantDomain``.

    A scalar (a string from ``ForEach-Object Name``) becomes ``Tenant`` + ``Value``. A property of the
    object's own that is spelt Tenant/TenantDomain is replaced: no Exchange object has one."""
    props = record.properties
    lead: dict[str, Any] = {"Tenant": tenant.display_name}
    if domain:
        lead["TenantDomain"] = tenant.domain
    if not props and record.text is not None:
        return Record({**lead, "Value": record.text}, record.type_names)
    ours = {k.lower() for k in lead}
    return Record({**lead, **{k: v for k, v in props.items() if k.lower() not in ours}}, record.type_names,
                  record.text)


def new_batch_id() -> str:
    """Short enough to read in a transcript, unique enough across one engineer's batches."""
    return uuid.uuid4().hex[:12]


class Batch:
    """Run ``line`` in every target; ``run()`` blocks until all are done (or stopped).

    ``on_event(run, event)`` gets each tenant's events as they arrive, records already carrying the
    ``Tenant`` property (it is called from the workers' threads, one tenant's events in order).
    ``on_change(run)`` is called when a tenant changes state. ``acquire(run, credential, sink)`` opens
    (or reuses) the tenant's session; ``prepare(run, session)`` runs before the line (read-only mode,
    notices); ``before_connect(run)`` may refuse a tenant (a message) without connecting."""

    def __init__(self, pool: Any, line: str, targets: Sequence[tuple[Tenant, Account]],
                 credential_for: Callable[[Account], Credential], *,
                 on_event: Callable[[TenantRun, Event], None],
                 on_change: Callable[[TenantRun], None] | None = None,
                 acquire: Acquire | None = None,
                 prepare: Callable[[TenantRun, SessionCore], None] | None = None,
                 before_connect: Callable[[TenantRun], str | None] | None = None,
                 concurrency: int | None = None, rest_concurrency: int = REST_CONCURRENCY,
                 transcript: Transcript | None = None, batch_id: str | None = None,
                 tenant_domain: bool = False) -> None:
        if concurrency is not None and concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.pool = pool
        self.line = line
        self.batch_id = batch_id or new_batch_id()
        self.runs = [TenantRun(t, a) for t, a in targets]
        self.credential_for = credential_for
        self.on_event = on_event
        self.on_change = on_change
        self._acquire = acquire or self._pool_acquire
        self.prepare = prepare
        self.before_connect = before_connect
        self.transcript = transcript
        self.tenant_domain = tenant_domain
        per_account = getattr(pool, "per_account", PSRP_PER_ACCOUNT)
        self.psrp_limit = min(concurrency or PSRP_PER_ACCOUNT, per_account, PSRP_PER_ACCOUNT)
        self.rest_limit = concurrency if concurrency is not None else rest_concurrency
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._refused_sign_in: dict[str, str] = {}   # upn (lower) → why its sign-in failed
        # upn (lower) → set once the account's first connect has ended: until then its other workers wait,
        # so a wrong password is tried once, not once per worker (each try counts toward smart lockout).
        self._first_connect: dict[str, threading.Event] = {}
        self._queues: dict[str, deque[TenantRun]] = {}
        self._threads: list[threading.Thread] = []
        self._live = 0                                # workers not yet returned
        self._t0: float | None = None
        self._t_end: float | None = None
        self._done = threading.Event()

    # -- running ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (returns at once); ``wait`` or ``run`` for the end."""
        from tui.remoting.auth.account import REST, transport_of

        self._t0 = time.monotonic()
        for run in self.runs:
            self._queues.setdefault(run.account.upn.lower(), deque()).append(run)
        for upn, queue in self._queues.items():
            rest = transport_of(queue[0].account) == REST
            workers = min(self.rest_limit if rest else self.psrp_limit, len(queue))
            for i in range(workers):
                t = threading.Thread(target=self._work, args=(queue,), name=f"exohop-batch-{upn}-{i}", daemon=True)
                self._threads.append(t)
        if not self._threads:
            self._finish()
            return
        self._live = len(self._threads)
        for t in self._threads:
            t.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """True when every tenant is done. Waits in short steps so Ctrl+C reaches the main thread."""
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while not self._done.wait(0.1):
            if end is not None and time.monotonic() >= end:
                return False
        return True

    def run(self) -> BatchSummary:
        self.start()
        self.wait()
        return self.summary()

    def stop(self) -> None:
        """Stop every running pipeline and start no more tenants; returns at once."""
        self._stopping.set()
        with self._lock:
            running = [r.session for r in self.runs if r.state == RUNNING and r.session is not None]
        for session in running:
            try:
                session.stop()
            except RemotingError:
                pass   # closed meanwhile: nothing to stop

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def summary(self) -> BatchSummary:
        end = self._t_end if self._t_end is not None else time.monotonic()
        return BatchSummary(self.batch_id, tuple(self.runs), end - (self._t0 or end))

    # -- a worker -----------------------------------------------------------------------------------

    def _work(self, queue: deque[TenantRun]) -> None:
        try:
            while True:
                with self._lock:
                    if not queue:
                        return
                    run = queue.popleft()
                if self._stopping.is_set():
                    self._set(run, STOPPED)
                    continue
                try:
                    self._one(run, queue)
                except Exception as exc:   # a bug must cost one tenant, never the batch or its threads
                    log.error("the batch's run in %s failed", run.tenant.domain, exc_info=exc)
                    self._set(run, ERRORS, "exohop failed here (the details are in exohop.log)")
        finally:
            with self._lock:
                self._live -= 1
                last = self._live == 0
            if last:
                self._finish()

    def _finish(self) -> None:
        self._t_end = time.monotonic()
        self._done.set()

    def _wait_for_first_connect(self, upn: str) -> bool:
        """True when this worker makes the account's first connect; otherwise waits for it to end."""
        with self._lock:
            gate = self._first_connect.get(upn)
            if gate is None:
                self._first_connect[upn] = threading.Event()
                return True
        while not gate.wait(0.1) and not self._stopping.is_set():
            pass
        return False

    def _one(self, run: TenantRun, queue: deque[TenantRun]) -> None:
        upn = run.account.upn.lower()
        first = self._wait_for_first_connect(upn)
        try:
            self._connect_and_run(run, upn, queue)
        finally:
            if first:
                self._first_connect[upn].set()

    def _connect_and_run(self, run: TenantRun, upn: str, queue: deque[TenantRun]) -> None:
        if self._stopping.is_set():
            self._set(run, STOPPED)
            return
        with self._lock:
            refused = self._refused_sign_in.get(upn)
        if refused is not None:
            self._set(run, SKIPPED, f"skipped: the sign-in of {run.account.upn} already failed for another "
                                    "tenant in this run (repeated failed sign-ins can lock the account)")
            self._audit(run, "skipped")
            return
        if self.before_connect is not None:
            refusal = self.before_connect(run)
            if refusal is not None:
                self._set(run, REFUSED, refusal)
                self._audit(run, "refused")
                return
        run.started = time.monotonic()
        self._set(run, CONNECTING)

        def sink(event: Event) -> None:
            if isinstance(event, RecordEvent):
                run.records += 1
                event = RecordEvent(with_tenant(event.record, run.tenant, domain=self.tenant_domain))
            elif isinstance(event, ErrorEvent):
                run.errors += 1
            self.on_event(run, event)

        try:
            credential = self.credential_for(run.account)
            session = self._acquire(run, credential, sink)
        except RemotingError as exc:
            if exc.kind in SIGN_IN_KINDS:
                with self._lock:
                    self._refused_sign_in.setdefault(upn, exc.message)
            self._set(run, STOPPED if self._stopping.is_set() else CONNECT_FAILED, exc.message)
            self._audit(run, "connect_failed")
            return
        finally:   # the credential works, or its refusal is recorded above: the account's others may go
            self._first_connect[upn].set()
        run.session = session
        if self._stopping.is_set():
            self._set(run, STOPPED)
            return
        if self.prepare is not None:
            self.prepare(run, session)
        self._set(run, RUNNING)
        started_at = datetime.now(UTC)
        try:
            summary = session.run(self.line, sink, batch=self.batch_id)
        except RemotingError as exc:   # busy or closed (the engineer's own command, a quit): nothing was sent
            self._set(run, CONNECT_FAILED, exc.message)
            self._audit(run, "connect_failed")
            return
        except BaseException:
            # Ctrl+C / SIGTERM land in the main thread, not here; anything else: the line may have partly run.
            self._audit(run, "interrupted", started_at)
            raise
        run.summary = summary
        run.retries = summary.retries
        if summary.retries:
            log.info("%s: %d requests retried after throttling", run.tenant.domain, summary.retries)
        if summary.outcome == "stopped":
            self._set(run, STOPPED)
        elif summary.outcome == "refused":
            self._set(run, REFUSED, "refused: read-only mode (nothing was sent)")
        elif summary.outcome == "invalid":
            message = getattr(summary.error, "message", None) or str(summary.error or "the line is not valid here")
            self._set(run, ERRORS, str(message))
        elif summary.outcome == "failed" and isinstance(summary.error, RemotingError):
            self._set(run, ERRORS, summary.error.message)
        elif summary.outcome == "ok" and not summary.errors:
            self._set(run, OK)
        else:
            self._set(run, ERRORS)
        with self._lock:
            waiting = bool(queue)   # asked now, not when this tenant started: its siblings may all be taken
        if waiting and not self._stopping.is_set():
            # Its shell is the slot the account's next tenant needs; a REST session is only memory.
            self.pool.close(run.tenant.domain, run.account.upn)

    def _pool_acquire(self, run: TenantRun, credential: Credential, sink: Callable[[Event], None]) -> SessionCore:
        return self.pool.acquire(run.tenant, run.account, credential, on_event=sink)

    def _set(self, run: TenantRun, state: str, message: str | None = None) -> None:
        with self._lock:
            run.state = state
            if message is not None:
                run.message = message
            if state in FINAL:
                run.ended = time.monotonic()
        if self.on_change is not None:
            try:
                self.on_change(run)
            except Exception as exc:   # a display's bug must not fail the tenant
                log.error("showing the batch's progress failed", exc_info=exc)

    def _audit(self, run: TenantRun, outcome: str, started: datetime | None = None) -> None:
        """The transcript line of a tenant whose command did not run to its summary."""
        if self.transcript is None:
            return
        try:
            self.transcript.record_outcome(account=run.account.upn, tenant=run.tenant.domain, line=self.line,
                                           outcome=outcome, started=started, duration_s=run.duration_s,
                                           batch=self.batch_id)
        except OSError as exc:
            self.on_event(run, WarningEvent(f"could not write the transcript: {exc.strerror or 'unwritable'}"))
