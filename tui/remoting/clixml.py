"""One PIPELINE_OUTPUT message's CLIXML straight into a ``Record``, the way pypsrp + ``values.to_record`` would.

pypsrp turns each output object into Python objects through ElementTree lookups (``find``/``findall``
per property and per object) and then ``values.to_record`` wraps those into a Record: 3 ms of client CPU
for one Exchange mailbox. Here the same C parser (``xml.etree.ElementTree.fromstring``, so entities,
comments and CDATA read exactly as pypsrp reads them) builds the tree and one walk over it builds the
Record: about 0.1 ms.

Parity is the rule, pypsrp's quirks included (a ``DT`` stays text, a nested enum is its ToString, a
top-level list is its Python text). How pypsrp types an object (generic, list, dictionary, one of its own
classes) depends only on the object's type names, and is asked of pypsrp itself, once per list of type
names (``_kind``), so no table of pypsrp's is copied here. Whatever this walk does not mirror exactly — one
of pypsrp's own classes (ErrorRecord, ParameterMetadata...), a SecureString, a container without its type,
a reference to an unfinished object, anything odd — raises ``NotMirrored`` and the caller hands the same
text to pypsrp (``values.output_value``), so the result is always what pypsrp gives.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from queue import Queue
from typing import Any
from xml.sax.saxutils import escape

from pypsrp.complex_objects import GenericComplexObject
from pypsrp.serializer import Serializer

from tui.remoting.pypsrp_compat import unescape_string
from tui.shell.records import Record

KIND_CACHE_MAX = 4096   # distinct type-name lists remembered (a hostile server cannot grow it without bound)


class NotMirrored(Exception):
    """This message is not on the fast path: decode it with pypsrp instead (the text says why, for the log)."""


def primitive_record(value: Any) -> Record:
    """A string, number, date text... as a Record without properties whose text is the value."""
    text = value if isinstance(value, str) else str(value)
    return Record({}, (_TYPE_NAMES.get(type(value), "System.Object"),), text)


_TYPE_NAMES: dict[type, str] = {str: "System.String", bool: "System.Boolean", int: "System.Int32",
                                float: "System.Double", dt.datetime: "System.DateTime", uuid.UUID: "System.Guid"}
# What ``from_wire`` leaves as it is (pypsrp's primitive values); anything else came from an <Obj>.
_PLAIN = (str, bool, int, float, uuid.UUID, bytes, type(None))


def _string(text: str | None) -> str:
    if text is None:
        return ""
    # pypsrp decodes _xHHHH_ on the UTF-16 bytes, where a match can also start at U+5F00's low byte.
    if "_x" in text or "\u5f00" in text:
        return unescape_string(text)
    return text


def _same(text: str | None) -> str | None:
    return text


def _char(text: str | None) -> str:
    return chr(int(text))  # type: ignore[arg-type]  # None raises TypeError, as in pypsrp


def _bool(text: str | None) -> bool:
    return text.lower() == "true"  # type: ignore[union-attr]  # None raises, as in pypsrp


def _nil(text: str | None) -> None:
    return None


# pypsrp's primitive tags and what it makes of their text (serializer.Serializer.deserialize).
_PRIMITIVES: dict[str, Callable[[Any], Any]] = {
    "S": _string, "ToString": _string, "URI": _string, "XD": _string, "SBK": _string,
    "C": _char, "B": _bool, "DT": _same, "TS": _same, "D": _same, "Version": _same,
    "By": int, "SB": int, "U16": int, "I16": int, "U32": int, "I32": int, "U64": int, "I64": int,
    "Sg": float, "Db": float, "BA": base64.b64decode, "G": uuid.UUID, "Nil": _nil,
}

# How pypsrp deserializes an <Obj> with these type names (asked of pypsrp by _probe):
DYNAMIC = "dynamic"   # GenericComplexObject
LIST = "list"         # a list read from the object's <LST>
STACK = "stack"       # a list read from its <STK>
DICT = "dict"         # a dict read from its <DCT>
TYPED = "typed"       # one of pypsrp's own classes (ErrorRecord, ParameterMetadata...)
OTHER = "other"       # anything else (a Queue, the raw XML text, an error)
# ...and a list's entries (the element type named in ``X[]``/``List`1[[X]]`` decides it):
ENTRIES_PLAIN = "plain"       # typed by their own type names, as any object (a stack's entries)
ENTRIES_TYPED = "typed"       # the same, but an entry without type names is left to pypsrp: in ``X[]`` it is
                              # raw text, in a plain list it depends on the first entry (pypsrp changes the
                              # list's shared ObjectMeta to the first entry's tag)
ENTRIES_DYNAMIC = "dynamic"   # every <Obj> entry is a generic object, whatever its type names

_kinds: dict[tuple[str, ...], tuple[str, str]] = {}


def _kind(types: tuple[str, ...]) -> tuple[str, str]:
    found = _kinds.get(types)
    if found is None:
        if len(_kinds) >= KIND_CACHE_MAX:
            _kinds.clear()
        found = _kinds[types] = _probe(types)
    return found


def _probe(types: tuple[str, ...]) -> tuple[str, str]:
    """Ask pypsrp what it makes of an object with these type names, and of a list's entries."""
    tn = '<TN RefId="0">' + "".join(f"<T>{escape(t)}</T>" for t in types) + "</TN>" if types else ""
    # The entries tell the list kinds apart: a typed ArrayList entry and an entry without type names.
    entries = ('<Obj RefId="1"><TN RefId="1"><T>System.Collections.ArrayList</T><T>System.Object</T></TN>'
               '<LST /></Obj><Obj RefId="2" />')
    xml = f'<Obj RefId="0">{tn}<LST><I32>1</I32>{entries}</LST><STK><I32>2</I32>{entries}</STK></Obj>'
    try:
        got = Serializer().deserialize(xml)
    except Exception:
        return (TYPED, "")      # a class of pypsrp's own whose mandatory properties are missing
    if isinstance(got, GenericComplexObject):
        return (DYNAMIC, "")
    if isinstance(got, dict):
        return (DICT, "")
    if isinstance(got, list) and len(got) == 3 and got[0] in (1, 2):
        kind = LIST if got[0] == 1 else STACK
        first, second = got[1], got[2]
        if first == [] and isinstance(second, GenericComplexObject):
            return (kind, ENTRIES_PLAIN)
        if first == [] and isinstance(second, str):
            return (kind, ENTRIES_TYPED)
        if isinstance(first, GenericComplexObject) and isinstance(second, GenericComplexObject):
            return (kind, ENTRIES_DYNAMIC)
        return (OTHER, "")
    if isinstance(got, str | Queue | list):
        return (OTHER, "")
    return (TYPED, "")


