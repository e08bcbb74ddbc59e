"""A bound command's parameters as the InvokeCommand body carries them (research/exo-modern.md §1.5).

JSON booleans for switches (``-Confirm:$false`` too), arrays for lists, ints as numbers, ``-ResultSize
Unlimited`` as the string, sizes, enums and identities as the text PowerShell would send, hashtables
(``@{Add=…; Remove=…}``) as objects tagged ``#Exchange.GenericHashTable`` (nested ones too: the service's
binder cannot turn an untagged JObject into a PswsHashtable), ``-Filter`` text with ``$true``/``$false``
rewritten to ``'True'``/``'False'`` (the module's SanitizeBoolValuesInFilter: there are no variables on
the server side), dates as ISO 8601. Anything else is refused here, before a request leaves, with an
``UnsendableParameter`` naming the parameter and the cmdlet.

``WarningAction`` and ``ErrorAction`` travel as request headers (monkey365 moves them there, §1.3):
``split_common`` takes them out of the parameters.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from collections.abc import Mapping
from typing import Any

from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.shell.sizes import ByteSize
from tui.shell.syntax import ArrayLiteral, HashLiteral, ScriptBlock, Variable

HASHTABLE_TYPE = "#Exchange.GenericHashTable"
ODATA_TYPE = "@odata.type"
HEADER_PARAMETERS = ("WarningAction", "ErrorAction")     # §1.3: common parameters moved into headers
_IDENTITY_KEYS = ("Identity", "DistinguishedName", "PrimarySmtpAddress", "Name")


class UnsendableParameter(ValueError):
    """A parameter value the InvokeCommand body cannot carry; the message names parameter and cmdlet."""

    def __init__(self, cmdlet: str, parameter: str, why: str) -> None:
        super().__init__(f"The value of -{parameter} cannot be sent to Exchange Online with {cmdlet}: {why}.")
        self.cmdlet = cmdlet
        self.parameter = parameter


def encode_parameters(command: BoundCommand) -> dict[str, Any]:
    """``command.parameters`` as the ``CmdletInput.Parameters`` object (JSON-ready, insertion order kept)."""
    if command.local:
        raise UnsendableParameter(command.name, "*", "it is a local cmdlet, run by exohop itself")
    out: dict[str, Any] = {}
    for name, value in command.parameters.items():
        is_filter = name.lower().endswith("filter")
        out[name] = _encode(value, command.name, name, is_filter)
    return out


def split_common(parameters: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(parameters without WarningAction/ErrorAction, those two as request headers)."""
    rest: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name, value in parameters.items():
        canonical = next((h for h in HEADER_PARAMETERS if h.lower() == name.lower()), None)
        if canonical is not None and isinstance(value, str):
            headers[canonical] = value
        else:
            rest[name] = value
    return rest, headers


def sanitize_filter(text: str) -> str:
    """``$true``/``$false`` outside quotes → ``'True'``/``'False'`` (§1.5, SanitizeBoolValuesInFilter);
    quoted text (``'…'``, ``"…"``, doubled quotes inside) is left as it is."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote is not None:
            out.append(c)
            if c == quote:
                if i + 1 < n and text[i + 1] == quote:      # '' or "" inside a quoted string
                    out.append(text[i + 1])
                    i += 1
                else:
                    quote = None
            elif c == "`" and quote == '"' and i + 1 < n:   # a backtick escape in double quotes
                out.append(text[i + 1])
                i += 1
            i += 1
            continue
        if c in ("'", '"'):
            quote = c
            out.append(c)
            i += 1
            continue
        if c == "$":
            for word, literal in (("$true", "'True'"), ("$false", "'False'")):
                end = i + len(word)
                if text[i:end].lower() == word and (end == n or not (text[end].isalnum() or text[end] == "_")):
                    out.append(literal)
                    i = end
                    break
            else:
                out.append(c)
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _encode(value: Any, cmdlet: str, name: str, is_filter: bool) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)                  # an IntEnum or a bool subclass would not serialize as intended
    if isinstance(value, str):
        return sanitize_filter(value) if is_filter else value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise UnsendableParameter(cmdlet, name, f"{value} is not a number JSON can carry")
        return value
    if isinstance(value, ScriptBlock):
        # The binder sends a remote -Filter { … } as its text already; a block that got this far is the same.
        return sanitize_filter(value.text.strip())
    if isinstance(value, Record):
        # A record given as an argument stands for its identity, as PowerShell's binding would use it.
        for key in _IDENTITY_KEYS:
            if key in value and value[key] is not None:
                return str(value[key])
        return str(value)
    if isinstance(value, HashLiteral):
        value = dict(value.items)
    if isinstance(value, ArrayLiteral):
        value = list(value.items)
    if isinstance(value, Mapping):
        table: dict[str, Any] = {ODATA_TYPE: HASHTABLE_TYPE}      # §1.5: tagged, or the binder refuses it
        for key, item in value.items():
            if not isinstance(key, str | int):
                raise UnsendableParameter(cmdlet, name, "a hashtable key must be text")
            table[str(key)] = _encode(item, cmdlet, name, is_filter)
        return table
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(item, cmdlet, name, is_filter) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _timespan(value)
    if isinstance(value, uuid.UUID | ByteSize):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value) if isinstance(value.value, str) else value.name
    if isinstance(value, Variable):
        raise UnsendableParameter(cmdlet, name, f"the variable ${value.name} has no value here")
    if isinstance(value, bytes | bytearray):
        # §1.5: a ByteArrayType shape is reported but unverified; refuse rather than guess.
        raise UnsendableParameter(cmdlet, name, "byte arrays are not supported over REST")
    raise UnsendableParameter(cmdlet, name, f"a value of type {type(value).__name__} has no JSON form")


def _timespan(value: dt.timedelta) -> str:
    """.NET TimeSpan text (``[-][d.]hh:mm:ss[.fffffff]``), what TimeSpan.Parse reads back."""
    total_us = round(value.total_seconds() * 1_000_000)
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    seconds, micro = divmod(total_us, 1_000_000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days:
        text = f"{days}.{text}"
    if micro:
        text += f".{micro * 10:07d}"
    return sign + text
