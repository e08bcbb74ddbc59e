"""Which tenants the "Run in tenants…" picker lists for its filter (pure, no Textual).

The filter is the sidebar's (name, domain or tag, fuzzy: ``tui.console.tenant_filter``) plus exact
selectors: ``tag:X`` keeps the tenants tagged X (any case). ``narrow`` is the one place a selector
turns into tenants, so named selections (``@group`` from tenants.toml's ``[groups]``) join there as
one more kind of term, beside ``tag:``, without the picker changing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TAG_PREFIX = "tag:"


@dataclass(frozen=True, slots=True)
class PickerQuery:
    """The filter split into its fuzzy text (the sidebar's matcher) and its exact selectors."""

    text: str
    tags: tuple[str, ...] = ()

    @property
    def selectors(self) -> tuple[str, ...]:
        """What narrows the list before the fuzzy text ranks it (a change rebuilds the matcher)."""
        return tuple(TAG_PREFIX + t for t in self.tags)


def parse_query(query: str) -> PickerQuery:
    """``"tag:retail cont"`` → text ``"cont"``, tags ``("retail",)``. A bare ``tag:`` is still being typed:
    it selects nothing yet."""
    text: list[str] = []
    tags: list[str] = []
    for term in query.lstrip("/").split():
        if term.lower().startswith(TAG_PREFIX):
            if term[len(TAG_PREFIX):]:
                tags.append(term[len(TAG_PREFIX):].lower())
        else:
            text.append(term)
    return PickerQuery(" ".join(text), tuple(tags))


def narrow(tenants: Sequence[Any], query: PickerQuery, *, favorites_only: bool = False) -> list[Any]:
    """The tenants ``query``'s selectors (and the favorites toggle) leave, in their order."""
    kept: Iterable[Any] = tenants
    if favorites_only:
        kept = (t for t in kept if getattr(t, "favorite", False))
    if query.tags:
        wanted = set(query.tags)
        kept = (t for t in kept if wanted <= {str(g).lower() for g in (getattr(t, "tags", ()) or ())})
    return list(kept)

