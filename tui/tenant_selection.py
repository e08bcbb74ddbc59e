"""Which tenants a multi-tenant run reaches: ``-t``, ``--tag``, ``--except`` and the ``[groups]`` of tenants.toml.

A *term* is one of:

- ``all``: every tenant;
- ``@group``: the tenants of a group in ``[groups]`` (its entries are terms too, so groups nest);
- ``tag:X``: every tenant with the tag X (case-insensitive);
- anything else: one tenant, by domain, display name or unique prefix (``TenantDirectory.find``).

``-t`` and ``--except`` take terms, ``--tag`` takes a tag (``--tag eu``, or ``--tag tag:eu`` as after
``-t``). The selection is in the directory's (the file's) order, each tenant once. A term that reaches
no tenant is an error, not an empty part of the selection: a typo in ``--except`` must not run a command in the tenant it meant to leave out.
"""

from __future__ import annotations

import difflib
import shlex
from collections import defaultdict
from collections.abc import Sequence

from tui.config import TENANTS_FILE
from tui.tenants import Tenant, TenantDirectory, TenantLookupError

ALL = "all"
GROUP_MARK = "@"
TAG_PREFIX = "tag:"

_EXAMPLE = '[groups]\nretail = ["contoso.onmicrosoft.com", "tag:eu"]'
_LISTED = 10   # names shown in a message before "and N more"


class GroupError(TenantLookupError):
    """A TenantLookupError whose message already names the group (and entry) it comes from."""


def select_tenants(directory: TenantDirectory, tenants: Sequence[str] = (), tags: Sequence[str] = (),
                   excluded: Sequence[str] = ()) -> list[Tenant]:
    """The tenants that ``-t tenants… --tag tags… --except excluded…`` reach, in directory order.

    TenantLookupError (message ready to show) for a term or tag that reaches no tenant, an unknown
    group, a group entry that names no tenant, a cycle of groups, or a selection left empty.
    """
    if not len(directory):
        raise TenantLookupError("the tenant directory is empty: add one with `exohop tenants add DOMAIN`")
    if not tenants and not tags:
        raise TenantLookupError("no tenant chosen: name tenants (-t TENANT, -t all, -t @group, -t tag:X) "
                                "or tags (--tag TAG)")
    resolver = _Resolver(directory)
    chosen: set[str] = set()
    for term in tenants:
        chosen |= resolver.term(term)
    for tag in tags:
        chosen |= resolver.tag(tag)
    dropped: set[str] = set()
    for term in excluded:
        dropped |= resolver.term(term)
    selected = [t for t in directory if t.domain in chosen and t.domain not in dropped]
    if not selected:
        raise TenantLookupError(f"{selection_text(tenants, tags, excluded)} leaves no tenant")
    return selected


def group_members(directory: TenantDirectory, name: str) -> list[Tenant]:
    """The tenants group ``name`` expands to, in directory order; TenantLookupError as select_tenants."""
    domains = _Resolver(directory).group(name, ())
    return [t for t in directory if t.domain in domains]


def selection_text(tenants: Sequence[str] = (), tags: Sequence[str] = (), excluded: Sequence[str] = ()) -> str:
    """The selection as it would be typed: ``-t @retail --tag eu --except contoso``."""
    parts = [*(f"-t {shlex.quote(t)}" for t in tenants), *(f"--tag {shlex.quote(t)}" for t in tags),
             *(f"--except {shlex.quote(t)}" for t in excluded)]
    return " ".join(parts) or "the selection"


def _file_of(directory: TenantDirectory) -> str:
    return str(directory.path) if directory.path is not None else TENANTS_FILE


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _not_found(what: str, word: str, known: Sequence[str], kind: str) -> str:
    """``what``; did you mean 'x'? ``kind``: 'a', 'b', …"""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{what}; {hint}{kind}: {_listed(known)}"


