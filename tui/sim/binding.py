"""Parameter binding against a catalog entry, as PowerShell does it and in PowerShell's words.

``bind_arguments`` binds the command line (named, with prefixes and aliases, then positional),
converts values to the parameter types, narrows the parameter set and checks mandatory
parameters. ``bind_input`` then binds one pipeline input object by property name (or by value)
for each object the previous command produced. Errors are ``CmdletError``s carrying the
ParameterBindingException wording and FullyQualifiedErrorId PowerShell uses.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.catalog import CmdletInfo, ParameterInfo
from tui.sim.model import CmdletError, SimObject
from tui.sim.syntax_lines import ALL_PARAMETER_SETS, in_parameter_set, mandatory_in_set, parameter_sets

UNLIMITED = "Unlimited"

# PowerShell's common parameters (every cmdlet has them; the catalog does not list them).
COMMON_PARAMETERS: dict[str, tuple[str, str]] = {
    # name: (type, alias)
    "Verbose": ("SwitchParameter", "vb"), "Debug": ("SwitchParameter", "db"),
    "ErrorAction": ("ActionPreference", "ea"), "WarningAction": ("ActionPreference", "wa"),
    "InformationAction": ("ActionPreference", "infa"), "ErrorVariable": ("String", "ev"),
    "WarningVariable": ("String", "wv"), "InformationVariable": ("String", "iv"),
    "OutVariable": ("String", "ov"), "OutBuffer": ("Int32", "ob"), "PipelineVariable": ("String", "pv"),
}
_COMMON_INFO = [ParameterInfo(name=n, type=t, switch=t == "SwitchParameter", aliases=(a,))
                for n, (t, a) in COMMON_PARAMETERS.items()]
_ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break")

_NAMESPACES = {
    "ConvertibleMailboxSubType": "Microsoft.Exchange.Data.Directory.Management",
    "RecipientTypeDetails": "Microsoft.Exchange.Data.Directory.Recipient",
    "RecipientType": "Microsoft.Exchange.Data.Directory.Recipient",
    "MailboxRights": "Microsoft.Exchange.Management.RecipientTasks",
    "MailboxFolderAccessRight": "Microsoft.Exchange.Management.StoreTasks",
    "OofState": "Microsoft.Exchange.InfoWorker.Common.OOF",
    "ExternalAudience": "Microsoft.Exchange.InfoWorker.Common.OOF",
    "RuleState": "Microsoft.Exchange.MessagingPolicies.Rules.Tasks",
    "ActiveDirectorySecurityInheritance": "System.DirectoryServices",
    "ActionPreference": "System.Management.Automation",
    "CommandTypes": "System.Management.Automation",
}
_SYSTEM = {"string": "System.String", "boolean": "System.Boolean", "int32": "System.Int32",
           "uint32": "System.UInt32", "int64": "System.Int64", "datetime": "System.DateTime",
           "guid": "System.Guid", "double": "System.Double", "object": "System.Object",
           "switchparameter": "System.Management.Automation.SwitchParameter",
           "unlimited": "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
           "multivaluedproperty": "Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]",
           "pscredential": "System.Management.Automation.PSCredential",
           "securestring": "System.Security.SecureString", "timespan": "System.TimeSpan",
           "byte": "System.Byte", "uri": "System.Uri", "hashtable": "System.Collections.Hashtable",
           "psobject": "System.Management.Automation.PSObject"}


def full_type_name(ptype: str) -> str:
    """The .NET type name of a catalog type, as error messages and GetCommandMetadata spell it."""
    array = ptype.endswith("[]")
    base = ptype[:-2] if array else ptype
    if "." in base:
        full = base
    elif base.lower() in _SYSTEM:
        full = _SYSTEM[base.lower()]
    elif base in _NAMESPACES:
        full = f"{_NAMESPACES[base]}.{base}"
    elif base.endswith("IdParameter") or base.endswith("Identity"):
        full = f"Microsoft.Exchange.Configuration.Tasks.{base}"
    else:
        full = f"Microsoft.Exchange.Data.{base}"
    return full + ("[]" if array else "")


def _binding_error(cmdlet: str, message: str, error_id: str, target: str | None = None) -> CmdletError:
    return CmdletError(message, category="InvalidArgument", error_id=f"{error_id},{cmdlet}",
                       exception_type="System.Management.Automation.ParameterBindingException", target=target)


@dataclass(slots=True)
class Bound:
    """A command's bound parameters: canonical name → converted value, plus the common parameters."""

    cmdlet: CmdletInfo
    values: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)
    candidate_sets: list[str] = field(default_factory=list)
    set_name: str = ALL_PARAMETER_SETS

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def copy(self) -> Bound:
        return Bound(self.cmdlet, dict(self.values), dict(self.common), list(self.candidate_sets), self.set_name)


