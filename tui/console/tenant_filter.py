"""The sidebar filter over tens of thousands of tenants (pure, no Textual).

Scoring a tenant in Python costs microseconds, and 50,000 of them cost far more than a frame. So
the work per keystroke is done by C loops (``map`` of ``str.__contains__`` and of a compiled pattern
over prepared strings) and only what those loops cannot say is left to Python:

- each tenant's searchable text is prepared once per tenant set: ``\x01name\x01domain\x01tag…``
  lower-cased (the ``.onmicrosoft.com`` every tenant shares left out), and a copy with every other
  non-alphanumeric character turned into a space, so "a word starts with the term" is also a
  substring test;
- a term scores 50 for a substring, +30 when a word starts with it, +50 when a field does (so
  prefix > word start > substring, as before), else 1–30 for a subsequence (fewer gaps, more);
  every term must match; the terms' scores add up;
- tenants are kept in the base order (favorites, recently used, name), so ranking is one stable
  sort by score; a longer query narrows the previous matches instead of all tenants, and the
  newest queries are remembered (Backspace).

Measured with 50,000 tenants (tests/bench/bench_tenants.py): a keystroke that narrows or repeats
takes well under a millisecond, but the first keystroke of a new query still scores every tenant
(50–130 ms on the 2-core development machine). ``cost`` tells the sidebar beforehand how many
tenants a query will score, so it can rank the large ones off the UI thread; a lock keeps that
thread and the UI thread from interleaving in one matcher.
"""

from __future__ import annotations

import operator
import re
import threading
from collections.abc import Mapping, Sequence
from itertools import compress, repeat
from typing import Any

_COMMON_SUFFIX = ".onmicrosoft.com"
_SEP = "\x01"
_NON_WORD = re.compile(r"[^\w\x01]|_")
MEMO_QUERIES = 64


def display_name(tenant: Any) -> str:
    """The tenant's display name (``tui.tenants.Tenant`` derives one from the domain when unset)."""
    return str(getattr(tenant, "display_name", "") or getattr(tenant, "name", "") or tenant.domain)


def base_order(tenants: Sequence[Any], recent: Mapping[str, float]) -> list[Any]:
    """Favorites first, then recently used (newest first), then by name."""
    def key(t: Any) -> tuple[int, float, str]:
        return (0 if getattr(t, "favorite", False) else 1, -recent.get(t.domain.lower(), 0.0),
                display_name(t).lower())

    return sorted(tenants, key=key)


def _reorder(by_name: list[Any], recent: Mapping[str, float]) -> list[Any]:
    """``base_order`` from a list already sorted by name: only favorites and recent ones move."""
    def ahead(t: Any) -> bool:
        return bool(getattr(t, "favorite", False)) or t.domain.lower() in recent

    first = [t for t in by_name if ahead(t)]
    if not first:
        return list(by_name)
    first.sort(key=lambda t: (0 if getattr(t, "favorite", False) else 1, -recent.get(t.domain.lower(), 0.0)))
    return first + [t for t in by_name if not ahead(t)]   # sort is stable: name order within equals


class _Prepared:
    """The tenants sorted by name and their searchable text, shared by every re-ordering of them."""

    def __init__(self, tenants: Sequence[Any]) -> None:
        self.by_name = base_order(tenants, {})
        self.position = {id(t): i for i, t in enumerate(self.by_name)}
        self.text: list[str] = []
        self.words: list[str] = []
        self.full: list[str] = []

    def ensure(self) -> None:
        if self.text or not self.by_name:
            return
        for t in self.by_name:
            domain = t.domain.lower()
            short = domain[: -len(_COMMON_SUFFIX)] if domain.endswith(_COMMON_SUFFIX) else domain
            fields = [display_name(t).lower(), short, *(g.lower() for g in (getattr(t, "tags", ()) or ()))]
            self.text.append("".join(_SEP + f.replace(_SEP, " ") for f in fields))
            self.full.append(domain)
        self.words = [_NON_WORD.sub(" ", x) for x in self.text]


