"""InvokeCommand's JSON objects → ``Record``, with the values the PSRP path would have given.

The service writes an object as its properties plus OData annotations (research/exo-modern.md §1.6):
``"@odata.type": "#Exchange.Mailbox"`` for the object and ``"<Prop>@odata.type": "#Guid"`` for a value
JSON cannot type itself. Annotations are read, then dropped with every other ``@``-key, so a Record
holds properties only. Values match what pypsrp hands the PSRP path (tui/remoting/values.py), so local
cmdlets, sorting, formatting and export behave the same whichever door a result came through:

- ``#Guid`` → ``uuid.UUID`` (pypsrp's ``<G>``);
- ``#DateTimeOffset`` / ``#DateTime`` → ISO 8601 text (pypsrp gives a ``<DT>`` as its text too;
  tui.shell.operators reads such text as a date wherever a date matters), its fraction of a second
  padded to six digits as that text has it (OData trims trailing zeros: ``.12Z`` is ``.120000Z``), so
  one instant reads, sorts and exports the same through either door;
- ``#Int64`` / ``#Double`` / ``#Decimal`` → int / float (also when IEEE754Compatible sent them as text);
- sizes and enums: the service's strings, unchanged (``"99 GB (106,300,440,576 bytes)"``);
- a nested object → Record; ``#Exchange.GenericHashTable`` → dict; lists → lists.

Type names. The service tags an object with the last segment of its .NET type in its own ``Exchange``
namespace; ``type_names`` maps that back to the full name exohop's default views (tui/shell/views.py)
and a PSRP result use, ``("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object")``, so a
Get-Mailbox over REST renders with the same default view. An unknown tag keeps its own name
(``Exchange.Foo``), whose short name still finds a view if one exists.

Hot path: a 10,000-mailbox listing is decoded here page by page, so the per-key work is two
comprehension passes (``"@" in key``, a class check); annotated keys are popped from the parsed object,
which is not copied.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tui.remoting.rest.params import HASHTABLE_TYPE, ODATA_TYPE
from tui.shell.records import Record
from tui.shell.views import DEFAULT_VIEWS, short_type_name

_ANNOTATION_LEN = len(ODATA_TYPE)     # "<Prop>@odata.type" → "<Prop>"
_HASHTABLE_TAG = HASHTABLE_TYPE.lower()

# Full .NET names of the types Exchange Online returns (the names the PSRP door sends, minus
# "Deserialized."). Keyed below by their short name, the key tui/shell/views.py looks views up by.
FULL_TYPE_NAMES: tuple[str, ...] = (
    "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Microsoft.Exchange.Data.Directory.Management.CASMailbox",
    "Microsoft.Exchange.Data.Directory.Management.User",
    "Microsoft.Exchange.Data.Directory.Management.MailUser",
    "Microsoft.Exchange.Data.Directory.Management.MailContact",
    "Microsoft.Exchange.Data.Directory.Management.Contact",
    "Microsoft.Exchange.Data.Directory.Management.ReducedRecipient",
    "Microsoft.Exchange.Data.Directory.Management.DistributionGroup",
    "Microsoft.Exchange.Data.Directory.Management.DynamicDistributionGroup",
    "Microsoft.Exchange.Data.Directory.Management.UnifiedGroup",
    "Microsoft.Exchange.Data.Directory.Management.RoleGroup",
    "Microsoft.Exchange.Data.Directory.Management.OrganizationConfig",
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain",
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.MobileDevice",
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.RetentionPolicy",
    "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics",
    "Microsoft.Exchange.Management.Tasks.MailboxFolderConfiguration",
    "Microsoft.Exchange.Management.Tasks.MobileDeviceConfiguration",
    "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject",
    "Microsoft.Exchange.Management.RecipientTasks.RecipientPermission",
    "Microsoft.Exchange.Management.StoreTasks.MailboxFolderPermission",
    "Microsoft.Exchange.Management.StoreTasks.CalendarConfiguration",
    "Microsoft.Exchange.Management.Common.InboxRule",
    "Microsoft.Exchange.InfoWorker.Common.OOF.MailboxAutoReplyConfiguration",
    "Microsoft.Exchange.MessagingPolicies.Rules.Tasks.TransportRule",
    "Microsoft.Exchange.Management.FfoQuarantine.QuarantineMessage",
    "Microsoft.Exchange.Management.FfoReporting.MessageTrace",
    "Microsoft.Exchange.Management.FfoReporting.MessageTraceV2",
    "Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail",
    "Microsoft.Exchange.Management.FfoReporting.MessageTraceDetailV2",
    "System.Management.Automation.CmdletInfo",
    "System.Management.Automation.CommandParameterSetInfo",
    "System.Management.Automation.CommandParameterInfo",
    "System.String",
)
TYPE_TABLE: dict[str, str] = {short_type_name(name): name for name in FULL_TYPE_NAMES}
VIEW_TYPES = frozenset(k for k in TYPE_TABLE if k in DEFAULT_VIEWS)   # the table's names a view knows

_PRIMITIVE_TYPES: dict[type, str] = {str: "System.String", bool: "System.Boolean", int: "System.Int32",
                                     float: "System.Double"}
_types_cache: dict[Any, tuple[str, ...]] = {}


def type_names(tag: Any) -> tuple[str, ...]:
    """``"#Exchange.Mailbox"`` → ``("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object")``."""
    cached = _types_cache.get(tag)
    if cached is not None:
        return cached
    if not isinstance(tag, str) or not tag.strip("#"):
        names: tuple[str, ...] = ()
    else:
        bare = tag.lstrip("#").removeprefix("Deserialized.")
        full = TYPE_TABLE.get(short_type_name(bare)) if bare.startswith("Exchange.") else None
        names = (full or bare, "System.Object")
    if len(_types_cache) < 4096:        # tags come from a server: keep the cache bounded
        _types_cache[tag] = names
    return names


def decode_records(values: list[Any] | None) -> list[Record]:
    """A page's ``value`` array → Records (None, a run that only warned, → [])."""
    if not values:
        return []
    record = decode_record
    return [record(v) if v.__class__ is dict else primitive_record(v) for v in values]