# -- parameter names ---------------------------------------------------------------------------


def resolve_name(cmdlet: CmdletInfo, given: str) -> ParameterInfo:
    """The parameter ``given`` names: exact name or alias, else a unique prefix (PowerShell rules)."""
    name = given[1:] if given.startswith("-") else given
    name = name.rstrip(":")
    low = name.lower()
    everyone = [*cmdlet.parameters, *_COMMON_INFO]
    for param in everyone:
        if param.name.lower() == low or low in (a.lower() for a in param.aliases):
            return param
    matches: list[ParameterInfo] = []
    for param in everyone:
        hit = param.name.lower().startswith(low) or any(a.lower().startswith(low) for a in param.aliases)
        if hit and param not in matches:
            matches.append(param)
    if len(matches) == 1 and low:
        return matches[0]
    if len(matches) > 1 and low:
        names = " ".join(f"-{m.name}" for m in matches)
        raise _binding_error(cmdlet.name, f"Parameter cannot be processed because the parameter name '{name}' is "
                             f"ambiguous. Possible matches include: {names}.", "AmbiguousParameter", name)
    raise _binding_error(cmdlet.name, f"A parameter cannot be found that matches parameter name '{name}'.",
                         "NamedParameterNotFound", name)


# -- values --------------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, SimObject):
        return value.to_string
    return str(value)


def _transform_error(cmdlet: str, param: ParameterInfo, value: Any, detail: str) -> CmdletError:
    return _binding_error(
        cmdlet, f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert value "
        f"\"{_describe(value)}\" to type \"{full_type_name(param.type)}\". Error: \"{detail}\"",
        "ParameterArgumentTransformationError", _describe(value))


def _identity_text(value: Any) -> str:
    """An Exchange IdParameter built from an object: its Identity, else its Guid, else ToString."""
    if isinstance(value, SimObject):
        for key in ("Identity", "Guid", "Name"):
            found = value.get(key)
            if found not in (None, ""):
                return str(found)
        return value.to_string
    if isinstance(value, dict):
        for key in ("Identity", "Guid", "Name"):
            if value.get(key) not in (None, ""):
                return str(value[key])
    return str(value)


def _parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _enum(cmdlet: str, param: ParameterInfo, value: Any) -> str:
    text = str(value).strip()
    for valid in param.valid_values:
        if valid.lower() == text.lower():
            return valid
    base = param.type[:-2] if param.type.endswith("[]") else param.type
    if base in ("MultiValuedProperty", "String") or base.startswith("System.String"):
        full = full_type_name(base)
    else:
        full = full_type_name(base)
    raise _binding_error(
        cmdlet, f"Cannot bind parameter '{param.name}'. Cannot convert value \"{text}\" to type \"{full}\". "
        f"Error: \"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the "
        f"following enumerator names and try again: {', '.join(param.valid_values)}\"",
        "CannotConvertArgumentNoMessage", text)


def _scalar(cmdlet: str, param: ParameterInfo, value: Any) -> Any:
    base = (param.type[:-2] if param.type.endswith("[]") else param.type).lower().removeprefix("system.")
    if param.valid_values and base not in ("boolean", "bool"):
        return _enum(cmdlet, param, value)
    if base in ("boolean", "bool"):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        raise _binding_error(
            cmdlet, f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert value "
            f"\"{full_type_name(type(value).__name__ if not isinstance(value, str) else 'String')}\" to type "
            f"\"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, "
            f"$False, 1 or 0.", "ParameterArgumentTransformationError", _describe(value))
    if base in ("int32", "uint32", "int64", "int"):
        if isinstance(value, bool):
            return int(value)
        try:
            number = int(value) if not isinstance(value, float) or value.is_integer() else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            raise _transform_error(cmdlet, param, value, "Input string was not in a correct format.")
        return number
    if base == "unlimited":
        if isinstance(value, str) and value.strip().lower() == "unlimited":
            return UNLIMITED
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = _size_bytes(value)
        if isinstance(value, bool) or number < 0:
            raise _transform_error(cmdlet, param, value, f"The value \"{_describe(value)}\" isn't valid. Valid "
                                   "values are \"Unlimited\" or a positive integer.")
        return number
    if base == "datetime":
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        parsed = _parse_datetime(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise _transform_error(cmdlet, param, value, "String was not recognized as a valid DateTime.")
        return parsed
    if base == "guid":
        if isinstance(value, uuid.UUID):
            return value
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise _transform_error(cmdlet, param, value, "Guid should contain 32 digits with 4 dashes "
                                   "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).") from None
    if base in ("object", "psobject", "hashtable", "pscredential", "securestring", "scriptblock"):
        return value
    if base.endswith("idparameter") or base.endswith("identity"):
        return _identity_text(value)
    if isinstance(value, SimObject):
        return value.to_string
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else (str(value) if not isinstance(value, bool) else ("True" if value else "False"))


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}


