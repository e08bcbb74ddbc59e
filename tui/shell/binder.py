"""Bind a parsed command against a catalog, the way PowerShell's parameter binder does.

Parameter names by exact name, alias, then unambiguous prefix (case-insensitive); switches; values
paired with their parameter; positional arguments by position in the chosen parameter set; the set
resolved from the parameters given; mandatory parameters checked; values coerced by the parameter's
type. Error messages use PowerShell's own words, followed by what to do.

Local cmdlets (Select-Object, Where-Object, …) bind against ``LOCAL_CATALOG`` and come out with
``local=True``; everything else binds against the session's catalog.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tui.catalog import ALL_SETS, Catalog, CmdletInfo, ParameterInfo
from tui.shell.bound import BoundCommand
from tui.shell.errors import ShellError
from tui.shell.local_catalog import LOCAL_CATALOG, local_cmdlet
from tui.shell.parser import to_number
from tui.shell.syntax import (
    Argument,
    ArrayLiteral,
    Command,
    HashLiteral,
    Parameter,
    ScriptBlock,
    Value,
    Variable,
)

__all__ = ["COMMON_PARAMETERS", "BindError", "bind", "positional_parameters", "resolve_command",
           "resolve_parameter"]

_ACTIONS = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")
# PowerShell's common parameters that the service honours; resolved only when the cmdlet's own
# parameters do not match, so they never make a prefix ambiguous.
COMMON_PARAMETERS: tuple[ParameterInfo, ...] = (
    ParameterInfo("Verbose", "SwitchParameter", switch=True, aliases=("vb",)),
    ParameterInfo("Debug", "SwitchParameter", switch=True, aliases=("db",)),
    ParameterInfo("ErrorAction", "ActionPreference", aliases=("ea",), valid_values=_ACTIONS),
    ParameterInfo("WarningAction", "ActionPreference", aliases=("wa",), valid_values=_ACTIONS),
)

_INT_TYPES = frozenset({"int32", "int64", "int16", "uint32", "uint64", "uint16", "byte", "sbyte", "int", "long"})
_FLOAT_TYPES = frozenset({"double", "single", "decimal", "float"})
_BOOL_TYPES = frozenset({"boolean", "bool"})
# Types whose values keep the typed literal (a number stays a number); other types get the text.
_KEEP_NUMBER = frozenset({"object", "psobject", "bytequantifiedsize", "pspropertyexpression"})
_ARRAY_TYPES = frozenset({"multivaluedproperty", "proxyaddresscollection"})
_NO_ENUM_CHECK = frozenset({"string", "object", "psobject", "multivaluedproperty"})


class BindError(ShellError):
    """Binding failed. ``missing`` names the mandatory parameters not given (the UI may prompt for them);
    ``bound`` is what could be bound so far when only mandatory parameters are missing;
    ``unknown_command`` the command name the catalog does not know (so a face may look further)."""

    def __init__(self, message: str, column: int | None = 0, suggestions: Sequence[str] = (),
                 missing: Sequence[str] = (), bound: BoundCommand | None = None,
                 unknown_command: str | None = None) -> None:
        super().__init__(message, column, suggestions)
        self.missing: list[str] = list(missing)
        self.bound = bound
        self.unknown_command = unknown_command


@dataclass(frozen=True, slots=True)
class _Given:
    param: ParameterInfo
    value: Any
    column: int
    text: str = ""
    quoted: bool = False


def resolve_command(name: str, catalog: Catalog, local_catalog: Catalog | None = None,
                    column: int = 0) -> tuple[CmdletInfo, bool]:
    """(cmdlet, is_local) for ``name`` (any case; local aliases such as ``select`` too)."""
    local_catalog = LOCAL_CATALOG if local_catalog is None else local_catalog
    found = local_cmdlet(name, local_catalog)
    if found is not None:
        return found, True
    remote = catalog.get(name)
    if remote is not None:
        return remote, False
    names = [*catalog.names, *local_catalog.names]
    close = _close(name, names)
    hint = (f" Did you mean: {', '.join(close)}?" if close else
            " Check the spelling, and that your role in this tenant allows the cmdlet.")
    raise BindError(f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, "
                    f"or operable program.{hint}", column, close, unknown_command=name)


def resolve_parameter(cmdlet: CmdletInfo, name: str, column: int = 0, *,
                      common: bool = True) -> ParameterInfo:
    """The parameter ``-name`` means: exact name or alias, else unambiguous prefix (case-insensitive)."""
    exact = cmdlet.parameter(name)
    if exact is not None:
        return exact
    low = name.lower()
    matches = [p for p in cmdlet.parameters
               if p.name.lower().startswith(low) or any(a.lower().startswith(low) for a in p.aliases)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = " ".join(f"-{p.name}" for p in matches)
        raise BindError(f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
                        f"Possible matches include: {listed}.", column, [p.name for p in matches])
    if common:
        for p in COMMON_PARAMETERS:
            if p.name.lower() == low or low in (a.lower() for a in p.aliases):
                return p
        starts = [p for p in COMMON_PARAMETERS if p.name.lower().startswith(low)]
        if len(starts) == 1:
            return starts[0]
    close = _close(name, [p.name for p in cmdlet.parameters])
    hint = f" Did you mean: {', '.join('-' + c for c in close)}?" if close else ""
    raise BindError(f"A parameter cannot be found that matches parameter name '{name}'.{hint}",
                    column, close)


def bind(command: Command, catalog: Catalog, variables: Mapping[str, Any] | None = None, *,
         pipeline_input: bool = False, local_catalog: Catalog | None = None) -> BoundCommand:
    """Bind ``command`` against ``catalog`` (or the local catalog for local cmdlets).

    ``variables`` resolves ``$name`` arguments (None: leave ``Variable`` nodes for the caller).
    ``pipeline_input``: the command receives objects from the pipeline, so mandatory parameters that
    accept pipeline input count as given.
    """
    cmdlet, local = resolve_command(command.name, catalog, local_catalog, command.column)
    return _Binder(command, cmdlet, local, variables, pipeline_input).bind()


class _Binder:
    def __init__(self, command: Command, cmdlet: CmdletInfo, local: bool,
                 variables: Mapping[str, Any] | None, pipeline_input: bool) -> None:
        self.command = command
        self.cmdlet = cmdlet
        self.local = local
        self.variables = None if variables is None else {k.lower(): v for k, v in variables.items()}
        self.pipeline_input = pipeline_input

    def bind(self) -> BoundCommand:
        named, positional = self.pair()
        set_name, slots = self.choose_set(named, positional)
        given = dict(named)
        for arg, slot in zip(positional, slots, strict=False):
            given[slot.name] = _Given(slot, arg.value, arg.column, arg.text, arg.quoted)
        values: dict[str, Any] = {}
        for name, g in given.items():
            values[name] = self.coerce(g)
        bound = BoundCommand(name=self.cmdlet.name, parameters=values, parameter_set=set_name,
                             local=self.local, column=self.command.column, text=self.command.text)
        missing = self.missing(set_name, given)
        if missing:
            raise BindError("Cannot process command because of one or more missing mandatory parameters: "
                            f"{' '.join(missing)}.", self.command.column, missing=missing, bound=bound)
        return bound

    # -- pairing parameters with their values --------------------------------------------------

    def pair(self) -> tuple[dict[str, _Given], list[Argument]]:
        elements = self.command.elements
        named: dict[str, _Given] = {}
        positional: list[Argument] = []
        i = 0
        while i < len(elements):
            el = elements[i]
            i += 1
            if isinstance(el, Argument):
                positional.append(el)
                continue
            p = resolve_parameter(self.cmdlet, el.name, el.column, common=not self.local)
            if p.name in named:
                raise BindError(
                    f"Cannot bind parameter because parameter '{p.name}' is specified more than once. To "
                    "provide multiple values to parameters that can accept multiple values, use the array "
                    'syntax. For example, "-parameter value1,value2,value3".', el.column)
            named[p.name] = self.paired_value(p, el, elements, i)
            if not p.switch and not el.has_value:
                i += 1
        return named, positional

    def paired_value(self, p: ParameterInfo, el: Parameter, elements: Sequence[Any], i: int) -> _Given:
        if p.switch:
            if not el.has_value:
                return _Given(p, True, el.column)
            return _Given(p, self.switch_value(p, el), el.column, el.value_text)
        if el.has_value:
            return _Given(p, el.value, el.column, el.value_text)
        nxt = elements[i] if i < len(elements) else None
        if not isinstance(nxt, Argument):
            raise BindError(f"Missing an argument for parameter '{p.name}'. Specify a parameter of type "
                            f"'{p.type}' and try again.", el.column)
        return _Given(p, nxt.value, nxt.column, nxt.text, nxt.quoted)

    def switch_value(self, p: ParameterInfo, el: Parameter) -> bool:
        value = self.resolve_value(el.value, el.column)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        raise BindError(f"Cannot process argument transformation on parameter '{p.name}'. A switch takes "
                        f"$true or $false after a colon (-{p.name}:$false), not '{el.value_text}'.",
                        el.column)

    # -- parameter sets ------------------------------------------------------------------------

    def all_sets(self) -> list[str | None]:
        return _shape(self.cmdlet).sets

    def choose_set(self, named: dict[str, _Given],
                   positional: list[Argument]) -> tuple[str | None, list[ParameterInfo]]:
        sets = self.all_sets()
        candidates = [s for s in sets if all(g.param.in_set(s) for g in named.values())]
        if not candidates:
            raise BindError(
                "Parameter set cannot be resolved using the specified named parameters. One or more "
                "parameters issued cannot be used together or an insufficient number of parameters were "
                f"provided.{self.conflict_hint(named, sets)}", self.command.column)
        fits: list[tuple[tuple[int, int, int, int], str | None, list[ParameterInfo]]] = []
        most_slots = 0
        for index, s in enumerate(candidates):
            slots = [p for p in _shape(self.cmdlet).positional[s] if p.name not in named]
            most_slots = max(most_slots, len(slots))
            if len(positional) > len(slots):
                continue
            score = 0
            compatible = True
            for arg, slot in zip(positional, slots, strict=False):
                block_param = _is_script_block_type(slot.type)
                if block_param and not isinstance(arg.value, ScriptBlock):
                    compatible = False
                elif block_param:
                    score += 1
            if not compatible:
                continue
            assigned = set(named) | {slot.name for slot in slots[:len(positional)]}
            complete = not self.missing_names(s, assigned)
            rank = (-score, 0 if complete else 1, 0 if s == self.cmdlet.default_set else 1, index)
            fits.append((rank, s, slots))
        if not fits:
            extra = positional[min(most_slots, len(positional) - 1)]
            raise BindError(f"A positional parameter cannot be found that accepts argument '{extra.text}'.",
                            extra.column)
        fits.sort(key=lambda f: f[0])
        _, chosen, slots = fits[0]
        return chosen, slots

    def conflict_hint(self, named: dict[str, _Given], sets: list[str | None]) -> str:
        given = list(named.values())
        for a_index, a in enumerate(given):
            for b in given[a_index + 1:]:
                if not any(a.param.in_set(s) and b.param.in_set(s) for s in sets):
                    return f" -{a.param.name} and -{b.param.name} cannot be used together."
        return ""

    def missing_names(self, set_name: str | None, given: set[str] | dict[str, Any]) -> list[str]:
        return [p.name for p in _shape(self.cmdlet).mandatory[set_name]
                if p.name not in given and not (self.pipeline_input and p.pipeline)]

    def missing(self, set_name: str | None, given: dict[str, _Given]) -> list[str]:
        return self.missing_names(set_name, given)

    # -- values --------------------------------------------------------------------------------

    def resolve_value(self, value: Value, column: int) -> Any:
        """Replace Variables by their values when a mapping was given (script blocks untouched)."""
        if isinstance(value, Variable):
            if self.variables is None:
                return value
            low = value.name.lower()
            if low not in self.variables:
                raise BindError(f"The variable '${value.name}' cannot be retrieved because it has not been "
                                "set.", value.column)
            return self.variables[low]
        if isinstance(value, ArrayLiteral):
            return [self.resolve_value(v, v.column if isinstance(v, Variable) else column)
                    for v in value.items]
        if isinstance(value, HashLiteral):
            return {k: self.resolve_value(v, column) for k, v in value.items}
        if isinstance(value, ScriptBlock) and not self.local:
            return value.text.strip()  # -Filter { … } is sent as the filter's text
        return value

    def coerce(self, g: _Given) -> Any:
        p = g.param
        if p.switch:
            return bool(g.value)
        value = self.resolve_value(g.value, g.column)
        type_name = p.type.strip()
        low = type_name.lower().removeprefix("system.")
        is_array = low.endswith("[]") or low in _ARRAY_TYPES
        element_type = low[:-2] if low.endswith("[]") else ("string" if low in _ARRAY_TYPES else low)
        if is_array:
            if isinstance(value, dict) or value is None:
                return value
            if not isinstance(value, list):
                return [self.coerce_scalar(p, element_type, value, g.text, g)]
            return [self.coerce_scalar(p, element_type, item, "", g) for item in value]
        return self.coerce_scalar(p, element_type, value, g.text, g)

    def coerce_scalar(self, p: ParameterInfo, low: str, value: Any, text: str, g: _Given) -> Any:
        if value is None or isinstance(value, Variable | ScriptBlock | dict | list):
            return value
        if low in _INT_TYPES or low in _FLOAT_TYPES:
            number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
            if isinstance(value, str):
                number = to_number(value.strip())
            if number is None:
                raise self.convert_error(p, value, g, "Input string was not in a correct format.")
            if low in _INT_TYPES:
                if isinstance(number, float) and not number.is_integer():
                    raise self.convert_error(p, value, g, "Input string was not in a correct format.")
                return int(number)
            return float(number)
        if low in _BOOL_TYPES:
            if isinstance(value, bool):
                return value
            if isinstance(value, int | float):
                return value != 0
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise BindError(f"Cannot process argument transformation on parameter '{p.name}'. Cannot convert "
                            f'value "{value}" to type "System.Boolean". Boolean parameters accept only '
                            "Boolean values and numbers, such as $True, $False, 1 or 0.", g.column)
        if low.startswith("unlimited") or "unlimited`1" in low:
            if isinstance(value, str):
                if value.lower() == "unlimited":
                    return "Unlimited"
                number = to_number(value.strip())
                if number is None:
                    inner = "ByteQuantifiedSize" if "bytequantified" in low else "number"
                    raise self.convert_error(p, value, g, f"Type a {inner} or Unlimited.")
                value = number
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and low not in _KEEP_NUMBER:
            return text or str(value)  # an identity such as 12345 or a name such as 10MB: the text typed
        if isinstance(value, str) and p.valid_values and not p.wildcards:
            for valid in p.valid_values:
                if valid.lower() == value.lower():
                    return valid
            if low not in _NO_ENUM_CHECK and not low.startswith("bool"):
                raise BindError(
                    f"Cannot validate argument on parameter '{p.name}'. The argument \"{value}\" does not "
                    f"belong to the set \"{','.join(p.valid_values)}\" specified by the ValidateSet "
                    "attribute. Supply an argument that is in the set and then try the command again.",
                    g.column, _close(value, list(p.valid_values)))
        return value

    def convert_error(self, p: ParameterInfo, value: Any, g: _Given, detail: str) -> BindError:
        return BindError(f"Cannot process argument transformation on parameter '{p.name}'. Cannot convert "
                         f'value "{value}" to type "{p.type}". Error: "{detail}"', g.column)


@dataclass(frozen=True, slots=True)
class _Shape:
    """A cmdlet's parameter sets with their positional and mandatory parameters, computed once."""

    sets: list[str | None]
    positional: dict[str | None, list[ParameterInfo]]
    mandatory: dict[str | None, list[ParameterInfo]]


