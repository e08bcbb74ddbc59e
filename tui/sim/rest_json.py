"""The REST door's JSON: engine objects as the InvokeCommand service writes them, parameters as it reads
them, and its error bodies (research/exo-modern.md §1.5, §1.6, §1.8).

Objects. Each ``SimObject`` becomes a JSON object of its properties in their order, tagged
``"@odata.type": "#Exchange.<Name>"`` where ``<Name>`` is the last dot-separated segment of its
most-derived .NET type name (``Microsoft.Exchange.Data.Directory.Management.Mailbox`` →
``#Exchange.Mailbox``). ``Exchange`` is the namespace the service itself uses for its types
(``#Exchange.GenericHashTable``, §1.5); the short names of the types exohop's default views know are
unique, so a client maps the tag back to the full type name with a table of those views' types.

Values, OData JSON minimal-metadata style (the service annotates properties as ``<Prop>@odata.type``,
§1.6, e.g. ``"adminapi.warnings@odata.type": "#Collection(String)"``):

- strings, booleans, null: as they are; enums are strings already in the engine;
- sizes (ByteQuantifiedSize, ``"99 GB (106,300,440,576 bytes)"``) and ``Unlimited``: the engine's
  strings, unchanged — the service's JSON writes Exchange value types by their ToString;
- integers: JSON numbers, annotated ``#Int64`` outside the Int32 range; floats ``#Double``;
- dates: ISO 8601 in UTC (``2026-01-02T03:04:05Z``), annotated ``#DateTimeOffset``;
- GUIDs: their text, annotated ``#Guid``;
- lists: JSON arrays, annotated ``#Collection(<element>)`` (``Int32``, ``Guid``, ``Exchange.Mailbox`` …
  when every element has that type; ``String`` when empty or mixed);
- dictionaries: objects tagged ``#Exchange.GenericHashTable``; nested objects: as above.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from tui.sim.model import CmdletError, SimObject

HASHTABLE_TYPE = "#Exchange.GenericHashTable"
ODATA_TYPE = "@odata.type"
_INT32 = range(-(2**31), 2**31)


class NotAHashtable(ValueError):
    """A JSON object parameter without the GenericHashTable tag (the binder cannot use it, §1.5)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


# -- output ----------------------------------------------------------------------------------------------

def odata_type(obj: SimObject) -> str:
    head = obj.type_names[0] if obj.type_names else "System.Object"
    return "#Exchange." + head.removeprefix("Deserialized.").rsplit(".", 1)[-1].split("`")[0]


def encode_object(obj: SimObject) -> dict[str, Any]:
    out: dict[str, Any] = {ODATA_TYPE: odata_type(obj)}
    for name, value in obj.properties.items():
        encoded, annotation = encode_value(value)
        if annotation:
            out[f"{name}@odata.type"] = annotation
        out[name] = encoded
    return out


def encode_value(value: Any) -> tuple[Any, str | None]:
    """(JSON value, its ``@odata.type`` annotation or None when JSON says it all)."""
    if value is None or isinstance(value, bool | str):
        return value, None
    if isinstance(value, int):
        return value, None if value in _INT32 else "#Int64"
    if isinstance(value, float):
        return value, "#Double"
    if isinstance(value, dt.datetime):
        return iso8601(value), "#DateTimeOffset"
    if isinstance(value, uuid.UUID):
        return str(value), "#Guid"
    if isinstance(value, SimObject):
        return encode_object(value), None
    if isinstance(value, dict):
        table: dict[str, Any] = {ODATA_TYPE: HASHTABLE_TYPE}
        for key, item in value.items():
            table[str(key)] = encode_value(item)[0]
        return table, None
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        pairs = [encode_value(v) for v in items]
        kinds = {_element_type(v, a) for v, (_, a) in zip(items, pairs, strict=True)}
        element = kinds.pop() if len(kinds) == 1 else "String"      # empty or mixed: String, as the service's
        return [v for v, _ in pairs], f"#Collection({element})"     # own "#Collection(String)" annotations
    return str(value), None


