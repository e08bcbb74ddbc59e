"""Values across the wire: plain Python → what pypsrp serializes well; pypsrp's objects → ``Record``.

Each output object is wrapped into a ``Record`` once, here: type names, adapted (``<Props>``) then
extended (``<MS>``) properties in order, and the service's ToString. A session's pool keeps output
objects as CLIXML text (``pypsrp_compat.RawOutput``): ``tui.remoting.clixml`` reads them straight into
Records, and what it does not mirror exactly goes through pypsrp and ``to_record`` as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from typing import Any

from pypsrp.complex_objects import ComplexObject, GenericComplexObject
from pypsrp.serializer import TaggedValue

from tui.remoting.clixml import NotMirrored, decode_output, primitive_record
from tui.remoting.events import ErrorEvent, ProgressEvent
from tui.remoting.pypsrp_compat import RawOutput, pypsrp_output
from tui.shell.records import Record
from tui.shell.syntax import ScriptBlock

log = logging.getLogger(__name__)

I32_MIN, I32_MAX = -(2**31), 2**31 - 1

# PowerShell's ErrorCategory enum, by value (what ErrorCategory_Category carries).
ERROR_CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument",
    "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError", "NotImplemented",
    "NotInstalled", "ObjectNotFound", "OperationStopped", "OperationTimeout", "SyntaxError", "ParserError",
    "PermissionDenied", "ResourceBusy", "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError",
    "FromStdErr", "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError",
    "LimitsExceeded", "QuotaExceeded", "NotEnabled",
)


class UnsendableValue(ValueError):
    """A value that cannot be sent to the service (a script block, in a NoLanguage endpoint)."""


class UnreadableOutput(ET.ParseError):
    """An output object neither exohop nor pypsrp can read (``errors.from_exception``: "could not read")."""


def output_value(raw: RawOutput, generic_types: Collection[str] = frozenset()) -> Any:
    """One output message's text → a Record (the fast path) or, off it, the object pypsrp makes of it.

    ``generic_types``: see ``clixml.decode_output``. Raises UnreadableOutput when pypsrp fails too.
    """
    try:
        return decode_output(raw.xml, generic_types=generic_types)
    except NotMirrored as why:
        log.debug("output object read by pypsrp: %s", why)
    try:
        return pypsrp_output(raw)
    except Exception as exc:
        log.info("unreadable output object (%s): %.200r", type(exc).__name__, raw.xml)
        raise UnreadableOutput("the service sent an output object that cannot be read") from exc


def to_wire(value: Any) -> Any:
    """Python value → a value pypsrp serializes as PowerShell would expect it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if I32_MIN <= value <= I32_MAX else TaggedValue("I64", value)
    if isinstance(value, float):
        return TaggedValue("Db", value)
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Record):
        # A record as an argument stands for its identity, as PowerShell's parameter binding would use it.
        for key in ("Identity", "DistinguishedName", "PrimarySmtpAddress", "Name"):
            if key in value:
                return to_wire(str(value[key]))
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, ScriptBlock):
        raise UnsendableValue("a script block cannot be sent to the service (it runs in no-language mode); "
                              "use it with a local cmdlet such as Where-Object")
    return str(value)


def from_wire(value: Any) -> Any:
    """A deserialized value → a plain value or a Record (nested objects become Records)."""
    if isinstance(value, GenericComplexObject):
        if value.adapted_properties or value.extended_properties:
            return to_record(value)
        if value.to_string is not None:
            return value.to_string
        if len(value.property_sets) == 1:
            return from_wire(value.property_sets[0])
        if value.property_sets:
            return [from_wire(v) for v in value.property_sets]
        return to_record(value)
    if isinstance(value, ComplexObject):
        return str(value)
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(from_wire(k))): from_wire(v) for k, v in value.items()}
    return value


def to_record(obj: Any) -> Record:
    """Wrap one output object (or a primitive) into a Record."""
    if isinstance(obj, Record):
        return obj
    if isinstance(obj, RawOutput):
        value = output_value(obj)
        if isinstance(value, Record):
            return value
        try:
            return to_record(value)
        except Exception as exc:   # pypsrp's objects can refer to themselves (RecursionError), lack names...
            raise UnreadableOutput("the service sent an output object that cannot be read") from exc
    if isinstance(obj, GenericComplexObject):
        props: dict[str, Any] = {}
        for key, v in obj.adapted_properties.items():
            props[key] = from_wire(v)
        for key, v in obj.extended_properties.items():
            props.setdefault(key, from_wire(v))
        types = tuple(t.removeprefix("Deserialized.") for t in obj.types)
        if not props and obj.property_sets and obj.to_string is None:
            inner = from_wire(obj.property_sets[0])
            return Record({}, types, str(inner))
        return Record(props, types, obj.to_string)
    # Strings, numbers, dates: a record without properties whose text is the value.
    return primitive_record(obj)


def error_event(err: Any, *, terminating: bool) -> ErrorEvent:
    """An ErrorRecord (pypsrp's ErrorRecord/ErrorRecordMessage or a generic object) → ErrorEvent."""
    message = _first_text(
        getattr(err, "details_message", None),
        _exception_message(getattr(err, "exception", None)),
        getattr(err, "message", None),
        str(err) if getattr(err, "_to_string", None) else None,
    ) or "the command failed"
    category_value = getattr(err, "category", None)
    if isinstance(category_value, int) and 0 <= category_value < len(ERROR_CATEGORIES):
        category = ERROR_CATEGORIES[category_value]
    else:
        category = str(category_value or "NotSpecified")
    exc = getattr(err, "exception", None)
    exc_type = ""
    if isinstance(exc, GenericComplexObject) and exc.types:
        exc_type = exc.types[0].removeprefix("Deserialized.")
    reason = getattr(err, "reason", None)
    return ErrorEvent(
        message=message,
        category=category,
        error_id=str(getattr(err, "fq_error", "") or ""),
        target=_first_text(getattr(err, "target_name", None)),
        terminating=terminating,
        exception_type=exc_type or str(reason or ""),
    )


def _exception_message(exc: Any) -> str | None:
    if isinstance(exc, GenericComplexObject):
        for props in (exc.adapted_properties, exc.extended_properties):
            msg = props.get("Message")
            if isinstance(msg, str) and msg:
                return msg
        return exc.to_string
    if isinstance(exc, str):
        return exc
    return None


def _first_text(*values: Any) -> str | None:
    for v in values:
        if isinstance(v, str) and v.strip():
            return v
    return None


def info_message(record: Any) -> str:
    """The text of a warning/verbose/debug record."""
    msg = getattr(record, "message", None)
    return msg if isinstance(msg, str) else str(record)


def progress_event(record: Any) -> ProgressEvent:
    ptype = getattr(record, "progress_type", None)
    completed = bool(ptype is not None and getattr(ptype, "value", 0) == 1)
    percent = getattr(record, "percent_complete", None)
    return ProgressEvent(
        activity=str(getattr(record, "activity", "") or ""),
        status=str(getattr(record, "description", "") or ""),
        percent=percent if isinstance(percent, int) else -1,
        record_id=int(getattr(record, "activity_id", 0) or 0),
        completed=completed,
    )
