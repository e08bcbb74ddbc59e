"""Get-Command and Get-Help over the engine's catalog (how a client learns sets, positions, valid values)."""

from __future__ import annotations

from collections.abc import Iterator

from tui.catalog import CmdletInfo
from tui.sim.builtin_catalog import modeled_names
from tui.sim.cmdlets.base import Invocation, cmdlet, has_wildcard
from tui.sim.engine import command_not_found, match_commands
from tui.sim.model import SimObject
from tui.sim.syntax_lines import ALL_PARAMETER_SETS, definition, syntax_lines

CMDLET_INFO_TYPES = ("System.Management.Automation.CmdletInfo", "System.Management.Automation.CommandInfo",
                     "System.Object")
PARAMETER_SET_TYPES = ("System.Management.Automation.CommandParameterSetInfo", "System.Object")
PARAMETER_INFO_TYPES = ("System.Management.Automation.CommandParameterInfo", "System.Object")
STRING_TYPES = ("System.String", "System.Object")
HELP_TYPES = ("MamlCommandHelpInfo", "System.Management.Automation.PSCustomObject", "System.Object")
HELP_SHORT_TYPES = ("HelpInfoShort", "System.Management.Automation.PSCustomObject", "System.Object")
EXCHANGE_MODULE = "Microsoft.Exchange.Management.PowerShell.E2010"
CORE_MODULE = "Microsoft.PowerShell.Core"
UTILITY_MODULE = "Microsoft.PowerShell.Utility"
_POWERSHELL_MODULES = {"get-command": CORE_MODULE, "get-help": CORE_MODULE, "out-default": CORE_MODULE,
                       "exit-pssession": CORE_MODULE, "select-object": UTILITY_MODULE,
                       "measure-object": UTILITY_MODULE, "get-formatdata": UTILITY_MODULE}
# PowerShell's own InputObject parameters take pipeline input by value only (the catalog's one pipeline
# flag means both ways, which is what Exchange's Identity parameters do).
_BY_VALUE_ONLY = "InputObject"


def _module(info: CmdletInfo) -> str:
    return _POWERSHELL_MODULES.get(info.name.lower(), EXCHANGE_MODULE)


def _help_uri(info: CmdletInfo) -> str:
    area = "exchange" if _module(info) == EXCHANGE_MODULE else _module(info).lower()
    return f"https://learn.microsoft.com/powershell/module/{area}/{info.name.lower()}"


def _set_parameters(info: CmdletInfo, set_name: str) -> list[SimObject]:
    """CommandParameterSetInfo.Parameters: what syntax lines cannot say (pipeline input) is here."""
    found = []
    for p in info.parameters:
        if not (p.in_set(set_name) or set_name == ALL_PARAMETER_SETS):
            continue
        props = {"Name": p.name, "ParameterType": p.type, "IsMandatory": p.is_mandatory(set_name),
                 "IsDynamic": False, "Position": p.position if p.position is not None else -2147483648,
                 "ValueFromPipeline": p.pipeline,
                 "ValueFromPipelineByPropertyName": p.pipeline and p.name != _BY_VALUE_ONLY,
                 "ValueFromRemainingArguments": False, "HelpMessage": None, "Aliases": list(p.aliases)}
        found.append(SimObject(PARAMETER_INFO_TYPES, props, p.name))
    return found


def cmdlet_info_object(info: CmdletInfo) -> SimObject:
    """A CmdletInfo-like object whose ParameterSets print as PowerShell's syntax lines."""
    sets = [SimObject(PARAMETER_SET_TYPES, {"Name": name, "IsDefault": is_default,
                                            "Parameters": _set_parameters(info, name)}, line)
            for name, is_default, line in syntax_lines(info)]
    default = next((s.properties["Name"] for s in sets if s.properties["IsDefault"]), None)
    props = {"Name": info.name, "CommandType": "Cmdlet", "Verb": info.verb, "Noun": info.noun,
             "ModuleName": _module(info), "Source": _module(info), "DefaultParameterSet": default,
             "Definition": definition(info),
             "HelpUri": _help_uri(info),
             "ParameterSets": sets}
    return SimObject(CMDLET_INFO_TYPES, props, info.name)


def _named(inv: Invocation, names: list[str]) -> list[CmdletInfo]:
    """The cmdlets ``names`` match, in order, each once; a name without wildcards that matches nothing
    is a non-terminating CommandNotFound error, as in PowerShell."""
    found: list[CmdletInfo] = []
    for name in names:
        matched = match_commands(inv.engine.catalog, [name])
        if not matched and not has_wildcard(name):
            inv.error(command_not_found(name))
        found += [m for m in matched if m not in found]
    return found


@cmdlet("Get-Command")
def get_command(inv: Invocation) -> Iterator[SimObject]:
    catalog = inv.engine.catalog
    names = inv.get("Name") or []
    verbs = [v.lower() for v in inv.get("Verb") or []]
    nouns = inv.get("Noun") or []
    found = _named(inv, names) if names else list(catalog)
    if verbs:
        found = [c for c in found if c.verb.lower() in verbs]
    if nouns:
        noun_matched = match_commands(catalog, [f"*-{n}" for n in nouns])
        found = [c for c in found if c in noun_matched]
    modules = [m.lower() for m in inv.get("Module") or []]
    if modules:
        found = [c for c in found if _module(c).lower() in modules]
    if inv.get("CommandType") and inv.get("CommandType") not in ("Cmdlet", "All"):
        found = []
    total = inv.get("TotalCount")
    for i, info in enumerate(found):
        inv.check()
        if total is not None and 0 <= total <= i:
            return
        if inv.get("Syntax"):
            # -Syntax writes strings: the syntax lines, one set per line.
            text = "\r\n".join(line for _, _, line in syntax_lines(info)) + "\r\n"
            yield SimObject(STRING_TYPES, {}, text)
        else:
            yield cmdlet_info_object(info)


@cmdlet("Get-Help")
def get_help(inv: Invocation) -> Iterator[SimObject]:
    """One command's help object; several (a wildcard or a list of names) give the short summaries
    real Get-Help writes then (HelpInfoShort: Name, Category, Component, Role, Functionality, Synopsis)."""
    raw = inv.get("Name") or "Get-Help"
    names = [str(n) for n in raw] if isinstance(raw, list | tuple) else [str(raw)]
    matched = _named(inv, names)
    summary = len(names) > 1 or any(has_wildcard(n) for n in names)
    for info in matched:
        inv.check()
        component = "Exchange Online" if _module(info) == EXCHANGE_MODULE else ""
        if summary:
            yield SimObject(HELP_SHORT_TYPES, {"Name": info.name, "Category": "Cmdlet", "Component": component,
                                               "Role": "", "Functionality": "", "Synopsis": info.synopsis},
                            info.name)
            continue
        modeled = info.name.lower() in modeled_names()
        syntax = "\r\n".join(line for _, _, line in syntax_lines(info))
        yield SimObject(HELP_TYPES, {"Name": info.name, "Category": "Cmdlet", "Synopsis": info.synopsis,
                                     "Syntax": syntax, "ModuleName": _module(info), "Component": component,
                                     "Modeled": modeled}, info.name)
