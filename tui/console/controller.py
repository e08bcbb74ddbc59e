"""Session orchestration for the UI, without Textual: tenant states, passwords, the pool, safety.

The app runs every blocking method here in a thread worker and turns the callbacks into
messages; nothing in this module touches a widget, so it can be tested and benchmarked alone.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from tui.files import atomic_write_text, locked
from tui.logs import register_secret
from tui.shell.history_file import HISTORY_LIMIT, HistoryFile

# The confirmation rule is shared with `exohop shell` and `exohop run` (re-exported: the tests import it here).
from tui.shell.safety import CONFIRM_POLICIES, needs_confirmation

__all__ = ["Controller", "EventBuffer", "RunHandle", "TenantState", "TenantStatus", "needs_confirmation"]

log = logging.getLogger(__name__)

RECENT_FILE = "recent-tenants.json"  # beside the per-tenant history files (domains never end in "-tenants")
RECENT_LIMIT = 200
# Failure kinds after which the session cannot run the next command as it is (the mark turns to ×).
CONNECTION_GONE = frozenset({"connection_lost", "refused", "timeout", "dns", "tls", "closed"})
LEAVE_READ_ONLY = 'turn read-only off with "app: Toggle read-only" in the command palette'


def _read_recent(path: Path) -> dict[str, float]:
    """When each tenant was last opened ({} when missing or unreadable: only the sidebar order is lost)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {d: float(w) for d, w in data.items() if isinstance(d, str) and isinstance(w, int | float)}


class TenantStatus(Enum):
    """What the sidebar mark says about a tenant; the value is the glyph."""

    IDLE = "○"
    CONNECTING = "…"
    IMPORTING = "◐"
    READY = "●"
    BUSY = "▶"
    ERROR = "×"

    @property
    def label(self) -> str:
        return {
            "IDLE": "not connected",
            "CONNECTING": "connecting",
            "IMPORTING": "importing commands",
            "READY": "ready",
            "BUSY": "running a command",
            "ERROR": "error",
        }[self.name]


class TenantLike(Protocol):
    domain: str
    name: str

    @property
    def tags(self) -> Sequence[str]: ...


@dataclass(slots=True)
class TenantState:
    status: TenantStatus = TenantStatus.IDLE
    message: str = ""  # the error text shown on hover/selection
    last_used: float = 0.0


class EventBuffer:
    """Events of one run, handed from the worker thread to the UI thread in batches.

    ``push`` returns True only when the buffer goes from empty to non-empty: the worker then posts
    one message, and the UI drains whatever has accumulated by the time it gets to it. A fast
    stream therefore costs one message per frame, not one per record.
    """

    __slots__ = ("_items", "_lock")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._lock = threading.Lock()

    def push(self, event: Any) -> bool:
        with self._lock:
            self._items.append(event)
            return len(self._items) == 1

    def drain(self) -> list[Any]:
        with self._lock:
            items, self._items = self._items, []
        return items


@dataclass
class RunHandle:
    domain: str
    line: str
    buffer: EventBuffer = field(default_factory=EventBuffer)
    started: float = field(default_factory=time.monotonic)


