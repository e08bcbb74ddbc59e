"""``SessionPool``: warm sessions per partner account, LRU eviction, clean shutdown.

Remote PowerShell allows three shells per account: opening a fourth PSRP session first closes the least
recently used *idle* one of that account (never a busy one; all busy → a clear error). A REST session
holds nothing on the server (a token and a catalog), so up to ``REST_WARM_PER_ACCOUNT`` stay warm per
account; each limits its own concurrent requests instead (``rest_concurrency_per_tenant``). Switching to a
tenant whose session is open costs no round trip. ``close_all`` gives up whatever is blocked on
the server, deletes every shell in parallel within a deadline and reports what it could not close.
With a ``journal``, the first acquire for an account deletes, in the background, the shells a
killed exohop left behind (``tui.remoting.journal``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.config import DEFAULT_MAX_SESSIONS, Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.events import Event, ImportProgress
from tui.remoting.journal import ShellJournal
from tui.remoting.session_core import SessionCore
from tui.remoting.transcript import Transcript
from tui.tenants import Tenant

log = logging.getLogger(__name__)

SWEEP_JOIN_S = 2.0   # how long closing waits for a start-up sweep still deleting

# A password (Basic, remote PowerShell) or a token source (OAuth/app, REST): what the account signs in with.
Credential = Any
SessionFactory = Callable[..., SessionCore]
REST_WARM_PER_ACCOUNT = 64   # warm REST sessions per account: memory only (a catalog each), no server resource


def _is_rest(account: Account) -> bool:
    from tui.remoting.auth.account import REST, transport_of

    return transport_of(account) == REST


def open_session_for(account: Account, tenant: Tenant, credential: Credential, **kwargs: Any) -> SessionCore:
    """The session of ``account``'s transport: REST (a token source) or remote PowerShell (a password)."""
    if _is_rest(account):
        from tui.remoting.rest.session import RestSession

        return RestSession(account, tenant, credential, **kwargs)
    from tui.remoting.session import DelegatedSession

    return DelegatedSession(account, tenant, credential, **kwargs)