def _size_bytes(value: Any) -> int:
    """``"50GB"`` → bytes (Unlimited<ByteQuantifiedSize> parameters such as quotas); -1 when not a size."""
    m = _SIZE.match(str(value)) if isinstance(value, str) else None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()]) if m else -1


def convert(cmdlet: str, param: ParameterInfo, value: Any) -> Any:
    """``value`` converted to ``param``'s type, or a CmdletError in PowerShell's words."""
    if param.switch:
        if value is None:
            return True
        if isinstance(value, bool | int):
            return bool(value)
        if isinstance(value, dict) and "IsPresent" in value:
            return bool(value["IsPresent"])
        raise _binding_error(
            cmdlet, f"Cannot convert '{_describe(value)}' to the type 'System.Management.Automation.SwitchParameter' "
            f"required by parameter '{param.name}'.", "CannotConvertArgument", _describe(value))
    many = param.type.endswith("[]") or param.type.lower() in ("multivaluedproperty", "proxyaddresscollection")
    if value is None:
        return [] if many else None
    if many and isinstance(value, dict):
        # @{Add=…; Remove=…} edits a multi-valued property; each side converts like the property.
        return {str(k): convert(cmdlet, param, v) for k, v in value.items()}
    if many:
        items = list(value) if isinstance(value, list | tuple) else [value]
        if param.valid_values and len(items) == 1 and isinstance(items[0], str) and "," in items[0]:
            items = [s for s in items[0].split(",") if s.strip()]  # "A,B" binds like A,B to an enum array
        return [_scalar(cmdlet, param, v) for v in items]
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return _scalar(cmdlet, param, value[0])
        raise _binding_error(
            cmdlet, f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert the "
            f"\"System.Object[]\" value of type \"System.Object[]\" to type \"{full_type_name(param.type)}\".",
            "ParameterArgumentTransformationError", "System.Object[]")
    return _scalar(cmdlet, param, value)


# -- sets ----------------------------------------------------------------------------------------


def _param_sets(param: ParameterInfo, all_sets: list[str]) -> list[str]:
    return list(all_sets) if param.in_all_sets else [s for s in param.sets if s in all_sets] or list(param.sets)


def _missing(cmdlet: CmdletInfo, values: dict[str, Any], set_name: str, deferred: bool) -> list[str]:
    out = []
    for param in cmdlet.parameters:
        if param.name in values or not in_parameter_set(param, set_name):
            continue
        if mandatory_in_set(param, set_name) and not (deferred and param.pipeline):
            out.append(param.name)
    return out


def _choose_set(bound: Bound, deferred: bool) -> str:
    cmdlet = bound.cmdlet
    candidates = bound.candidate_sets
    if len(candidates) == 1:
        return candidates[0]
    complete = [s for s in candidates if not _missing(cmdlet, bound.values, s, deferred)]
    default = cmdlet.default_set
    if default in complete:
        return default
    if len(complete) >= 1:
        return complete[0]
    return default if default in candidates else candidates[0]


def _narrow(cmdlet: CmdletInfo, candidates: list[str], param: ParameterInfo, all_sets: list[str]) -> list[str]:
    if param.in_all_sets:
        return candidates
    narrowed = [s for s in candidates if s in param.sets]
    if not narrowed:
        raise _binding_error(cmdlet.name, "Parameter set cannot be resolved using the specified named parameters. "
                             "One or more parameters issued cannot be used together or an insufficient number of "
                             "parameters were provided.", "AmbiguousParameterSet")
    return narrowed


