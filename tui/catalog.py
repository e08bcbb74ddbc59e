"""The cmdlet catalog: one JSON schema shared by the simulator, the importer, the binder and the completer.

Schema (DESIGN.md)::

    {"cmdlets": [{"name": "Get-Mailbox", "synopsis": "…", "parameter_sets": ["Identity", "AnrSet"],
      "parameters": [{"name": "Identity", "type": "MailboxIdParameter", "switch": false,
        "sets": ["Identity"], "aliases": [], "mandatory_in": [], "position": 1,
        "pipeline": true, "wildcards": false, "valid_values": []}]}]}

A parameter whose ``sets`` is ``["(All)"]`` (or empty) belongs to every parameter set. ``position`` is an
ordering key among positional parameters of a set (``None`` = named only). Pure: no I/O beyond the
explicit ``load``/``save`` helpers, which write atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.files import atomic_write_text

ALL_SETS = "(All)"
SCHEMA_KEYS = ("name", "synopsis", "parameter_sets", "parameters")


class CatalogError(ValueError):
    """A catalog document does not follow the schema; the message names the offending entry."""


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    name: str
    type: str = "Object"
    switch: bool = False
    sets: tuple[str, ...] = (ALL_SETS,)
    aliases: tuple[str, ...] = ()
    mandatory_in: tuple[str, ...] = ()
    position: int | None = None
    pipeline: bool = False
    wildcards: bool = False
    valid_values: tuple[str, ...] = ()

    @property
    def in_all_sets(self) -> bool:
        return not self.sets or ALL_SETS in self.sets

    def in_set(self, set_name: str | None) -> bool:
        return set_name is None or self.in_all_sets or set_name in self.sets

    def is_mandatory(self, set_name: str | None = None) -> bool:
        """Mandatory in ``set_name`` (or, with ``None``, mandatory in every set it belongs to)."""
        if not self.mandatory_in:
            return False
        if ALL_SETS in self.mandatory_in:
            return True
        if set_name is None:
            return not self.in_all_sets and set(self.sets) <= set(self.mandatory_in)
        return set_name in self.mandatory_in

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "switch": self.switch,
            "sets": list(self.sets),
            "aliases": list(self.aliases),
            "mandatory_in": list(self.mandatory_in),
            "position": self.position,
            "pipeline": self.pipeline,
            "wildcards": self.wildcards,
            "valid_values": list(self.valid_values),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "") -> ParameterInfo:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str) or not data["name"]:
            raise CatalogError(f"{where}: a parameter needs a non-empty string 'name'")
        position = data.get("position")
        if position is not None and not isinstance(position, int):
            raise CatalogError(f"{where}.{data['name']}: 'position' must be an integer or null")
        ptype = str(data.get("type") or "Object")
        return cls(
            name=data["name"],
            type=ptype,
            switch=bool(data.get("switch", ptype == "SwitchParameter")),
            sets=_str_tuple(data.get("sets"), f"{where}.{data['name']}.sets") or (ALL_SETS,),
            aliases=_str_tuple(data.get("aliases"), f"{where}.{data['name']}.aliases"),
            mandatory_in=_str_tuple(data.get("mandatory_in"), f"{where}.{data['name']}.mandatory_in"),
            position=position,
            pipeline=bool(data.get("pipeline", False)),
            wildcards=bool(data.get("wildcards", False)),
            valid_values=_str_tuple(data.get("valid_values"), f"{where}.{data['name']}.valid_values"),
        )


@dataclass(frozen=True, slots=True)
class CmdletInfo:
    name: str
    synopsis: str = ""
    parameter_sets: tuple[str, ...] = ()
    parameters: tuple[ParameterInfo, ...] = ()
    _by_lower: dict[str, ParameterInfo] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for p in self.parameters:
            self._by_lower.setdefault(p.name.lower(), p)
        for p in self.parameters:
            for alias in p.aliases:
                self._by_lower.setdefault(alias.lower(), p)

    @property
    def verb(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def noun(self) -> str:
        return self.name.split("-", 1)[1] if "-" in self.name else ""

    def parameter(self, name: str) -> ParameterInfo | None:
        """The parameter called ``name`` or with that alias, case-insensitive (no prefix matching)."""
        return self._by_lower.get(name.lower())

    def parameters_in_set(self, set_name: str | None) -> list[ParameterInfo]:
        return [p for p in self.parameters if p.in_set(set_name)]

    def positional(self, set_name: str | None) -> list[ParameterInfo]:
        """Positional parameters valid in ``set_name``, in position order."""
        found = [p for p in self.parameters_in_set(set_name) if p.position is not None]
        return sorted(found, key=lambda p: p.position if p.position is not None else 0)

    @property
    def default_set(self) -> str | None:
        return self.parameter_sets[0] if self.parameter_sets else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "synopsis": self.synopsis,
            "parameter_sets": list(self.parameter_sets),
            "parameters": [p.to_json() for p in self.parameters],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "cmdlets") -> CmdletInfo:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str) or not data["name"]:
            raise CatalogError(f"{where}: a cmdlet needs a non-empty string 'name'")
        name = data["name"]
        params = data.get("parameters") or []
        if not isinstance(params, list):
            raise CatalogError(f"{name}: 'parameters' must be a list")
        return cls(
            name=name,
            synopsis=str(data.get("synopsis") or ""),
            parameter_sets=tuple(s for s in _str_tuple(data.get("parameter_sets"), f"{name}.parameter_sets")
                                 if s != ALL_SETS),
            parameters=tuple(ParameterInfo.from_json(p, name) for p in params),
        )

    def merged_with(self, detail: CmdletInfo) -> CmdletInfo:
        """This cmdlet with sets, positions, mandatory flags and valid values taken from ``detail``.

        Used when a lazily fetched ``Get-Command`` syntax refines what GetCommandMetadata gave.
        Parameters only known to ``detail`` are added; aliases and types are kept where detail has none.
        """
        mine = {p.name.lower(): p for p in self.parameters}
        merged: list[ParameterInfo] = []
        for d in detail.parameters:
            base = mine.pop(d.name.lower(), None)
            if base is None:
                merged.append(d)
                continue
            merged.append(ParameterInfo(
                name=base.name,
                type=d.type if d.type not in ("", "Object") else base.type,
                switch=base.switch or d.switch,
                sets=d.sets,
                aliases=base.aliases or d.aliases,
                mandatory_in=d.mandatory_in,
                position=d.position,
                pipeline=d.pipeline or base.pipeline,
                wildcards=d.wildcards or base.wildcards,
                valid_values=d.valid_values or base.valid_values,
            ))
        merged.extend(mine.values())
        return CmdletInfo(
            name=self.name,
            synopsis=detail.synopsis or self.synopsis,
            parameter_sets=detail.parameter_sets or self.parameter_sets,
            parameters=tuple(merged),
        )


class Catalog:
    """An immutable-by-convention collection of cmdlets with case-insensitive lookups.

    ``with_cmdlet`` returns a new catalog, so a completer can swap in a refined catalog whole.
    """

    __slots__ = ("_by_lower", "_cmdlets")

    def __init__(self, cmdlets: Iterable[CmdletInfo] = ()) -> None:
        self._by_lower: dict[str, CmdletInfo] = {}
        for c in cmdlets:
            self._by_lower[c.name.lower()] = c
        self._cmdlets = sorted(self._by_lower.values(), key=lambda c: c.name.lower())

    def __len__(self) -> int:
        return len(self._cmdlets)

    def __iter__(self) -> Iterator[CmdletInfo]:
        return iter(self._cmdlets)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalog) and self._cmdlets == other._cmdlets

    def __repr__(self) -> str:
        return f"Catalog({len(self)} cmdlets)"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self._cmdlets]

    def get(self, name: str) -> CmdletInfo | None:
        return self._by_lower.get(name.lower())

    def __getitem__(self, name: str) -> CmdletInfo:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def by_verb(self, verb: str) -> list[CmdletInfo]:
        v = verb.lower()
        return [c for c in self._cmdlets if c.verb.lower() == v]

    def by_noun(self, noun: str) -> list[CmdletInfo]:
        n = noun.lower()
        return [c for c in self._cmdlets if c.noun.lower() == n]

    def parameters_of(self, name: str) -> tuple[ParameterInfo, ...]:
        return self[name].parameters

    def with_cmdlet(self, cmdlet: CmdletInfo) -> Catalog:
        """A new catalog with ``cmdlet`` added or replaced."""
        return Catalog([*(c for c in self._cmdlets if c.name.lower() != cmdlet.name.lower()), cmdlet])

    # -- JSON ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"cmdlets": [c.to_json() for c in self._cmdlets]}

    @classmethod
    def from_json(cls, data: Any) -> Catalog:
        if not isinstance(data, Mapping) or not isinstance(data.get("cmdlets"), list):
            raise CatalogError("a catalog is a JSON object with a 'cmdlets' list")
        return cls(CmdletInfo.from_json(c, f"cmdlets[{i}]") for i, c in enumerate(data["cmdlets"]))

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Catalog:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            # json's decoder recurses per nesting level: a damaged (or hostile) file can exhaust the stack.
            raise CatalogError("not a catalog: the JSON nests too deeply") from None
        return cls.from_json(data)


def load(path: str | os.PathLike[str]) -> Catalog:
    """Read a catalog file; raises CatalogError (or OSError) with a message that names the file."""
    p = Path(path)
    try:
        return Catalog.loads(p.read_text(encoding="utf-8"))
    except CatalogError as exc:
        raise CatalogError(f"{p}: {exc}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{p}: not UTF-8 text") from None


def save(catalog: Catalog, path: str | os.PathLike[str]) -> None:
    """Write ``catalog`` to ``path`` atomically (temp file in the same folder, then rename)."""
    atomic_write_text(Path(path), catalog.dumps())


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: must be a list of strings")
    return tuple(value)