def _element_type(value: Any, annotation: str | None) -> str:
    if annotation:
        return annotation.lstrip("#")
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Int32"
    if isinstance(value, SimObject):
        return odata_type(value).lstrip("#")
    if isinstance(value, dict):
        return HASHTABLE_TYPE.lstrip("#")
    return "String"


def iso8601(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    fraction = value.strftime(".%f").rstrip("0") if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def select(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``$select``: the named properties (any case, the object's spelling) with their annotations."""
    by_lower = {k.lower(): k for k in record if "@" not in k}
    out: dict[str, Any] = {ODATA_TYPE: record[ODATA_TYPE]} if ODATA_TYPE in record else {}
    for name in names:
        key = by_lower.get(name.strip().lower())
        if key is None:
            continue
        if f"{key}@odata.type" in record:
            out[f"{key}@odata.type"] = record[f"{key}@odata.type"]
        out[key] = record[key]
    return out


# -- input -----------------------------------------------------------------------------------------------

def decode_parameter(name: str, value: Any) -> Any:
    """A JSON parameter value as the engine's binder takes it: a tagged object becomes a dict without
    the tag; an untagged object is refused as the service's binder refuses a bare JObject (§1.5)."""
    if isinstance(value, list):
        return [decode_parameter(name, v) for v in value]
    if isinstance(value, dict):
        tag = next((v for k, v in value.items() if k.lower() == ODATA_TYPE), None)
        if not isinstance(tag, str) or tag.lower() != HASHTABLE_TYPE.lower():
            raise NotAHashtable(name)
        return {k: decode_parameter(name, v) for k, v in value.items() if k.lower() != ODATA_TYPE}
    return value


# -- errors ----------------------------------------------------------------------------------------------

# The ErrorId the service puts first in details[0].message for a missing object (§1.8, and the brief
# of the simulator checklist §7); other errors get a stable id of the same shape.
NOT_FOUND_ERROR_ID = "Ex6F9304"
NOT_FOUND_CLASS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
ACCESS_DENIED_CLASS = "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException"
BINDING_CLASS = "System.Management.Automation.ParameterBindingException"
STACK = "   at Microsoft.Exchange.AdminApi.CommandInvocation.CommandInvocation.InvokeCommand(String cmdletName)"


def error_id_for(exception_type: str) -> str:
    if exception_type == NOT_FOUND_CLASS:
        return NOT_FOUND_ERROR_ID
    return "Ex" + hashlib.sha256(exception_type.encode()).hexdigest()[:6].upper()


def details_message(exception_type: str, message: str) -> str:
    return f"{error_id_for(exception_type)}|{exception_type}|{message}"


def error_body(code: str, exception_type: str, message: str, *, warnings: list[str] | None = None,
               top_message: str = "Error executing cmdlet") -> dict[str, Any]:
    """The service's error JSON, verbatim in shape from a real V3 transcript (§1.8)."""
    return {
        "error": {
            "code": code,
            "message": top_message,
            "details": [{"code": "Client", "target": "", "message": details_message(exception_type, message)}],
            "innererror": {
                "message": top_message,
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                "stacktrace": STACK,
                "internalexception": {
                    "message": message,
                    "type": "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException",
                    "stacktrace": STACK,
                },
            },
        },
        "adminapi.warnings@odata.type": "#Collection(String)",
        "@adminapi.warnings": list(warnings or []),
    }


def cmdlet_error_status(err: CmdletError) -> tuple[int, str]:
    """(HTTP status, error.code) for an engine error: a missing object is 404 NotFound, everything a
    cmdlet refuses (binding, bad values, invalid operations) 400 BadRequest (§1.8, measured 2026)."""
    if err.exception_type.endswith("ManagementObjectNotFoundException"):
        return 404, "NotFound"
    return 400, "BadRequest"
