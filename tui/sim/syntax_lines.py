"""PowerShell syntax lines (what ``Get-Command -Syntax`` and ``CommandParameterSetInfo.ToString()`` print).

One line per parameter set, in PowerShell's display order: positional parameters by position,
then mandatory named parameters, then optional named ones, then ``[<CommonParameters>]``::

    Get-Mailbox [[-Identity] <MailboxIdParameter>] [-Archive] [-Filter <string>] … [<CommonParameters>]
    Set-Mailbox [-Identity] <MailboxIdParameter> [-Type {Regular | Room | Equipment | Shared}] … [<CommonParameters>]

The format is regular on purpose: a client parses these lines back into sets, positions,
mandatory flags and valid values.
"""

from __future__ import annotations

from tui.catalog import CmdletInfo, ParameterInfo

ALL_PARAMETER_SETS = "__AllParameterSets"

# How PowerShell abbreviates common .NET types in syntax (TypeAccelerators and ToStringCodeMethods.Type).
_SHORT = {"string": "string", "system.string": "string", "boolean": "bool", "system.boolean": "bool",
          "bool": "bool", "int32": "int", "system.int32": "int", "int": "int", "uint32": "uint",
          "system.uint32": "uint", "int64": "long", "system.int64": "long", "datetime": "datetime",
          "system.datetime": "datetime", "guid": "guid", "system.guid": "guid", "double": "double",
          "object": "Object", "system.object": "Object", "unlimited": "Unlimited[uint]",
          "multivaluedproperty": "MultiValuedProperty[string]", "switchparameter": "switch",
          "securestring": "securestring", "pscredential": "pscredential", "timespan": "timespan",
          "byte": "byte", "uri": "uri", "hashtable": "hashtable", "scriptblock": "scriptblock"}


def short_type(ptype: str) -> str:
    """``String[]`` → ``string[]``, ``Boolean`` → ``bool``, Exchange types unchanged."""
    array = ptype.endswith("[]")
    base = ptype[:-2] if array else ptype
    short = _SHORT.get(base.lower())
    if short is None:
        short = base.rsplit(".", 1)[-1] if base.startswith(("System.", "Microsoft.")) else base
    return short + ("[]" if array else "")


def parameter_sets(cmdlet: CmdletInfo) -> list[str]:
    """Every set of the cmdlet, the default first; ``__AllParameterSets`` when it declares none."""
    sets = list(cmdlet.parameter_sets)
    for param in cmdlet.parameters:
        if not param.in_all_sets:
            for s in param.sets:
                if s not in sets:
                    sets.append(s)
    return sets or [ALL_PARAMETER_SETS]


# ``__AllParameterSets`` (a cmdlet without sets) holds every parameter; mandatory there means
# mandatory in every set the parameter belongs to. The binder uses the same two rules.
def in_parameter_set(param: ParameterInfo, set_name: str) -> bool:
    return param.in_set(set_name) or set_name == ALL_PARAMETER_SETS


def mandatory_in_set(param: ParameterInfo, set_name: str) -> bool:
    return param.is_mandatory(set_name) or (set_name == ALL_PARAMETER_SETS and param.is_mandatory(None))


def _value(param: ParameterInfo) -> str:
    if param.valid_values and param.type.lower() not in ("boolean", "system.boolean", "bool"):
        return "{" + " | ".join(param.valid_values) + "}"
    return f"<{short_type(param.type)}>"


def parameter_text(param: ParameterInfo, set_name: str) -> str:
    """One parameter as PowerShell writes it in the syntax of ``set_name``."""
    mandatory = mandatory_in_set(param, set_name)
    if param.switch:
        text = f"-{param.name}"
        return text if mandatory else f"[{text}]"
    name = f"[-{param.name}]" if param.position is not None else f"-{param.name}"
    text = f"{name} {_value(param)}"
    return text if mandatory else f"[{text}]"


def syntax_line(cmdlet: CmdletInfo, set_name: str) -> str:
    params = [p for p in cmdlet.parameters if in_parameter_set(p, set_name)]
    positional = sorted((p for p in params if p.position is not None), key=lambda p: p.position or 0)
    named_mandatory = [p for p in params if p.position is None and mandatory_in_set(p, set_name)]
    named_optional = [p for p in params if p.position is None and not mandatory_in_set(p, set_name)]
    parts = [cmdlet.name]
    parts += [parameter_text(p, set_name) for p in (*positional, *named_mandatory, *named_optional)]
    parts.append("[<CommonParameters>]")
    return " ".join(parts)


def syntax_lines(cmdlet: CmdletInfo) -> list[tuple[str, bool, str]]:
    """``(set name, is default, syntax line)`` for every parameter set of ``cmdlet``."""
    sets = parameter_sets(cmdlet)
    default = cmdlet.default_set or sets[0]
    return [(s, s == default, syntax_line(cmdlet, s)) for s in sets]


def definition(cmdlet: CmdletInfo) -> str:
    """``CmdletInfo.Definition``: the syntax lines joined by a blank line."""
    return "\r\n\r\n".join(line for _, _, line in syntax_lines(cmdlet))