def decode_record(obj: dict[str, Any]) -> Record:
    """One output object → Record. ``obj`` is consumed: its ``@``-keys are read and removed in place (a
    page's objects are fresh from ``json.loads``, and not copying them saves a quarter of the time)."""
    tag: Any = None
    marked = [key for key in obj if "@" in key]
    if marked:
        for key in marked:
            annotation = obj.pop(key)
            if key == ODATA_TYPE:
                tag = annotation
            elif key.endswith(ODATA_TYPE) and annotation.__class__ is str:
                convert = _CONVERTERS.get(annotation)
                name = key[:-_ANNOTATION_LEN]
                if convert is not None and name in obj:
                    obj[name] = convert(obj[name])
    for key in [k for k, v in obj.items() if v.__class__ is dict or v.__class__ is list]:
        value = obj[key]
        obj[key] = _nested(value) if value.__class__ is dict else _list(value)
    return Record(obj, type_names(tag))


def primitive_record(value: Any) -> Record:
    """A bare string/number in ``value`` → a Record without properties whose text is the value, as
    values.to_record wraps a primitive output object."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return Record({}, (_PRIMITIVE_TYPES.get(type(value), "System.Object"),), text)


def _nested(obj: dict[str, Any]) -> Any:
    tag = obj.get(ODATA_TYPE)
    if tag.__class__ is str and tag.lower() == _HASHTABLE_TAG:
        return {k: (_nested(v) if v.__class__ is dict else _list(v) if v.__class__ is list else v)
                for k, v in obj.items() if "@" not in k}
    return decode_record(obj)


def _list(items: list[Any]) -> list[Any]:
    for item in items:
        cls = item.__class__
        if cls is dict or cls is list:
            return [_nested(v) if v.__class__ is dict else _list(v) if v.__class__ is list else v for v in items]
    return items


def _guid(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_guid(v) for v in value]
    return value


def _int(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_int(v) for v in value]
    return value


def _float(value: Any) -> Any:
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_float(v) for v in value]
    return value


def _date(value: Any) -> Any:
    if isinstance(value, str):
        head, dot, rest = value.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if dot and 0 < digits < 6:
            return f"{head}.{rest[:digits].ljust(6, '0')}{rest[digits:]}"
        return value
    if isinstance(value, list):
        return [_date(v) for v in value]
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {}
for _name, _fn in (("Guid", _guid), ("Int64", _int), ("Int32", _int), ("Int16", _int), ("Byte", _int),
                   ("Double", _float), ("Single", _float), ("Decimal", _float), ("DateTimeOffset", _date),
                   ("DateTime", _date)):
    _CONVERTERS[f"#{_name}"] = _fn
    _CONVERTERS[f"#Collection({_name})"] = _fn
