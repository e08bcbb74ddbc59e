"""Completion: context (``tui.shell.context``) routed to the catalog and the session's CompletionData.

``complete(text, cursor, catalog, data)`` returns prompt_toolkit ``Completion`` objects, ranked by
match quality, then by how often the engineer used the name (``history_counts``), then
alphabetically; ``CmdletCompleter`` yields the same list as a prompt_toolkit ``Completer``.
Cmdlet names, parameters and values alike follow PSReadLine's rule (``matching.prefix_first``): the
names the word begins are the candidates; humps and fuzzy matches only when no name begins with it.

Speed: everything that depends only on the catalog (lower-cased names, humps, synopses, per-cmdlet
parameter entries) is built once per Catalog instance and cached; a keystroke costs one regex scan
over the joined cmdlet names plus work proportional to the names that match.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from tui.catalog import ALL_SETS, Catalog, CmdletInfo, ParameterInfo
from tui.shell.binder import COMMON_PARAMETERS, positional_parameters
from tui.shell.context import Context, Kind, analyze, local_cmdlet, state_at_word
from tui.shell.errors import ParseError
from tui.shell.local_catalog import LOCAL_CATALOG
from tui.shell.matching import NameIndex, Quality, match_quality, normalize, prefix_first
from tui.shell.parser import DQUOTES, SQUOTES, parse
from tui.shell.safe_text import has_control

__all__ = ["CmdletCompleter", "CompletionData", "commands_in", "complete", "index_for", "learn"]

DEFAULT_LIMIT = 100
_META_WIDTH = 80
_NEEDS_QUOTES = frozenset(" \t,;|(){}'\"$`&<>\u2018\u2019\u201c\u201d")
_NEEDS_QUOTES_FIRST = frozenset("-@#")

OPERATORS: tuple[tuple[str, str], ...] = (
    ("eq", "equals"), ("ne", "not equal"), ("gt", "greater than"), ("ge", "greater or equal"),
    ("lt", "less than"), ("le", "less or equal"), ("like", "wildcard match"),
    ("notlike", "no wildcard match"), ("match", "regex match"), ("notmatch", "no regex match"),
    ("contains", "collection contains"), ("notcontains", "collection lacks"), ("in", "is one of"),
    ("notin", "is none of"), ("and", "both"), ("or", "either"), ("not", "negation"),
    ("ceq", "equals, case-sensitive"), ("clike", "wildcard match, case-sensitive"),
    ("cmatch", "regex match, case-sensitive"),
)


@dataclass(frozen=True, slots=True)
class CompletionData:
    """What the session has seen, supplied by the caller (all optional).

    ``properties`` maps a cmdlet name (or ``$name`` for a variable) to the property names its objects
    had when last seen; ``identities`` are names/addresses seen in results; ``variables`` are the
    names (without ``$``) the engineer has set.
    """

    history_counts: Mapping[str, int] = field(default_factory=dict)
    properties: Mapping[str, Sequence[str]] = field(default_factory=dict)
    identities: Sequence[str] = ()
    variables: Sequence[str] = ()


_EMPTY = CompletionData()
_NO_CATALOG = Catalog()

# Properties whose values are worth offering as identities for -Identity, -User, -Trustee …
IDENTITY_PROPERTIES = ("PrimarySmtpAddress", "UserPrincipalName", "Alias", "Name", "DisplayName", "Identity",
                       "WindowsEmailAddress", "User", "Trustee")
MAX_IDENTITIES = 5000


def learn(data: CompletionData | None, source: str, records: Iterable[Mapping[str, Any]], *,
          history_line: str | None = None) -> CompletionData:
    """A new CompletionData that also knows what ``source`` returned (pure; the caller keeps it).

    ``source`` is the cmdlet whose objects these are (``Plan.remote[-1].name``) or ``$name`` for a
    variable: their property names become completions for Select-Object & co. after it, and their
    identity-like values (PrimarySmtpAddress, Alias, Name, DisplayName …) completions for -Identity,
    -User, -Trustee …, latest record first. ``history_line`` counts the cmdlets of a line that ran.
    """
    data = data or _EMPTY
    properties = dict(data.properties)
    names: list[str] = list(properties.get(source, ()))
    known = {n.lower() for n in names}
    fresh: list[list[str]] = []  # per record, in IDENTITY_PROPERTIES order
    for record in records:
        fresh.append([])
        for key in record:
            if key.lower() not in known:
                known.add(key.lower())
                names.append(key)
        for key in IDENTITY_PROPERTIES:
            value = _get(record, key)
            if isinstance(value, str) and value and len(value) <= 256 and not has_control(value):
                fresh[-1].append(value)
    if names:
        properties[source] = names
    identities = data.identities
    if any(fresh):
        seen: set[str] = set()
        merged: list[str] = []
        latest_first = [value for values in reversed(fresh) for value in values]
        for value in [*latest_first, *data.identities]:
            if value.lower() not in seen:
                seen.add(value.lower())
                merged.append(value)
        identities = merged[:MAX_IDENTITIES]
    history = data.history_counts
    if history_line:
        history = dict(history)
        for name in commands_in(history_line):
            history[name] = history.get(name, 0) + 1
    return CompletionData(history, properties, identities, data.variables)


def commands_in(line: str) -> list[str]:
    """The command names of a line, as typed (an unparsable line gives none)."""
    try:
        script = parse(line)
    except ParseError:
        return []
    return [c.name for statement in script.statements for c in statement.commands]


def _get(record: Mapping[str, Any], key: str) -> Any:
    try:
        return record[key]
    except KeyError:
        return None


@dataclass(frozen=True, slots=True)
class _ParamEntry:
    info: ParameterInfo
    lower: str
    alias_lower: tuple[str, ...]
    common: bool


class _CatalogIndex:
    """Per-catalog precomputed data (immutable once built; parameter entries filled lazily)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        cmdlets: dict[str, CmdletInfo] = {c.name.lower(): c for c in LOCAL_CATALOG}
        local_names = set(cmdlets)
        for c in catalog:
            cmdlets.setdefault(c.name.lower(), c)
        self.cmdlets = cmdlets
        self.names = NameIndex([c.name for c in cmdlets.values()])
        self.meta = [_short(cmdlets[low].synopsis) for low in self.names.lower]
        self.is_local = [low in local_names for low in self.names.lower]
        self._params: dict[str, list[_ParamEntry]] = {}
        self._history: tuple[tuple[int, int, int], list[int]] | None = None
        # Ranked command completions per (word, local only, limit, history stamp): the first letters of
        # every line ("G", "Ge", "Get-") are typed again and again.
        self.ranked: OrderedDict[tuple[str, bool, int, tuple[int, int, int] | None], list[Completion]] = \
            OrderedDict()
        self._lock = threading.Lock()

    def history_vector(self, history: Mapping[str, int]) -> tuple[list[int], tuple[int, int, int]]:
        """(``-count`` per indexed name as a sort key, a stamp that changes when the counts do).

        Callers often keep one dict and bump its counts in place, so the stamp includes the total.
        """
        stamp = (id(history), len(history), sum(history.values()))
        cached = self._history
        if cached is not None and cached[0] == stamp:
            return cached[1], stamp
        lower_counts: dict[str, int] = {}
        for name, count in history.items():
            low = name.lower()
            lower_counts[low] = lower_counts.get(low, 0) + count
        vector = [-lower_counts.get(low, 0) for low in self.names.lower]
        self._history = (stamp, vector)
        return vector, stamp

    def cmdlet(self, name: str) -> CmdletInfo | None:
        found = local_cmdlet(name)
        if found is not None:
            return found
        return self.catalog.get(name)

    def params(self, cmdlet: CmdletInfo, local: bool) -> list[_ParamEntry]:
        key = cmdlet.name.lower()
        entries = self._params.get(key)
        if entries is None:
            entries = [_ParamEntry(p, p.name.lower(), tuple(a.lower() for a in p.aliases), False)
                       for p in cmdlet.parameters]
            if not local:
                own = {e.lower for e in entries}
                entries += [_ParamEntry(p, p.name.lower(), tuple(a.lower() for a in p.aliases), True)
                            for p in COMMON_PARAMETERS if p.name.lower() not in own]
            with self._lock:
                self._params[key] = entries
        return entries


