"""Sort-Object, Group-Object and Measure-Object: the local cmdlets that need the whole stream."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from tui.shell.bound import BoundCommand
from tui.shell.formatting import format_value
from tui.shell.local_props import LocalError, Params, PropSpec, prop_specs
from tui.shell.operators import group_key, is_number, sort_key, to_number, to_text
from tui.shell.records import Record
from tui.shell.sizes import ByteSize, is_exchange_size, parse_size

Stage = Callable[[Iterator[Any]], Iterator[Any]]


def _item_value(item: Any) -> Any:
    """What an object sorts or groups by when no property is named: a Record's ToString, a scalar itself."""
    return str(item) if isinstance(item, Record) else item


# -- Sort-Object -----------------------------------------------------------------------------------


def sort_object(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("Sort-Object", cmd.parameters, variables)
    specs = prop_specs(p.raw("Property"), "Sort-Object", variables, extra_keys=("Ascending", "Descending"))
    descending = p.flag("Descending")
    unique = p.flag("Unique")
    case_sensitive = p.flag("CaseSensitive")
    top, bottom = p.count("Top"), p.count("Bottom")

    def keys_of(item: Any) -> tuple[Any, ...]:
        if not specs:
            return (sort_key(_item_value(item), case_sensitive),)
        return tuple(sort_key(s.value(item), case_sensitive) for s in specs)

    directions = [descending if s.descending is None else s.descending for s in specs] or [descending]

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        rows = [(keys_of(item), item) for item in stream]
        if len(set(directions)) == 1:
            rows.sort(key=lambda r: r[0], reverse=directions[0])
        else:  # per-key directions: stable sorts from the last key to the first
            for i in range(len(directions) - 1, -1, -1):
                rows.sort(key=_nth_key(i), reverse=directions[i])
        if unique:
            kept: list[tuple[tuple[Any, ...], Any]] = []
            for row in rows:
                if not kept or kept[-1][0] != row[0]:
                    kept.append(row)
            rows = kept
        if top is not None:
            rows = rows[:top]
        elif bottom is not None:
            rows = rows[len(rows) - bottom:] if bottom else []
        for _, item in rows:
            yield item

    return run


def _nth_key(i: int) -> Callable[[tuple[tuple[Any, ...], Any]], Any]:
    return lambda row: row[0][i]


# -- Group-Object ----------------------------------------------------------------------------------


def group_object(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("Group-Object", cmd.parameters, variables)
    specs = prop_specs(p.raw("Property"), "Group-Object", variables)
    no_element = p.flag("NoElement")
    as_hash = p.flag("AsHashTable")
    as_string = p.flag("AsString")
    case_sensitive = p.flag("CaseSensitive")

    def values_of(item: Any) -> list[Any]:
        if not specs:
            return [_item_value(item)]
        return [s.value(item) for s in specs]

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        groups: dict[Any, tuple[list[Any], list[Any]]] = {}
        for item in stream:
            values = values_of(item)
            key = tuple(group_key(v, case_sensitive) for v in values)
            found = groups.get(key)
            if found is None:
                groups[key] = (values, [item])
            else:
                found[1].append(item)
        if as_hash:
            table: dict[str, Any] = {}
            for values, members in groups.values():
                name = _group_name(values) if (as_string or len(values) != 1) else values[0]
                table[to_text(name) if not isinstance(name, str) else name] = members
            yield Record(table, ("System.Collections.Hashtable", "System.Object"))
            return
        # PowerShell 6.1+ emits the groups sorted by their values (Windows PowerShell: first seen).
        ordered = sorted(groups.values(), key=lambda g: tuple(sort_key(v, case_sensitive) for v in g[0]))
        for values, members in ordered:
            name = _group_name(values)
            if no_element:
                yield Record({"Count": len(members), "Name": name, "Values": values},
                             ("Microsoft.PowerShell.Commands.GroupInfoNoElement",
                              "Microsoft.PowerShell.Commands.GroupInfo", "System.Object"), name)
            else:
                yield Record({"Count": len(members), "Name": name, "Values": values, "Group": members},
                             ("Microsoft.PowerShell.Commands.GroupInfo", "System.Object"), name)

    return run


def _group_name(values: list[Any]) -> str:
    return ", ".join(format_value(v) for v in values)


# -- Measure-Object --------------------------------------------------------------------------------

_GENERIC = ("Sum", "Average", "Maximum", "Minimum", "StandardDeviation")
_TEXT = ("Line", "Word", "Character")


def _measurable(value: Any) -> Any:
    """Sizes measure as bytes, numeric text as numbers; dates and other text stay (for -Min/-Max)."""
    if isinstance(value, ByteSize):
        return value.as_number()
    if isinstance(value, str):
        if is_exchange_size(value):
            size = parse_size(value)
            if size is not None:
                return size.as_number()
        number = to_number(value)
        return number if number is not None else value
    return value


def measure_object(cmd: BoundCommand, variables: Mapping[str, Any]) -> Stage:
    p = Params("Measure-Object", cmd.parameters, variables)
    specs = prop_specs(p.raw("Property"), "Measure-Object", variables)
    all_stats = p.flag("AllStats")
    wanted = {s for s in _GENERIC if all_stats or p.flag(s)}
    text_wanted = {s for s in _TEXT if p.flag(s)}
    ignore_ws = p.flag("IgnoreWhiteSpace")

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        items = list(stream)
        if text_wanted:
            yield from _text_measures(items, specs, text_wanted, ignore_ws)
            return
        if not specs:
            values = [_measurable(x) for x in items if x is not None]
            yield _generic(values, None, wanted, len(items))
            return
        for spec in _expanded(specs, items):
            values = [_measurable(v) for v in (spec.value(x) for x in items) if v is not None]
            if not values and spec.getter is None and not any(isinstance(x, Record) and spec.name in x
                                                              for x in items):
                raise LocalError(f'Measure-Object: The property "{spec.name}" cannot be found in the input '
                                 f"for any objects.")
            yield _generic(values, spec.name, wanted, len(values))

    return run


def _expanded(specs: list[PropSpec], items: list[Any]) -> list[PropSpec]:
    """Wildcards become one spec per matching property name of the first object that has any."""
    out: list[PropSpec] = []
    for spec in specs:
        if not spec.wildcard:
            out.append(spec)
            continue
        names = next((n for n in ([name for name, _ in spec.resolve(x)] for x in items) if n), [])
        out.extend(PropSpec(name) for name in names)
    return out


def _generic(values: list[Any], prop: str | None, wanted: set[str], count: int) -> Record:
    result: dict[str, Any] = {"Count": count, "Average": None, "Sum": None, "Maximum": None,
                              "Minimum": None, "StandardDeviation": None, "Property": prop}
    numeric = wanted & {"Sum", "Average", "StandardDeviation"}
    if numeric:
        bad = next((v for v in values if not is_number(v)), None)
        if bad is not None:
            raise LocalError(f'Measure-Object: Input object "{format_value(bad)}" is not numeric'
                             f"{f' (property {prop})' if prop else ''}; -Sum, -Average and "
                             f"-StandardDeviation need numbers or sizes.")
        total = math.fsum(float(v) for v in values) if any(isinstance(v, float) for v in values) \
            else sum(values)
        if "Sum" in wanted:
            result["Sum"] = total
        if "Average" in wanted and values:
            result["Average"] = total / len(values)
        if "StandardDeviation" in wanted and len(values) > 1:
            mean = total / len(values)
            result["StandardDeviation"] = math.sqrt(sum((float(v) - mean) ** 2 for v in values)
                                                    / (len(values) - 1))
    if wanted & {"Maximum", "Minimum"} and values:
        if all(is_number(v) for v in values) or all(isinstance(v, datetime) for v in values):
            ordered = values
        else:
            ordered = [to_text(v) for v in values]
        if "Maximum" in wanted:
            result["Maximum"] = max(ordered, key=lambda v: sort_key(v))
        if "Minimum" in wanted:
            result["Minimum"] = min(ordered, key=lambda v: sort_key(v))
    return Record(result, ("Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Object"))


def _text_measures(items: list[Any], specs: list[PropSpec], wanted: set[str],
                   ignore_ws: bool) -> Iterator[Record]:
    targets: list[tuple[str | None, list[str]]]
    if specs:
        targets = [(s.name, [to_text(s.value(x)) for x in items]) for s in _expanded(specs, items)]
    else:
        targets = [(None, [to_text(x) for x in items])]
    for prop, texts in targets:
        lines = sum(len([ln for ln in t.splitlines() if ln.strip()]) for t in texts)
        words = sum(len(t.split()) for t in texts)
        chars = sum(len("".join(t.split())) if ignore_ws else len(t) for t in texts)
        yield Record({"Lines": lines if "Line" in wanted else None,
                      "Words": words if "Word" in wanted else None,
                      "Characters": chars if "Character" in wanted else None,
                      "Property": prop},
                     ("Microsoft.PowerShell.Commands.TextMeasureInfo", "System.Object"))
