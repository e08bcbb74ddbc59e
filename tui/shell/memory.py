"""What one console has seen, for completion: commands used, result properties, identities, variables.

Pure (no Textual). The console feeds it each line it runs and the records that come back, and hands
``data()`` (a ``tui.shell.completion.CompletionData``) to the completer: `Get-Mailbox | Select-Object `
then offers the properties Get-Mailbox's objects had, `-Identity ` the names seen in results.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any

from tui.shell.completion import CompletionData
from tui.shell.records import Record
from tui.shell.safe_text import has_control

MAX_IDENTITIES = 2000
IDENTITY_PROPERTIES = ("Identity", "Name", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "DisplayName")
# Local cmdlets that pass objects through unchanged: the objects still have the remote command's shape.
SHAPE_KEEPING = frozenset({"where-object", "sort-object", "format-table", "format-list", "where", "sort",
                           "ft", "fl", "?"})
# …and local cmdlets that make new objects: their output says nothing about a remote command's objects.
SHAPE_CHANGING = frozenset({"select-object", "select", "group-object", "group", "measure-object", "measure"})
_COMMAND = re.compile(r"^\s*(?:\$\w+\s*=\s*)?([A-Za-z]+-[A-Za-z0-9]+|[A-Za-z?%]+)")


def commands_of(line: str) -> list[str]:
    """The command names of a line's pipelines (a cheap scan; quoted pipes are rare in practice)."""
    names: list[str] = []
    for statement in line.split(";"):
        for segment in statement.split("|"):
            m = _COMMAND.match(segment)
            if m:
                names.append(m.group(1))
    return names


def shape_source(line: str) -> str | None:
    """The command whose objects a line's output has (the last one that is not shape-keeping)."""
    pipeline = line.split(";")[-1]
    names = [m.group(1) for seg in pipeline.split("|") if (m := _COMMAND.match(seg))]
    while names and names[-1].lower() in SHAPE_KEEPING:
        names.pop()
    return names[-1] if names else None


class CompletionMemory:
    def __init__(self, history: Iterable[str] = ()) -> None:
        self.counts: Counter[str] = Counter()
        self.properties: dict[str, list[str]] = {}
        self.identities: OrderedDict[str, None] = OrderedDict()
        self.variables: set[str] = {"last"}
        self._data: CompletionData | None = None
        for line in history:
            self.count_line(line)

    def count_line(self, line: str) -> None:
        for name in commands_of(line):
            self.counts[name] += 1
        self._data = None

    def saw_result(self, line: str, first: Any, records: Iterable[Any], assigned_to: str | None) -> None:
        """Remember the shape of a result (from its first record) and the identities in it."""
        if isinstance(first, Record) and first.properties:
            props = list(first.properties)
            source = shape_source(line)
            if source is not None and source.lower() not in SHAPE_CHANGING:
                self.properties[source] = props
            self.properties["$last"] = props
            if assigned_to:
                self.properties[f"${assigned_to}"] = props
        if assigned_to:
            self.variables.add(assigned_to)
        for n, rec in enumerate(records):
            if n >= MAX_IDENTITIES:
                break
            if not isinstance(rec, Record):
                continue
            for key in IDENTITY_PROPERTIES:
                value = rec.get(key)
                # A value with control characters is never offered: typed back it would not be the
                # same value, and raw it would drive the terminal (README "Hostile data").
                if isinstance(value, str) and value and len(value) < 200 and not has_control(value):
                    self.identities[value] = None
                    self.identities.move_to_end(value)
        while len(self.identities) > MAX_IDENTITIES:
            self.identities.popitem(last=False)
        self._data = None

    def data(self) -> CompletionData:
        if self._data is None:
            self._data = CompletionData(history_counts=dict(self.counts), properties=dict(self.properties),
                                        identities=list(reversed(self.identities)),
                                        variables=sorted(self.variables))
        return self._data
