"""What the engineer is typing at the cursor, decided from the text alone (pgcli's ``suggest_type``).

``analyze(text_before_cursor)`` never raises and never looks at tenant data: it returns a
``Context`` saying which kind of thing is wanted (a command name, a parameter of *this* command, a
value of *this* parameter, a property name of the objects flowing in, a variable, an operator inside
a script block) and the word the completion will replace. The completer routes each kind to the
catalog and the session's CompletionData. Local cmdlets (Select-Object, Where-Object, …) are part of
the language, so their parameters are known here; remote parameters are resolved by the completer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from tui.catalog import CmdletInfo
from tui.shell.local_catalog import local_cmdlet
from tui.shell.parser import DASHES, DQUOTES, NEWLINE, SPACE, SQUOTES

__all__ = ["PROPERTY_COMMANDS", "PROPERTY_PARAMETERS", "Context", "Kind", "analyze", "local_cmdlet",
           "merge_lists", "state_at_word", "walk_arguments"]


class Kind(StrEnum):
    COMMAND = "CommandName"
    PARAMETER = "ParameterName"
    VALUE = "ParameterValue"
    PROPERTY = "PropertyName"
    VARIABLE = "VariableName"
    OPERATOR = "Operator"  # -eq, -like … inside a script block
    NONE = "None"


# Local cmdlets whose Property-ish parameters name properties of the objects flowing in.
PROPERTY_COMMANDS = frozenset({"Select-Object", "Where-Object", "Sort-Object", "Group-Object", "Measure-Object",
                               "Format-Table", "Format-List"})
PROPERTY_PARAMETERS = frozenset({"Property", "ExpandProperty", "ExcludeProperty", "GroupBy"})


@dataclass(frozen=True, slots=True)
class Context:
    kind: Kind
    word: str = ""                  # the text before the cursor that a completion replaces
    prefix: str = ""                # what to match: the word without '-', '$', an opening quote …
    command: str | None = None      # the command of the current pipeline element, as typed
    parameter: str | None = None    # VALUE/PROPERTY: the parameter as typed (None: a positional value)
    position: int = 0               # VALUE with no parameter: index among the positional arguments
    given: tuple[str, ...] = ()     # parameter names already typed in this command, as typed
    source: str | None = None       # PROPERTY: the remote command whose objects flow in ("$x" for a variable)
    quote: str = ""                 # the opening quote when the value is typed inside quotes
    arguments: tuple[str, ...] = ()  # the command's tokens before the word (to re-resolve with a catalog)
    attached: bool = False          # VALUE typed as ``-Name:value``
    local_only: bool = False        # COMMAND after a local command: only local commands may follow


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "word" | "pipe" | "sep"
    text: str
    start: int


def _scan(s: str) -> tuple[list[_Tok], list[tuple[str, int]], bool]:
    """Top-level tokens, the groups/quotes still open at the end, and whether the end is in a comment.

    Groups (``{…}``, ``(…)``, ``@{…}``) and quoted parts are inside their token; whitespace in them
    does not split it. Unbalanced closers are kept as text: this never fails.
    """
    tokens: list[_Tok] = []
    stack: list[tuple[str, int]] = []
    start = -1
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        top = stack[-1][0] if stack else ""
        if top == "'":
            if c in SQUOTES:
                if i + 1 < n and s[i + 1] in SQUOTES:
                    i += 2
                    continue
                stack.pop()
            i += 1
            continue
        if top == '"':
            if c == "`":
                i += 2
                continue
            if c in DQUOTES:
                if i + 1 < n and s[i + 1] in DQUOTES:
                    i += 2
                    continue
                stack.pop()
            i += 1
            continue
        if not stack:
            if c in SPACE or c in NEWLINE or c in ";|":
                if start >= 0:
                    tokens.append(_Tok("word", s[start:i], start))
                    start = -1
                if c in NEWLINE or c == ";":
                    tokens.append(_Tok("sep", c, i))
                elif c == "|":
                    tokens.append(_Tok("pipe", c, i))
                i += 1
                continue
            if c == "#" and start < 0:
                while i < n and s[i] not in NEWLINE:
                    i += 1
                if i >= n:
                    return tokens, stack, True
                continue
            if start < 0:
                start = i
        if c in SQUOTES:
            stack.append(("'", i))
        elif c in DQUOTES:
            stack.append(('"', i))
        elif c == "`":
            i += 2
            continue
        elif c in "{(":
            stack.append((c, i))
        elif c in "})" and stack and stack[-1][0] == ("{" if c == "}" else "("):
            stack.pop()
        i += 1
    if start >= 0:
        tokens.append(_Tok("word", s[start:], start))
    return tokens, stack, False


def merge_lists(arguments: Sequence[str]) -> list[str]:
    """Join tokens of one comma list (``Name,`` ``Alias``) into one argument."""
    merged: list[str] = []
    for tok in arguments:
        if merged and (merged[-1].endswith(",") or tok.startswith(",")):
            merged[-1] += tok
        else:
            merged.append(tok)
    return merged


def walk_arguments(arguments: Sequence[str],
                   is_switch: Callable[[str], bool]) -> tuple[list[str], int, str | None]:
    """Walk a command's arguments: (parameter names given, positional count, parameter awaiting a value).

    ``-Name value`` pairs unless ``is_switch(Name)``; ``-Name:value`` is one token.
    """
    given: list[str] = []
    positional = 0
    pending: str | None = None
    for tok in arguments:
        if _is_parameter(tok):
            name, colon, _ = tok[1:].partition(":")
            given.append(name)
            pending = None if colon or is_switch(name) else name
            continue
        if pending is not None:
            pending = None
            continue
        positional += 1
    return given, positional, pending


def state_at_word(arguments: Sequence[str], word: str,
                  is_switch: Callable[[str], bool]) -> tuple[list[str], int, str | None]:
    """(given, position, parameter) for a value typed as ``word`` after ``arguments``.

    A word that continues a comma list (``-Property Name, Al``) binds where the list's first item did.
    """
    merged = merge_lists(arguments)
    given, position, pending = walk_arguments(merged, is_switch)
    if merged and (merged[-1].endswith(",") or word.startswith(",")) and not _is_parameter(merged[-1]):
        _, position, pending = walk_arguments(merged[:-1], is_switch)
    return given, position, pending


def _is_parameter(tok: str) -> bool:
    return len(tok) > 1 and tok[0] in DASHES and (tok[1].isalpha() or tok[1] in "_?")


def _local_switch(cmdlet: CmdletInfo | None) -> Callable[[str], bool]:
    def is_switch(name: str) -> bool:
        if cmdlet is None:
            return False
        p = cmdlet.parameter(name)
        if p is None:
            low = name.lower()
            found = [q for q in cmdlet.parameters if q.name.lower().startswith(low)]
            p = found[0] if len(found) == 1 else None
        return p is not None and p.switch
    return is_switch


def analyze(text: str) -> Context:
    """The completion context at the end of ``text`` (the text before the cursor)."""
    tokens, stack, in_comment = _scan(text)
    if in_comment:
        return Context(Kind.NONE)
    groups = [(kind, pos) for kind, pos in stack if kind in "{("]
    if groups:
        return _inside_group(text, groups)
    # The current statement and pipeline element.
    last_sep = max((k for k, t in enumerate(tokens) if t.kind == "sep"), default=-1)
    statement = tokens[last_sep + 1:]
    if len(statement) >= 2 and statement[0].text.startswith("$") and statement[1].text == "=":
        statement = statement[2:]
    elif statement and (m := _ASSIGNMENT.match(statement[0].text)) is not None:
        rest = statement[0].text[m.end():]  # ``$x=Get-M``: the command starts after '='
        head = [_Tok("word", rest, statement[0].start + m.end())] if rest else []
        statement = head + statement[1:]
    segments: list[list[_Tok]] = [[]]
    for tok in statement:
        if tok.kind == "pipe":
            segments.append([])
        else:
            segments[-1].append(tok)
    current = segments[-1]
    source = _source(segments[:-1])
    word = ""
    if current and current[-1].start + len(current[-1].text) == len(text):
        word = current[-1].text
        current = current[:-1]
    if not current:
        if word.startswith("$") and len(segments) == 1:
            return Context(Kind.VARIABLE, word, word[1:])
        if word and (word[0] in DASHES or word[0] in SQUOTES or word[0] in DQUOTES):
            return Context(Kind.NONE, word)
        # After a local command (or a variable) only local commands can follow.
        after_local = any(seg and (seg[0].text.startswith("$") or local_cmdlet(seg[0].text) is not None)
                          for seg in segments[:-1])
        return Context(Kind.COMMAND, word, word, local_only=after_local)
    command = current[0].text
    arguments = tuple(t.text for t in current[1:])
    local = local_cmdlet(command)
    given, position, pending = state_at_word(arguments, word, _local_switch(local))
    base = Context(Kind.NONE, command=command, given=tuple(given), arguments=arguments, source=source)
    if _is_parameter(word) or word in DASHES:
        name, colon, value = word[1:].partition(":")
        if not colon:
            return replace(base, kind=Kind.PARAMETER, word=word, prefix=name)
        return _value(base, value, name, 0, local, attached=True)
    if word.startswith("$"):
        return replace(base, kind=Kind.VARIABLE, word=word, prefix=word[1:])
    return _value(base, word, pending, position, local)


def _value(base: Context, word: str, parameter: str | None, position: int, local: CmdletInfo | None,
           attached: bool = False) -> Context:
    # ``a,b,Sh``: complete the last item only.
    if "," in word and word[:1] not in SQUOTES and word[:1] not in DQUOTES:
        word = word.rsplit(",", 1)[1]
    quote = word[0] if word[:1] and (word[0] in SQUOTES or word[0] in DQUOTES) else ""
    prefix = word[1:] if quote else word
    if quote and len(prefix) >= 1 and prefix[-1] in (SQUOTES | DQUOTES):
        prefix = prefix[:-1]
    if local is not None and local.name in PROPERTY_COMMANDS:
        resolved = _local_parameter(local, parameter, position)
        if resolved in PROPERTY_PARAMETERS:
            return replace(base, kind=Kind.PROPERTY, word=word, prefix=prefix, parameter=resolved,
                           position=position, quote=quote)
        if resolved is not None:
            parameter = resolved
    return replace(base, kind=Kind.VALUE, word=word, prefix=prefix, parameter=parameter, position=position,
                   quote=quote, attached=attached)


def _local_parameter(cmdlet: CmdletInfo, parameter: str | None, position: int) -> str | None:
    if parameter is not None:
        p = cmdlet.parameter(parameter)
        if p is None:
            low = parameter.lower()
            found = [q for q in cmdlet.parameters if q.name.lower().startswith(low)]
            p = found[0] if len(found) == 1 else None
        return p.name if p is not None else None
    positional = cmdlet.positional(cmdlet.default_set)
    return positional[position].name if position < len(positional) else None


def _source(previous: list[list[_Tok]]) -> str | None:
    """The last command before this element that is not local (or ``$x`` when the input is a variable)."""
    for segment in reversed(previous):
        if not segment:
            continue
        name = segment[0].text
        if name.startswith("$"):
            return name
        if local_cmdlet(name) is None:
            return name
    return None


_ASSIGNMENT = re.compile(r"\$[\w:]+\s*=(?!=)")
_OPERATOR_BREAK = frozenset(" \t(),;=!{}+*/%<>|")


def _inside_group(text: str, groups: list[tuple[str, int]]) -> Context:
    """The cursor is inside an unclosed ``{ … }`` or ``( … )``."""
    kind, pos = groups[-1]
    is_block = kind == "{" and not (pos > 0 and text[pos - 1] == "@")
    if not is_block:
        return Context(Kind.NONE)
    inner = text[pos + 1:]
    j = len(inner)
    while j > 0 and inner[j - 1] not in _OPERATOR_BREAK and inner[j - 1] not in NEWLINE:
        j -= 1
    word = inner[j:]
    outer = analyze(text[:groups[0][1]])
    source = _source_of(text[:groups[0][1]])
    low = word.lower()
    for head in ("$_.", "$psitem."):
        if low.startswith(head):
            prop = word[len(head):]
            if "." in prop:
                return Context(Kind.NONE, word)
            return Context(Kind.PROPERTY, prop, prop, command=outer.command, source=source)
    if word.startswith("$"):
        return Context(Kind.VARIABLE, word, word[1:], command=outer.command)
    if word[:1] in DASHES:
        return Context(Kind.OPERATOR, word, word[1:], command=outer.command)
    return Context(Kind.NONE, word)


def _source_of(text: str) -> str | None:
    tokens, _, _ = _scan(text)
    last_sep = max((k for k, t in enumerate(tokens) if t.kind == "sep"), default=-1)
    segments: list[list[_Tok]] = [[]]
    for tok in tokens[last_sep + 1:]:
        if tok.kind == "pipe":
            segments.append([])
        else:
            segments[-1].append(tok)
    return _source(segments[:-1])