def bind_arguments(cmdlet: CmdletInfo, args: Sequence[tuple[str | None, Any]], expect_input: bool = False) -> Bound:
    """Bind a command line; with ``expect_input`` the mandatory pipeline parameters may come later."""
    all_sets = parameter_sets(cmdlet)
    bound = Bound(cmdlet, candidate_sets=list(all_sets))
    positional: list[Any] = []
    for name, value in args:
        if name is None:
            positional.append(value)
            continue
        param = resolve_name(cmdlet, name)
        if param.name in COMMON_PARAMETERS:
            bound.common[param.name] = _common_value(cmdlet, param, value)
            continue
        if param.name in bound.values:
            raise _binding_error(
                cmdlet.name, f"Cannot bind parameter because parameter '{param.name}' is specified more than once. "
                "To provide multiple values to parameters that can accept multiple values, use the array syntax. "
                "For example, \"-parameter value1,value2,value3\".", "ParameterAlreadyBound", param.name)
        bound.candidate_sets = _narrow(cmdlet, bound.candidate_sets, param, all_sets)
        bound.values[param.name] = convert(cmdlet.name, param, value)
    for value in positional:
        free = [p for p in cmdlet.parameters if p.position is not None and p.name not in bound.values
                and any(s in bound.candidate_sets for s in _param_sets(p, all_sets))]
        if not free:
            raise _binding_error(cmdlet.name, f"A positional parameter cannot be found that accepts argument "
                                 f"'{_describe(value)}'.", "PositionalParameterNotFound", _describe(value))
        default = cmdlet.default_set
        free.sort(key=lambda p: (p.position or 0, not (p.in_all_sets or default in p.sets)))
        param = free[0]
        bound.candidate_sets = _narrow(cmdlet, bound.candidate_sets, param, all_sets)
        bound.values[param.name] = convert(cmdlet.name, param, value)
    bound.set_name = _choose_set(bound, expect_input)
    missing = _missing(cmdlet, bound.values, bound.set_name, expect_input)
    if missing:
        raise _binding_error(cmdlet.name, "Cannot process command because of one or more missing mandatory "
                             f"parameters: {' '.join(missing)}.", "MissingMandatoryParameter")
    return bound


def _common_value(cmdlet: CmdletInfo, param: ParameterInfo, value: Any) -> Any:
    if param.type == "ActionPreference":
        text = str(value)
        for pref in _ACTION_PREFERENCES:
            if pref.lower() == text.lower():
                return pref
        raise _binding_error(
            cmdlet.name, f"Cannot bind parameter '{param.name}'. Cannot convert value \"{text}\" to type "
            f"\"System.Management.Automation.ActionPreference\". Error: \"Unable to match the identifier name {text} "
            f"to a valid enumerator name. Specify one of the following enumerator names and try again: "
            f"{', '.join(_ACTION_PREFERENCES)}\"", "CannotConvertArgumentNoMessage", text)
    if param.switch:
        return True if value is None else bool(value)
    return value


# -- pipeline input ------------------------------------------------------------------------------


def _not_bound(cmdlet: CmdletInfo, obj: Any) -> CmdletError:
    err = _binding_error(
        cmdlet.name, "The input object cannot be bound to any parameters for the command either because the "
        "command does not take pipeline input or the input and its properties do not match any of the parameters "
        "that take pipeline input.", "InputObjectNotBound", _describe(obj))
    err.terminating = False
    return err


def bind_input(bound: Bound, obj: Any) -> Bound:
    """``bound`` plus the pipeline parameters ``obj`` provides (by property name, else by value).

    Raises a non-terminating CmdletError (InputObjectNotBound or a conversion error) for this object.
    """
    cmdlet = bound.cmdlet
    all_sets = parameter_sets(cmdlet)
    order = [bound.set_name, *(s for s in bound.candidate_sets if s != bound.set_name)]
    for set_name in order:
        trial = bound.copy()
        trial.candidate_sets = [set_name]
        took = False
        for param in cmdlet.parameters:
            if not param.pipeline or param.name in trial.values or set_name not in _param_sets(param, all_sets):
                continue
            value, found = _property_value(obj, param)
            if not found:
                continue
            try:
                trial.values[param.name] = convert(cmdlet.name, param, value)
            except CmdletError as exc:
                exc.terminating = False
                raise
            took = True
        if not took:
            continue
        trial.set_name = set_name
        if not _missing(cmdlet, trial.values, set_name, False):
            return trial
    if not any(p.pipeline for p in cmdlet.parameters) or not isinstance(obj, SimObject | dict | str | int | uuid.UUID):
        raise _not_bound(cmdlet, obj)
    missing = _missing(cmdlet, bound.values, bound.set_name, False)
    if missing:
        raise _not_bound(cmdlet, obj)
    return bound.copy()


def _property_value(obj: Any, param: ParameterInfo) -> tuple[Any, bool]:
    names = (param.name, *param.aliases)
    if isinstance(obj, SimObject):
        for n in names:
            if obj.has(n):
                return obj.get(n), True
        if param.name == "Identity":  # ValueFromPipeline: an Exchange object converts to its IdParameter
            return _identity_text(obj), True
        return None, False
    if isinstance(obj, dict):
        for n in names:
            for key, value in obj.items():
                if key.lower() == n.lower():
                    return value, True
        return None, False
    if param.name == "Identity" or param.position is not None:
        return obj, True  # a plain value binds by value to the positional identity parameter
    return None, False