class _Generic:
    """A GenericComplexObject's parts, values already in their final (``from_wire``) form."""

    __slots__ = ("adapted", "extended", "sets", "text", "types")

    def __init__(self, types: tuple[str, ...]) -> None:
        self.types = types
        self.adapted: dict[str, Any] = {}
        self.extended: dict[str, Any] = {}
        self.sets: list[Any] = []
        self.text: str | None = None

    def properties(self) -> dict[str, Any]:
        """Adapted then extended properties (an adapted one wins); may be ``adapted`` itself (Record copies)."""
        if not self.extended:
            return self.adapted
        props = dict(self.adapted)
        for key, value in self.extended.items():
            props.setdefault(key, value)
        return props

    def nested(self) -> Any:
        """What ``values.from_wire`` makes of it inside another object."""
        if self.adapted or self.extended:
            return Record(self.properties(), _names(self.types), self.text)
        if self.text is not None:
            return self.text
        if len(self.sets) == 1:
            return self.sets[0]
        if self.sets:
            return list(self.sets)
        return Record({}, _names(self.types), None)

    def record(self) -> Record:
        """What ``values.to_record`` makes of it as an output object."""
        props = self.properties()
        if not props and self.sets and self.text is None:
            return Record({}, _names(self.types), str(self.sets[0]))
        return Record(props, _names(self.types), self.text)


_names_cache: dict[tuple[str, ...], tuple[str, ...]] = {}


