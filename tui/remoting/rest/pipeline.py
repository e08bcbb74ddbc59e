"""A remote prefix of several cmdlets over REST, which runs one cmdlet per request.

``Get-Mailbox -ResultSize 5 | Get-MailboxStatistics`` runs the first cmdlet and feeds each of its objects
to the next by pipeline binding, as PowerShell's binder would: a parameter that takes pipeline input
gets the object's property of the same name (or of one of its aliases) — ValueFromPipelineByPropertyName;
failing that, ``Identity`` gets the object's Identity, ExchangeObjectId or Guid (the by-value binding of
an Exchange object to an ``*IdParameter``). Parameters written on the line always win.
"""

from __future__ import annotations

from typing import Any

from tui.catalog import CmdletInfo
from tui.shell.bound import BoundCommand
from tui.shell.records import Record

IDENTITY_SOURCES = ("Identity", "ExchangeObjectId", "Guid", "DistinguishedName")


class Unbindable(ValueError):
    """An object the next cmdlet cannot take from the pipeline."""


def bind_from_pipeline(command: BoundCommand, info: CmdletInfo | None, item: Record) -> dict[str, Any]:
    """The parameters of ``command`` for one pipeline object ``item``; ``Unbindable`` when none takes it."""
    given = {k.lower() for k in command.parameters}
    bound: dict[str, Any] = dict(command.parameters)
    taken = False
    for p in info.parameters if info is not None else ():
        if not p.pipeline or p.switch or p.name.lower() in given:
            continue
        for name in (p.name, *p.aliases):
            if name in item and item[name] not in (None, ""):
                bound[p.name] = _plain(item[name])
                given.add(p.name.lower())
                taken = True
                break
    if "identity" not in given and _takes_identity(info):
        for name in IDENTITY_SOURCES:
            if name in item and item[name] not in (None, ""):
                bound["Identity"] = _plain(item[name])
                taken = True
                break
    if not taken:
        raise Unbindable(f"The input object cannot be bound to any parameters for {command.name}: the command does "
                         "not take pipeline input, or the object has no property that matches one that does.")
    return bound


def _takes_identity(info: CmdletInfo | None) -> bool:
    return info is None or any(p.name.lower() == "identity" for p in info.parameters)


def _plain(value: Any) -> Any:
    """A property value as a parameter value: a nested object by its text (its Identity's ToString)."""
    if isinstance(value, Record):
        return value.text if value.text is not None else str(value.get("Name") or value.get("Identity") or "")
    return value
