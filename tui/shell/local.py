"""Local cmdlets over a stream of Records: the part of a pipeline that runs on the engineer's machine.

``run_local(commands, records)`` chains one generator per BoundCommand, so objects flow through as they
arrive and ``Select-Object -First 5`` stops pulling from ``records`` once it has five (the caller can then
stop the remote pipeline). It is pure: Export-Csv and Out-File yield a ``FileOutput`` that the caller
writes (atomically), ConvertTo-* yield ``TextOutput``, Format-* yield a ``FormatHint`` before the objects.

Parameter mistakes (bad script block, missing -Path, a command after Format-Table) raise ``LocalError``
when ``run_local`` is called, before any record is pulled; data problems raise it while iterating.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from tui.shell.bound import BoundCommand
from tui.shell.dotnet_methods import NO_METHOD, call_method
from tui.shell.expressions import Context
from tui.shell.formatting import FormatHint, format_value
from tui.shell.local_aggregate import group_object, measure_object, sort_object
from tui.shell.local_catalog import LOCAL_ALIASES, LOCAL_CATALOG, WHERE_OPERATOR_SWITCHES
from tui.shell.local_output import (
    FileOutput,
    TextOutput,
    convertto_csv,
    convertto_json,
    export_csv,
    format_list,
    format_table,
    out_file,
)
from tui.shell.local_props import LocalError, Params, PropSpec, as_list, compile_block, prop_specs
from tui.shell.operators import (
    OperatorError,
    comparison,
    get_member,
    group_key,
    split_operator,
    truthy,
    wildcard_regex,
)
from tui.shell.records import Record
from tui.shell.syntax import ScriptBlock

__all__ = [
    "LOCAL_CATALOG",
    "FileOutput",
    "FormatHint",
    "LocalError",
    "LocalOutput",
    "TextOutput",
    "run_local",
]

LocalOutput = Record | FormatHint | FileOutput | TextOutput
Stage = Callable[[Iterator[Any]], Iterator[Any]]
PSCUSTOMOBJECT = "System.Management.Automation.PSCustomObject"


@dataclass(frozen=True, slots=True)
class _Env:
    variables: Mapping[str, Any]


# -- Select-Object ---------------------------------------------------------------------------------


def _selected_type_names(item: Any) -> tuple[str, ...]:
    base = item.type_names[0] if isinstance(item, Record) and item.type_names else PSCUSTOMOBJECT
    base = base.removeprefix("Deserialized.")
    if base.startswith("Selected."):
        base = base.removeprefix("Selected.")
    return (f"Selected.{base}", PSCUSTOMOBJECT, "System.Object")


def _project(item: Any, specs: Sequence[PropSpec], exclude: Sequence[str]) -> Record:
    props: dict[str, Any] = {}
    for spec in specs:
        for name, value in spec.resolve(item, exclude):
            if name not in props and not (exclude and not spec.wildcard and spec.getter is None
                                          and _matches_any(name, exclude)):
                props[name] = value
    return Record(props, _selected_type_names(item))


def _matches_any(name: str, patterns: Sequence[str]) -> bool:
    return any(wildcard_regex(p).match(name) for p in patterns)


def _unique_key(item: Any) -> Any:
    if isinstance(item, Record):
        return tuple((k.lower(), group_key(v, True)) for k, v in item.properties.items())
    return group_key(item, True)


def select_object(cmd: BoundCommand, env: _Env) -> Stage:
    p = Params("Select-Object", cmd.parameters, env.variables)
    specs = prop_specs(p.raw("Property"), "Select-Object", env.variables)
    exclude = [str(x) for x in as_list(p.get("ExcludeProperty"))]
    expand = p.text("ExpandProperty")
    first, last, skip, skip_last = p.count("First"), p.count("Last"), p.count("Skip") or 0, p.count("SkipLast")
    index = as_list(p.get("Index"))
    unique = p.flag("Unique")
    if exclude and not specs:
        specs = prop_specs("*", "Select-Object")
    try:
        indexes = sorted({int(i) for i in index})
    except (TypeError, ValueError):
        raise LocalError("Select-Object -Index takes whole numbers, e.g. -Index 0,2,5.") from None

    def project(item: Any) -> Iterator[Any]:
        if expand is not None:
            if isinstance(item, Record) and expand not in item:
                raise LocalError(f'Select-Object: Property "{expand}" cannot be found on {item}.')
            value = item[expand] if isinstance(item, Record) else _scalar_member(item, expand)
            for v in as_list(value):
                if specs and isinstance(v, Record):
                    extra = _project(item, specs, exclude)
                    yield Record({**v.properties, **extra.properties}, v.type_names, v.text)
                else:
                    yield v
        elif specs:
            yield _project(item, specs, exclude)
        else:
            yield item

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        source: Iterable[Any] = stream
        if indexes:
            source = _pick(stream, indexes)
        elif first is not None and last is not None:
            source = _first_and_last(islice(stream, skip, None), first, last)
        elif first is not None:
            source = islice(stream, skip, skip + first)  # stops pulling once it has `first`
        elif last is not None:  # with -Last, -Skip counts from the end (PowerShell's documented rule)
            source = deque(_drop_last(stream, skip) if skip else stream, maxlen=last) if last else iter(())
        elif skip or skip_last:
            source = islice(stream, skip, None)
            if skip_last:
                source = _drop_last(source, skip_last)
        seen: set[Any] = set()
        for item in source:
            for out in project(item):
                if unique:
                    key = _unique_key(out)
                    if key in seen:
                        continue
                    seen.add(key)
                yield out

    return run


def _scalar_member(item: Any, name: str) -> Any:
    value = get_member(item, name)
    if value is None:
        raise LocalError(f'Select-Object: Property "{name}" cannot be found on {format_value(item)!r}.')
    return value


def _pick(stream: Iterator[Any], indexes: list[int]) -> Iterator[Any]:
    wanted = set(indexes)
    top = max(indexes)
    for i, item in enumerate(stream):
        if i in wanted:
            yield item
        if i >= top:
            return


def _first_and_last(stream: Iterator[Any], first: int, last: int) -> Iterator[Any]:
    yield from islice(stream, first)
    if last:
        yield from deque(stream, maxlen=last)


def _drop_last(stream: Iterable[Any], n: int) -> Iterator[Any]:
    buffer: deque[Any] = deque()
    for item in stream:
        buffer.append(item)
        if len(buffer) > n:
            yield buffer.popleft()


# -- Where-Object ----------------------------------------------------------------------------------


def where_object(cmd: BoundCommand, env: _Env) -> Stage:
    p = Params("Where-Object", cmd.parameters, env.variables)
    script = p.raw("FilterScript")
    if script is not None:
        if isinstance(script, str):
            script = ScriptBlock(script, 0)
        if not isinstance(script, ScriptBlock):
            raise LocalError("Where-Object -FilterScript takes a script block: Where-Object { $_.Name -like 'a*' }.")
        test = compile_block(script)
        ctx = Context(None, env.variables)

        def run_script(stream: Iterator[Any]) -> Iterator[Any]:
            for item in stream:
                ctx.item = item
                if truthy(test(ctx)):
                    yield item
        return run_script

    prop = p.text("Property")
    if not prop:
        raise LocalError("Where-Object needs a filter: Where-Object { $_.Name -like 'a*' } "
                         "or Where-Object Name -Like 'a*'.")
    given = [s for s in WHERE_OPERATOR_SWITCHES if p.flag(s)]
    if len(given) > 1:
        raise LocalError("Where-Object takes one comparison operator; use a script block to combine "
                         "conditions: Where-Object { $_.A -eq 1 -and $_.B -eq 2 }.")
    negate = p.flag("Not")
    has_value = "Value" in p
    value = p.get("Value")
    spec = PropSpec(prop, None, any(c in prop for c in "*?["))

    if not given:
        if negate:
            return lambda stream: (x for x in stream if not truthy(spec.value(x)))
        if not has_value:
            return lambda stream: (x for x in stream if truthy(spec.value(x)))
        op, case_sensitive = "eq", False
    else:
        op, case_sensitive = split_operator(given[0])
        if not has_value:
            raise LocalError(f"Where-Object -{given[0]} needs a value: Where-Object {prop} -{given[0]} <value>.")

    fn = comparison(op)

    def run_compare(stream: Iterator[Any]) -> Iterator[Any]:
        for item in stream:
            try:
                hit = fn(spec.value(item), value, case_sensitive)
            except OperatorError as exc:
                raise LocalError(f"Where-Object: {exc}") from None
            if truthy(hit):
                yield item
    return run_compare


# -- ForEach-Object --------------------------------------------------------------------------------


def _emit(value: Any) -> Iterator[Any]:
    """What a script block's value writes to the pipeline: collections enumerated, $null nothing."""
    if value is None:
        return
    if isinstance(value, list | tuple):
        yield from (v for v in value if v is not None)
    else:
        yield value


