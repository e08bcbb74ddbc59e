"""One tenant of ``exohop shell``: its session, connected in the background, and what it remembers.

The prompt shows at once; ``Link.connect`` opens the session on a thread (the session starts from
its cached catalog and refreshes that in the background itself) while the toolbar tells the state
and the import progress. What the connect says (a redirect, a throttling wait) is kept for the face to
print when it next has the terminal, never written over the prompt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.config import Account, ConfigError
from tui.logs import installed_path
from tui.shell.history_file import HistoryFile
from tui.shell.memory import CompletionMemory
from tui.tenants import Tenant

if TYPE_CHECKING:   # imported by the connect thread: the prompt shows before requests and pypsrp load
    from tui.remoting.errors import RemotingError
    from tui.remoting.events import Event, ImportProgress

log = logging.getLogger(__name__)

EXIT_WORDS = ("exit", "quit", "exit-pssession")   # what leaves the shell (never a command, never history)
CONNECTING, IMPORTING, READY, FAILED = "connecting", "importing commands", "ready", "failed"


class Link:
    """A tenant as one account in this shell; ``state`` and ``progress`` change on the connect thread."""

    def __init__(self, tenant: Tenant, account: Account, history_dir: Path) -> None:
        self.tenant = tenant
        self.account = account
        self.history = HistoryFile(history_dir, tenant.domain)
        entries = self.history.load()
        self.entries = entries                          # oldest first, as loaded (the prompt's history)
        self.memory = CompletionMemory(entries)         # the console's memory, seeded from the same file
        self.session: Any = None                        # SessionCore once open
        self.state = CONNECTING
        self.progress: tuple[int, int] | None = None    # (done, total) of a catalog import
        self.error: RemotingError | None = None
        self.said: list[Event] = []                     # events of the connect, shown later
        self.settled = False                            # the face has shown its notices / failure
        self.done = threading.Event()
        self.started = False
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.done.is_set() and self.session is not None

    @property
    def commands(self) -> int:
        session = self.session
        return len(session.catalog) if session is not None else 0

    def connect(self, acquire: Callable[..., Any], on_change: Callable[[Link], None]) -> None:
        """Open the session on a thread: ``acquire(link, on_progress=, on_event=)`` signs in and asks the pool."""
        if self.started:
            return
        self.started = True

        def changed() -> None:
            # The prompt may end (and its loop close) while this thread tells it: the next prompt reads
            # the state afresh, so a redraw missed here loses nothing.
            try:
                on_change(self)
            except Exception:
                log.debug("the prompt was not told of %s's change", self.tenant.domain, exc_info=True)

        def progress(p: ImportProgress) -> None:
            if not p.from_cache:
                self.state, self.progress = IMPORTING, (p.done, p.total)
                changed()

        def said(event: Event) -> None:
            with self._lock:
                self.said.append(event)

        def work() -> None:
            from tui.accounts import KeyringUnavailable, PasswordInputError
            from tui.files import FileBusy
            from tui.remoting.errors import RemotingError

            try:
                session = acquire(self, on_progress=progress, on_event=said)
            except RemotingError as exc:
                self.error, self.state = exc, FAILED
            except ConfigError as exc:   # the account's configuration (its CA file …) is wrong
                self.error, self.state = RemotingError(exc.message, "config", tenant=self.tenant.domain), FAILED
            except (KeyringUnavailable, PasswordInputError, FileBusy) as exc:   # the keyring or token cache
                self.error, self.state = RemotingError(exc.message, "auth", tenant=self.tenant.domain), FAILED
            except Exception:   # a bug, not a condition the user can fix: the traceback to the log
                log.exception("connecting to %s failed", self.tenant.domain)
                where = installed_path()
                self.error = RemotingError(f"an unexpected error stopped the connection to {self.tenant.domain}; "
                                           + (f"the details are in {where}" if where is not None else
                                              "run it again with --log FILE for the details"),
                                           "unexpected", tenant=self.tenant.domain)
                self.state = FAILED
            else:
                self.session, self.state, self.progress = session, READY, None
                session.on_catalog_changed = lambda _catalog: changed()   # the count, the synopses
            self.done.set()
            changed()

        threading.Thread(target=work, name=f"exohop-connect-{self.tenant.domain}", daemon=True).start()

    def take_said(self) -> list[Event]:
        with self._lock:
            said, self.said = self.said, []
        return said
