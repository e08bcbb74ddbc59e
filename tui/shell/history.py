"""Per-tenant command history: bounded, Up/Down navigation and reverse search (pure, no Textual).

The console owns one ``History`` per tenant; the app persists ``entries`` (oldest first) and hands
them back when it recreates the console.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

DEFAULT_LIMIT = 1000


class History:
    """Lines run in one console, oldest first, with a navigation cursor for Up/Down.

    Navigation keeps the line being edited (the "draft") so that Down past the newest entry gives it
    back, as in PSReadLine and bash.
    """

    def __init__(self, entries: Iterable[str] = (), limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(1, limit)
        self._entries: deque[str] = deque(maxlen=self.limit)
        for line in entries:
            self.add(line)
        self._pos: int | None = None  # index into _entries while navigating; None = editing the draft
        self._draft = ""

    @property
    def entries(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, line: str) -> None:
        """Record a run line; blank lines and an immediate repeat are not stored twice."""
        self.reset()
        text = line.strip()
        if not text:
            return
        if self._entries and self._entries[-1] == text:
            return
        self._entries.append(text)

    def reset(self) -> None:
        """Leave navigation (the next Up starts again from the newest entry)."""
        self._pos = None
        self._draft = ""

    @property
    def navigating(self) -> bool:
        return self._pos is not None

    def older(self, current: str) -> str | None:
        """The entry before the current one (Up); ``None`` when there is nothing older."""
        if not self._entries:
            return None
        if self._pos is None:
            self._draft = current
            self._pos = len(self._entries) - 1
        elif self._pos > 0:
            self._pos -= 1
        else:
            return None
        return self._entries[self._pos]

    def newer(self) -> str | None:
        """The entry after the current one (Down); the saved draft past the newest; ``None`` if not navigating."""
        if self._pos is None:
            return None
        if self._pos < len(self._entries) - 1:
            self._pos += 1
            return self._entries[self._pos]
        draft = self._draft
        self.reset()
        return draft

    def search(self, query: str, before: int | None = None) -> tuple[int, str] | None:
        """The newest entry containing ``query`` (case-insensitive) with an index below ``before``.

        Returns ``(index, line)``; pass the index back as ``before`` to find the next older match
        (what pressing Ctrl+R again does).
        """
        start = len(self._entries) if before is None else min(before, len(self._entries))
        needle = query.lower()
        for i in range(start - 1, -1, -1):
            line = self._entries[i]
            if needle in line.lower():
                return i, line
        return None


def added_since(synced: Sequence[str], mine: Sequence[str]) -> list[str]:
    """The lines of ``mine`` that are not in ``synced``, the entries it last read or wrote.

    ``mine`` is ``synced`` minus some oldest lines (dropped at the limit) plus the new ones; the
    smallest such drop is taken (usually none, so the first comparison answers).
    """
    n = len(synced)
    for drop in range(n + 1):
        keep = n - drop
        if list(mine[:keep]) == list(synced[drop:]):
            return list(mine[keep:])
    return list(mine)   # not reached: drop == n always matches


def merge_new(on_disk: Sequence[str], synced: Sequence[str], mine: Sequence[str],
              limit: int = DEFAULT_LIMIT) -> list[str]:
    """What to write back: the file as it is now plus the lines this console ran since it last synced.

    Two consoles on one tenant each write their own new lines onto whatever the other wrote, so
    neither loses the other's history (lines interleave in the order the saves happened).
    """
    merged = list(on_disk)
    for line in added_since(synced, mine):
        if not merged or merged[-1] != line:
            merged.append(line)
    return merged[-max(1, limit):]
