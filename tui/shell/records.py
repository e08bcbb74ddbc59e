"""``Record``: the one object model for results downstream of the session layer.

pypsrp's deserialized objects are wrapped once into a Record (ordered properties + type names +
the service's ToString); local cmdlets, formatting, the UI and the CLI all speak Record.
Property lookup is case-insensitive, as in PowerShell.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Record(Mapping[str, Any]):
    """Ordered properties with case-insensitive access; values are scalars, lists or Records."""

    __slots__ = ("_lower", "properties", "text", "type_names")

    def __init__(self, properties: Mapping[str, Any] | None = None,
                 type_names: tuple[str, ...] | list[str] = (), text: str | None = None) -> None:
        self.properties: dict[str, Any] = dict(properties or {})
        self.type_names: tuple[str, ...] = tuple(type_names)
        self.text = text
        self._lower: dict[str, str] | None = None

    def _key(self, name: str) -> str | None:
        if name in self.properties:
            return name
        if self._lower is None or len(self._lower) != len(self.properties):
            self._lower = {k.lower(): k for k in self.properties}
        return self._lower.get(name.lower())

    def __getitem__(self, name: str) -> Any:
        key = self._key(name)
        if key is None:
            raise KeyError(name)
        return self.properties[key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.properties)

    def __len__(self) -> int:
        return len(self.properties)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self.properties == other.properties and self.type_names == other.type_names

    def __hash__(self) -> int:  # Records are compared by value but used as dict keys rarely
        return id(self)

    def __repr__(self) -> str:
        return f"Record({self.properties!r}, type_names={self.type_names!r})"

    def canonical_name(self, name: str) -> str | None:
        """The property's name as the object spells it, or None."""
        return self._key(name)

    @property
    def type_name(self) -> str:
        """The most derived type name ('' when the object has none)."""
        return self.type_names[0] if self.type_names else ""

    def __str__(self) -> str:
        if self.text is not None:
            return self.text
        for key in ("Identity", "Name", "DisplayName"):
            if key in self:
                return str(self[key])
        return self.type_name or "{}"
