"""One history file per tenant, shared by the console and ``exohop shell``: ``<domain>.json``.

``{"version": 1, "entries": [oldest … newest]}``, at most ``HISTORY_LIMIT`` lines. Every write is a
read-modify-write under the file's lock (``tui.files.locked``) with an atomic replace, so a console
and a shell open on the same tenant (or two of either) each add their lines to what the other wrote.

Before this file was shared, ``exohop shell`` kept prompt_toolkit's ``FileHistory`` in
``<domain>.txt``. The first time a tenant's history is read, that file's lines are merged in front of
the JSON file's (the shell's lines are older: the JSON file only ever had the console's) and the
``.txt`` is renamed ``<domain>.txt.migrated``: renamed, not deleted, because the JSON file keeps only
the newest ``HISTORY_LIMIT`` lines and the old file may hold more; renamed, not left, so the merge
happens once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from tui.files import atomic_write_text, locked
from tui.shell.history import merge_new

log = logging.getLogger(__name__)

HISTORY_VERSION = 1  # bump when the file format changes
HISTORY_LIMIT = 1000
OLD_SUFFIX = ".txt"            # prompt_toolkit FileHistory, written by `exohop shell` before the merge
MIGRATED_SUFFIX = ".txt.migrated"


def history_name(domain: str) -> str:
    """The file-name stem of a tenant's history (its domain, lower case, file-name-safe)."""
    return "".join(c for c in domain.lower() if c.isalnum() or c in ".-") or "unknown"


def read_entries(path: Path) -> list[str]:
    """A history file's entries, oldest first ([] when missing, unreadable or of another version)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    entries = data.get("entries") if isinstance(data, dict) and data.get("version") == HISTORY_VERSION else None
    return [e for e in entries if isinstance(e, str)][-HISTORY_LIMIT:] if isinstance(entries, list) else []


def read_file_history(path: Path) -> list[str]:
    """The entries of a prompt_toolkit ``FileHistory`` file, oldest first (blank ones left out); its own
    reader does the parsing (it yields the newest first)."""
    from prompt_toolkit.history import FileHistory

    entries = [e.strip() for e in FileHistory(str(path)).load_history_strings()]
    return [e for e in reversed(entries) if e]


def _write(path: Path, entries: Sequence[str]) -> None:
    atomic_write_text(path, json.dumps({"version": HISTORY_VERSION, "entries": list(entries)[-HISTORY_LIMIT:]}))


class HistoryFile:
    """A tenant's history file in ``directory``; blocking disk I/O (the console calls it on a thread)."""

    def __init__(self, directory: Path, domain: str, limit: int = HISTORY_LIMIT) -> None:
        self.path = directory / f"{history_name(domain)}.json"
        self.old_path = directory / f"{history_name(domain)}{OLD_SUFFIX}"
        self.limit = limit

    def load(self) -> list[str]:
        """The entries, oldest first, after merging the shell's old ``.txt`` history if one is there."""
        if self.old_path.exists():
            try:
                self._migrate()
            except OSError as exc:   # the old file stays where it is; the next start tries again
                log.warning("could not merge %s into %s: %s", self.old_path.name, self.path.name,
                            exc.strerror or type(exc).__name__)
        return read_entries(self.path)

    def _migrate(self) -> None:
        with locked(self.path):
            if not self.old_path.exists():   # another exohop merged it while this one waited for the lock
                return
            old = read_file_history(self.old_path)
            merged = old + read_entries(self.path)
            _write(self.path, merged[-self.limit:])
            # A crash between the write and the rename merges the lines once more at the next start:
            # duplicated lines, never lost ones.
            self.old_path.replace(self.old_path.with_name(self.old_path.stem + MIGRATED_SUFFIX))

    def merge(self, synced: Sequence[str], mine: Sequence[str]) -> list[str]:
        """Write the lines of ``mine`` added since ``synced`` (what this face last read or wrote) onto the
        file as it is now (``tui.shell.history.merge_new``); returns what the file holds afterwards."""
        with locked(self.path):
            merged = merge_new(read_entries(self.path), synced, mine, self.limit)
            _write(self.path, merged)
        return merged

    def append(self, line: str) -> None:
        """Add one line run now (blank lines and an immediate repeat of the file's last line are not)."""
        text = line.strip()
        if not text:
            return
        with locked(self.path):
            entries = read_entries(self.path)
            if entries and entries[-1] == text:
                return
            _write(self.path, [*entries, text][-self.limit:])
