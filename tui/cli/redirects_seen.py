"""`exohop run` tells of a redirect once per account and endpoint, not on every run.

Exchange redirects every first contact of an account to its pod; the warning matters the first time
(the connection goes somewhere else than configured) and is noise on the hundredth run of a script.
What was told is remembered in ``redirects.json`` in the data folder (the demo's own folder for the
demo): ``{"<endpoint key>\\n<upn>": "<the URI it was redirected to>"}``, written atomically under the
file's lock. The endpoint key is the catalog cache's (a loopback simulator's port left out, so the
demo's changing port counts as one endpoint). A file that cannot be read or written means the warning
is shown again; it never stops the command.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.config import Account
from tui.files import atomic_write_text, locked
from tui.remoting.catalog_cache import endpoint_key
from tui.remoting.events import Event, RedirectEvent

log = logging.getLogger(__name__)

FILE_NAME = "redirects.json"


class RedirectsSeen:
    """The (endpoint, account) pairs whose redirect the user was already told of."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        # A batch's tenants of one account are redirected at once, on several threads: told once here too.
        self._told: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _key(account: Account) -> str:
        return f"{endpoint_key(account.endpoint)}\n{account.upn.lower()}"

    def _read(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:   # unreadable or garbled: start afresh (the file is only a memory)
            log.info("ignoring %s: %s", self.path, exc)
            return {}
        return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(loaded, dict) else {}

    def seen(self, account: Account) -> bool:
        return self._key(account) in self._read()

    def remember(self, account: Account, uri: str) -> None:
        try:
            with locked(self.path):
                known = self._read()
                known[self._key(account)] = uri
                atomic_write_text(self.path, json.dumps(known, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            log.warning("could not remember the redirect of %s in %s: %s", account.upn, self.path,
                        getattr(exc, "strerror", None) or exc)

    def filter(self, account: Account, on_event: Callable[[Event], None]) -> Callable[[Any], None]:
        """``on_event`` without the RedirectEvents of ``account`` told on an earlier run (this one's are
        remembered as they pass)."""
        already = self.seen(account)

        def forward(event: Any) -> None:
            if isinstance(event, RedirectEvent):
                log.info("%s was redirected to %s", account.upn, event.uri)
                with self._lock:
                    if already or self._key(account) in self._told:
                        return
                    self._told.add(self._key(account))
                self.remember(account, event.uri)
            on_event(event)

        return forward