class Controller:
    """The UI's model: tenants and their states, the session pool, passwords held in memory.

    ``password_source(upn)`` returns a password or None (keyring, or the demo's memory);
    ``password_store(upn, password)`` persists one (keyring), or is None when nothing persists.
    """

    def __init__(self, config: Any, tenants: Any, *,
                 password_source: Callable[[str], str | None],
                 password_store: Callable[[str, str], None] | None = None,
                 pool: Any = None, cache_dir: Path | None = None, transcript_dir: Path | None = None,
                 history_dir: Path | None = None, demo: Any = None, refresh_in_background: bool = True,
                 journal_dir: Path | None = None,
                 token_source: Callable[[Any], Any] | None = None) -> None:
        self.config = config
        self.directory = tenants
        self.demo = demo
        self._password_source = password_source
        self._password_store = password_store
        self._passwords: dict[str, str] = {}
        self._token_source = token_source        # account -> its TokenProvider / AppTokenProvider (blocking)
        self._token_sources: dict[str, Any] = {}
        self._signed_in: set[str] = set()          # OAuth accounts seen signed in by this process
        self.cache_dir = cache_dir
        self.transcript_dir = transcript_dir
        self.history_dir = history_dir
        self.journal_dir = journal_dir  # the shell journal's folder (tui.remoting.journal); None: no journal
        self.refresh_in_background = refresh_in_background  # re-import a cached catalog after opening
        self._pool = pool
        self.states: dict[str, TenantState] = {}
        self.runs: dict[str, RunHandle] = {}
        self.preferred_account: Any = None  # `exohop --account UPN` overrides the default
        self.read_only = False  # `exohop --read-only`: every account starts read-only
        self._read_only_set: dict[str, bool] = {}   # upn -> the palette's choice, for this run of the console
        self.closing = False  # set by close_all: no new session may open after it
        self._lock = threading.Lock()
        self._opens_lock = threading.Condition()
        self._history_lock = threading.Lock()
        self._history_written: dict[str, int] = {}
        self._history_synced: dict[str, list[str]] = {}   # per tenant: the entries last read or written
        # Guards only _history_synced: load_history runs on the UI thread and must not wait on
        # _history_lock, which a save holds across another process's file lock and an fsync.
        self._synced_lock = threading.Lock()
        self._opens_in_flight = 0

    @property
    def pool(self) -> Any:
        """The session pool, created on first use (importing pypsrp costs time the first frame should not pay)."""
        if self._pool is None:
            from tui.remoting.journal import ShellJournal
            from tui.remoting.pool import SessionPool, open_session_for
            from tui.remoting.transcript import Transcript

            transcript = Transcript(self.transcript_dir) if self.transcript_dir is not None else None
            factory = functools.partial(open_session_for, refresh_in_background=self.refresh_in_background)
            journal = ShellJournal(self.journal_dir) if self.journal_dir is not None else None
            settings = getattr(self.config, "settings", None)
            self._pool = SessionPool(per_account=self.per_account, cache_dir=self.cache_dir, transcript=transcript,
                                     factory=factory, journal=journal,
                                     rest_concurrency=getattr(settings, "rest_concurrency_per_tenant", None))
        return self._pool

    # -- model ----------------------------------------------------------------------------------

    @property
    def tenants(self) -> list[Any]:
        d = self.directory
        for attr in ("tenants", "all"):
            value = getattr(d, attr, None)
            if value is not None:
                return list(value() if callable(value) else value)
        return list(d)

    def tenant(self, domain: str) -> Any | None:
        """The tenant named ``domain`` (any case), or None."""
        lookup = getattr(self.directory, "get", None)
        if callable(lookup):
            return lookup(domain)
        return next((t for t in self.tenants if t.domain.lower() == domain.lower()), None)

    @property
    def settings(self) -> Any:
        return getattr(self.config, "settings", None)

    @property
    def confirm_policy(self) -> str:
        policy = getattr(self.settings, "confirm", "always")
        return policy if policy in CONFIRM_POLICIES else "always"

    @property
    def per_account(self) -> int:
        return int(getattr(self.settings, "max_sessions_per_account", 3) or 3)

    def state(self, domain: str) -> TenantState:
        key = domain.lower()
        st = self.states.get(key)
        if st is None:
            st = self.states[key] = TenantState()
        return st

    def set_status(self, domain: str, status: TenantStatus, message: str = "") -> None:
        st = self.state(domain)
        st.status = status
        st.message = message

    def touch(self, domain: str) -> None:
        self.state(domain).last_used = time.time()

    def recent(self) -> dict[str, float]:
        return {d: s.last_used for d, s in self.states.items() if s.last_used}

    # -- recently used tenants (the sidebar order survives a restart) ------------------------------

    def _recent_path(self) -> Path | None:
        return self.history_dir / RECENT_FILE if self.history_dir is not None else None

    def load_recent(self) -> None:
        """Read when each tenant was last opened (missing or unreadable file: nothing known)."""
        path = self._recent_path()
        if path is None:
            return
        for domain, when in _read_recent(path).items():
            self.state(domain).last_used = when

    def save_recent(self) -> None:
        """Merge this console's last-used times into the file, under its lock (another console's stay)."""
        path = self._recent_path()
        if path is None:
            return
        with self._history_lock, locked(path):
            merged = _read_recent(path)
            for domain, when in self.recent().items():
                if when > merged.get(domain, 0.0):
                    merged[domain] = when
            newest = sorted(merged.items(), key=lambda kv: -kv[1])[:RECENT_LIMIT]
            atomic_write_text(path, json.dumps(dict(newest)))

    def account_for(self, tenant: Any) -> Any:
        """The partner account that manages ``tenant`` (its own, else the configured default)."""
        accounts = list(getattr(self.config, "accounts", ()) or ())
        wanted = getattr(tenant, "account", None)
        if wanted:
            for acc in accounts:
                if acc.upn.lower() == str(wanted).lower():
                    return acc
        if self.preferred_account is not None:
            return self.preferred_account
        default = getattr(self.config, "default_account", None)
        if callable(default):
            default = default()
        if default is not None:
            return default
        for acc in accounts:
            if getattr(acc, "default", False):
                return acc
        if accounts:
            return accounts[0]
        raise LookupError("no partner account is configured: run `exohop login UPN` first")

    def active_account(self) -> Any | None:
        try:
            return self.account_for(object())
        except LookupError:
            return None

    # -- read-only (the sessions refuse state changes: tui.shell.safety, tui.remoting.session_core) ----

    def read_only_for(self, account: Any) -> bool:
        """The palette's choice for ``account`` this session, else ``--read-only`` or its ``read_only = true``."""
        chosen = self._read_only_set.get(account.upn.lower())
        return chosen if chosen is not None else self.read_only or bool(getattr(account, "read_only", False))

    def toggle_read_only(self, account: Any) -> bool:
        """Flip read-only for ``account`` until the console quits (config.toml is not changed); its open
        sessions follow at once. Returns the new state."""
        on = not self.read_only_for(account)
        self._read_only_set[account.upn.lower()] = on
        if self._pool is not None:
            for session in self._pool.sessions():
                if session.account.upn.lower() == account.upn.lower():
                    session.set_read_only(on, LEAVE_READ_ONLY)
        return on

    def read_only_notice(self, account: Any, on: bool) -> str:
        """What the console says after the toggle: what it does, and that it lasts until the console quits."""
        upn = account.upn
        if on:
            return (f"Read-only for {upn}: commands that change a tenant are refused before they are sent; "
                    "-WhatIf still runs.")
        again = ("read_only = true in config.toml" if getattr(account, "read_only", False)
                 else "--read-only" if self.read_only else "")
        later = f" ({again} turns it on again next start)" if again else ""
        return f"Read-only is off for {upn} until the console quits{later}: commands run as typed."

    def confirmation_needed(self, tenant: Any, line: str) -> bool:
        """Whether ``line`` asks the engineer first in ``tenant``: the shared rule, with the tenant's catalog
        (before it is connected, the shipped one) and its account's read-only state."""
        from tui.remoting.shipped_catalog import shipped_cmdlet

        session = self.session(tenant.domain)
        catalog = session.catalog if session is not None and len(session.catalog) else shipped_cmdlet
        return needs_confirmation(line, self.confirm_policy, catalog,
                                  read_only=self.read_only_for(self.account_for(tenant)))

    # -- history (one JSON file per tenant, shared with `exohop shell`; blocking disk I/O) ----------

    def _history_file(self, domain: str) -> HistoryFile | None:
        return HistoryFile(self.history_dir, domain, HISTORY_LIMIT) if self.history_dir is not None else None

    def load_history(self, domain: str) -> list[str]:
        """The tenant's saved command lines, oldest first ([] when none or unreadable)."""
        file = self._history_file(domain)
        if file is None:
            return []
        entries = file.load()
        with self._synced_lock:
            self._history_synced[domain.lower()] = entries
        return list(entries)

    def save_history(self, domain: str, entries: Sequence[str], seq: int = 0) -> None:
        """Add the lines run since the last save to the file, under its lock; ``seq`` (increasing per
        save request) keeps a late older save from winning.

        The file is re-read inside the lock and only this console's new lines are appended to it
        (``HistoryFile.merge``): a second console, or an `exohop shell`, on the same tenant, in this
        process or another, keeps its lines too.
        """
        file = self._history_file(domain)
        if file is None:
            return
        key = domain.lower()
        mine = list(entries)
        with self._history_lock:
            if seq and seq < self._history_written.get(key, 0):
                return
            with self._synced_lock:
                synced = self._history_synced.get(key, [])
            file.merge(synced, mine)
            with self._synced_lock:
                self._history_synced[key] = mine
            self._history_written[key] = seq

    # -- passwords (blocking: keyring over D-Bus) -------------------------------------------------

    def password(self, upn: str) -> str | None:
        key = upn.lower()
        if key in self._passwords:
            return self._passwords[key]
        found = self._password_source(upn)
        if found:
            register_secret(found, user=upn)   # the log's filter masks it from here on
            self._passwords[key] = found
        return found

    def remember_password(self, upn: str, password: str, persist: bool) -> None:
        """Hold ``password`` in memory; with ``persist``, also store it (keyring). Raises on failure."""
        register_secret(password, user=upn)
        self._passwords[upn.lower()] = password
        if persist and self._password_store is not None:
            self._password_store(upn, password)

    def forget_password(self, upn: str) -> None:
        self._passwords.pop(upn.lower(), None)

    # -- OAuth sign-in (blocking: the token cache's key is in the keyring) ---------------------------

    def uses_password(self, account: Any) -> bool:
        from tui.remoting.auth.account import BASIC, auth_of

        return auth_of(account) == BASIC

    def token_source(self, account: Any) -> Any:
        """The account's token source (made once); raises LookupError when this app has no sign-in."""
        if self._token_source is None:
            raise LookupError(f"{account.upn} signs in with OAuth, which this configuration cannot do")
        key = account.upn.lower()
        with self._lock:
            found = self._token_sources.get(key)
        if found is None:
            found = self._token_source(account)
            with self._lock:
                found = self._token_sources.setdefault(key, found)
        return found

    def can_sign_in(self, account: Any) -> bool:
        """A user account (OAuth) whose sign-in the console's dialog can renew; not an app, not a password."""
        from tui.remoting.auth.account import OAUTH, auth_of

        return auth_of(account) == OAUTH and self._token_source is not None

    def needs_sign_in(self, account: Any) -> bool:
        """True for a user account (not an app) with no cached sign-in."""
        from tui.remoting.auth.account import OAUTH, auth_of

        if auth_of(account) != OAUTH:
            return False
        return self.token_source(account).signed_in_user() is None

    def sign_in_flow(self, account: Any) -> Callable[[Callable[[Any], None], threading.Event], Any]:
        """The device-code flow for ``account``: the demo's approves itself once shown."""
        if self.demo is not None and hasattr(self.demo, "sign_in"):
            demo = self.demo
            return lambda on_prompt, cancel: demo.sign_in(account, on_prompt, cancel)
        provider = self.token_source(account)
        return lambda on_prompt, cancel: provider.sign_in_with_device_code(on_prompt, cancel=cancel)

    def mark_signed_in(self, upn: str) -> None:
        """A sign-in of ``upn`` completed, or one of its sessions opened with a token."""
        with self._lock:
            self._signed_in.add(upn.lower())

    def sign_in_label(self, account: Any) -> tuple[str, str]:
        """(sign-in state, transport) for the header, from what this process saw (no I/O: the UI thread)."""
        from tui.remoting.auth.account import APP, BASIC, auth_of, transport_of

        auth = auth_of(account)
        if auth == BASIC:
            state = ""
        elif auth == APP:
            state = "app"
        else:
            state = "signed in" if account.upn.lower() in self._signed_in else "not signed in"
        return state, transport_of(account)

    # -- sessions (blocking) ----------------------------------------------------------------------

    def session(self, domain: str) -> Any | None:
        return self.pool.get(domain) if self._pool is not None else None

    def open_count(self, upn: str) -> int:
        return int(self._pool.open_count(upn)) if self._pool is not None else 0

    def kept_per_account(self, tenant: Any | None) -> str:
        """How many sessions the pool keeps per account of ``tenant``, for the eviction notice (by then the
        pool, and so tui.remoting.pool, is loaded)."""
        from tui.remoting.auth.account import REST, transport_of
        from tui.remoting.pool import REST_WARM_PER_ACCOUNT

        if tenant is not None and transport_of(self.account_for(tenant)) == REST:
            return f"{REST_WARM_PER_ACCOUNT} warm REST sessions"
        return f"{self.per_account} sessions"

    def session_gone(self, domain: str, kind: str) -> bool:
        """After a command failed with ``kind``: the session cannot run the next command as it is."""
        session = self.session(domain)
        # pypsrp still reports a pool OPENED after the server went away: the kind says it is gone.
        return session is None or not getattr(session, "is_open", True) or kind in CONNECTION_GONE

    def open_session(self, tenant: Any, password: Any,
                     on_progress: Callable[[Any], None] | None = None,
                     on_evict: Callable[[Any], None] | None = None,
                     on_event: Callable[[Any], None] | None = None) -> Any:
        """Acquire ``tenant``'s session from the pool (opening and importing it if needed); ``on_event``
        gets what the open itself reports (a redirect followed, a warning)."""
        account = self.account_for(tenant)
        with self._opens_lock:
            self._opens_in_flight += 1
        try:
            if self.closing:
                raise LookupError("exohop is quitting: not opening another session")
            session = self.pool.acquire(tenant, account, password, on_progress=on_progress, on_evict=on_evict,
                                        on_event=on_event)
            session.set_read_only(self.read_only_for(account), LEAVE_READ_ONLY)   # before its first command
            return session
        finally:
            with self._opens_lock:
                self._opens_in_flight -= 1
                self._opens_lock.notify_all()

    @property
    def opening(self) -> int:
        """Sessions being opened right now (by workers)."""
        with self._opens_lock:
            return self._opens_in_flight

    def refresh_catalog(self, tenant: Any, password: Any, on_progress: Callable[[Any], None] | None = None,
                        on_evict: Callable[[Any], None] | None = None) -> Any:
        """Import the tenant's commands afresh with progress, over its open session (no new shell).

        The session swaps its catalog whole and rewrites the cache. A tenant not connected yet is
        connected first; a connect that just imported (no cache) is not imported twice.
        """
        session = self.pool.get(tenant.domain)
        if session is not None and session.is_open:
            session.refresh_catalog(on_progress)
            return session
        from_cache = [False]

        def progress(p: Any) -> None:
            from_cache[0] = bool(getattr(p, "from_cache", False))
            if on_progress is not None and not from_cache[0]:
                on_progress(p)

        session = self.open_session(tenant, password, progress, on_evict)
        if from_cache[0]:
            session.refresh_catalog(on_progress)
        return session

    def stand_in_catalog(self, tenant: Any) -> Any:
        """A ``StandIn`` catalog to complete from while ``tenant``'s own is imported: the cache of the most
        recently used other tenant on the same endpoint, else the shipped catalog (blocking: disk)."""
        from tui.remoting.stand_in_catalog import stand_in_catalog

        endpoint = self.account_for(tenant).endpoint
        others: list[tuple[str, str]] = []
        for domain, _ in sorted(self.recent().items(), key=lambda kv: -kv[1]):
            other = self.tenant(domain) if domain != tenant.domain.lower() else None
            if other is not None:
                try:
                    others.append((self.account_for(other).upn, other.domain))
                except LookupError:
                    continue
        return stand_in_catalog(self.cache_dir, endpoint, others)

    def record_outcome(self, tenant: Any, line: str, outcome: str) -> None:
        """A transcript line for a command the session never ran (``declined`` at the confirmation).

        Blocking disk I/O (fsync); raises OSError when the transcript cannot be written."""
        transcript = getattr(self.pool, "transcript", None)
        if transcript is not None:
            transcript.record_outcome(account=self.account_for(tenant).upn, tenant=tenant.domain, line=line,
                                      outcome=outcome)

    def start_run(self, domain: str, line: str) -> RunHandle:
        handle = RunHandle(domain.lower(), line)
        with self._lock:
            self.runs[domain.lower()] = handle
        return handle

    def finish_run(self, domain: str) -> None:
        with self._lock:
            self.runs.pop(domain.lower(), None)

    def running(self) -> list[str]:
        with self._lock:
            return list(self.runs)

    def stop(self, domain: str) -> None:
        session = self.pool.get(domain)
        if session is not None:
            session.stop()

    def stop_all(self) -> None:
        for domain in self.running():
            try:
                self.stop(domain)
            except Exception:  # quitting: a failed stop must not keep the others open
                log.warning("stopping the command in %s failed", domain, exc_info=True)
                continue

    def close(self, domain: str) -> None:
        self.pool.close(domain)

    def close_all(self, deadline_s: float = 2.0) -> list[str]:
        """Stop running pipelines, then close every shell; returns the failures (already worded).

        A session still opening when quitting would land in the pool after it was emptied: wait for
        those opens (within the deadline) and close what they opened too.
        """
        self.closing = True
        if self._pool is None:
            return []
        end = time.monotonic() + deadline_s
        self.stop_all()
        failures = list(self._pool.close_all(deadline_s) or [])
        with self._opens_lock:
            while self._opens_in_flight and time.monotonic() < end:
                self._opens_lock.wait(max(0.01, end - time.monotonic()))
        if self._pool.sessions():
            failures += list(self._pool.close_all(max(0.5, end - time.monotonic())) or [])
        return failures
