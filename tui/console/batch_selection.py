"""Which tenants the "Run in tenants…" picker lists for its filter (pure, no Textual).

The filter is the sidebar's (name, domain or tag, fuzzy: ``tui.console.tenant_filter``) plus exact
selectors: ``tag:X`` keeps the tenants tagged X (any case), ``@group`` the members of a group of
tenants.toml's ``[groups]`` (as ``exohop run -t @group`` reaches them). ``narrow`` is the one place a
selector turns into tenants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TAG_PREFIX = "tag:"
GROUP_PREFIX = "@"


@dataclass(frozen=True, slots=True)
class PickerQuery:
    """The filter split into its fuzzy text (the sidebar's matcher) and its exact selectors."""

    text: str
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def selectors(self) -> tuple[str, ...]:
        """What narrows the list before the fuzzy text ranks it (a change rebuilds the matcher)."""
        return tuple(TAG_PREFIX + t for t in self.tags) + tuple(GROUP_PREFIX + g for g in self.groups)


def parse_query(query: str) -> PickerQuery:
    """``"tag:retail cont"`` → text ``"cont"``, tags ``("retail",)``. A bare ``tag:`` is still being typed:
    it selects nothing yet."""
    text: list[str] = []
    tags: list[str] = []
    groups: list[str] = []
    for term in query.lstrip("/").split():
        if term.lower().startswith(TAG_PREFIX):
            if term[len(TAG_PREFIX):]:
                tags.append(term[len(TAG_PREFIX):].lower())
        elif term.startswith(GROUP_PREFIX):
            if term[len(GROUP_PREFIX):]:
                groups.append(term[len(GROUP_PREFIX):])
        else:
            text.append(term)
    return PickerQuery(" ".join(text), tuple(tags), tuple(groups))


def narrow(tenants: Sequence[Any], query: PickerQuery, *, favorites_only: bool = False,
           members: Callable[[str], Iterable[str]] | None = None) -> list[Any]:
    """The tenants ``query``'s selectors (and the favorites toggle) leave, in their order.

    ``members(name)``: the domains of group ``name`` (an unknown group, or none given, keeps nothing:
    the list shows what the run would reach)."""
    kept: Iterable[Any] = tenants
    for group in query.groups:
        domains = {d.lower() for d in members(group)} if members is not None else set()
        kept = [t for t in kept if t.domain.lower() in domains]
    if favorites_only:
        kept = (t for t in kept if getattr(t, "favorite", False))
    if query.tags:
        wanted = set(query.tags)
        kept = (t for t in kept if wanted <= {str(g).lower() for g in (getattr(t, "tags", ()) or ())})
    return list(kept)