_SHAPES: dict[int, tuple[CmdletInfo, _Shape]] = {}


def _shape(cmdlet: CmdletInfo) -> _Shape:
    cached = _SHAPES.get(id(cmdlet))
    if cached is not None and cached[0] is cmdlet:
        return cached[1]
    names: list[str] = list(cmdlet.parameter_sets)
    for p in cmdlet.parameters:
        for s in p.sets:
            if s != ALL_SETS and s not in names:
                names.append(s)
    sets: list[str | None] = list(names) or [None]
    shape = _Shape(sets, {s: positional_parameters(cmdlet, s) for s in sets},
                   {s: [p for p in cmdlet.parameters if p.in_set(s) and p.is_mandatory(s)] for s in sets})
    if len(_SHAPES) > 2048:  # catalogs are swapped whole on refresh; forget the old cmdlets
        _SHAPES.clear()
    _SHAPES[id(cmdlet)] = (cmdlet, shape)
    return shape


def positional_parameters(cmdlet: CmdletInfo, set_name: str | None) -> list[ParameterInfo]:
    """Positional parameters of ``set_name`` in order.

    A catalog built from GetCommandMetadata alone has no positions (the service sends none); then
    ``Identity``, which is the first positional parameter of nearly every Exchange cmdlet, is taken
    as position 0 so that ``Get-Mailbox john`` still works.
    """
    found = cmdlet.positional(set_name)
    if found or any(p.position is not None for p in cmdlet.parameters):
        return found
    identity = cmdlet.parameter("Identity")
    return [identity] if identity is not None and identity.in_set(set_name) else []


def _is_script_block_type(type_name: str) -> bool:
    low = type_name.lower().removesuffix("[]")
    return low in ("scriptblock", "system.management.automation.scriptblock")


def _close(word: str, names: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` names close to ``word``: only those nearly as close as the best one."""
    by_lower = {name.lower(): name for name in names}
    matcher = difflib.SequenceMatcher(b=word.lower())
    scored: list[tuple[float, str]] = []
    for low in by_lower:
        matcher.set_seq1(low)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((ratio, low))
    if not scored:
        return []
    scored.sort(key=lambda t: (-t[0], t[1]))
    best = scored[0][0]
    return [by_lower[low] for ratio, low in scored[:n] if ratio >= best - 0.08]
