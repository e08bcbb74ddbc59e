"""A small OPATH (-Filter) evaluator: comparisons joined by -and / -or / -not, with parentheses.

Supported: ``Prop -eq 'v'``, ``-ne``, ``-like`` / ``-notlike`` (``*`` wildcards), ``-gt -ge -lt -le``,
values in single or double quotes, ``$true``, ``$false``, ``$null``, numbers and bare words. Errors
read as Exchange words them (a ParameterBindingException on -Filter).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tui.sim.model import CmdletError, SimObject

Predicate = Callable[[SimObject], bool]

_TOKEN = re.compile(r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>-[A-Za-z]+)|'(?P<sq>(?:[^']|'')*)'|"(?P<dq>(?:[^"]|"")*)"|(?P<word>[^\s()'"]+))""")
_COMPARE = {"-eq", "-ne", "-like", "-notlike", "-gt", "-ge", "-lt", "-le", "-ceq", "-ieq", "-ilike", "-clike"}


class _Syntax(Exception):
    def __init__(self, position: int) -> None:
        self.position = position


def _error(cmdlet: str, text: str, detail: str, position: int) -> CmdletError:
    return CmdletError(
        f"Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"{detail}\r\n"
        f"\"{text}\" at position {position}.\"",
        category="InvalidArgument", error_id=f"ParameterBindingFailed,{cmdlet}",
        exception_type="System.Management.Automation.ParameterBindingException", target=text)


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    out: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _Syntax(pos + 1)
        start = m.start(m.lastgroup or 0) + 1
        kind = m.lastgroup or ""
        if kind == "sq":
            out.append(("value", m.group("sq").replace("''", "'"), start))
        elif kind == "dq":
            out.append(("value", m.group("dq").replace('""', '"'), start))
        elif kind == "word":
            word = m.group("word")
            low = word.lower()
            if low in ("$true", "$false"):
                out.append(("value", low == "$true", start))
            elif low == "$null":
                out.append(("value", None, start))
            else:
                out.append(("word", word, start))
        else:
            out.append((kind, m.group(kind), start))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any, int]], length: int) -> None:
        self.t = tokens
        self.i = 0
        self.length = length
        self.props: list[tuple[str, int]] = []

    def peek(self) -> tuple[str, Any, int] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self) -> tuple[str, Any, int]:
        tok = self.peek()
        if tok is None:
            raise _Syntax(self.length + 1)
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.peek() is not None:
            raise _Syntax(self.t[self.i][2])
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while (tok := self.peek()) and tok[0] == "op" and tok[1].lower() == "-or":
            self.i += 1
            parts.append(self.and_())
        if len(parts) == 1:
            return parts[0]

        def any_of(obj: SimObject) -> bool:
            return any(p(obj) for p in parts)
        return any_of

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while (tok := self.peek()) and tok[0] == "op" and tok[1].lower() == "-and":
            self.i += 1
            parts.append(self.not_())
        if len(parts) == 1:
            return parts[0]

        def all_of(obj: SimObject) -> bool:
            return all(p(obj) for p in parts)
        return all_of

    def not_(self) -> Predicate:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1].lower() == "-not":
            self.i += 1
            inner = self.not_()
            return lambda o: not inner(o)
        return self.primary()

    def primary(self) -> Predicate:
        kind, value, pos = self.take()
        if kind == "lp":
            inner = self.or_()
            close = self.take()
            if close[0] != "rp":
                raise _Syntax(close[2])
            return inner
        if kind != "word":
            raise _Syntax(pos)
        prop = value
        op_kind, op, op_pos = self.take()
        if op_kind != "op" or op.lower() not in _COMPARE:
            raise _Syntax(op_pos)
        v_kind, literal, v_pos = self.take()
        if v_kind not in ("value", "word"):
            raise _Syntax(v_pos)
        self.props.append((prop, pos))
        return _comparison(prop, op.lower().replace("-c", "-").replace("-i", "-"), literal)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, SimObject):
        return value.to_string
    return "" if value is None else str(value)


def _equal(actual: Any, literal: Any) -> bool:
    if literal is None:
        return actual in (None, "", [])
    if isinstance(actual, list):
        return any(_equal(a, literal) for a in actual)
    # Booleans ("True"), GUIDs and everything else compare as case-insensitive text.
    return _as_text(actual).lower() == _as_text(literal).lower()


def _like_matcher(pattern: Any) -> Callable[[Any], bool]:
    """``-like pattern``, compiled once per filter rather than once per object (fnmatchcase's own rule)."""
    match = re.compile(fnmatch.translate(_as_text(pattern).lower())).match

    def like(actual: Any) -> bool:
        if isinstance(actual, list):
            return any(like(a) for a in actual)
        return match(_as_text(actual).lower()) is not None
    return like


def _order(actual: Any, literal: Any) -> tuple[Any, Any] | None:
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            return actual, float(literal)
        except (TypeError, ValueError):
            return None
    if isinstance(actual, datetime):
        try:
            parsed = datetime.fromisoformat(str(literal))
        except ValueError:
            try:
                parsed = datetime.strptime(str(literal), "%m/%d/%Y")
            except ValueError:
                return None
        return actual, parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if actual is None:
        return None
    return _as_text(actual).lower(), _as_text(literal).lower()


def _comparison(prop: str, op: str, literal: Any) -> Predicate:
    like = _like_matcher(literal) if op in ("-like", "-notlike") else None

    def test(obj: SimObject) -> bool:
        actual = obj.get(prop)
        if op == "-eq":
            return _equal(actual, literal)
        if op == "-ne":
            return not _equal(actual, literal)
        if like is not None:
            return like(actual) if op == "-like" else not like(actual)
        pair = _order(actual, literal)
        if pair is None:
            return False
        a, b = pair
        return {"-gt": a > b, "-ge": a >= b, "-lt": a < b, "-le": a <= b}[op]
    return test


def compile_filter(text: str, cmdlet: str) -> Predicate:
    """A predicate over objects, or a CmdletError worded as Exchange words a bad filter.

    Unknown properties are reported when the first object is tested (the set of filterable
    properties is that object's properties).
    """
    source = text.strip()
    if source.startswith("{") and source.endswith("}"):
        source = source[1:-1].strip()
    try:
        parser = _Parser(_tokens(source), len(source))
        pred = parser.parse()
    except _Syntax as exc:
        raise _error(cmdlet, source, "Invalid filter syntax. For a description of the filter parameter syntax "
                     "see the command help.", exc.position) from None
    checked = False

    def run(obj: SimObject) -> bool:
        nonlocal checked
        if not checked:
            for prop, pos in parser.props:
                if not obj.has(prop):
                    raise _error(cmdlet, source, f"\"{prop}\" is not a recognized filterable property. For a list "
                                 "of filterable properties see the command help.", pos)
            checked = True
        return pred(obj)
    return run