class TenantMatcher:
    """The tenants in base order with their prepared text; ``rank(query)`` gives the filtered order."""

    def __init__(self, tenants: Sequence[Any], recent: Mapping[str, float] | None = None,
                 prepared: _Prepared | None = None) -> None:
        self._prepared = prepared if prepared is not None else _Prepared(tenants)
        self.tenants = _reorder(self._prepared.by_name, recent or {})
        self._text: list[str] = []
        self._words: list[str] = []
        self._full: list[str] = []
        self._last: tuple[str, list[int]] | None = None
        # Backspace and a query typed again are answered from here (the newest few queries).
        self._memo: dict[str, tuple[list[Any], list[int], list[int]]] = {}
        self._lock = threading.Lock()

    def _prepare(self) -> None:
        # On the first query, not at start: the unfiltered list needs only the base order. The text
        # itself is made once per tenant set and only gathered into this order (C loops).
        shared = self._prepared
        shared.ensure()
        order = [shared.position[id(t)] for t in self.tenants]
        self._text = list(map(shared.text.__getitem__, order))
        self._words = list(map(shared.words.__getitem__, order))
        self._full = list(map(shared.full.__getitem__, order))

    def reordered(self, recent: Mapping[str, float]) -> TenantMatcher:
        """The same tenants for a new recently-used order, without sorting or preparing them again."""
        return TenantMatcher((), recent, prepared=self._prepared)

    def rank(self, query: str) -> list[Any]:
        """The tenants matching every term of ``query``, best first (base order among equals)."""
        with self._lock:
            return self._ranked(query)[0]

    def cost(self, query: str) -> int:
        """How many tenants ``rank(query)`` would score now: 0 for an empty or remembered query, the
        previous matches when the query narrows them, else every tenant. A read without the lock: an
        estimate that a ranking in progress may make stale, which only moves where the work runs."""
        if not query.split() or query in self._memo:
            return 0
        last = self._last
        if last is not None and query.startswith(last[0]) and last[0].strip():
            return len(last[1])
        return len(self.tenants)

    def scored(self, query: str) -> list[tuple[Any, int]]:
        """``rank`` with each tenant's score (an empty query scores everyone 1)."""
        with self._lock:
            tenants, scores = self._ranked(query)
        return list(zip(tenants, scores, strict=True))

    def _ranked(self, query: str) -> tuple[list[Any], list[int]]:
        terms = query.lower().split()
        if not terms:
            self._last = None
            return list(self.tenants), [1] * len(self.tenants)
        if query in self._memo:
            ranked, ranked_scores, matched = self._memo[query]
            self._last = (query, matched)   # the next keystroke narrows from here too
            return ranked, ranked_scores
        if not self._text and self.tenants:
            self._prepare()
        pool: list[int] | None = None
        last = self._last
        # More characters or more terms only narrow (every term must match, and a subsequence of the
        # longer term is one of the shorter): rank the previous matches instead of everything.
        if last is not None and query.startswith(last[0]) and last[0].strip():
            pool = last[1]
        if pool is None:
            pool = list(range(len(self.tenants)))
        scores = [0] * len(pool)
        for term in terms:
            pool, scores = self._score(term, pool, scores)
            if not pool:
                break
        order = sorted(range(len(pool)), key=scores.__getitem__, reverse=True)   # stable: base order kept
        self._last = (query, pool)   # pool stays in base order, as a later narrowing expects
        # Gathered by C loops, no per-tenant tuple: a one-letter query keeps most of 50,000 tenants.
        ranked = list(map(self.tenants.__getitem__, map(pool.__getitem__, order)))
        ranked_scores = list(map(scores.__getitem__, order))
        if len(self._memo) >= MEMO_QUERIES:
            del self._memo[next(iter(self._memo))]
        self._memo[query] = (ranked, ranked_scores, pool)
        return ranked, ranked_scores

    def _score(self, term: str, pool: list[int], scores: list[int]) -> tuple[list[int], list[int]]:
        """Add ``term``'s score to each of ``pool``; keep only the tenants it matches."""
        text = list(map(self._text.__getitem__, pool))
        sub = list(map(operator.contains, text, repeat(term)))
        prefix = map(operator.contains, text, repeat(_SEP + term))
        if term.isalnum():
            word = map(operator.contains, map(self._words.__getitem__, pool), repeat(" " + term))
        else:
            word = map(_word_start, text, repeat(term))
        gained = list(map(operator.add, map(operator.mul, sub, repeat(50)),
                          map(operator.add, map(operator.mul, prefix, repeat(50)),
                              map(operator.mul, word, repeat(30)))))
        if len(term) > 1 or "." in term:
            self._subsequence(term, pool, text, sub, gained)
        total = list(map(operator.add, scores, gained))
        keep = list(map(operator.truth, gained))
        return list(compress(pool, keep)), list(compress(total, keep))

    def _subsequence(self, term: str, pool: list[int], text: list[str], sub: list[bool], gained: list[int]) -> None:
        """Score the tenants without a substring match: subsequence within one field, or the full domain."""
        rest = [i for i, hit in enumerate(sub) if not hit]
        if not rest:
            return
        pattern = _subsequence_pattern(term)
        for i, m in zip(rest, map(pattern.search, map(text.__getitem__, rest)), strict=True):
            if m is not None:
                gained[i] = max(1, 30 - (m.end() - m.start() - len(term)))
            elif "." in term and term in self._full[pool[i]]:   # a full domain typed or pasted
                gained[i] = 50


def _word_start(text: str, term: str) -> bool:
    pos = text.find(term)
    while pos > 0:
        if text[pos - 1] != _SEP and not text[pos - 1].isalnum():
            return True
        pos = text.find(term, pos + 1)
    return False


def _subsequence_pattern(term: str) -> re.Pattern[str]:
    # t[^e\x01]*e[^r\x01]*r: each class stops at the first next character, so the match is the
    # greedy one from the first start that works, within one field (\x01 separates them).
    parts = [re.escape(term[0])]
    for ch in term[1:]:
        parts.append(f"[^{re.escape(ch)}{_SEP}]*{re.escape(ch)}")
    return re.compile("".join(parts))
