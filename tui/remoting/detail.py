"""Parameter detail for one cmdlet from its ``Get-Command`` output (the lazy half of the import).

GetCommandMetadata gives names, types, aliases and switches; ``Get-Command -Name X`` gives the syntax
lines (one per parameter set) from which sets, positions, mandatory flags and valid values are read
(``syntax_parse``), then merged with ``CmdletInfo.merged_with``. Pipeline input is read from each set's
``Parameters`` (CommandParameterSetInfo) when present.
"""

from __future__ import annotations

from dataclasses import replace

from tui.catalog import CmdletInfo
from tui.remoting.syntax_parse import cmdlet_from_syntax, definition_lines
from tui.shell.records import Record


def detail_from_records(base: CmdletInfo, records: list[Record]) -> CmdletInfo | None:
    """Parse ``Get-Command`` output: ParameterSets (Name + ToString syntax) or Definition lines."""
    for rec in records:
        name = str(rec.get("Name") or base.name)
        if name.lower() != base.name.lower():
            continue
        default = rec.get("DefaultParameterSet")
        sets: list[tuple[str, str]] = []
        raw_sets = rec.get("ParameterSets")
        pipeline: set[str] | None = None      # None: the service did not say (syntax lines only)
        if isinstance(raw_sets, list):
            for i, s in enumerate(raw_sets):
                if isinstance(s, Record):
                    taking = pipeline_parameters(s.get("Parameters"))
                    if taking is not None:
                        pipeline = (pipeline or set()) | taking
                    set_name = str(s.get("Name") or f"Set{i + 1}")
                    syntax = s.text or ""
                    if s.get("IsDefault") is True and not default:
                        default = set_name
                else:
                    set_name, syntax = f"Set{i + 1}", str(s)
                if syntax and not syntax.lower().startswith(base.name.lower()):
                    syntax = f"{base.name} {syntax}"
                if syntax:
                    sets.append((set_name, syntax))
        if not sets:
            definition = rec.get("Definition")
            if isinstance(definition, str):
                lines = definition_lines(definition, base.name)
                names = list(base.parameter_sets)
                sets = [(names[i] if i < len(names) and len(names) == len(lines) else f"Set{i + 1}", ln)
                        for i, ln in enumerate(lines)]
        if sets:
            synopsis = rec.get("Synopsis") or rec.get("Description") or ""
            detail = cmdlet_from_syntax(base.name, sets, str(default) if default else None, str(synopsis))
            return _refine(base, detail, pipeline)
    return None


def pipeline_parameters(raw: object) -> set[str] | None:
    """Lower-case names of a parameter set's parameters that take pipeline input (by value or by
    property name), from CommandParameterSetInfo.Parameters; None when that list is absent."""
    if not isinstance(raw, list):
        return None
    found: set[str] = set()
    readable = False
    for p in raw:
        # Beyond the serialization depth the service sends each parameter as a bare string: unreadable.
        if not isinstance(p, Record) or not isinstance(p.get("Name"), str) or "ValueFromPipeline" not in p:
            continue
        readable = True
        if p.get("ValueFromPipeline") is True or p.get("ValueFromPipelineByPropertyName") is True:
            found.add(str(p.get("Name")).lower())
    return found if readable else None


def has_detail(c: CmdletInfo) -> bool:
    """Whether a cached cmdlet already carries Get-Command detail (GetCommandMetadata gives none of this)."""
    return bool(c.parameter_sets) or any(p.position is not None or p.mandatory_in or p.valid_values
                                         for p in c.parameters)


def _refine(base: CmdletInfo, detail: CmdletInfo, pipeline: set[str] | None = None) -> CmdletInfo:
    """Keep GetCommandMetadata's full .NET types over the syntax line's abbreviations ("string", "bool").

    Pipeline input comes from the parameter sets' ValueFromPipeline flags when the service sent them
    (``pipeline``); syntax lines alone cannot show it, so then Identity is assumed to take it, as every
    Exchange cmdlet's Identity does."""
    params = []
    for p in detail.parameters:
        known = base.parameter(p.name)
        ptype = "Object" if known is not None and not p.switch else p.type
        takes = p.name.lower() in pipeline if pipeline is not None else p.pipeline or p.name.lower() == "identity"
        params.append(replace(p, type=ptype, pipeline=takes))
    return CmdletInfo(name=detail.name, synopsis=detail.synopsis, parameter_sets=detail.parameter_sets,
                      parameters=tuple(params))