def _names(types: tuple[str, ...]) -> tuple[str, ...]:
    found = _names_cache.get(types)
    if found is None:
        if len(_names_cache) >= KIND_CACHE_MAX:
            _names_cache.clear()
        found = _names_cache[types] = tuple(t.removeprefix("Deserialized.") for t in types)
    return found


_PENDING = object()   # an <Obj> being read: a <Ref> to it is a cycle


class _Walk:
    """One message: its RefId and TN RefId tables, as pypsrp keeps them per message."""

    def __init__(self, generic_types: frozenset[str]) -> None:
        self.refs: dict[str, Any] = {}
        self.tn: dict[str, tuple[str, ...]] = {}
        self.generic_types = generic_types

    # -- values ---------------------------------------------------------------------------------

    def value(self, el: ET.Element, entries: str = ENTRIES_PLAIN) -> Any:
        """One element in its final form; ``entries`` is the meaning of an <Obj> as a list's entry."""
        tag = el.tag
        fn = _PRIMITIVES.get(tag)
        if fn is not None:
            if len(el):
                raise NotMirrored(f"<{tag}> with child elements")
            return fn(el.text)
        if tag == "Obj":
            return self.obj(el, entries, top=False)
        if tag == "Ref":
            found = self.refs.get(el.get("RefId"))   # type: ignore[arg-type]
            if found is None or found is _PENDING or len(el):
                raise NotMirrored("a reference to an unknown or unfinished object")
            return _fresh(found)
        raise NotMirrored(f"<{tag}> as a value")

    def obj(self, el: ET.Element, entries: str, *, top: bool) -> Any:
        ref_id = el.get("RefId")
        if ref_id is None or ref_id in self.refs:
            raise NotMirrored("an object without a RefId, or a RefId used twice")
        self.refs[ref_id] = _PENDING
        types = self.types_of(el)
        entry_kind = ENTRIES_PLAIN
        if entries == ENTRIES_DYNAMIC:
            kind = DYNAMIC
        elif not types and entries == ENTRIES_TYPED:
            raise NotMirrored("a typed list's entry without type names")
        else:
            kind, entry_kind = _kind(types)
            if kind == TYPED and self.generic_types and not self.generic_types.isdisjoint(types):
                kind = DYNAMIC
        value: Any
        if kind == DYNAMIC:
            generic = self.generic(el, types)
            value = generic.nested()
            self.refs[ref_id] = value
            return generic.record() if top else value
        if kind in (LIST, STACK):
            items = el.find("LST" if kind == LIST else "STK")
            value = [] if items is None else [self.value(e, entry_kind) for e in items]
        elif kind == DICT:
            value = self.dictionary(el, top=top)
        else:
            raise NotMirrored(f"an object pypsrp reads as its own class or as text ({', '.join(types)})")
        self.refs[ref_id] = value
        if top:
            return self.container_record(value)
        return value

    def types_of(self, el: ET.Element) -> tuple[str, ...]:
        """The object's type names: its <TN> (remembered by RefId) or a <TNRef> to an earlier one."""
        tn = tn_ref = None
        for child in el:      # one pass; pypsrp takes the first of each, exohop wants exactly one
            tag = child.tag
            if tag == "TN":
                if tn is not None:
                    raise NotMirrored("more than one type-name list")
                tn = child
            elif tag == "TNRef":
                if tn_ref is not None:
                    raise NotMirrored("more than one type-name reference")
                tn_ref = child
        if tn is not None:
            if tn_ref is not None:
                raise NotMirrored("more than one type-name list")
            names = []
            for t in tn:
                if t.tag != "T" or t.text is None or len(t):
                    raise NotMirrored("a type-name list with something other than names")
                names.append(t.text)
            tn_id = tn.get("RefId")
            if not names or tn_id is None:
                raise NotMirrored("an empty or unnamed type-name list")
            types = tuple(names)
            self.tn[tn_id] = types
            return types
        if tn_ref is not None:
            found = self.tn.get(tn_ref.get("RefId"))   # type: ignore[arg-type]
            if found is None:
                raise NotMirrored("a reference to an unknown type-name list")
            return found
        return ()

    def generic(self, el: ET.Element, types: tuple[str, ...]) -> _Generic:
        """GenericComplexObject: <Props> then <MS> properties, <ToString>, anything else a property set."""
        obj = _Generic(types)
        primitives, value, unescape = _PRIMITIVES, self.value, unescape_string
        for child in el:
            tag = child.tag
            if tag == "Props" or tag == "MS":
                into = obj.adapted if tag == "Props" else obj.extended
                for prop in child:
                    # value() inlined for the common cases (90 properties a mailbox, most of them <S>)
                    name = prop.get("N")
                    if name is None:
                        raise NotMirrored("a property without a name")
                    if len(prop):
                        into[name] = value(prop)
                        continue
                    tag = prop.tag
                    if tag == "S":
                        text = prop.text
                        if text is None:
                            into[name] = ""
                        elif "_x" in text or "\u5f00" in text:   # _string's rule
                            into[name] = unescape(text)
                        else:
                            into[name] = text
                        continue
                    fn = primitives.get(tag)
                    into[name] = value(prop) if fn is None else fn(prop.text)
            elif tag == "ToString":
                obj.text = self.value(child)
            elif tag != "TN" and tag != "TNRef":
                obj.sets.append(self.value(child))
        return obj

    def dictionary(self, el: ET.Element, *, top: bool = False) -> dict[Any, Any]:
        raw: dict[Any, Any] = {}
        for entry in el.iterfind("DCT/En"):
            key_el = value_el = None
            for part in entry:               # the first child named Key, the first named Value (find's rule)
                name = part.get("N")
                if name == "Key" and key_el is None:
                    key_el = part
                elif name == "Value" and value_el is None:
                    value_el = part
            if key_el is None:
                key: Any = ""
            elif top and key_el.tag in ("Obj", "Ref"):
                raise NotMirrored("an object as a key of a top-level dictionary")   # printed as pypsrp's object
            else:
                key = self.value(key_el)
            value = "" if value_el is None else self.value(value_el)
            if not isinstance(key, _PLAIN):
                raise NotMirrored("a dictionary key that is an object")
            raw[key] = value
        if top:
            return raw                       # to_record prints the dictionary as pypsrp made it
        # from_wire: keys as text, after Python merged the equal ones (1 and True, 1 and 1.0)
        return {(k if isinstance(k, str) else str(k)): v for k, v in raw.items()}

    def container_record(self, value: list[Any] | dict[Any, Any]) -> Record:
        """A list or dict as the output object itself: ``to_record`` gives its Python text."""
        items = value.values() if isinstance(value, dict) else value
        if any(not isinstance(v, _PLAIN) for v in items):
            raise NotMirrored("a top-level container holding objects")
        return primitive_record(value)


