"""Cmdlet synopses for the completion menu, from ``Get-Help -Name <pattern>``.

GetCommandMetadata carries no synopsis. ``Get-Help`` with a wildcard answers one short summary per
command (HelpInfoShort: Name, Category, Synopsis …), which is what the menu shows beside a name. The
session fetches them in the background, one import pattern at a time, and keeps them in the cache.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from pypsrp.powershell import RunspacePool

from tui.catalog import Catalog, CmdletInfo
from tui.remoting import abandon
from tui.remoting.events import ErrorEvent
from tui.remoting.invoke import run_simple
from tui.shell.records import Record

# Help topics that are not commands (about_* files, providers) carry these categories.
COMMAND_CATEGORIES = frozenset(("cmdlet", "function", "filter", "externalscript", "scriptcommand", ""))


def synopses_from_records(records: Iterable[Record]) -> dict[str, str]:
    """``{lower-case name: synopsis}`` from Get-Help output; topics that are not commands are left out."""
    found: dict[str, str] = {}
    for rec in records:
        name, synopsis = rec.get("Name"), rec.get("Synopsis")
        category = str(rec.get("Category") or "").lower()
        if isinstance(name, str) and name and category in COMMAND_CATEGORIES:
            text = " ".join(str(synopsis or "").split())   # real help wraps its synopsis over lines
            if text:
                found[name.lower()] = text
    return found


def command_names_from_records(records: Iterable[Record]) -> list[str]:
    """The command names in Get-Help output, synopsis or not (topics that are not commands left out)."""
    names: dict[str, str] = {}
    for rec in records:
        name, category = rec.get("Name"), str(rec.get("Category") or "").lower()
        if isinstance(name, str) and name and category in COMMAND_CATEGORIES:
            names.setdefault(name.lower(), name)
    return list(names.values())


class HelpUnavailable(Exception):
    """The service refused Get-Help (not exposed to this role, say): asking again is pointless."""


def help_refused(errors: Iterable[ErrorEvent]) -> str | None:
    """The message of a terminating error (Get-Help not found, access denied …), or None.

    A wildcard that matches nothing is no error; a non-terminating error leaves the rest usable."""
    return next((e.message for e in errors if e.terminating), None)


def fetch_synopses(pool: RunspacePool, pattern: str) -> dict[str, str]:
    """``Get-Help -Name pattern`` on the pool (blocking); raises what pypsrp raised, or HelpUnavailable."""
    records, errors = run_simple(pool, "Get-Help", {"Name": pattern})
    refused = help_refused(errors)
    if refused is not None:
        raise HelpUnavailable(refused)
    return synopses_from_records(records)


def fetch_command_names(pool: RunspacePool, give_up: Callable[[], bool] = abandon.never,
                        host: str = "the server") -> list[str]:
    """Every command name the tenant offers (``Get-Help -Name *``, blocking); raises what pypsrp raised, or
    HelpUnavailable. Its short summaries are the cheap listing a restricted Exchange runspace answers:
    Get-Command's CommandInfo objects carry every parameter set and cost as much as an import."""
    records, errors = run_simple(pool, "Get-Help", {"Name": "*"}, give_up=give_up, host=host)
    refused = help_refused(errors)
    if refused is not None:
        raise HelpUnavailable(refused)
    return command_names_from_records(records)


def known_synopses(catalog: Catalog) -> dict[str, str]:
    """``{lower-case name: synopsis}`` of the cmdlets in ``catalog`` that have one."""
    return {c.name.lower(): c.synopsis for c in catalog if c.synopsis}


def with_synopses(catalog: Catalog, synopses: Mapping[str, str]) -> Catalog:
    """A new catalog whose cmdlets carry the synopsis ``synopses`` gives (others unchanged)."""
    def one(c: CmdletInfo) -> CmdletInfo:
        text = synopses.get(c.name.lower())
        if not text or text == c.synopsis:
            return c
        return CmdletInfo(name=c.name, synopsis=text, parameter_sets=c.parameter_sets, parameters=c.parameters)

    return Catalog(one(c) for c in catalog)


def patterns_lacking(catalog: Catalog, patterns: Sequence[str]) -> list[str]:
    """The patterns that match a cmdlet without a synopsis: only those need a Get-Help."""
    missing = [c.name.lower() for c in catalog if not c.synopsis]
    wanted = []
    for pattern in patterns:
        rx = re.compile(fnmatch.translate(pattern.lower()), re.DOTALL)
        if any(rx.fullmatch(n) for n in missing):
            wanted.append(pattern)
    return wanted