_INDEXES: OrderedDict[int, _CatalogIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


def index_for(catalog: Catalog) -> _CatalogIndex:
    """The index of ``catalog`` (built on first use, cached per Catalog instance; a few kept)."""
    key = id(catalog)
    with _INDEX_LOCK:
        found = _INDEXES.get(key)
        if found is not None and found.catalog is catalog:
            _INDEXES.move_to_end(key)
            return found
    built = _CatalogIndex(catalog)
    with _INDEX_LOCK:
        _INDEXES[key] = built
        while len(_INDEXES) > 8:
            _INDEXES.popitem(last=False)
    return built


def complete(text: str, cursor: int | None, catalog: Catalog | None, data: CompletionData | None = None,
             limit: int = DEFAULT_LIMIT) -> list[Completion]:
    """Completions for ``text`` with the cursor at ``cursor`` (None: at the end), best first.

    ``catalog`` None (no session yet) completes the local cmdlets only.
    """
    if cursor is None or cursor > len(text):
        cursor = len(text)
    ctx = analyze(text[:max(0, cursor)])
    data = data or _EMPTY
    index = index_for(_NO_CATALOG if catalog is None else catalog)
    if ctx.kind is Kind.COMMAND:
        return _commands(ctx, index, data, limit)
    if ctx.kind is Kind.PARAMETER:
        return _parameters(ctx, index, data, limit)
    if ctx.kind is Kind.VALUE:
        return _values(ctx, index, data, limit)
    if ctx.kind is Kind.PROPERTY:
        return _properties(ctx, data, limit)
    if ctx.kind is Kind.VARIABLE:
        return _variables(ctx, data, limit)
    if ctx.kind is Kind.OPERATOR:
        return _ranked(ctx, ((f"-{op}", f"-{op}", meta, 0) for op, meta in OPERATORS), limit)
    return []


class CmdletCompleter(Completer):
    """prompt_toolkit Completer over a catalog; swap ``catalog``/``data`` whole to refresh."""

    def __init__(self, catalog: Catalog | None, data: CompletionData | None = None,
                 limit: int = DEFAULT_LIMIT) -> None:
        self.catalog = catalog
        self.data = data or _EMPTY
        self.limit = limit

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        yield from complete(document.text, document.cursor_position, self.catalog, self.data, self.limit)


# -- routes -------------------------------------------------------------------------------------

def _commands(ctx: Context, index: _CatalogIndex, data: CompletionData, limit: int) -> list[Completion]:
    used: list[int] | None = None
    stamp: tuple[int, int, int] | None = None
    if data.history_counts:
        used, stamp = index.history_vector(data.history_counts)
    key = (ctx.word, ctx.local_only, limit, stamp)
    cached = index.ranked.get(key)
    if cached is not None:
        index.ranked.move_to_end(key)
        return list(cached)
    names, meta = index.names.names, index.meta
    matches = index.names.search(ctx.prefix, enough=None if ctx.local_only else limit)
    if ctx.local_only:
        is_local = index.is_local
        matches = [m for m in matches if is_local[m[1]]]
    matches = prefix_first(matches, _first)
    # Names are indexed in alphabetical order, so the index breaks ties alphabetically.
    if used is not None:
        vector = used
        ranked = sorted(matches, key=lambda m: (m[0], vector[m[1]], m[1]))[:limit]
    else:
        ranked = sorted(matches)[:limit]
    start = -len(ctx.word)
    found = [Completion(names[i], start, names[i], meta[i]) for _, i in ranked]
    index.ranked[key] = found
    if len(index.ranked) > 128:
        index.ranked.popitem(last=False)
    return list(found)


def _candidate_sets(cmdlet: CmdletInfo, given: Sequence[ParameterInfo]) -> list[str | None]:
    sets: list[str | None] = list(cmdlet.parameter_sets)
    for p in cmdlet.parameters:
        for s in p.sets:
            if s != ALL_SETS and s not in sets:
                sets.append(s)
    if not sets:
        return [None]
    fitting = [s for s in sets if all(p.in_set(s) for p in given)]
    default = cmdlet.default_set
    if default in fitting:
        fitting.remove(default)
        fitting.insert(0, default)
    return fitting


def _resolve(entries: Sequence[_ParamEntry], name: str) -> ParameterInfo | None:
    low = name.lower()
    for e in entries:
        if e.lower == low or low in e.alias_lower:
            return e.info
    found = [e.info for e in entries if not e.common and
             (e.lower.startswith(low) or any(a.startswith(low) for a in e.alias_lower))]
    if len(found) == 1:
        return found[0]
    if not found:
        common = [e.info for e in entries if e.common and e.lower.startswith(low)]
        return common[0] if len(common) == 1 else None
    return None


def _parameters(ctx: Context, index: _CatalogIndex, data: CompletionData, limit: int) -> list[Completion]:
    cmdlet = index.cmdlet(ctx.command or "")
    if cmdlet is None:
        return []
    entries = index.params(cmdlet, local_cmdlet(cmdlet.name) is not None)
    given = [p for p in (_resolve(entries, g) for g in ctx.given) if p is not None]
    given_names = {p.name for p in given}
    sets = _candidate_sets(cmdlet, given)
    # With nothing given every set is as likely as the next; once parameters narrow the sets, the
    # parameters of the first remaining (the default when it remains) come first.
    likely = sets[0] if sets and given else None
    q = normalize(ctx.prefix)
    scored: list[tuple[tuple[Any, ...], _ParamEntry, bool]] = []
    for e in entries:
        p = e.info
        if p.name in given_names:
            continue
        if sets and not any(p.in_set(s) for s in sets):
            continue  # cannot be combined with the parameters already given
        quality = match_quality(q, e.lower, None, p.name)
        if quality is None:
            for alias in e.alias_lower:
                if alias.startswith(q):
                    quality = (1, 0, 0)
                    break
        if quality is None:
            continue
        mandatory = p.is_mandatory(likely)
        scored.append(((quality, e.common, not p.in_set(likely), not mandatory, p.position is None, e.lower),
                       e, mandatory))
    scored = prefix_first(scored, _first_of_first)
    scored.sort(key=lambda t: t[0])
    start = -len(ctx.word)
    out = []
    for _, e, mandatory in scored[:limit]:
        meta = f"<{e.info.type}>" + ("  mandatory" if mandatory else "")
        out.append(Completion(f"-{e.info.name}", start, f"-{e.info.name}", meta))
    return out


_IDENTITY_NAMES = frozenset({"identity", "user", "trustee", "member", "members", "owner", "managedby",
                             "forwardingaddress", "forwardingsmtpaddress", "grantsendonbehalfto",
                             "moderatedby", "recipient", "recipientaddress", "senderaddress", "mailbox",
                             "delegate", "manager", "anr"})


def _is_identity(p: ParameterInfo) -> bool:
    low = p.name.lower()
    t = p.type.lower()
    return (low in _IDENTITY_NAMES or low.endswith("identity") or t.endswith(("idparameter", "idparameter[]"))
            or t.startswith("smtpaddress"))


def _values(ctx: Context, index: _CatalogIndex, data: CompletionData, limit: int) -> list[Completion]:
    cmdlet = index.cmdlet(ctx.command or "")
    if cmdlet is None:
        return []
    local = local_cmdlet(cmdlet.name) is not None
    entries = index.params(cmdlet, local)
    param: ParameterInfo | None = None
    attached = ctx.attached
    position = ctx.position
    if ctx.parameter is not None:
        param = _resolve(entries, ctx.parameter)
        if param is not None and param.switch and not attached:
            # ``-Archive <word>``: a switch takes no value, the word is positional.
            def is_switch(name: str) -> bool:
                found = _resolve(entries, name)
                return found is not None and found.switch
            _, position, pending = state_at_word(ctx.arguments, ctx.word, is_switch)
            param = _resolve(entries, pending) if pending else None
            if param is None:
                param = _positional(cmdlet, entries, ctx, position)
    else:
        param = _positional(cmdlet, entries, ctx, position)
    if param is None:
        return []
    values: list[tuple[str, str]] = []
    low_type = param.type.lower().removeprefix("system.")
    if param.switch or low_type.startswith("bool"):
        literals = [("$true", "$true", "Boolean", 0), ("$false", "$false", "Boolean", 0)]
        return _ranked(ctx, literals, limit)
    else:
        seen: set[str] = set()
        for v in param.valid_values:
            if v not in ("$true", "$false") and v.lower() not in seen:
                seen.add(v.lower())
                values.append((v, f"<{param.type}>"))
        if low_type.startswith("unlimited"):
            values.append(("Unlimited", f"<{param.type}>"))
        if _is_identity(param) and data.identities:
            if not values:
                return _ranked_list(ctx, data.identities, "seen in this session", limit)
            values.extend((v, "seen in this session") for v in data.identities)
    return _ranked(ctx, ((_quote(v, ctx.quote), v, meta, 0) for v, meta in values), limit)


def _positional(cmdlet: CmdletInfo, entries: Sequence[_ParamEntry], ctx: Context,
                position: int) -> ParameterInfo | None:
    given = [p for p in (_resolve(entries, g) for g in ctx.given) if p is not None]
    names = {p.name for p in given}
    for s in _candidate_sets(cmdlet, given):
        slots = [p for p in positional_parameters(cmdlet, s) if p.name not in names]
        if position < len(slots):
            return slots[position]
    return None


def _properties(ctx: Context, data: CompletionData, limit: int) -> list[Completion]:
    source = ctx.source
    if source is None:
        return []
    props = data.properties.get(source)
    if props is None:
        low = source.lower()
        for key, value in data.properties.items():
            if key.lower() == low:
                props = value
                break
    if not props:
        return []
    meta = f"property of {source}"
    if ctx.parameter is None and not ctx.quote:  # inside a script block: $_.Name, never quoted
        return _ranked(ctx, ((p, p, meta, 0) for p in props), limit)
    return _ranked_list(ctx, props, meta, limit)


def _variables(ctx: Context, data: CompletionData, limit: int) -> list[Completion]:
    names = [(v, "variable") for v in data.variables]
    if ctx.command is not None:
        names += [("true", "Boolean"), ("false", "Boolean"), ("null", "no value")]
    return _ranked(ctx, ((f"${v}", f"${v}", meta, 0) for v, meta in names), limit)


_LIST_INDEXES: OrderedDict[tuple[int, int], tuple[Sequence[str], NameIndex]] = OrderedDict()


def _list_index(values: Sequence[str]) -> NameIndex:
    """A NameIndex over a caller's list (identities, properties), cached while the list object lives."""
    key = (id(values), len(values))
    with _INDEX_LOCK:
        found = _LIST_INDEXES.get(key)
        if found is not None and found[0] is values:
            return found[1]
    built = NameIndex(values)
    with _INDEX_LOCK:
        _LIST_INDEXES[key] = (values, built)
        while len(_LIST_INDEXES) > 16:
            _LIST_INDEXES.popitem(last=False)
    return built


def _ranked_list(ctx: Context, values: Sequence[str], meta: str, limit: int) -> list[Completion]:
    """Rank a long list (identities, properties) through a cached NameIndex; values quoted as needed."""
    index = _list_index(values)
    ranked = sorted(prefix_first(index.search(ctx.prefix, enough=limit), _first))[:limit]
    start = -len(ctx.word)
    names = index.names
    return [Completion(_quote(names[i], ctx.quote), start, names[i], meta) for _, i in ranked]


def _ranked(ctx: Context, items: Iterable[tuple[str, str, str, int]], limit: int) -> list[Completion]:
    """Rank small lists: (completion text, name matched, meta, history) by quality, history, name."""
    q = normalize(ctx.prefix)
    scored = []
    seen: set[str] = set()
    for text, name, meta, count in items:
        low = name.lower().lstrip("$-")
        if low in seen:
            continue
        quality = match_quality(q, low, None, name.lstrip("$-"))
        if quality is None:
            continue
        seen.add(low)
        scored.append(((quality, -count, low), text, name, meta))
    scored = prefix_first(scored, _first_of_first)
    scored.sort(key=lambda t: t[0])
    start = -len(ctx.word)
    return [Completion(text, start, name, meta) for _, text, name, meta in scored[:limit]]


def _first(match: tuple[Quality, int]) -> Quality:
    """The quality of a NameIndex match."""
    return match[0]


def _first_of_first(scored: tuple[Any, ...]) -> Quality:
    """The quality of a scored entry: the first part of its sort key."""
    quality: Quality = scored[0][0]
    return quality


def _quote(value: str, quote: str) -> str:
    """``value`` as it must be typed: quoted when it holds spaces or PowerShell's special characters."""
    if not quote and not any(c in _NEEDS_QUOTES for c in value) and value[:1] not in _NEEDS_QUOTES_FIRST:
        return value
    if quote in DQUOTES and quote:
        escaped = value.replace("`", "``").replace('"', '`"').replace("$", "`$")
        return f'"{escaped}"'
    escaped = "".join(c + c if c in SQUOTES else c for c in value)
    return f"'{escaped}'"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _META_WIDTH else text[:_META_WIDTH - 1] + "…"