def _fresh(value: Any) -> Any:
    """A copy of an earlier object for a <Ref> (pypsrp's from_wire builds a new Record each time)."""
    if isinstance(value, Record):
        return Record({k: _fresh(v) for k, v in value.properties.items()}, value.type_names, value.text)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def decode_output(xml: str, *, generic_types: Collection[str] = frozenset()) -> Record:
    """One output object's CLIXML → the Record pypsrp + ``to_record`` would give; NotMirrored otherwise.

    ``generic_types``: objects with one of these type names are read as generic objects even where pypsrp
    has a class of its own for them (the importer reads ParameterMetadata as plain properties).
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise NotMirrored("not well-formed XML") from exc
    walk = _Walk(frozenset(generic_types))
    try:
        tag = root.tag
        if tag == "Obj":
            result = walk.obj(root, ENTRIES_PLAIN, top=True)
        elif tag in _PRIMITIVES:
            result = primitive_record(walk.value(root))
        else:
            raise NotMirrored(f"<{tag}> as an output object")
    except NotMirrored:
        raise
    except Exception as exc:   # a value pypsrp cannot read either (int("x"), a bad GUID...): its path says so
        raise NotMirrored(f"unreadable value ({type(exc).__name__})") from exc
    if not isinstance(result, Record):
        raise NotMirrored("not an object")
    return result
