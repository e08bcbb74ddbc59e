"""The shell journal: the WS-Management shells exohop processes on this machine hold open.

The service allows three shells per account and keeps a shell it was never told to Delete for
about 15 minutes. A SIGKILL, a power loss, a Create whose answer was lost, or a quit against a hung
server would otherwise lock the engineer out for that long. So every shell is written here *before*
its Create (pypsrp sends the pool id as the ShellId, so the id is known in advance) and removed once
its Delete was answered; what is still listed by a process that is gone (or was given up by a live
one) is deleted on the next start and on the "maximum number of connections" fault.

File: ``<data dir>/open-shells.json``, ``{"version": 1, "shells": [entry, …]}`` where an entry is
``{"endpoint", "upn", "shell_id", "created_at" (UTC ISO 8601), "pid", "proc_start", "abandoned"}``:
no secret. Every read-modify-write happens under ``open-shells.json.lock`` (several exohop
processes share the file) and is written atomically.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.files import atomic_write_text, locked

log = logging.getLogger(__name__)

FILE_NAME = "open-shells.json"
LOCK_TIMEOUT_S = 5.0
# The service forgets an idle shell after about 15 minutes: an entry much older than that is only
# noise (e.g. a simulator on a port that no longer exists), so it is dropped without a Delete.
STALE_AFTER = timedelta(hours=1)


def _proc_start(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), so a reused pid is not mistaken
    for the process that wrote an entry; None where /proc is not available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, proc_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True          # someone else's process: alive, and not ours to judge
    return proc_start is None or _proc_start(pid) in (None, proc_start)


@dataclass(frozen=True, slots=True)
class ShellEntry:
    endpoint: str
    upn: str
    shell_id: str
    created_at: str
    pid: int
    proc_start: str | None = None
    abandoned: bool = False

    @property
    def orphaned(self) -> bool:
        """No process will Delete this shell any more: its owner is gone, or gave up on it."""
        return self.abandoned or not _alive(self.pid, self.proc_start)

    @property
    def stale(self) -> bool:
        try:
            created = datetime.fromisoformat(self.created_at)
        except ValueError:
            return True
        return datetime.now(UTC) - created > STALE_AFTER


class ShellJournal:
    """``<directory>/open-shells.json``; every method is safe across threads and processes."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._pid = os.getpid()
        self._proc_start = _proc_start(self._pid)

    # -- reading / writing ----------------------------------------------------------------------

    def _read(self) -> list[ShellEntry]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            # A journal is only a hint: an unreadable one is started afresh rather than blocking a connect.
            log.warning("the shell journal %s is unreadable (%s); starting a new one", self.path, type(exc).__name__)
            return []
        entries: list[ShellEntry] = []
        for raw in data.get("shells", []) if isinstance(data, dict) else []:
            try:
                entries.append(ShellEntry(**{k: raw[k] for k in raw if k in ShellEntry.__slots__}))
            except TypeError:
                continue
        return entries

    def _write(self, entries: list[ShellEntry]) -> None:
        payload: dict[str, Any] = {"version": 1, "shells": [asdict(e) for e in entries]}
        atomic_write_text(self.path, json.dumps(payload, indent=1) + "\n", mode=0o600)

    @contextmanager
    def _editing(self) -> Iterator[list[ShellEntry]]:
        with locked(self.path, LOCK_TIMEOUT_S):
            entries = self._read()
            before = list(entries)
            yield entries
            if entries != before:
                self._write(entries)

    def _safely(self, action: str, fn: Callable[[], None]) -> None:
        """The journal must never fail a connect or a quit: a lock or disk problem is logged."""
        try:
            fn()
        except OSError as exc:   # FileBusy (the lock timed out) is one too
            log.warning("could not %s the shell journal %s: %s", action, self.path, type(exc).__name__)

    # -- the owner's side -----------------------------------------------------------------------

    def add(self, endpoint: str, upn: str, shell_id: str) -> None:
        """Before the Create: this process is about to open ``shell_id`` at ``endpoint``."""
        entry = ShellEntry(endpoint=endpoint, upn=upn.lower(), shell_id=shell_id.upper(),
                           created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                           pid=self._pid, proc_start=self._proc_start)

        def edit() -> None:
            with self._editing() as entries:
                entries[:] = [e for e in entries if e.shell_id != entry.shell_id] + [entry]

        self._safely("write", edit)

    def remove(self, shell_id: str) -> None:
        """After the Delete was answered (or the server said the shell is gone)."""
        def edit() -> None:
            with self._editing() as entries:
                entries[:] = [e for e in entries if e.shell_id != shell_id.upper()]

        self._safely("update", edit)

    def give_up(self, shell_id: str) -> None:
        """This process will not Delete ``shell_id`` (its server stopped answering): anyone may."""
        def edit() -> None:
            with self._editing() as entries:
                entries[:] = [replace(e, abandoned=True) if e.shell_id == shell_id.upper() else e for e in entries]

        self._safely("update", edit)

    # -- the cleaner's side ---------------------------------------------------------------------

    def entries(self) -> list[ShellEntry]:
        try:
            with locked(self.path, LOCK_TIMEOUT_S):
                return self._read()
        except OSError:
            return []

    def orphans(self, upn: str) -> list[ShellEntry]:
        """Shells of ``upn`` nobody will Delete; stale ones are dropped from the file on the way."""
        found: list[ShellEntry] = []

        def edit() -> None:
            with self._editing() as entries:
                entries[:] = [e for e in entries if not e.stale]
                found.extend(e for e in entries if e.upn == upn.lower() and e.orphaned)

        self._safely("read", edit)
        return found