def foreach_object(cmd: BoundCommand, env: _Env) -> Stage:
    """``ForEach-Object { expression }`` and ``ForEach-Object Name``: expressions only, no commands
    (the service runs in no-language mode, so a block cannot call Set-Mailbox here)."""
    p = Params("ForEach-Object", cmd.parameters, env.variables)
    blocks = as_list(p.raw("Process"))
    member = p.text("MemberName")
    if member is None and len(blocks) == 1 and isinstance(blocks[0], str):
        member, blocks = blocks[0], []
    if any(not isinstance(b, ScriptBlock) for b in blocks):
        raise LocalError("ForEach-Object takes a script block { $_.Name } or a property name.")
    begin_block, end_block = p.raw("Begin"), p.raw("End")
    if len(blocks) >= 2:  # PowerShell's rule for positional blocks: begin, process[, end]
        begin_block = begin_block or blocks[0]
        end_block = end_block or (blocks[-1] if len(blocks) >= 3 else None)
        blocks = blocks[1:-1] if len(blocks) >= 3 else blocks[1:]
    run_blocks = [compile_block(b) for b in blocks]
    begin = compile_block(begin_block) if isinstance(begin_block, ScriptBlock) else None
    end = compile_block(end_block) if isinstance(end_block, ScriptBlock) else None
    arguments = as_list(p.get("ArgumentList"))
    ctx = Context(None, env.variables)

    def by_member(item: Any) -> Iterator[Any]:
        assert member is not None
        value = get_member(item, member)
        if value is None and not (isinstance(item, Record) and member in item):
            result = call_method(item, member.lower(), arguments) if item is not None else NO_METHOD
            if result is NO_METHOD:
                return
            value = result
        yield from _emit(value)

    def run(stream: Iterator[Any]) -> Iterator[Any]:
        if begin is not None:
            yield from _emit(begin(ctx))
        for item in stream:
            if member is not None:
                yield from by_member(item)
                continue
            ctx.item = item
            for block in run_blocks:
                yield from _emit(block(ctx))
        if end is not None:
            ctx.item = None
            yield from _emit(end(ctx))

    return run


