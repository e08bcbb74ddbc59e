"""The PowerShell cmdlets Exchange Online's restricted (NoLanguage) endpoint exposes besides its own:
Select-Object, Measure-Object, Get-FormatData, Out-Default and Exit-PSSession.

They behave as Windows PowerShell 5.1's (the endpoint's PSVersion): Select-Object's projected objects
are PSCustomObjects whose type names are ``Selected.<the input's first type name>``, then
``System.Management.Automation.PSCustomObject``, ``System.Object`` (SelectObjectCommand inserts the
"Selected." name over a new PSCustomObject; MS-PSRP 2.2.3.22 shows the same chain on its
GET_COMMAND_METADATA reply, which is ``Get-Command | Select-Object …``), with the chosen properties as
note properties (CLIXML ``<MS>``) and ``@{Name=…; …}`` as ToString; Measure-Object writes one
GenericMeasureInfo (or TextMeasureInfo) per measured property.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, has_wildcard, stream_cmdlet, wildcard
from tui.sim.model import CmdletError, SimObject

CUSTOM_OBJECT_TAIL = ("System.Management.Automation.PSCustomObject", "System.Object")
MEASURE_TYPES = ("Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo",
                 "System.Object")
TEXT_MEASURE_TYPES = ("Microsoft.PowerShell.Commands.TextMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo",
                      "System.Object")
STRING_TYPES = ("System.String", "System.Object")


# -- Select-Object ---------------------------------------------------------------------------------------

def _names(obj: Any) -> list[str]:
    if isinstance(obj, SimObject):
        return list(obj.properties)
    if isinstance(obj, dict):
        return [str(k) for k in obj]
    return []


def _spelling(obj: Any, name: str) -> str:
    """``name`` as ``obj`` spells its property (a case-insensitive match), else as given."""
    if isinstance(obj, SimObject) and name in obj.properties:
        return name
    low = name.lower()
    return next((n for n in _names(obj) if n.lower() == low), name)


def _value(obj: Any, name: str) -> tuple[Any, bool]:
    if isinstance(obj, SimObject):
        return (obj.get(name), True) if obj.has(name) else (None, False)
    if isinstance(obj, dict):
        for key, value in obj.items():
            if str(key).lower() == name.lower():
                return value, True
    if isinstance(obj, str) and name.lower() == "length":
        return len(obj), True
    return None, False


def _calculated(spec: dict[str, Any]) -> tuple[str, str]:
    """``@{Name='X'; Expression='Prop'}``: a renamed property (a script block cannot reach a NoLanguage runspace)."""
    keys = {str(k).lower(): v for k, v in spec.items()}
    label = next((keys[k] for k in ("name", "n", "label", "l") if k in keys), None)
    expression = next((keys[k] for k in ("expression", "e") if k in keys), None)
    if not isinstance(expression, str) or not expression:
        raise CmdletError("The \"Expression\" key has a type, System.Collections.Hashtable, that is not valid; "
                          "expected types are {System.String, System.Management.Automation.ScriptBlock}.",
                          category="InvalidArgument", error_id="DictionaryKeyIllegalValue2,"
                          "Microsoft.PowerShell.Commands.SelectObjectCommand",
                          exception_type="System.Management.Automation.PSArgumentException")
    return (str(label) if label else expression), expression


def _selection(inv: Invocation, obj: Any, specs: list[Any], excluded: list[str]) -> list[tuple[str, str]]:
    """(output name, input property) pairs for one input object, in the order PowerShell gives them."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    skip = [wildcard(x) for x in excluded]
    for spec in specs:
        if isinstance(spec, dict):
            pairs = [_calculated(spec)]
        elif has_wildcard(str(spec)):
            rx = wildcard(str(spec))
            pairs = [(n, n) for n in _names(obj) if rx.fullmatch(n)]
        else:
            # A property the object has keeps the object's spelling (``name`` selects ``Name``), as
            # PowerShell resolves the member; a missing one keeps the name as typed (its value $null).
            pairs = [(_spelling(obj, str(spec)), str(spec))]
        for label, source in pairs:
            if label.lower() in seen or any(rx.fullmatch(label) for rx in skip):
                continue
            seen.add(label.lower())
            out.append((label, source))
    return out


