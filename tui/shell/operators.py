"""PowerShell comparison semantics over Record values, shared by Where-Object's two forms, the script-block
evaluator, Sort-Object and Group-Object.

The left operand's type decides how the right one is converted (``5 -eq "5"`` is a number comparison,
``"5" -eq 5`` a string one); strings compare case-insensitively unless a ``-c…`` operator asks otherwise.
Two conveniences go beyond PowerShell: an Exchange size string (``"99 GB (… bytes)"``, ``Unlimited``)
compares as a size against a number or size literal, and a failed conversion falls back to comparing the
values' text instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from tui.shell.records import Record
from tui.shell.sizes import ByteSize, is_exchange_size, parse_size, parse_size_text

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([KMGTP]B)?\s*$", re.IGNORECASE)
_HEX = re.compile(r"^\s*0x[0-9a-f]+\s*$", re.IGNORECASE)
_MULT = {"KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4, "PB": 1024 ** 5}
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d %B %Y", "%B %d, %Y", "%B %d %Y",
)


class OperatorError(ValueError):
    """An operator was given operands it cannot work with (bad regex, unknown operator)."""


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def to_number(v: Any) -> int | float | None:
    """PowerShell's conversion to a number, or None when there is none (``"10MB"`` is 10485760)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float):
        return v
    if isinstance(v, ByteSize):
        return v.as_number()
    if isinstance(v, str):
        m = _NUMBER.match(v)
        if m:
            text, suffix = m.group(1), m.group(2)
            num: int | float = float(text) if any(c in text for c in ".eE") else int(text)
            if suffix:
                num = num * _MULT[suffix.upper()]
                return int(num) if num == int(num) else num
            return num
        if _HEX.match(v):
            return int(v, 16)
        size = parse_size(v)
        if size is not None:
            return size.as_number()
    return None


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\Z")