class _Resolver:
    """Terms to sets of domains over one directory; its name and tag indexes are built once, on first use."""

    def __init__(self, directory: TenantDirectory) -> None:
        self.directory = directory
        self.groups = directory.groups
        self._names: dict[str, list[Tenant]] | None = None
        self._tags: dict[str, set[str]] | None = None
        self._spelled: dict[str, str] = {}            # casefolded tag → as first written
        self._expanded: dict[str, frozenset[str]] = {}   # a group used twice is expanded once

    def term(self, term: str, within: tuple[str, ...] = ()) -> set[str]:
        text = term.strip()
        if text.lower() == ALL:
            return {t.domain for t in self.directory}
        if text.startswith(GROUP_MARK):
            return set(self.group(text[len(GROUP_MARK):].strip(), within))
        if text[:len(TAG_PREFIX)].lower() == TAG_PREFIX:
            return self.tag(text)
        return {self.tenant(term).domain}

    def tenant(self, query: str) -> Tenant:
        """``directory.find(query)``, with its exact case answered from an index: a group of 500 domains
        over 50,000 tenants would otherwise scan every name 500 times."""
        q = query.strip().lower()
        if q:
            if self._names is None:
                self._names = defaultdict(list)
                for t in self.directory:
                    self._names[t.display_name.lower()].append(t)
            by_domain = self.directory.get(q)
            exact = {t.domain: t for t in self._names.get(q, ())}
            if by_domain is not None:
                exact[by_domain.domain] = by_domain
            if len(exact) == 1:
                return next(iter(exact.values()))
        return self.directory.find(query)   # prefixes, and the messages for none or several

    def tag(self, tag: str) -> set[str]:
        """The tenants with ``tag``: a bare tag (``eu``) or a term's (``tag:eu``, as people type it after
        ``--tag`` too)."""
        tag = tag.strip()
        if tag[:len(TAG_PREFIX)].lower() == TAG_PREFIX:
            tag = tag[len(TAG_PREFIX):].strip()
        key = tag.casefold()
        if not key:
            raise TenantLookupError("an empty tag: give --tag TAG (or tag:TAG) with the tag's name")
        if self._tags is None:
            self._tags = defaultdict(set)
            for t in self.directory:
                for written in t.tags:
                    folded = written.strip().casefold()
                    self._tags[folded].add(t.domain)
                    self._spelled.setdefault(folded, written.strip())
        found = self._tags.get(key)
        if found:
            return set(found)
        known = sorted(self._spelled.values(), key=str.casefold)
        if not known:
            raise TenantLookupError(f"no tenant has the tag {tag.strip()!r}: no tenant has any tag yet "
                                    "(add them with `exohop tenants add DOMAIN --tag TAG` or in tenants.toml)")
        raise TenantLookupError(_not_found(f"no tenant has the tag {tag.strip()!r}", tag.strip(), known,
                                           "tags in use"))

    def _group_name(self, name: str) -> str:
        if name in self.groups:
            return name
        if not name:
            raise TenantLookupError("'@' needs a group's name, e.g. @retail")
        folded = [g for g in self.groups if g.strip().casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
        where = _file_of(self.directory)
        if not self.groups:
            raise TenantLookupError(f"no group {name!r}: {where} has no [groups] table yet; add one, e.g.\n"
                                    f"{_EXAMPLE}")
        names = list(self.groups)
        raise TenantLookupError(_not_found(f"no group {name!r} in {where}", name, names, "groups"))

    def group(self, name: str, within: tuple[str, ...]) -> frozenset[str]:
        found = self._group_name(name)
        if found in within:
            cycle = " → ".join(f"@{g}" for g in (*within[within.index(found):], found))
            raise GroupError(f"the groups in {_file_of(self.directory)} form a cycle: {cycle}; "
                             "take one of these entries out")
        if found in self._expanded:
            return self._expanded[found]
        members: set[str] = set()
        for entry in self.groups[found]:
            try:
                members |= self.term(entry, (*within, found))
            except GroupError:
                raise                    # already names the group it is about
            except TenantLookupError as exc:
                raise GroupError(f"group {found!r} in {_file_of(self.directory)}, entry {entry!r}: {exc.message}",
                                 exc.candidates) from None
        self._expanded[found] = frozenset(members)
        return self._expanded[found]
