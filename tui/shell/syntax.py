"""The syntax tree of a command line, as the parser produces it and the binder consumes it.

The parser cannot know which parameters are switches (that needs the catalog), so a command's
elements are a flat list of ``Parameter`` and ``Argument``; the binder pairs a non-switch
``Parameter`` with the ``Argument`` after it. Every node keeps the 0-based column where it starts,
so errors can put a caret under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ScriptBlock:
    """``{ … }``: kept as text; evaluated locally (Where-Object, calculated properties), never sent.

    ``text`` is what stands between the braces, unstripped (as PowerShell's ScriptBlock.ToString()).
    """

    text: str
    column: int = 0


@dataclass(frozen=True, slots=True)
class Variable:
    """``$name`` (``$true``/``$false``/``$null`` are literals, not variables)."""

    name: str
    column: int = 0


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    """``a,b,c`` or ``@(a, b)``."""

    items: tuple[Value, ...]
    column: int = 0


@dataclass(frozen=True, slots=True)
class HashLiteral:
    """``@{Add="x@y.com"; Remove="z@y.com"}``: ordered pairs, keys as written."""

    items: tuple[tuple[str, Value], ...]
    column: int = 0


# A literal value: bare words and quoted strings are str; 10MB is int bytes.
Value = str | int | float | bool | None | ScriptBlock | Variable | ArrayLiteral | HashLiteral


@dataclass(frozen=True, slots=True)
class Parameter:
    """``-Name`` or ``-Name:value`` (``has_value`` tells ``-X:$null`` from a bare ``-X``)."""

    name: str
    column: int
    value: Value = None
    has_value: bool = False
    value_text: str = ""  # the value as typed (``10MB`` stays ``10MB`` for a String parameter)


@dataclass(frozen=True, slots=True)
class Argument:
    """A value not attached to a parameter with ``:``; the binder decides what it binds to."""

    value: Value
    column: int
    quoted: bool = False
    text: str = ""  # the argument as typed, for String parameters given a number-looking word


Element = Parameter | Argument


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    column: int
    elements: tuple[Element, ...] = ()
    end: int = 0  # column just past the command's last character
    text: str = ""  # the command's source text (name and elements)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """``cmd | cmd | …``, optionally assigned: ``$name = cmd | …``."""

    commands: tuple[Command, ...]
    assign_to: str | None = None
    column: int = 0
    # ``$last | Select-Object …``: the pipeline's input comes from a variable (no command before it);
    # ``$last`` alone is a pipeline with an input variable and no commands (show its value).
    input_variable: str | None = None
    text: str = ""  # the statement's source text (with the assignment, if any)


@dataclass(frozen=True, slots=True)
class Script:
    """Statements separated by ``;`` or new lines."""

    statements: tuple[Pipeline, ...] = field(default_factory=tuple)