def iso_datetime(text: str) -> datetime | None:
    """A datetime for an ISO 8601 date-time string (pypsrp hands .NET DateTime values over as such text,
    e.g. ``2026-11-04T22:17:39.1234567Z``), else None. Cheap for text that is not one."""
    if len(text) < 16 or text[4] != "-" or text[10] != "T" or not _ISO.match(text):
        return None
    m = _ISO.match(text)
    assert m is not None
    if m.group(1) and len(m.group(1)) > 7:  # .NET writes 7 fractional digits; Python takes 6
        text = text[:m.start(1) + 7] + text[m.end(1):]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def to_datetime(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        s = v.strip()
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            pass
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(s, fmt)
            except ValueError:
                continue
    return None


def _naive_utc(d: datetime) -> datetime:
    """Aware datetimes become naive UTC so aware and naive values can be compared."""
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo is not None else d


def truthy(v: Any) -> bool:
    """PowerShell's conversion to bool: empty collections, '', 0 and $null are false."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str):
        return v != ""
    if isinstance(v, list | tuple):
        if len(v) == 0:
            return False
        return truthy(v[0]) if len(v) == 1 else True
    return True


def to_text(v: Any) -> str:
    """PowerShell's (invariant culture) conversion to string, used by -like, -match and string compares."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return format(v, ".15g") if v == v and v not in (float("inf"), float("-inf")) else (
            "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))
    if isinstance(v, datetime):
        return v.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(v, list | tuple):
        return " ".join(to_text(x) for x in v)
    return str(v)


# -- comparison ----------------------------------------------------------------------------------


def _cmp(a: Any, b: Any) -> int:
    return -1 if a < b else (1 if a > b else 0)


def _cmp_text(left: str, right: str, case_sensitive: bool) -> int:
    if not case_sensitive:
        c = _cmp(left.casefold(), right.casefold())
        if c:
            return c
        return 0
    return _cmp(left, right)


def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """-1, 0 or 1: ``left`` against ``right`` converted to left's type (PowerShell's rule)."""
    tl, tr = type(left), type(right)
    if (tl is int or tl is float) and (tr is int or tr is float):  # fast path: plain numbers
        return -1 if left < right else (1 if left > right else 0)
    if tl is str and (tr is int or tr is float) and len(left) <= 64:  # fast path: a quota against 50GB
        size, service_form = parse_size_text(left)
        if service_form and size is not None:
            return _cmp(size.as_number(), right)
    if tl is str and (left[:1].isdigit() and iso_datetime(left) is not None):
        left, tl = iso_datetime(left), datetime  # a DateTime that crossed the wire as text
    if tl is str and tr is str and not is_exchange_size(left):  # fast path: plain text
        return _cmp_text(left, right, case_sensitive)
    if left is None or right is None:
        return 0 if left is right else (-1 if left is None else 1)
    if isinstance(left, bool):
        # PowerShell turns any non-empty string into $true ('False' included); a typed True/False means
        # what it says here, so `Where-Object LitigationHoldEnabled -eq False` works.
        if isinstance(right, str) and right.strip().lower() in ("true", "false", "$true", "$false"):
            return _cmp(left, right.strip().lower().lstrip("$") == "true")
        return _cmp(left, truthy(right))
    if isinstance(left, ByteSize) or (isinstance(left, str) and is_exchange_size(left)
                                      and (is_number(right) or parse_size(right) is not None)):
        lsize = parse_size(left)
        rsize = parse_size(right) if not is_number(right) else ByteSize(int(right))
        if lsize is not None and rsize is not None:
            return _cmp(lsize.as_number(), rsize.as_number())
    if is_number(left):
        rnum = to_number(right)
        if rnum is not None:
            return _cmp(left, rnum)
    elif isinstance(left, datetime):
        rdate = to_datetime(right)
        if rdate is not None:
            return _cmp(_naive_utc(left), _naive_utc(rdate))
    elif isinstance(left, Record) and isinstance(right, Record):
        return 0 if left == right else _cmp_text(str(left), str(right), case_sensitive)
    return _cmp_text(to_text(left), to_text(right), case_sensitive)


def equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    return compare(left, right, case_sensitive) == 0


@lru_cache(maxsize=256)
def wildcard_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """PowerShell wildcards: ``*`` any run, ``?`` one character, ``[a-c]`` a set, backtick escapes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise OperatorError(f"The specified wildcard character pattern is not valid: {pattern}")
            body = pattern[i + 1:end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    try:
        return re.compile("".join(out) + r"\Z", flags)
    except re.error:
        raise OperatorError(f"The specified wildcard character pattern is not valid: {pattern}") from None


def like(value: Any, pattern: Any, case_sensitive: bool = False) -> bool:
    return wildcard_regex(to_text(pattern), case_sensitive).match(to_text(value)) is not None


@lru_cache(maxsize=256)
def regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    try:
        return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise OperatorError(f"Invalid regular expression pattern: {pattern} ({exc.msg})") from None


def match(value: Any, pattern: Any, case_sensitive: bool = False) -> bool:
    return regex(to_text(pattern), case_sensitive).search(to_text(value)) is not None


def as_list(value: Any) -> list[Any]:
    """A value as the items PowerShell would enumerate: a list/tuple's items, nothing for None, else itself."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def contains(collection: Any, item: Any, case_sensitive: bool = False) -> bool:
    items = collection if isinstance(collection, list | tuple) else [collection]   # `$null -contains $null`
    return any(equals(x, item, case_sensitive) for x in items)


_TYPE_ALIASES: dict[str, tuple[type, ...]] = {
    "string": (str,), "int": (int,), "int32": (int,), "int64": (int,), "long": (int,),
    "double": (float,), "float": (float,), "bool": (bool,), "boolean": (bool,), "datetime": (datetime,),
    "array": (list, tuple), "object[]": (list, tuple), "hashtable": (dict,),
}


def is_type(value: Any, type_name: Any) -> bool:
    """``-is``: a Record matches its type names (full or last segment); scalars their .NET names."""
    name = to_text(type_name).strip("[] ").lower().removeprefix("system.")
    if name in ("object", "psobject"):
        return value is not None
    if isinstance(value, Record):
        for t in value.type_names:
            low = t.lower().removeprefix("deserialized.")
            if low == name or low.endswith("." + name) or low.removeprefix("system.") == name:
                return True
        return False
    types = _TYPE_ALIASES.get(name)
    if types is None:
        return False
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


# -- the binary comparison operators, by name ------------------------------------------------------

Scalar = Callable[[Any, Any, bool], bool]

_SCALAR_OPS: dict[str, Scalar] = {
    "eq": lambda a, b, cs: compare(a, b, cs) == 0,
    "ne": lambda a, b, cs: compare(a, b, cs) != 0,
    "gt": lambda a, b, cs: a is not None and compare(a, b, cs) > 0,
    "ge": lambda a, b, cs: compare(a, b, cs) >= 0,
    "lt": lambda a, b, cs: compare(a, b, cs) < 0,
    "le": lambda a, b, cs: compare(a, b, cs) <= 0,
    "like": like,
    "notlike": lambda a, b, cs: not like(a, b, cs),
    "match": match,
    "notmatch": lambda a, b, cs: not match(a, b, cs),
}
_COLLECTION_OPS: dict[str, Scalar] = {
    "contains": contains,
    "notcontains": lambda a, b, cs: not contains(a, b, cs),
    "in": lambda a, b, cs: contains(b, a, cs),
    "notin": lambda a, b, cs: not contains(b, a, cs),
    "is": lambda a, b, cs: is_type(a, b),
    "isnot": lambda a, b, cs: not is_type(a, b),
}
COMPARISON_OPERATORS: frozenset[str] = frozenset(_SCALAR_OPS) | frozenset(_COLLECTION_OPS)


def split_operator(name: str) -> tuple[str, bool]:
    """``"CEQ"`` → ``("eq", True)``, ``"ilike"`` → ``("like", False)``; raises OperatorError if unknown."""
    low = name.lower().lstrip("-")
    if low in COMPARISON_OPERATORS:
        return low, False
    if low[:1] in ("c", "i") and low[1:] in COMPARISON_OPERATORS and low[1:] not in ("is", "isnot"):
        return low[1:], low[0] == "c"
    raise OperatorError(f"Unknown comparison operator '-{name.lstrip('-')}'.")


def comparison(op: str) -> Callable[[Any, Any, bool], Any]:
    """The function for comparison operator ``op`` (resolved once, for hot loops); see apply_comparison."""
    scalar = _SCALAR_OPS.get(op)
    if scalar is not None:
        def run(left: Any, right: Any, case_sensitive: bool) -> Any:
            if isinstance(left, list | tuple):
                return [x for x in left if scalar(x, right, case_sensitive)]
            return scalar(left, right, case_sensitive)
        return run
    coll = _COLLECTION_OPS.get(op)
    if coll is None:
        raise OperatorError(f"Unknown comparison operator '-{op}'.")
    return coll


def apply_comparison(op: str, left: Any, right: Any, case_sensitive: bool = False) -> Any:
    """Apply a comparison operator as PowerShell does.

    With a collection on the left, the scalar operators filter it (``@(1,5) -gt 2`` is ``@(5)``), and the
    result is true when anything is left; -contains/-in look for an element.
    """
    scalar = _SCALAR_OPS.get(op)
    if scalar is not None:
        if isinstance(left, list | tuple):
            return [x for x in left if scalar(x, right, case_sensitive)]
        return scalar(left, right, case_sensitive)
    coll = _COLLECTION_OPS.get(op)
    if coll is None:
        raise OperatorError(f"Unknown comparison operator '-{op}'.")
    return coll(left, right, case_sensitive)


# -- sorting and grouping --------------------------------------------------------------------------


def sort_key(v: Any, case_sensitive: bool = False) -> tuple[int, Any]:
    """A key that orders values naturally: $null first, then numbers and sizes by amount, dates, text.

    Text orders as a culture-aware comparison would: case-insensitively, and with ``case_sensitive``
    lowercase before uppercase among equals (``a < A < b``), rather than ordinal (``A < B < a``).
    """
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, int | float):
        return (1, v)
    if isinstance(v, ByteSize):
        return (1, v.as_number())
    if isinstance(v, datetime):
        return (2, _naive_utc(v))
    if isinstance(v, str):
        if is_exchange_size(v):
            size = parse_size(v)
            if size is not None:
                return (1, size.as_number())
        when = iso_datetime(v) if v[:1].isdigit() else None
        if when is not None:
            return (2, _naive_utc(when))
        return (3, (v.casefold(), v.swapcase() if case_sensitive else ""))
    text = to_text(v)
    return (3, (text.casefold(), text.swapcase() if case_sensitive else ""))