# -- the pipeline ----------------------------------------------------------------------------------

_BUILDERS: dict[str, Callable[[BoundCommand, _Env], Stage]] = {
    "select-object": select_object,
    "where-object": where_object,
    "sort-object": lambda c, e: sort_object(c, e.variables),
    "group-object": lambda c, e: group_object(c, e.variables),
    "measure-object": lambda c, e: measure_object(c, e.variables),
    "format-table": lambda c, e: format_table(c, e.variables),
    "format-list": lambda c, e: format_list(c, e.variables),
    "export-csv": lambda c, e: export_csv(c, e.variables),
    "convertto-json": lambda c, e: convertto_json(c, e.variables),
    "convertto-csv": lambda c, e: convertto_csv(c, e.variables),
    "out-file": lambda c, e: out_file(c, e.variables),
    "foreach-object": foreach_object,
}
_TERMINAL = ("export-csv", "out-file")
_FORMATTERS = ("format-table", "format-list")


def _canonical(name: str) -> str:
    low = name.lower()
    return LOCAL_ALIASES.get(low, name).lower()


def _check_order(names: Sequence[str], commands: Sequence[BoundCommand]) -> None:
    for i, name in enumerate(names):
        nxt = names[i + 1] if i + 1 < len(names) else None
        if nxt is None:
            continue
        shown = commands[i].name
        if name in _TERMINAL:
            raise LocalError(f"{shown} writes a file and passes nothing on; put it last in the pipeline.",
                             commands[i + 1].column)
        if name in _FORMATTERS and nxt != "out-file":
            raise LocalError(f"{shown} produces display formatting, not objects; only Out-File may follow "
                             f"it. Use Select-Object to choose properties before {commands[i + 1].name}.",
                             commands[i + 1].column)


def _wrap(item: Any) -> LocalOutput:
    if isinstance(item, Record | FormatHint | FileOutput | TextOutput):
        return item
    if isinstance(item, str):
        return TextOutput(item, item)
    if isinstance(item, dict):
        return Record(item)
    return TextOutput(format_value(item), item)


def run_local(commands: Sequence[BoundCommand], records: Iterable[Any],
              variables: Mapping[str, Any] | None = None) -> Iterator[LocalOutput]:
    """Run the local suffix of a pipeline over ``records`` lazily.

    Scalars that reach the end (``Select-Object -ExpandProperty``) come out as ``TextOutput`` carrying
    the original value in ``.value``; mappings as Records.
    """
    env = _Env(variables or {})
    names = [_canonical(c.name) for c in commands]
    for cmd, name in zip(commands, names, strict=True):
        if name not in _BUILDERS:
            raise LocalError(f"'{cmd.name}' is not a local cmdlet; local cmdlets are "
                             f"{', '.join(LOCAL_CATALOG.names)}.", cmd.column)
    _check_order(names, commands)
    stages: list[tuple[Stage, list[Any] | None]] = []
    for cmd, name in zip(commands, names, strict=True):
        p = Params(cmd.name, cmd.parameters, env.variables)
        # -InputObject replaces the pipeline input of that command, as in PowerShell.
        given = as_list(p.get("InputObject")) if p.get("InputObject") is not None else None
        try:
            stages.append((_BUILDERS[name](cmd, env), given))
        except LocalError as exc:
            if not exc.column:
                exc.column = cmd.column
            raise
    stream: Iterator[Any] = iter(records)
    for stage, given in stages:
        stream = stage(iter(given) if given is not None else stream)
    return (_wrap(item) for item in stream)
