"""Parameter detail from ``Get-Command`` syntax lines (what GetCommandMetadata does not carry).

A syntax line is what ``CommandParameterSetInfo.ToString()`` (and each line of ``Definition``) reads::

    Set-Mailbox [-Identity] <MailboxIdParameter> [-Type {Regular | Room | Shared}] [-Force] [<CommonParameters>]

``[-Name] <T>`` is mandatory and positional, ``[[-Name] <T>]`` optional and positional, ``-Name <T>``
mandatory and named, ``[-Name <T>]`` optional and named, ``[-Name]`` an optional switch; ``{A | B}``
lists the valid values. Positions are 1-based in order of appearance, as in the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.catalog import ALL_SETS, CmdletInfo, ParameterInfo

COMMON_PARAMETERS = "<CommonParameters>"
ALL_PARAMETER_SETS = "__AllParameterSets"


@dataclass(frozen=True, slots=True)
class SyntaxParameter:
    name: str
    type: str            # "" for a switch
    mandatory: bool
    positional: bool
    valid_values: tuple[str, ...] = ()

    @property
    def switch(self) -> bool:
        return not self.type


def tokenize(line: str) -> list[str]:
    """``[``, ``]``, ``-Name``, ``<Type>``, ``{A | B}`` and bare words."""
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif c in "[]":
            tokens.append(c)
            i += 1
        elif c in "<{":
            close = ">" if c == "<" else "}"
            depth, j = 0, i
            while j < n:
                if line[j] == c:
                    depth += 1
                elif line[j] == close:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            tokens.append(line[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] not in "[]<{":
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens


def _is_value(tok: str) -> bool:
    return (tok.startswith("<") and tok != COMMON_PARAMETERS) or tok.startswith("{")


def _value_of(tok: str) -> tuple[str, tuple[str, ...]]:
    if tok.startswith("{"):
        values = tuple(v.strip() for v in tok[1:-1].split("|") if v.strip())
        return "String", values
    return tok[1:-1].strip(), ()


def _matching(tokens: Sequence[str], start: int) -> int:
    depth = 0
    for k in range(start, len(tokens)):
        if tokens[k] == "[":
            depth += 1
        elif tokens[k] == "]":
            depth -= 1
            if depth == 0:
                return k
    return len(tokens) - 1


def parse_syntax_line(line: str) -> list[SyntaxParameter]:
    """The parameters of one syntax line, in order (the cmdlet name and CommonParameters dropped)."""
    tokens = tokenize(line)
    out: list[SyntaxParameter] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "[":
            end = _matching(tokens, i)
            inner = tokens[i + 1:end]
            after = tokens[end + 1] if end + 1 < len(tokens) else None
            if len(inner) == 1 and inner[0].startswith("-") and after is not None and _is_value(after):
                ptype, values = _value_of(after)            # [-Name] <T>: mandatory, positional
                out.append(SyntaxParameter(inner[0][1:], ptype, True, True, values))
                i = end + 2
                continue
            if inner[:1] == ["["] and len(inner) >= 3 and inner[1].startswith("-"):
                value = inner[3] if len(inner) > 3 and _is_value(inner[3]) else "<Object>"
                ptype, values = _value_of(value)            # [[-Name] <T>]: optional, positional
                out.append(SyntaxParameter(inner[1][1:], ptype, False, True, values))
            elif inner and inner[0].startswith("-"):
                if len(inner) > 1 and _is_value(inner[1]):   # [-Name <T>]
                    ptype, values = _value_of(inner[1])
                    out.append(SyntaxParameter(inner[0][1:], ptype, False, False, values))
                else:                                        # [-Switch]
                    out.append(SyntaxParameter(inner[0][1:], "", False, False))
            i = end + 1
            continue
        if tok.startswith("-") and len(tok) > 1:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and _is_value(nxt):          # -Name <T>: mandatory, named
                ptype, values = _value_of(nxt)
                out.append(SyntaxParameter(tok[1:], ptype, True, False, values))
                i += 2
            else:                                            # -Switch (mandatory switch, rare)
                out.append(SyntaxParameter(tok[1:], "", True, False))
                i += 1
            continue
        i += 1
    return out


def cmdlet_from_syntax(name: str, sets: Iterable[tuple[str, str]], default_set: str | None = None,
                       synopsis: str = "") -> CmdletInfo:
    """A CmdletInfo from ``(set name, syntax line)`` pairs; the default set first in ``parameter_sets``."""
    pairs = [(s or ALL_PARAMETER_SETS, line) for s, line in sets]
    if default_set:
        pairs.sort(key=lambda p: p[0] != default_set)
    set_names = [s for s, _ in pairs if s != ALL_PARAMETER_SETS]
    single = len(pairs) == 1
    order: list[str] = []
    info: dict[str, dict[str, Any]] = {}
    for set_name, line in pairs:
        position = 0
        for sp in parse_syntax_line(line):
            key = sp.name.lower()
            entry = info.get(key)
            if entry is None:
                entry = info[key] = {"name": sp.name, "type": sp.type, "sets": [], "mandatory": [],
                                     "position": None, "values": sp.valid_values}
                order.append(key)
            entry["sets"].append(set_name)
            if sp.mandatory:
                entry["mandatory"].append(set_name)
            if sp.positional:
                position += 1
                if entry["position"] is None:
                    entry["position"] = position
            if sp.valid_values and not entry["values"]:
                entry["values"] = sp.valid_values
    params = []
    for key in order:
        e = info[key]
        in_every = single or len(e["sets"]) == len(pairs)
        param_sets: tuple[str, ...] = (ALL_SETS,) if in_every and (single or not set_names) else tuple(
            s if s != ALL_PARAMETER_SETS else ALL_SETS for s in e["sets"])
        if in_every and single:
            mandatory: tuple[str, ...] = (ALL_SETS,) if e["mandatory"] else ()
        else:
            mandatory = tuple(s if s != ALL_PARAMETER_SETS else ALL_SETS for s in e["mandatory"])
        ptype = e["type"] or "SwitchParameter"
        params.append(ParameterInfo(name=e["name"], type=ptype, switch=not e["type"], sets=param_sets,
                                    mandatory_in=mandatory, position=e["position"],
                                    valid_values=tuple(e["values"])))
    return CmdletInfo(name=name, synopsis=synopsis, parameter_sets=tuple(set_names), parameters=tuple(params))


def definition_lines(definition: str, name: str) -> list[str]:
    """The syntax lines of a ``Definition`` string (one per parameter set, blank lines between)."""
    return [ln.strip() for ln in definition.splitlines() if ln.strip().lower().startswith(name.lower())]
