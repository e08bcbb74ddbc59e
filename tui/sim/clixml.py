"""A fast CLIXML writer for the engine's output objects (``SimObject`` trees).

psrpcore's generic serializer spends about a millisecond on a 50-property mailbox; a 10,000-mailbox
Get-Mailbox made the server a third of the whole round trip. This writer emits the same CLIXML
psrpcore would for the value types a ``SimObject`` may hold (MS-PSRP 2.2.5: ``TN``/``TNRef``
type-name references, ``Props`` as adapted properties, ``ToString``, ``_xHHHH_`` string escapes),
as plain string building. tests/unit/sim/test_wire_clixml.py checks it against psrpcore's output.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from tui.sim.model import SimObject

_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)
_ESCAPE_ESCAPE = re.compile("(?i)_(x)")
# C0/C1 controls, lone surrogates and astral characters are written as UTF-16 code units (_xHHHH_).
_NEEDS_ESCAPE = re.compile("[\u0000-\u001F\u007F-\u009F\uD800-\uDFFF\U00010000-\U0010FFFF]")
# Any character escape() changes: text without one is written as it is (most property values).
_SPECIAL = re.compile("[&<>_\u0000-\u001F\u007F-\u009F\uD800-\uDFFF\U00010000-\U0010FFFF]")
_LIST_TYPES = ("System.Collections.ArrayList", "System.Object")
_NAMES_MAX = 4096
_ZERO = dt.timedelta(0)     # distinct property names whose N="…" attribute is kept ready
_DICT_TYPES = ("System.Collections.Hashtable", "System.Object")


def dumps(obj: Any) -> bytes:
    """The CLIXML of one output object or value (one PSRP PIPELINE_OUTPUT message body)."""
    writer = _Writer()
    writer.value(obj, None)
    return "".join(writer.out).encode("utf-8")


def escape(text: str) -> str:
    """A .NET string as CLIXML element text."""
    if not _SPECIAL.search(text):
        return text
    return escape_code_units(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_code_units(text: str) -> str:
    """CLIXML's string escapes without XML's (for text an XML writer escapes itself): a control
    character becomes ``_xHHHH_`` (NUL: ``_x0000_``), and a literal ``_x`` becomes ``_x005F_x`` so a
    reader does not take it for an escape."""
    if "_" in text:
        text = _ESCAPE_ESCAPE.sub("_x005F_\\1", text)
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(_utf16_escape, text)
    return text


def _utf16_escape(m: re.Match[str]) -> str:
    data = m.group(0).encode("utf-16-be", errors="surrogatepass")
    return "".join(f"_x{data[i]:02X}{data[i + 1]:02X}_" for i in range(0, len(data), 2))


def datetime_text(value: dt.datetime) -> str:
    """.NET DateTime round-trip text (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value.year >= 1000 and value.utcoffset() == _ZERO:
        # The common case (every date the engine writes), without two strftime calls: isoformat gives the
        # same digits (strftime's %Y pads no year below 1000, hence the guard) and ends in "+00:00".
        return value.isoformat()[:-6] + "Z"
    fraction = value.strftime(".%f") if value.microsecond else ""
    if value.utcoffset() == dt.timedelta(0):
        zone = "Z"
    else:
        offset = value.strftime("%z")
        zone = f"{offset[:3]}:{offset[3:]}"
    return value.strftime(f"%Y-%m-%dT%H:%M:%S{fraction}{zone}")


_name_attrs: dict[str, str] = {}     # property name → its N="…" attribute (the same 50 names, every mailbox)


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self._ref = 0
        self._tn: dict[str, int] = {}

    def _name(self, name: str | None) -> str:
        if name is None:
            return ""
        attr = _name_attrs.get(name)
        if attr is None:
            attr = f' N="{escape(name).replace(chr(34), "&quot;")}"'
            if len(_name_attrs) < _NAMES_MAX:
                _name_attrs[name] = attr
        return attr

    def _open_obj(self, name: str | None, type_names: tuple[str, ...]) -> None:
        ref = self._ref
        self._ref += 1
        out = self.out
        out.append(f'<Obj RefId="{ref}"{self._name(name)}>')
        main = type_names[0] if type_names else "System.Object"
        tn = self._tn.get(main)
        if tn is not None:
            out.append(f'<TNRef RefId="{tn}" />')
        else:
            tn = self._tn[main] = len(self._tn)
            out.append(f'<TN RefId="{tn}">')
            out.extend(f"<T>{escape(t)}</T>" for t in (type_names or (main,)))
            out.append("</TN>")

    def obj(self, obj: SimObject, name: str | None) -> None:
        self._open_obj(name, obj.type_names)
        if obj.properties:
            group = "MS" if obj.notes else "Props"
            self.out.append(f"<{group}>")
            for key, value in obj.properties.items():
                self.value(value, key)
            self.out.append(f"</{group}>")
        if obj.to_string:             # psrpcore (and PowerShell) leave an empty ToString out
            self.out.append(f"<ToString>{escape(obj.to_string)}</ToString>")
        self.out.append("</Obj>")

    def value(self, value: Any, name: str | None) -> None:
        out = self.out
        n = self._name(name)
        if isinstance(value, str):             # first: most values are
            out.append(f"<S{n}>{escape(value)}</S>")
        elif value is None:
            out.append(f"<Nil{n} />")
        elif isinstance(value, bool):
            out.append(f"<B{n}>{'true' if value else 'false'}</B>")
        elif isinstance(value, int):
            if value in _INT32:
                out.append(f"<I32{n}>{value}</I32>")
            elif value in _INT64:
                out.append(f"<I64{n}>{value}</I64>")
            else:
                out.append(f"<S{n}>{value}</S>")
        elif isinstance(value, float):
            out.append(f"<Db{n}>{_double(value)}</Db>")
        elif isinstance(value, dt.datetime):
            out.append(f"<DT{n}>{datetime_text(value)}</DT>")
        elif isinstance(value, uuid.UUID):
            out.append(f"<G{n}>{value}</G>")
        elif isinstance(value, SimObject):
            self.obj(value, name)
        elif isinstance(value, (list, tuple)):
            self._open_obj(name, _LIST_TYPES)
            if value:
                out.append("<LST>")
                for item in value:
                    self.value(item, None)
                out.append("</LST></Obj>")
            else:
                out.append("<LST /></Obj>")
        elif isinstance(value, dict):
            self._open_obj(name, _DICT_TYPES)
            if value:
                out.append("<DCT>")
                for key, item in value.items():
                    out.append("<En>")
                    self.value(key, "Key")
                    self.value(item, "Value")
                    out.append("</En>")
                out.append("</DCT></Obj>")
            else:
                out.append("<DCT /></Obj>")
        else:
            # Outside the SimObject contract (timedelta, Decimal …): what PowerShell shows for it.
            out.append(f"<S{n}>{escape(str(value))}</S>")


def _double(value: float) -> str:
    return repr(value).upper()          # as psrpcore writes it: 1.5, 1E+20, INF, NAN
