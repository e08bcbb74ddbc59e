"""GetCommandMetadata's reply objects as CLIXML, written once per cmdlet and kept.

A cmdlet's reply depends on the cmdlet alone (not on the tenant, the account or the session), yet
psrpcore's generic serializer spent about 4 ms on each: 3 s of CPU for every import of the 730-cmdlet
catalog, under the shell's lock. This writes the bytes psrpcore writes for ``runspace.command_metadata``
(the reference; tests/unit/sim/test_metadata_reply.py compares the two over the whole built-in catalog
and odd names), as plain string building, and keeps them per cmdlet for the life of the process.
"""

from __future__ import annotations

from functools import lru_cache

from tui.catalog import CmdletInfo, ParameterInfo
from tui.sim.clixml import escape

_CMDLET_TYPES = ("Selected.System.Management.Automation.CmdletInfo", "System.Management.Automation.PSCustomObject",
                 "System.Object")
_PARAMETER_TYPES = ("System.Management.Automation.ParameterMetadata", "System.Object")
_SWITCH_TYPE = "System.Management.Automation.SwitchParameter"
_CLR_TYPES = {
    "string": "System.String", "int": "System.Int32", "int32": "System.Int32", "int64": "System.Int64",
    "bool": "System.Boolean", "boolean": "System.Boolean", "datetime": "System.DateTime",
    "switchparameter": _SWITCH_TYPE, "object": "System.Object",
    "guid": "System.Guid", "double": "System.Double", "hashtable": "System.Collections.Hashtable",
    "psobject": "System.Management.Automation.PSObject",
}
# Everything between a cmdlet's name and its parameters is the same for every cmdlet (RefIds 1-3,
# TypeNames 0-3): Namespace and HelpUri empty, CommandType Cmdlet, no OutputType.
_CMDLET_MIDDLE = (
    '<S N="Namespace" /><S N="HelpUri" /><Obj RefId="1" N="CommandType"><I32>8</I32><TN RefId="1">'
    "<T>System.Management.Automation.CommandTypes</T><T>System.Enum</T><T>System.ValueType</T>"
    '<T>System.Object</T></TN><ToString>Cmdlet</ToString></Obj><Nil N="ResolvedCommandName" />'
    '<Obj RefId="2" N="OutputType"><TN RefId="2"><T>System.Collections.ArrayList</T><T>System.Object</T></TN>'
    '<LST /></Obj><Obj RefId="3" N="Parameters"><TN RefId="3"><T>System.Collections.Hashtable</T>'
    "<T>System.Object</T></TN>")
_FIRST_PARAMETER_TN = '<TN RefId="4">' + "".join(f"<T>{t}</T>" for t in _PARAMETER_TYPES) + "</TN>"


def clr_type(name: str, switch: bool) -> str:
    """A catalog parameter type as GetCommandMetadata's ParameterType spells it."""
    if switch:
        return _SWITCH_TYPE
    base, array = (name[:-2], "[]") if name.endswith("[]") else (name, "")
    if "." in base:
        return name
    mapped = _CLR_TYPES.get(base.lower())
    if mapped:
        return mapped + array
    # Exchange's parameter types live in its own assemblies; the short name is what clients show.
    return f"Microsoft.Exchange.Configuration.Tasks.{base}{array}"


@lru_cache(maxsize=8192)
def metadata_clixml(cmdlet: CmdletInfo) -> bytes:
    """The CLIXML of one GetCommandMetadata reply object (one PIPELINE_OUTPUT body), kept per cmdlet.

    Thread-safe: the cache is only read and filled whole; two first calls at once both write the same bytes.
    """
    # Keyed as a dict, like the reference's {name: ParameterMetadata}: a repeated name keeps its first place
    # and its last definition.
    params: dict[str, ParameterInfo] = {}
    for p in cmdlet.parameters:
        params[p.name] = p
    out = [f'<Obj RefId="0"><TN RefId="0">{"".join(f"<T>{t}</T>" for t in _CMDLET_TYPES)}</TN><MS>',
           _string("Name", cmdlet.name), _CMDLET_MIDDLE]
    if not params:
        out.append("<DCT /></Obj>")
    else:
        out.append("<DCT>")
        ref = 4
        for key, p in params.items():
            type_names = _FIRST_PARAMETER_TN if ref == 4 else '<TNRef RefId="4" />'
            aliases = "".join(_string(None, a) for a in p.aliases)
            out += ["<En>", _string("Key", key), f'<Obj RefId="{ref}" N="Value">{type_names}<Props>',
                    _string("Name", p.name), _string("ParameterType", clr_type(p.type, p.switch)),
                    f'<Obj RefId="{ref + 1}" N="Aliases"><TNRef RefId="2" />',
                    f"<LST>{aliases}</LST>" if aliases else "<LST />",
                    '</Obj><B N="IsDynamic">false</B>',
                    f'<B N="SwitchParameter">{"true" if p.switch else "false"}</B></Props>',
                    _to_string(p.name), "</Obj></En>"]
            ref += 2
        out.append("</DCT></Obj>")
    out += ["</MS>", _to_string(cmdlet.name), "</Obj>"]
    # ElementTree's own encoding error handler: what UTF-8 cannot hold (a lone surrogate) becomes a reference.
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


def _string(name: str | None, text: str) -> str:
    """A String element, as psrpcore and ElementTree write it (an empty one is a short tag)."""
    n = f' N="{name}"' if name else ""
    return f"<S{n}>{escape(text)}</S>" if text else f"<S{n} />"


def _to_string(text: str) -> str:
    """psrpcore writes ToString unescaped by CLIXML's rules (ElementTree escapes the XML) and leaves an empty
    one out."""
    if not text:
        return ""
    return "<ToString>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</ToString>"