def custom_text(properties: dict[str, Any]) -> str:
    """PSCustomObject's ToString: ``@{Name=AdeleV; Alias=AdeleV}``."""
    return "@{" + "; ".join(f"{k}={_text(v)}" for k, v in properties.items()) + "}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, SimObject):
        return value.to_string or custom_text(value.properties)
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)      # $OFS, a space, joins a collection
    if isinstance(value, datetime):
        return f"{value.month}/{value.day}/{value.year} {value:%I:%M:%S %p}".replace(" 0", " ", 1)
    return str(value)


def _type_name(obj: Any) -> str:
    if isinstance(obj, SimObject) and obj.type_names:
        return obj.type_names[0]
    return {str: "System.String", bool: "System.Boolean", int: "System.Int32", float: "System.Double",
            dict: "System.Collections.Hashtable"}.get(type(obj), "System.Object")


def _project(inv: Invocation, obj: Any, specs: list[Any], excluded: list[str]) -> SimObject:
    props: dict[str, Any] = {}
    for label, source in _selection(inv, obj, specs, excluded):
        props[label] = _value(obj, source)[0]
    return SimObject((f"Selected.{_type_name(obj)}", *CUSTOM_OBJECT_TAIL), props, custom_text(props), notes=True)


def _expand(inv: Invocation, obj: Any, name: str) -> Iterator[Any]:
    value, found = _value(obj, name)
    if not found:
        inv.error(CmdletError(f"Property \"{name}\" cannot be found.", category="InvalidArgument",
                              error_id="ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                              exception_type="System.Management.Automation.PSArgumentException", target=name,
                              terminating=False))
        return
    if isinstance(value, list | tuple):
        yield from value
    elif value is not None:
        yield value


def _key(obj: Any) -> Any:
    if isinstance(obj, SimObject):
        return (obj.type_names, tuple((k, repr(v)) for k, v in obj.properties.items()), obj.to_string)
    return repr(obj)


@stream_cmdlet("Select-Object")
def select_object(inv: Invocation, items: Iterable[Any]) -> Iterator[Any]:
    specs = inv.get("Property") or []
    excluded = [str(x) for x in inv.get("ExcludeProperty") or []]
    expand = inv.get("ExpandProperty")
    first, last, skip = inv.get("First"), inv.get("Last"), inv.get("Skip") or 0
    skip_last, index = inv.get("SkipLast") or 0, inv.get("Index")
    unique = bool(inv.get("Unique"))
    if not specs and excluded:
        specs = ["*"]

    def shaped(obj: Any) -> Iterator[Any]:
        if expand:
            base = _project(inv, obj, specs, excluded) if specs else None
            for value in _expand(inv, obj, str(expand)):
                if base is not None and isinstance(value, SimObject):
                    # -Property with -ExpandProperty adds the chosen properties to each expanded object.
                    value = SimObject(value.type_names, {**value.properties, **base.properties}, value.to_string)
                yield value
        elif specs:
            yield _project(inv, obj, specs, excluded)
        else:
            yield obj

    def picked() -> Iterator[Any]:
        if index is not None:
            wanted = {int(i) for i in index}
            for n, obj in enumerate(items):
                if n in wanted:
                    yield obj
            return
        taken = 0
        kept: list[Any] = []
        for n, obj in enumerate(items):
            if n < skip:
                continue
            if last is not None or skip_last:
                kept.append(obj)
                continue
            if first is not None and taken >= first:
                return                   # PowerShell stops the upstream commands here
            taken += 1
            yield obj
        if skip_last:
            yield from kept[:max(len(kept) - skip_last, 0)]
        elif last is not None:
            yield from (kept[-last:] if last > 0 else [])

    seen: set[Any] = set()
    for obj in picked():
        for out in shaped(obj):
            if unique:
                key = _key(out)
                if key in seen:
                    continue
                seen.add(key)
            yield out


