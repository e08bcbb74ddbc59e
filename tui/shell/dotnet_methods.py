"""The handful of .NET methods script blocks may call on values: ``ToString()``, ``ToLower()``,
``StartsWith()``, ``Split()``, ``AddDays()``, ``ToGB()`` … (``call_method`` returns ``NO_METHOD`` for the rest).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.shell.dotnet_format import format_with
from tui.shell.operators import is_number, to_number, to_text
from tui.shell.sizes import UNITS, ByteSize


def type_label(v: Any) -> str:
    if isinstance(v, str):
        return "System.String"
    if isinstance(v, bool):
        return "System.Boolean"
    if isinstance(v, int):
        return "System.Int32"
    if isinstance(v, float):
        return "System.Double"
    if isinstance(v, datetime):
        return "System.DateTime"
    if isinstance(v, list | tuple):
        return "System.Object[]"
    if isinstance(v, ByteSize):
        return "ByteQuantifiedSize"
    type_names = getattr(v, "type_names", None)
    if type_names:
        return str(type_names[0])
    return "System.Object"



NO_METHOD = object()
_SIZE_METHODS = {"tobytes": 1, "tokb": UNITS["KB"], "tomb": UNITS["MB"], "togb": UNITS["GB"], "totb": UNITS["TB"]}
_ADD_METHODS = {"adddays": "days", "addhours": "hours", "addminutes": "minutes", "addseconds": "seconds",
                "addmilliseconds": "milliseconds"}


def call_method(target: Any, low: str, args: list[Any]) -> Any:
    n = len(args)
    if low == "tostring" and n == 1 and args[0] is not None:
        return format_with(target, to_text(args[0]))
    if low == "tostring" and n == 0:
        if isinstance(target, datetime):
            from tui.shell.formatting import format_value  # formatting → operators; keep this import lazy
            return format_value(target)
        return to_text(target)
    if isinstance(target, str):
        return _string_method(target, low, args)
    if isinstance(target, datetime):
        if low in _ADD_METHODS and n == 1:
            amount = to_number(args[0])
            if amount is None:
                return NO_METHOD
            return target + timedelta(**{_ADD_METHODS[low]: float(amount)})
        if low in ("addmonths", "addyears") and n == 1:
            amount = to_number(args[0])
            if amount is None:
                return NO_METHOD
            months = int(amount) * (12 if low == "addyears" else 1)
            y, m = divmod(target.month - 1 + months, 12)
            day = min(target.day, [31, 29 if (target.year + y) % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30,
                                   31, 30, 31][m])
            return target.replace(year=target.year + y, month=m + 1, day=day)
        if low == "touniversaltime" and n == 0:
            return target.astimezone(UTC) if target.tzinfo else target
        if low == "tolocaltime" and n == 0:
            return target
        return NO_METHOD
    if isinstance(target, ByteSize):
        if low in _SIZE_METHODS and n == 0:
            return math.inf if target.unlimited else target.bytes // _SIZE_METHODS[low]
        return NO_METHOD
    if isinstance(target, list | tuple):
        if low == "contains" and n == 1:
            return any(x == args[0] for x in target)
        if low == "indexof" and n == 1:
            return next((i for i, x in enumerate(target) if x == args[0]), -1)
        return NO_METHOD
    if is_number(target) and low in _SIZE_METHODS and n == 0:
        return int(target) // _SIZE_METHODS[low]
    return NO_METHOD


def _string_method(s: str, low: str, args: list[Any]) -> Any:
    n = len(args)
    texts = [to_text(a) for a in args]
    if n == 0:
        simple: dict[str, Callable[[str], Any]] = {
            "tolower": str.lower, "toupper": str.upper, "tolowerinvariant": str.lower,
            "toupperinvariant": str.upper, "trim": str.strip, "trimstart": str.lstrip, "trimend": str.rstrip,
        }
        if low in simple:
            return simple[low](s)
        return NO_METHOD
    if low == "startswith" and n == 1:
        return s.startswith(texts[0])
    if low == "endswith" and n == 1:
        return s.endswith(texts[0])
    if low == "contains" and n == 1:
        return texts[0] in s
    if low == "indexof" and n == 1:
        return s.find(texts[0])
    if low == "replace" and n == 2:
        return s.replace(texts[0], texts[1])
    if low == "split" and n >= 1:
        seps = "".join(texts)
        return re.split("[" + re.escape(seps) + "]", s) if seps else [s]
    if low == "substring" and n in (1, 2):
        start = to_number(args[0])
        if start is None:
            return NO_METHOD
        if n == 1:
            return s[int(start):]
        length = to_number(args[1])
        return NO_METHOD if length is None else s[int(start):int(start) + int(length)]
    if low in ("trim", "trimstart", "trimend") and n == 1:
        return {"trim": s.strip, "trimstart": s.lstrip, "trimend": s.rstrip}[low](texts[0])
    return NO_METHOD
