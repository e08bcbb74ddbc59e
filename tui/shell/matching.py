"""Matching a typed word against names: exact, prefix, Verb-Noun humps, then fuzzy subsequence.

Qualities are tuples that sort best first: ``(tier, detail)`` with tiers
0 exact · 1 prefix · 2 humps (a subsequence starting at the first letter, scored by how many typed
letters land on hump starts, then by how early the match ends: ``gmbxp`` ->
**G**et-**M**ail**b**o**x****P**ermission) · 3 fuzzy subsequence anywhere (scored by how spread out it
is, contiguous first, then by how early it starts).

Which tiers a completion offers follows PSReadLine (``prefix_first``): when any name matches by prefix
(exact counts), humps and fuzzy matches are left out, so Tab on ``Get-MailboxPerm`` has one
candidate and completes in place; only a word nothing starts with (``gmbxp``) gets hump and fuzzy ones.

``NameIndex`` answers for hundreds of names in well under a millisecond: one compiled regex per
query runs over all names joined by new lines (C speed); Python touches only the names that match.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["EXACT", "FUZZY", "HUMPS", "PREFIX", "NameIndex", "Quality", "hump_positions", "match_quality",
           "prefix_first"]

EXACT, PREFIX, HUMPS, FUZZY = 0, 1, 2, 3
Quality = tuple[int, int, int]
_IGNORED = str.maketrans("", "", "*?")
T = TypeVar("T")


def prefix_first(matches: list[T], quality: Callable[[T], Quality]) -> list[T]:
    """``matches`` (each with its ``quality``) cut to those matching by prefix (or exactly) when there are any, else all of them.

    PSReadLine's rule: a hump or fuzzy guess joins the candidates only when nothing starts with the
    word, so one prefix match is one candidate (Tab completes it in place, no menu).
    """
    prefixed = [m for m in matches if quality(m)[0] <= PREFIX]
    return prefixed or matches


def hump_positions(name: str) -> frozenset[int]:
    """Where the words of ``name`` start: 0, after '-', '_' or a space, and at capitals after a lower case."""
    out = {0}
    for k in range(1, len(name)):
        c, prev = name[k], name[k - 1]
        if prev in "-_ ." or (c.isupper() and not prev.isupper()) or (c.isdigit() and not prev.isdigit()):
            out.add(k)
    return frozenset(out)


def normalize(query: str) -> str:
    return query.lower().translate(_IGNORED)


def match_quality(q: str, lower: str, humps: frozenset[int] | None = None, name: str = "") -> Quality | None:
    """Quality of ``lower`` (a lower-cased name) for the normalized query ``q``; None when it does not match.

    ``humps`` are the name's hump positions, or computed from ``name`` only when needed.
    """
    if not q:
        return (PREFIX, 0, 0)
    if lower.startswith(q):
        return (EXACT, 0, 0) if len(lower) == len(q) else (PREFIX, 0, 0)
    if len(q) == 1:
        return None  # one letter anywhere in a name says nothing
    positions: list[int] = []
    k = 0
    for ch in q:
        k = lower.find(ch, k)
        if k < 0:
            return None
        positions.append(k)
        k += 1
    if positions[0] == 0:
        if humps is None:
            humps = hump_positions(name or lower)
        return (HUMPS, -sum(1 for p in positions if p in humps), positions[-1])
    return (FUZZY, positions[-1] - positions[0] + 1 - len(q), positions[0])


class NameIndex:
    """Names prepared once for matching: lower-cased, joined for the regex scan, humps precomputed."""

    __slots__ = ("_cache", "_complete", "_humps", "_joined", "_starts", "lower", "names")

    def __init__(self, names: Sequence[str]) -> None:
        pairs = sorted({n.lower(): n for n in names}.items())
        self.names: list[str] = [n for _, n in pairs]
        self.lower: list[str] = [low for low, _ in pairs]
        self._humps: list[frozenset[int]] = [hump_positions(n) for n in self.names]
        self._joined = "\n".join(self.lower)
        starts, offset = [], 0
        for low in self.lower:
            starts.append(offset)
            offset += len(low) + 1
        self._starts = starts
        self._cache: OrderedDict[tuple[str, int | None], list[tuple[Quality, int]]] = OrderedDict()
        self._complete: OrderedDict[str, list[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.names)

    def search(self, query: str, enough: int | None = None) -> list[tuple[Quality, int]]:
        """(quality, index into ``names``) for the names matching ``query``, unsorted.

        With ``enough``, fuzzy matches are left out when exact, prefix and hump matches already
        number at least that many (a caller showing ``enough`` results would never show them).
        """
        q = normalize(query)
        key = (q, enough)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        found = self._search(q, enough)
        self._cache[key] = found
        if len(self._cache) > 256:
            self._cache.popitem(last=False)
        return found

    def _search(self, q: str, enough: int | None) -> list[tuple[Quality, int]]:
        if not q:
            return [((PREFIX, 0, 0), i) for i in range(len(self.names))]
        if "\n" in q:
            return []
        # ^(a)[^b\n]*(b)…: names starting with the first letter (exact, prefix, humps) first; then, when
        # those are too few, ^[^a\n]+(a)[^b\n]*(b)…: the leftmost subsequence anywhere (fuzzy). Both run
        # in linear time (each class excludes the letter after it). A single letter matches name starts only.
        tail = "".join(f"[^{re.escape(ch)}\\n]*({re.escape(ch)})" for ch in q[1:])
        first = re.escape(q[0])
        anchored = re.compile(f"^({first}){tail}", re.MULTILINE)
        fuzzy = re.compile(f"^[^{first}\\n]+({first}){tail}", re.MULTILINE) if len(q) > 1 else None
        # Typing one more letter: the names that match are among those that matched one letter less.
        narrower = self._complete.get(q[:-1]) if len(q) > 1 else None
        if narrower is not None:
            out = self._narrow(narrower, anchored, fuzzy, q)
            self._remember(q, [i for _, i in out])
            return out
        out = self._scan(anchored, q, anchored=True)
        if fuzzy is not None and (enough is None or len(out) < enough):
            out += self._scan(fuzzy, q, anchored=False)
            self._remember(q, [i for _, i in out])
        return out

    def _remember(self, q: str, found: list[int]) -> None:
        """Keep every name a query matched (all tiers), so the next keystroke only looks at those."""
        self._complete[q] = found
        if len(self._complete) > 256:
            self._complete.popitem(last=False)

    def _narrow(self, candidates: list[int], anchored: re.Pattern[str], fuzzy: re.Pattern[str] | None,
                q: str) -> list[tuple[Quality, int]]:
        lower, humps = self.lower, self._humps
        out: list[tuple[Quality, int]] = []
        n = len(q)
        for i in candidates:
            name = lower[i]
            m = anchored.match(name)
            if m is not None:
                if name.startswith(q):
                    out.append(((EXACT, 0, 0) if len(name) == n else (PREFIX, 0, 0), i))
                else:
                    h = humps[i]
                    hits = sum(1 for g in range(1, n + 1) if m.start(g) in h)
                    out.append(((HUMPS, -hits, m.start(n)), i))
            elif fuzzy is not None:
                m = fuzzy.match(name)
                if m is not None:
                    out.append(((FUZZY, m.end(n) - m.start(1) - n, m.start(1)), i))
        return out

    def _scan(self, pattern: re.Pattern[str], q: str, anchored: bool) -> list[tuple[Quality, int]]:
        lower, humps, starts = self.lower, self._humps, self._starts
        out: list[tuple[Quality, int]] = []
        n = len(q)
        for m in pattern.finditer(self._joined):
            line = m.start()
            i = bisect_right(starts, line) - 1
            if not anchored:
                out.append(((FUZZY, m.end(n) - m.start(1) - n, m.start(1) - line), i))
            elif lower[i].startswith(q):
                out.append(((EXACT, 0, 0) if len(lower[i]) == n else (PREFIX, 0, 0), i))
            else:
                h = humps[i]
                hits = sum(1 for g in range(1, n + 1) if m.start(g) - line in h)
                out.append(((HUMPS, -hits, m.start(n) - line), i))
        return out