# -- Measure-Object --------------------------------------------------------------------------------------

def _number(inv: Invocation, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise CmdletError(f"Input object \"{_text(value)}\" is not numeric.", category="InvalidType",
                          error_id="NonNumericInputObject,Microsoft.PowerShell.Commands.MeasureObjectCommand",
                          exception_type="System.Management.Automation.PSInvalidOperationException",
                          target=_text(value), terminating=False) from None


@stream_cmdlet("Measure-Object")
def measure_object(inv: Invocation, items: Iterable[Any]) -> Iterator[Any]:
    properties = [str(p) for p in inv.get("Property") or []]
    if any(inv.get(s) for s in ("Line", "Word", "Character")):
        yield from _measure_text(inv, items, properties)
        return
    wanted = {s: bool(inv.get(s)) for s in ("Sum", "Average", "Maximum", "Minimum")}
    numeric = any(wanted.values())
    columns: dict[str | None, list[float]] = {p: [] for p in properties} if properties else {None: []}
    counts: dict[str | None, int] = dict.fromkeys(columns, 0)
    for obj in items:
        if obj is None:
            continue
        for name in columns:
            if name is None:
                value, found = obj, True
            else:
                value, found = _value(obj, name)
            if not found or value is None:
                continue
            counts[name] += 1
            if numeric:
                try:
                    columns[name].append(_number(inv, value))
                except CmdletError as err:
                    inv.error(err)
    for name, values in columns.items():
        if name is not None and counts[name] == 0:
            inv.error(CmdletError(f"The property \"{name}\" cannot be found in the input for any objects.",
                                  category="InvalidArgument", error_id="GenericMeasurePropertyNotFound,"
                                  "Microsoft.PowerShell.Commands.MeasureObjectCommand",
                                  exception_type="System.Management.Automation.PSArgumentException",
                                  target=name, terminating=False))
            continue
        total = sum(values)
        yield SimObject(MEASURE_TYPES, {
            "Count": counts[name],
            "Average": (total / len(values) if values else None) if wanted["Average"] else None,
            "Sum": total if wanted["Sum"] else None,
            "Maximum": (max(values) if values else None) if wanted["Maximum"] else None,
            "Minimum": (min(values) if values else None) if wanted["Minimum"] else None,
            "Property": name,
        }, MEASURE_TYPES[0])


def _measure_text(inv: Invocation, items: Iterable[Any], properties: list[str]) -> Iterator[SimObject]:
    names: list[str | None] = list(properties) or [None]
    totals = {n: [0, 0, 0] for n in names}
    ignore_space = bool(inv.get("IgnoreWhiteSpace"))
    for obj in items:
        for name in names:
            value, found = (obj, True) if name is None else _value(obj, name)
            if not found or value is None:
                continue
            text = _text(value)
            counts = totals[name]
            counts[0] += len(text.splitlines()) or (1 if text else 0)
            counts[1] += len(text.split())
            counts[2] += len("".join(text.split())) if ignore_space else len(text)
    for name, (lines, words, chars) in totals.items():
        yield SimObject(TEXT_MEASURE_TYPES, {
            "Lines": lines if inv.get("Line") else None, "Words": words if inv.get("Word") else None,
            "Characters": chars if inv.get("Character") else None, "Property": name}, TEXT_MEASURE_TYPES[0])


# -- Out-Default, Exit-PSSession ---------------------------------------------------------------------------

@stream_cmdlet("Out-Default")
def out_default(inv: Invocation, items: Iterable[Any]) -> Iterator[Any]:
    """A remote runspace has no console to format to: what reaches Out-Default goes back to the client."""
    yield from items


@cmdlet("Exit-PSSession")
def exit_pssession(inv: Invocation) -> Iterator[SimObject]:
    """Accepted with no output: an interactive client leaves the session on its own side."""
    return iter(())


# -- Get-FormatData ----------------------------------------------------------------------------------------

# The default table view of the types the simulator's cmdlets write: the columns Exchange Online's
# Exchange.format.ps1xml shows for them (what a bare Get-Mailbox prints in the service's own module).
FORMAT_VIEWS: dict[str, tuple[str, ...]] = {
    "Microsoft.Exchange.Data.Directory.Management.Mailbox": ("Name", "Alias", "Database", "ProhibitSendQuota",
                                                              "ExternalDirectoryObjectId"),
    "Microsoft.Exchange.Data.Directory.Management.User": ("Name", "RecipientType"),
    "Microsoft.Exchange.Data.Directory.Management.ReducedRecipient": ("Name", "RecipientType"),
    "Microsoft.Exchange.Data.Directory.Management.CASMailbox": ("Name", "ActiveSyncEnabled", "OWAEnabled",
                                                                 "PopEnabled", "ImapEnabled", "MapiEnabled"),
    "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics": ("DisplayName", "ItemCount",
                                                                                "StorageLimitStatus",
                                                                                "LastLogonTime"),
    "Microsoft.Exchange.Data.Directory.Management.DistributionGroup": ("Name", "DisplayName", "GroupType",
                                                                        "PrimarySmtpAddress"),
    "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject": ("Identity", "User",
                                                                                   "AccessRights", "IsInherited",
                                                                                   "Deny"),
}
_TYPE_DEFINITION = ("System.Management.Automation.ExtendedTypeDefinition", "System.Object")
_VIEW = ("System.Management.Automation.FormatViewDefinition", "System.Object")
_TABLE = ("System.Management.Automation.TableControl", "System.Management.Automation.PSControl", "System.Object")
_HEADER = ("System.Management.Automation.TableControlColumnHeader", "System.Object")
_ROW = ("System.Management.Automation.TableControlRow", "System.Object")
_COLUMN = ("System.Management.Automation.TableControlColumn", "System.Object")
_ENTRY = ("System.Management.Automation.DisplayEntry", "System.Object")


def format_definition(type_name: str, columns: tuple[str, ...]) -> SimObject:
    """One ExtendedTypeDefinition with its table view, in the shape Get-FormatData writes."""
    headers = [SimObject(_HEADER, {"Label": None, "Width": 0, "Alignment": "Undefined"}, "") for _ in columns]
    cells = [SimObject(_COLUMN, {"Alignment": "Undefined", "DisplayEntry": SimObject(
        _ENTRY, {"ValueType": "Property", "Value": c}, f"Property: {c}"), "FormatString": None}, c) for c in columns]
    table = SimObject(_TABLE, {"Headers": headers, "Rows": [SimObject(_ROW, {"Columns": cells, "Wrap": False}, "")],
                               "AutoSize": False, "HideTableHeaders": False, "OutOfBand": False}, _TABLE[0])
    view = SimObject(_VIEW, {"Name": type_name, "Control": table, "InstanceId": None}, type_name)
    return SimObject(_TYPE_DEFINITION, {"TypeName": type_name, "TypeNames": [type_name],
                                        "FormatViewDefinition": [view]}, type_name)


@cmdlet("Get-FormatData")
def get_format_data(inv: Invocation) -> Iterator[SimObject]:
    patterns = [str(t) for t in inv.get("TypeName") or ["*"]]
    regexes = [wildcard(p) for p in patterns]
    for type_name, columns in FORMAT_VIEWS.items():
        inv.check()
        if any(rx.fullmatch(type_name) for rx in regexes):
            yield format_definition(type_name, columns)