class SessionPool:
    def __init__(self, per_account: int = DEFAULT_MAX_SESSIONS, *, cache_dir: Path | None = None,
                 transcript: Transcript | None = None, factory: SessionFactory = open_session_for,
                 journal: ShellJournal | None = None, rest_concurrency: int | None = None) -> None:
        if not 1 <= per_account <= 3:
            raise ValueError("per_account must be 1, 2 or 3 (the service allows 3 sessions per account)")
        self.per_account = per_account
        self.cache_dir = cache_dir
        self.transcript = transcript
        self.factory = factory
        self.rest_concurrency = rest_concurrency   # None: RestSession's default
        # keyed by (upn, domain): the same tenant may be opened with two partner accounts
        self._sessions: dict[tuple[str, str], SessionCore] = {}
        self._opening: dict[tuple[str, str], threading.Event] = {}
        self._half_open: dict[tuple[str, str], SessionCore] = {}
        self._lock = threading.Lock()
        self.journal = journal
        self._swept: set[str] = set()   # upns whose start-up sweep of abandoned shells has begun
        self._sweeps: list[threading.Thread] = []

    # -- queries -------------------------------------------------------------------------------------

    def get(self, domain: str, upn: str | None = None) -> SessionCore | None:
        """The open session of ``domain`` (as ``upn``, or the most recently used one with any account)."""
        with self._lock:
            if upn is not None:
                return self._sessions.get((upn.lower(), domain.lower()))
            found = [s for (u, d), s in self._sessions.items() if d == domain.lower()]
            return max(found, key=lambda s: s.last_used) if found else None

    def sessions(self) -> list[SessionCore]:
        with self._lock:
            return list(self._sessions.values())

    def open_count(self, upn: str) -> int:
        with self._lock:
            return self._count(upn)

    def _count(self, upn: str) -> int:
        key = upn.lower()
        return sum(1 for u, _ in self._sessions if u == key) + sum(1 for u, _ in self._opening if u == key)

    # -- acquire -------------------------------------------------------------------------------------

    def acquire(self, tenant: Tenant, account: Account, credential: Credential, *,
                on_progress: Callable[[ImportProgress], None] | None = None,
                on_evict: Callable[[SessionCore], None] | None = None,
                on_event: Callable[[Event], None] | None = None) -> SessionCore:
        """The open session of ``tenant`` (no round trip), or a new one opened now (raises RemotingError)."""
        key = (account.upn.lower(), tenant.domain.lower())
        rest = _is_rest(account)
        while True:
            with self._lock:
                existing = self._sessions.get(key)
                if existing is not None and (existing.is_open or existing.broken):
                    existing.last_used = time.monotonic()   # a broken one reconnects on its next command
                    return existing
                if existing is not None:       # closed behind our back: forget it
                    del self._sessions[key]
                pending = self._opening.get(key)
                if pending is None:
                    victim = self._make_room(account, REST_WARM_PER_ACCOUNT if rest else self.per_account)
                    self._opening[key] = threading.Event()
                    break
            pending.wait()                     # another thread opens this tenant: share its result, or
            # (when it failed) try ourselves on the next turn
        if not rest:
            self._sweep(account, credential)
        try:
            if victim is not None:
                self._evict(victim, on_evict)
            # What only one transport takes: REST's request limit; the journal of PSRP's shells on the server.
            extra: dict[str, Any] = {}
            if rest and self.rest_concurrency is not None:
                extra["concurrency"] = self.rest_concurrency
            elif not rest and self.journal is not None:
                extra["journal"] = self.journal
            session = self.factory(account, tenant, credential, cache_dir=self.cache_dir, transcript=self.transcript,
                                   **extra)
            with self._lock:
                self._half_open[key] = session    # close_all reaches it even if a signal cuts open() short
            try:
                session.open(on_progress=on_progress, on_event=on_event)
            except RemotingError as exc:
                if exc.kind != E.SESSION_LIMIT:
                    raise
                # The service counts shells we do not see (another window, an abandoned one): free one
                # of ours if we can and try once more.
                with self._lock:
                    spare = self._lru_idle(account.upn)
                if spare is None:
                    raise
                self._evict(spare, on_evict)
                session.open(on_progress=on_progress, on_event=on_event)
            session.last_used = time.monotonic()
            with self._lock:
                self._sessions[key] = session
            return session
        finally:
            with self._lock:
                self._half_open.pop(key, None)
                done = self._opening.pop(key, None)
            if done is not None:
                done.set()

    def _sweep(self, account: Account, password: str) -> None:
        """Once per account: delete, in a background thread, the shells the journal lists that no live
        exohop will Delete (a SIGKILL, a lost Create). It never delays the connect: a Create that meets
        the limit meanwhile deletes them itself and retries (DelegatedSession._connect)."""
        if self.journal is None:
            return
        from tui.remoting.cleanup import clean_orphans  # pypsrp: not imported where only REST is used

        journal = self.journal
        with self._lock:
            if account.upn.lower() in self._swept:
                return
            thread = threading.Thread(target=lambda: clean_orphans(journal, account, password),
                                      name=f"exohop-sweep-{account.upn}", daemon=True)
            self._swept.add(account.upn.lower())
            self._sweeps.append(thread)
        thread.start()

    def _lru_idle(self, upn: str) -> SessionCore | None:
        key = upn.lower()
        idle = [s for (u, _), s in self._sessions.items() if u == key and not s.busy]
        return min(idle, key=lambda s: s.last_used) if idle else None

    def _make_room(self, account: Account, limit: int) -> SessionCore | None:
        """Under the lock: the session to evict so that one more of ``limit`` fits, or None; raises when all
        are busy."""
        if self._count(account.upn) < limit:
            return None
        victim = self._lru_idle(account.upn)
        if victim is None:
            raise RemotingError(
                f"{account.upn} already has {limit} sessions open and every one is running a command. "
                "Wait for one to finish (or stop it with Ctrl+C), then try again.",
                E.ALL_BUSY, account=account.upn)
        del self._sessions[_key(victim)]
        return victim

    def _evict(self, session: SessionCore, on_evict: Callable[[SessionCore], None] | None) -> None:
        with self._lock:
            self._sessions.pop(_key(session), None)
        if on_evict is not None:
            on_evict(session)
        try:
            session.close()
        except RemotingError:
            pass   # the shell expires on the server by itself; the new session must not fail for it

    # -- close ---------------------------------------------------------------------------------------

    def close(self, domain: str, upn: str | None = None) -> None:
        """Stop and close the session(s) of ``domain`` (of ``upn`` only, when given)."""
        with self._lock:
            keys = [k for k in self._sessions if k[1] == domain.lower() and (upn is None or k[0] == upn.lower())]
            sessions = [self._sessions.pop(k) for k in keys]
        for session in sessions:
            session.stop()
            session.close()

    def close_all(self, deadline_s: float = 10.0) -> list[str]:
        """Stop running commands and delete every shell, in parallel; returns one message per failure.

        Whatever waits on the server (a command, an open, an import) is abandoned first, so that no
        thread of the caller's (Textual's workers among them) stays blocked on a hung server; a Delete
        not answered within ``deadline_s`` stays in the journal for the next start."""
        with self._lock:
            sessions = [*self._sessions.values(), *self._half_open.values()]
            self._sessions.clear()
            self._half_open.clear()
        failures: list[str] = []
        lock = threading.Lock()

        def close_one(s: SessionCore) -> None:
            try:
                s.abandon()
                s.close(timeout_s=deadline_s)
            except RemotingError as exc:
                log.warning("closing %s failed", s.domain, exc_info=exc)
                with lock:
                    failures.append(exc.message)
            except Exception as exc:
                log.error("closing %s failed", s.domain, exc_info=exc)
                with lock:
                    failures.append(f"{s.domain} (as {s.account.upn}): the disconnect failed (the details are in "
                                    "exohop.log)")

        threads = [threading.Thread(target=close_one, args=(s,), name=f"exohop-close-{s.domain}", daemon=True)
                   for s in sessions]
        for t in threads:
            t.start()
        end = time.monotonic() + deadline_s
        for t, s in zip(threads, sessions, strict=True):
            t.join(max(0.0, end - time.monotonic()))
            if t.is_alive():
                failures.append(f"{s.domain} (as {s.account.upn}): no answer to the disconnect within "
                                f"{deadline_s:.0f} s; exohop deletes that session when it next connects as "
                                f"{s.account.upn}")
        # A sweep still deleting must get to strike its shells from the journal (or the next start sends
        # those Deletes again); a hung endpoint's sweep is left to its own bound.
        with self._lock:
            sweeps, self._sweeps = self._sweeps, []
        for t in sweeps:
            t.join(max(0.0, min(end, time.monotonic() + SWEEP_JOIN_S) - time.monotonic()))
        return failures


def _key(session: SessionCore) -> tuple[str, str]:
    return (session.account.upn.lower(), session.domain.lower())
