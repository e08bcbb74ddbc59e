""".NET formatting and static members as script blocks use them in Exchange reports:
``"{0:N2}" -f $x``, ``$d.ToString("yyyy-MM-dd")``, ``[math]::Round($x, 2)``, ``[datetime]::Now``.

Numbers and dates format the en-US way (as the rest of exohop's display does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tui.shell.operators import to_datetime, to_number, to_text, truthy

NO_MEMBER = object()

_COMPOSITE = re.compile(r"\{\{|\}\}|\{(\d+)(?:\s*,\s*(-?\d+))?(?::([^}]*))?\}")
_DATE_TOKENS = re.compile(r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fff|ff|f|tt|zzz|'[^']*'|\"[^\"]*\"|.",
                          re.DOTALL)


class FormatError(ValueError):
    """A composite format string that does not fit its arguments."""


def format_number(value: Any, fmt: str) -> str | None:
    """A .NET standard numeric format (N, F, D, P, X, E, C, G with a precision), or None if not one."""
    m = re.fullmatch(r"([NnFfDdPpXxEeCcGg])(\d{0,2})", fmt)
    num = to_number(value)
    if not m or num is None:
        return None
    kind, digits = m.group(1), m.group(2)
    prec = int(digits) if digits else None
    k = kind.upper()
    if k == "N":
        return f"{num:,.{2 if prec is None else prec}f}"
    if k == "F":
        return f"{num:.{2 if prec is None else prec}f}"
    if k == "D":
        return str(int(num)).zfill(prec or 0)
    if k == "P":
        return f"{num * 100:,.{2 if prec is None else prec}f} %"
    if k == "X":
        text = format(int(num), "x" if kind == "x" else "X")
        return text.zfill(prec or 0)
    if k == "E":
        text = f"{num:.{6 if prec is None else prec}E}"
        mant, exp = text.split("E")
        return f"{mant}{'E' if kind == 'E' else 'e'}{exp[0]}{exp[1:].zfill(3)}"
    if k == "C":
        return f"${num:,.{2 if prec is None else prec}f}" if num >= 0 else f"(${-num:,.{2 if prec is None else prec}f})"
    return format(num, f".{prec}g") if prec else to_text(num)


def format_datetime_custom(d: datetime, fmt: str) -> str:
    """A .NET custom date format (``yyyy-MM-dd HH:mm``), en-US names; ``s``/``o``/``d``/``g`` standard ones."""
    standard = {"s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "d": "M/d/yyyy", "D": "dddd, MMMM d, yyyy",
                "g": "M/d/yyyy h:mm tt", "G": "M/d/yyyy h:mm:ss tt", "t": "h:mm tt", "T": "h:mm:ss tt",
                "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'"}
    if fmt == "o" or fmt == "O":
        return d.isoformat()
    fmt = standard.get(fmt, fmt)
    out: list[str] = []
    for tok in _DATE_TOKENS.findall(fmt):
        out.append(_date_token(d, tok))
    return "".join(out)


def _date_token(d: datetime, tok: str) -> str:
    hour12 = d.hour % 12 or 12
    table: dict[str, Any] = {
        "yyyy": f"{d.year:04d}", "yy": f"{d.year % 100:02d}", "MMMM": d.strftime("%B"), "MMM": d.strftime("%b"),
        "MM": f"{d.month:02d}", "M": str(d.month), "dddd": d.strftime("%A"), "ddd": d.strftime("%a"),
        "dd": f"{d.day:02d}", "d": str(d.day), "HH": f"{d.hour:02d}", "H": str(d.hour), "hh": f"{hour12:02d}",
        "h": str(hour12), "mm": f"{d.minute:02d}", "m": str(d.minute), "ss": f"{d.second:02d}",
        "s": str(d.second), "fff": f"{d.microsecond // 1000:03d}", "ff": f"{d.microsecond // 10000:02d}",
        "f": str(d.microsecond // 100000), "tt": "AM" if d.hour < 12 else "PM",
        "zzz": d.strftime("%z")[:3] + ":" + d.strftime("%z")[3:] if d.tzinfo else "+00:00",
    }
    if tok in table:
        return str(table[tok])
    if len(tok) >= 2 and tok[0] in "'\"" and tok[-1] == tok[0]:
        return tok[1:-1]
    return tok


def format_with(value: Any, fmt: str) -> str:
    """``value.ToString(fmt)`` / ``{0:fmt}``: numbers by standard format, dates by custom format."""
    if isinstance(value, datetime):
        return format_datetime_custom(value, fmt)
    if not isinstance(value, str | bool):
        numeric = format_number(value, fmt)
        if numeric is not None:
            return numeric
    return to_text(value)


def composite_format(template: str, args: list[Any]) -> str:
    """PowerShell's ``-f``: ``"{0,-10} {1:N2}" -f $a, $b``."""
    def sub(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        index = int(m.group(1))
        if index >= len(args):
            raise FormatError(f"Error formatting a string: Index (zero based) must be greater than or equal to "
                              f"zero and less than the size of the argument list ({len(args)}).")
        value = args[index]
        text = format_with(value, m.group(3)) if m.group(3) else _plain(value)
        if m.group(2):
            width = int(m.group(2))
            text = text.rjust(width) if width > 0 else text.ljust(-width)
        return text
    return _COMPOSITE.sub(sub, template)


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        from tui.shell.formatting import format_datetime  # formatting → operators; keep this import lazy
        return format_datetime(value)
    return to_text(value)


# -- static members: [math]::Round(…), [datetime]::Now, [string]::IsNullOrEmpty(…) ----------------------


def _round(args: list[Any]) -> Any:
    x = to_number(args[0])
    if x is None:
        return NO_MEMBER
    digits = int(to_number(args[1]) or 0) if len(args) > 1 else 0
    result = round(float(x), digits)  # banker's rounding, as .NET's Math.Round
    return int(result) if digits == 0 and isinstance(x, int) else result


def _numbers(args: list[Any]) -> list[int | float] | None:
    values = [to_number(a) for a in args]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def _math(name: str, args: list[Any]) -> Any:
    if name == "round" and args:
        return _round(args)
    nums = _numbers(args)
    if nums is None:
        return NO_MEMBER
    one: dict[str, Callable[[float], Any]] = {"floor": math.floor, "ceiling": math.ceil, "truncate": math.trunc, "abs": abs, "sqrt": math.sqrt,
           "log10": math.log10}
    if name in one and len(nums) == 1:
        return one[name](nums[0])
    if name in ("max", "min") and len(nums) == 2:
        return max(nums) if name == "max" else min(nums)
    if name == "pow" and len(nums) == 2:
        return math.pow(nums[0], nums[1])
    return NO_MEMBER


def static_member(type_name: str, member: str, args: list[Any] | None) -> Any:
    """``[type]::Member`` (args None) or ``[type]::Method(args)``; NO_MEMBER when not supported."""
    t, m = type_name.lower().removeprefix("system."), member.lower()
    if t == "math":
        if args is None:
            return {"pi": math.pi, "e": math.e}.get(m, NO_MEMBER)
        return _math(m, args)
    if t == "datetime":
        if args is None:
            now = datetime.now()
            return {"now": now, "utcnow": datetime.utcnow(), "today": now.replace(hour=0, minute=0, second=0,
                                                                                   microsecond=0)}.get(m, NO_MEMBER)
        if m == "parse" and len(args) == 1:
            parsed = to_datetime(to_text(args[0]))
            return parsed if parsed is not None else NO_MEMBER
        return NO_MEMBER
    if t == "string":
        if args is None:
            return "" if m == "empty" else NO_MEMBER
        if m == "isnullorempty" and len(args) == 1:
            return args[0] is None or args[0] == ""
        if m == "isnullorwhitespace" and len(args) == 1:
            return args[0] is None or to_text(args[0]).strip() == ""
        if m == "join" and len(args) >= 2:
            items = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
            return to_text(args[0]).join(to_text(x) for x in items)
        return NO_MEMBER
    if t in ("timespan",) and args is not None and m in ("fromdays", "fromhours", "fromminutes") and args:
        n = to_number(args[0])
        unit = {"fromdays": "days", "fromhours": "hours", "fromminutes": "minutes"}[m]
        return timedelta(**{unit: float(n)}) if n is not None else NO_MEMBER
    if t in ("bool", "boolean") and args is not None and m == "parse" and len(args) == 1:
        return truthy(args[0]) if to_text(args[0]).lower() in ("true", "false") else NO_MEMBER
    return NO_MEMBER


STATIC_TYPES = ("math", "datetime", "string", "timespan", "bool")
