"""Property specifications of Select/Sort/Group/Measure/Format: names, wildcards and calculated properties.

``-Property Name, Alias*, @{n='GB'; e={$_.Size / 1GB}}, {$_.Name.Length}`` becomes a list of PropSpec;
``resolve(item)`` gives the (name, value) pairs for one object: a wildcard expands over the object's own
property names, a missing literal name gives $null (as PowerShell's Select-Object does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tui.shell.errors import ShellError
from tui.shell.expressions import Context, compile_expression
from tui.shell.operators import as_list, get_member, wildcard_regex
from tui.shell.records import Record
from tui.shell.syntax import ArrayLiteral, HashLiteral, ScriptBlock, Variable


class LocalError(ShellError):
    """A local cmdlet cannot run as asked; the message says why and how to write it instead."""


_NAME_KEYS = ("name", "label")
_EXPR_KEYS = ("expression",)


def plain(value: Any, variables: Mapping[str, Any] | None = None) -> Any:
    """A bound value with any leftover syntax nodes turned into plain Python (Variable looked up)."""
    if isinstance(value, Variable):
        low = value.name.lower()
        for k, v in (variables or {}).items():
            if k.lower() == low:
                return v
        return None
    if isinstance(value, ArrayLiteral):
        return [plain(x, variables) for x in value.items]
    if isinstance(value, HashLiteral):
        return {k: plain(v, variables) for k, v in value.items}
    if isinstance(value, tuple):
        return [plain(x, variables) for x in value]
    return value


def _is_wildcard(name: str) -> bool:
    return any(c in name for c in "*?[")


def compile_block(block: ScriptBlock) -> Callable[[Context], Any]:
    """A ScriptBlock as a function of a Context (errors point into the command line)."""
    return compile_expression(block.text, block.column + 1).run


@dataclass(slots=True)
class PropSpec:
    """One entry of -Property: a name (maybe a wildcard), or a calculated property."""

    name: str
    getter: Callable[[Any], Any] | None = None  # None: read the property called ``name``
    wildcard: bool = False
    descending: bool | None = None  # Sort-Object's per-key Ascending/Descending
    width: int | None = None  # Format-Table's Width
    alignment: str | None = None

    def resolve(self, item: Any, exclude: Sequence[str] = ()) -> list[tuple[str, Any]]:
        if self.getter is not None:
            return [(self.name, self.getter(item))]
        if self.wildcard:
            if not isinstance(item, Record):
                return []
            rx = wildcard_regex(self.name)
            return [(k, v) for k, v in item.properties.items()
                    if rx.match(k) and not _excluded(k, exclude)]
        if isinstance(item, Record):
            key = item.canonical_name(self.name)
            if key is not None:
                return [(key, item.properties[key])]
            return [(self.name, None)]
        return [(self.name, get_member(item, self.name))]

    def value(self, item: Any) -> Any:
        """The value for sorting/grouping/measuring (a wildcard yields the first match's value)."""
        if self.getter is not None:
            return self.getter(item)
        if self.wildcard:
            pairs = self.resolve(item)
            return pairs[0][1] if pairs else None
        return get_member(item, self.name)


def _excluded(name: str, exclude: Sequence[str]) -> bool:
    return any(wildcard_regex(p).match(name) for p in exclude)


def _block_getter(block: ScriptBlock, variables: Mapping[str, Any]) -> Callable[[Any], Any]:
    run = compile_block(block)
    ctx = Context(None, variables)

    def get(item: Any) -> Any:
        ctx.item = item
        return run(ctx)
    return get


def prop_specs(value: Any, cmdlet: str, variables: Mapping[str, Any] | None = None,
               extra_keys: Sequence[str] = ()) -> list[PropSpec]:
    """Parse a -Property value: strings, script blocks and ``@{Name=…; Expression=…}`` hashtables."""
    variables = variables or {}
    specs: list[PropSpec] = []
    for entry in as_list(plain(value, variables)):
        if isinstance(entry, ScriptBlock):
            specs.append(PropSpec(entry.text.strip(), _block_getter(entry, variables)))
        elif isinstance(entry, dict):
            specs.append(_calculated(entry, cmdlet, variables, extra_keys))
        elif isinstance(entry, str):
            if not entry:
                raise LocalError(f"{cmdlet}: a property name cannot be empty.")
            specs.append(PropSpec(entry, None, _is_wildcard(entry)))
        elif entry is None:
            continue
        else:
            specs.append(PropSpec(str(entry), None, False))
    return specs


def _match_key(key: str, candidates: Sequence[str]) -> str | None:
    """PowerShell accepts any unambiguous prefix of a calculated property's keys (n, na, e, expr …)."""
    low = key.lower()
    found = [c for c in candidates if c.startswith(low)]
    return found[0] if len(found) == 1 else (low if low in candidates else None)


def _calculated(entry: dict[str, Any], cmdlet: str, variables: Mapping[str, Any],
                extra_keys: Sequence[str]) -> PropSpec:
    allowed = [*_NAME_KEYS, *_EXPR_KEYS, *(k.lower() for k in extra_keys)]
    name: str | None = None
    getter: Callable[[Any], Any] | None = None
    spec = PropSpec("")
    for key, raw in entry.items():
        which = _match_key(str(key), allowed)
        if which is None:
            raise LocalError(f'The "{key}" key is not valid in a calculated property of {cmdlet} '
                             f"(use Name/Label and Expression).")
        if which in _NAME_KEYS:
            name = str(raw)
        elif which == "expression":
            if isinstance(raw, ScriptBlock):
                getter = _block_getter(raw, variables)
                name = name or raw.text.strip()
            elif isinstance(raw, str):
                prop = raw
                getter = lambda item, prop=prop: get_member(item, prop)  # noqa: E731
                name = name or prop
            else:
                raise LocalError(f"{cmdlet}: the Expression of a calculated property must be a script block "
                                 f"{{ $_.Prop }} or a property name.")
        elif which == "descending":
            spec.descending = bool(raw)
        elif which == "ascending":
            spec.descending = not bool(raw)
        elif which == "width":
            spec.width = int(raw) if isinstance(raw, int | float | str) and str(raw).isdigit() else None
        elif which == "alignment":
            spec.alignment = str(raw)
    if getter is None:
        raise LocalError(f"{cmdlet}: a calculated property needs an Expression key: "
                         f"@{{Name='Label'; Expression={{$_.Property}}}}.")
    spec.name = name or ""
    spec.getter = getter
    return spec


class Params:
    """A BoundCommand's parameters, looked up case-insensitively, with syntax nodes made plain."""

    def __init__(self, cmdlet: str, parameters: Mapping[str, Any],
                 variables: Mapping[str, Any] | None = None) -> None:
        self.cmdlet = cmdlet
        self.variables: Mapping[str, Any] = variables or {}
        self._values = {k.lower(): v for k, v in parameters.items()}

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def raw(self, name: str) -> Any:
        """The value as bound (ScriptBlocks and nested hashtables untouched)."""
        return self._values.get(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        if name.lower() not in self._values:
            return default
        return plain(self._values[name.lower()], self.variables)

    def flag(self, name: str) -> bool:
        value = self.get(name, False)
        return bool(value) if not isinstance(value, str) else value.lower() not in ("", "false", "0")

    def count(self, name: str) -> int | None:
        """A non-negative Int32 parameter (First, Last, Skip, Top …), or None when not given."""
        if name.lower() not in self._values:
            return None
        value = self.get(name)
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or number < 0:
            raise LocalError(f"Cannot validate argument on parameter '{name}' of {self.cmdlet}: "
                             f"'{value}' is not a whole number of 0 or more.")
        return number

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            raise LocalError(f"{self.cmdlet}: -{name} takes one value, not a list.")
        return str(value)