def group_key(v: Any, case_sensitive: bool = False) -> Any:
    """A hashable key under which equal values (PowerShell's sense, case-insensitive) fall together."""
    if v is None:
        return None
    if isinstance(v, bool | int | float):
        return ("n", float(v))
    if isinstance(v, datetime):
        return ("d", _naive_utc(v))
    if isinstance(v, list | tuple):
        return ("l", tuple(group_key(x, case_sensitive) for x in v))
    text = to_text(v)
    return ("s", text if case_sensitive else text.casefold())


_MISSING = object()


def property_value(obj: Any, name: str) -> Any:
    """A property for display and export: the Record's own value (DateTime text as a date) or None;
    unlike ``get_member``, no ``Count``/``Length`` of the object itself stands in for a missing column."""
    if isinstance(obj, Record):
        props = obj.properties
        if name in props:
            value = props[name]
        else:
            key = obj.canonical_name(name)
            if key is None:
                return None
            value = props[key]
        if type(value) is str and value[:1].isdigit():
            return iso_datetime(value) or value
        return value
    return get_member(obj, name)


def get_member(obj: Any, name: str) -> Any:
    """``obj.Name`` as PowerShell resolves it: Record or mapping property (case-insensitive), member
    enumeration over collections, ``Length``/``Count`` of strings and collections; $null when missing."""
    if type(obj) is Record or isinstance(obj, Record):
        props = obj.properties
        if name in props:  # fast path: the name as the object spells it
            value = props[name]
        else:
            key = obj.canonical_name(name)
            value = props[key] if key is not None else _MISSING
        if value is not _MISSING:
            if type(value) is str and value[:1].isdigit():
                return iso_datetime(value) or value  # DateTime text from the wire behaves as a date
            return value
        low = name.lower()
        if low == "count":
            return 1
        return None
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() == name.lower():
                return v
        return len(obj) if name.lower() == "count" else None
    low = name.lower()
    if isinstance(obj, list | tuple):
        if low in ("count", "length"):
            return len(obj)
        out: list[Any] = []
        for item in obj:
            v = get_member(item, name)
            if isinstance(v, list):
                out.extend(v)
            elif v is not None:
                out.append(v)
        return out
    if obj is None:
        return 0 if low == "count" else None
    if isinstance(obj, str) and low == "length":
        return len(obj)
    if low == "count":
        return 1
    if isinstance(obj, datetime):
        attr = {"year": "year", "month": "month", "day": "day", "hour": "hour", "minute": "minute",
                "second": "second"}.get(low)
        if attr:
            return getattr(obj, attr)
        if low == "date":
            return obj.replace(hour=0, minute=0, second=0, microsecond=0)
        if low == "dayofweek":
            return obj.strftime("%A")
    if isinstance(obj, ByteSize) and low in ("value",):
        return obj
    return None
