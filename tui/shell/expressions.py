"""The script-block expression language of Where-Object filters and calculated properties.

``compile_expression("$_.ProhibitSendQuota -gt 50GB -and $_.Name -like 'a*'")`` parses once into a tree
of closures; ``Expression.evaluate(item)`` runs it with ``$_`` bound to ``item``. What it understands:
``$_``/``$PSItem``/``$name`` variables, ``$_.A.B`` members (missing ones are $null), ``[0]`` indexes,
string/number/size literals (``50GB``), ``$true``/``$false``/``$null``, every comparison operator with its
``-c``/``-i`` variants, ``-and -or -xor -not !``, ``+ - * / %``, ``-replace -join -split``, ``,`` and
``@( )`` arrays, ``(…)``/``$(…)``, ``[datetime]``-style casts, ``(Get-Date)``, string expansion of
``$var`` and ``$(…)`` in double quotes, ``-f`` composite formatting (``"{0:N2}" -f $x``), a handful of
.NET methods (``ToString("N2")``, ``ToLower()``, ``StartsWith()``, ``AddDays()``, ``ToGB()`` …) and static
members (``[math]::Round()``, ``[datetime]::Now``, ``[string]::IsNullOrEmpty()``). Anything else raises
``ExpressionError`` with a column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.shell.dotnet_format import NO_MEMBER, STATIC_TYPES, FormatError, composite_format, static_member
from tui.shell.dotnet_methods import NO_METHOD, call_method, type_label
from tui.shell.errors import ShellError
from tui.shell.operators import (
    COMPARISON_OPERATORS,
    OperatorError,
    as_list,
    comparison,
    get_member,
    regex,
    to_datetime,
    to_number,
    to_text,
    truthy,
)
from tui.shell.parser import MAX_DEPTH
from tui.shell.sizes import UNITS, is_exchange_size, parse_size


class ExpressionError(ShellError):
    """A script block that cannot be parsed or evaluated; ``column`` is 0-based in the text given (offset
    by the ``column`` passed to ``compile_expression``, so it can point into the whole command line)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message, column)
        self.column: int = column


class Context:
    """What an expression sees while it runs: the current object and the session's variables."""

    __slots__ = ("item", "variables")

    def __init__(self, item: Any = None, variables: Mapping[str, Any] | None = None) -> None:
        self.item = item
        self.variables: Mapping[str, Any] = variables or {}


Node = Callable[[Context], Any]

_LOGICAL = ("and", "or", "xor")
_OTHER_BINARY = ("replace", "creplace", "ireplace", "join", "split", "csplit", "isplit", "f", "as")
_UNARY_WORDS = ("not", "bnot")
_NUMBER = re.compile(r"(0x[0-9a-fA-F]+|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)([kKmMgGtTpP][bB])?(?![\w.])")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMAND = re.compile(r"[A-Za-z]+-[A-Za-z]+")
_VARIABLE = re.compile(r"\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?)|(_))")
_CAST_TYPES: dict[str, str] = {
    "datetime": "datetime", "system.datetime": "datetime", "string": "string", "system.string": "string",
    "int": "int", "int32": "int", "int64": "int", "long": "int", "system.int32": "int",
    "system.int64": "int", "double": "float", "float": "float", "decimal": "float", "system.double": "float",
    "bool": "bool", "boolean": "bool", "system.boolean": "bool", "array": "array", "object[]": "array",
    "string[]": "array",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num str xstr var op punct word cast static command end
    value: Any
    column: int
    space_before: bool = False


# -- tokenizer -------------------------------------------------------------------------------------


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        start = i
        while i < n and text[i] in " \t\r\n":
            i += 1
        space = i > start
        if i >= n:
            tokens.append(Token("end", None, i, space))
            return tokens
        ch = text[i]
        prev_operand = bool(tokens) and (tokens[-1].kind in ("num", "str", "xstr", "var", "word", "command")
                                         or tokens[-1].value in (")", "]"))
        if ch == "#":
            raise ExpressionError("Comments are not supported in a script block.", i)
        if ch == "'":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise ExpressionError("The string is missing the terminator: '.", i)
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            tokens.append(Token("str", "".join(buf), i, space))
            i = j + 1
            continue
        if ch == '"':
            j = _scan_double_quoted(text, i)
            tokens.append(Token("xstr", text[i + 1:j], i, space))
            i = j + 1
            continue
        if ch == "$":
            if text.startswith("$(", i):
                tokens.append(Token("punct", "$(", i, space))
                i += 2
                continue
            m = _VARIABLE.match(text, i)
            if not m:
                raise ExpressionError("A variable name is missing after '$'.", i)
            name = m.group(1) or m.group(2) or "_"
            tokens.append(Token("var", name, i, space))
            i = m.end()
            continue
        if ch == "@" and text.startswith("@(", i):
            tokens.append(Token("punct", "@(", i, space))
            i += 2
            continue
        if ch == "@":
            raise ExpressionError("Hash tables and splatting ('@') are not supported in a script block.", i)
        if ch == "-" and i + 1 < n and _word_start(text[i + 1]):
            m = _WORD.match(text, i + 1)
            assert m is not None
            word = m.group(0).lower()
            if word in _LOGICAL or word in _UNARY_WORDS or word in _OTHER_BINARY or _is_comparison(word):
                tokens.append(Token("op", word, i, space))
                i = m.end()
                continue
            raise ExpressionError(f"Unexpected token '-{m.group(0)}': unknown operator.", i)
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS and not prev_operand):
            m = _NUMBER.match(text, i)
            if not m:
                raise ExpressionError(f"'{_word_at(text, i)}' is not a valid number.", i)
            tokens.append(Token("num", _number_value(m.group(1), m.group(2)), i, space))
            i = m.end()
            continue
        if ch == "[" and not (prev_operand and not space):
            end = text.find("]", i)
            inner = text[i + 1:end].strip().lower() if end != -1 else ""
            if end != -1 and re.fullmatch(r"[a-z_][a-z0-9_.]*(\[\])?", inner):
                if text.startswith("::", end + 1):
                    bare = inner.removeprefix("system.")
                    if bare not in STATIC_TYPES:
                        raise ExpressionError(f"The type [{text[i + 1:end]}] is not supported here "
                                              f"(supported: [math], [datetime], [string], [timespan]).", i)
                    tokens.append(Token("static", bare, i, space))
                    i = end + 3
                    continue
                if inner not in _CAST_TYPES:
                    raise ExpressionError(f"The type [{text[i + 1:end]}] is not supported "
                                          f"(supported: [datetime], [string], [int], [double], [bool]).", i)
                tokens.append(Token("cast", _CAST_TYPES[inner], i, space))
                i = end + 1
                continue
        if ch in "()[].,+-*/%!":
            tokens.append(Token("punct", ch, i, space))
            i += 1
            continue
        if _word_start(ch):
            cm = _COMMAND.match(text, i)
            if cm and not (tokens and tokens[-1].value == "."):
                tokens.append(Token("command", cm.group(0), i, space))
                i = cm.end()
                continue
            m = _WORD.match(text, i)
            assert m is not None
            tokens.append(Token("word", m.group(0), i, space))
            i = m.end()
            continue
        if ch in "=<>":
            hint = {"=": "-eq", "==": "-eq", "<": "-lt", ">": "-gt", "<=": "-le", ">=": "-ge"}
            two = text[i:i + 2]
            op = two if two in hint else ch
            raise ExpressionError(f"'{op}' is not a PowerShell comparison operator; use {hint[op]}.", i)
        if ch in "|;{}&":
            raise ExpressionError(f"'{ch}' is not supported inside a script block (only an expression is).", i)
        raise ExpressionError(f"Unexpected character '{ch}'.", i)


_DIGITS = frozenset("0123456789")
_MAX_STRING = 10_000_000


def _word_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_comparison(word: str) -> bool:
    if word in COMPARISON_OPERATORS:
        return True
    return word[:1] in ("c", "i") and word[1:] in COMPARISON_OPERATORS and word[1:] not in ("is", "isnot")


def _word_at(text: str, i: int) -> str:
    m = re.compile(r"\S+").match(text, i)
    return m.group(0) if m else text[i:]


def _number_value(digits: str, suffix: str | None) -> int | float:
    value: int | float
    if digits.lower().startswith("0x"):
        value = int(digits, 16)
    elif any(c in digits for c in ".eE"):
        value = float(digits)
    else:
        value = int(digits)
    if suffix:
        value = value * UNITS[suffix.upper()]
        if value == int(value):
            value = int(value)
    return value


def _scan_double_quoted(text: str, i: int) -> int:
    """Index of the closing quote of the double-quoted string starting at ``i`` (``""`` and `` `" `` escape)."""
    j, n, depth = i + 1, len(text), 0
    while j < n:
        c = text[j]
        if c == "`":
            j += 2
            continue
        if depth == 0 and c == '"':
            if j + 1 < n and text[j + 1] == '"':
                j += 2
                continue
            return j
        if text.startswith("$(", j):
            depth += 1
            j += 2
            continue
        if depth and c == ")":
            depth -= 1
        elif depth and c == "(":
            depth += 1
        j += 1
    raise ExpressionError('The string is missing the terminator: ".', i)


# -- parser: precedence climbing into closures -----------------------------------------------------


class _Parser:
    def __init__(self, text: str, offset: int = 0) -> None:
        self.text = text
        self.offset = offset
        try:
            self.tokens = _tokenize(text)
        except ExpressionError as exc:
            raise ExpressionError(exc.message, exc.column + offset) from None
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> ExpressionError:
        return ExpressionError(message, (tok or self.tok).column + self.offset)

    def expect(self, value: str, what: str) -> None:
        if self.tok.kind != "punct" or self.tok.value != value:
            raise self.error(f"Missing '{value}' {what}.")
        self.next()

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("The script block is empty.")
        node = self.logical()
        if self.tok.kind != "end":
            raise self.error(f"Unexpected token '{self._tok_text(self.tok)}' in expression.")
        return node

    def _tok_text(self, tok: Token) -> str:
        if tok.kind == "op":
            return "-" + str(tok.value)
        if tok.kind == "var":
            return "$" + str(tok.value)
        if tok.kind in ("str", "xstr"):
            return repr(tok.value)
        return str(tok.value)

    def nested(self, parse: Callable[[], Node]) -> Node:
        """``parse()`` one level deeper: the recursive descent stops at MAX_DEPTH instead of at Python's stack."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(f"The script block is nested too deeply (more than {MAX_DEPTH} levels).")
            return parse()
        finally:
            self.depth -= 1

    def logical(self) -> Node:
        return self.nested(self._logical)

    def _logical(self) -> Node:
        left = self.comparison()
        while self.tok.kind == "op" and self.tok.value in _LOGICAL:
            op = self.next().value
            right = self.comparison()
            left = _logical(op, left, right)
        return left

    def comparison(self) -> Node:
        left = self.comma()
        while self.tok.kind == "op" and self.tok.value not in _LOGICAL and self.tok.value not in _UNARY_WORDS:
            tok = self.next()
            if self.tok.kind == "end":
                raise self.error(f"You must provide a value expression following the '-{tok.value}' operator.")
            right = self.comma()
            left = _binary_word(tok.value, left, right, tok.column + self.offset)
        return left

    def comma(self) -> Node:
        first = self.additive()
        if not (self.tok.kind == "punct" and self.tok.value == ","):
            return first
        items = [first]
        while self.tok.kind == "punct" and self.tok.value == ",":
            self.next()
            items.append(self.additive())
        return lambda ctx: [f(ctx) for f in items]

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.tok.kind == "punct" and self.tok.value in "+-":
            tok = self.next()
            right = self.multiplicative()
            left = _arith(tok.value, left, right, tok.column + self.offset)
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while self.tok.kind == "punct" and self.tok.value in "*/%":
            tok = self.next()
            right = self.unary()
            left = _arith(tok.value, left, right, tok.column + self.offset)
        return left

    def unary(self) -> Node:
        return self.nested(self._unary)

    def _unary(self) -> Node:
        tok = self.tok
        if (tok.kind == "op" and tok.value == "not") or (tok.kind == "punct" and tok.value == "!"):
            self.next()
            operand = self.unary()
            return lambda ctx: not truthy(operand(ctx))
        if tok.kind == "punct" and tok.value in "-+":
            self.next()
            operand = self.unary()
            col = tok.column + self.offset
            if tok.value == "+":
                return operand
            return lambda ctx: _negate(operand(ctx), col)
        if tok.kind == "op" and tok.value == "join":
            self.next()
            operand = self.unary()
            return lambda ctx: "".join(to_text(x) for x in as_list(operand(ctx)))
        if tok.kind == "cast":
            self.next()
            nxt = self.tok
            if nxt.kind == "end" or (nxt.kind == "punct" and nxt.value in ")],") or (
                    nxt.kind == "op" and nxt.value not in _UNARY_WORDS and nxt.value != "join"):
                return _const(tok.value)  # a type literal: $x -is [string]
            operand = self.unary()
            return _cast(tok.value, operand, tok.column + self.offset)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            tok = self.tok
            if tok.kind == "punct" and tok.value == "." and not tok.space_before:
                self.next()
                name_tok = self.tok
                if name_tok.kind not in ("word", "command") or name_tok.space_before:
                    raise self.error("Missing property name after '.'.")
                self.next()
                name = str(name_tok.value)
                nxt = self.tok
                if nxt.kind == "punct" and nxt.value == "(" and not nxt.space_before:
                    self.next()
                    args = self._arguments()
                    node = _method(node, name, args, name_tok.column + self.offset)
                else:
                    node = _member(node, name)
            elif tok.kind == "punct" and tok.value == "[" and not tok.space_before:
                self.next()
                index = self.logical()
                self.expect("]", "to close the index")
                node = _index(node, index)
            else:
                return node

    def _arguments(self) -> list[Node]:
        args: list[Node] = []
        if self.tok.kind == "punct" and self.tok.value == ")":
            self.next()
            return args
        while True:
            args.append(self.additive())
            if self.tok.kind == "punct" and self.tok.value == ",":
                self.next()
                continue
            self.expect(")", "to close the method call")
            return args

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind == "num" or tok.kind == "str":
            value = tok.value
            return lambda ctx: value
        if tok.kind == "xstr":
            return self._expandable(str(tok.value), tok.column + 1)
        if tok.kind == "var":
            return _variable(str(tok.value))
        if tok.kind == "static":
            return self._static(tok)
        if tok.kind == "punct" and tok.value in ("(", "$(", "@("):
            if tok.value == "@(" and self.tok.kind == "punct" and self.tok.value == ")":
                self.next()
                return lambda ctx: []
            if self.tok.kind == "command":
                inner = self._command()
            else:
                if self.tok.kind == "end":
                    raise self.error("Missing closing ')' in expression.")
                inner = self.logical()
            self.expect(")", "in expression")
            if tok.value == "@(":
                return lambda ctx: as_list(inner(ctx))
            return inner
        if tok.kind == "command":
            self.pos -= 1
            return self._command()
        if tok.kind == "word":
            raise self.error(f"'{tok.value}' is a bare word: quote text in a script block ('{tok.value}'), "
                             f"or use $_.{tok.value} for a property.", tok)
        if tok.kind == "end":
            raise self.error("An expression was expected after this point.", tok)
        raise self.error(f"Unexpected token '{self._tok_text(tok)}' in expression.", tok)

    def _static(self, tok: Token) -> Node:
        name_tok = self.tok
        if name_tok.kind not in ("word", "command") or name_tok.space_before:
            raise self.error("Missing member name after '::'.")
        self.next()
        member = str(name_tok.value)
        type_name = str(tok.value)
        column = name_tok.column + self.offset
        args: list[Node] | None = None
        if self.tok.kind == "punct" and self.tok.value == "(" and not self.tok.space_before:
            self.next()
            args = self._arguments()

        def run(ctx: Context) -> Any:
            values = None if args is None else [a(ctx) for a in args]
            result = static_member(type_name, member, values)
            if result is NO_MEMBER:
                what = "method" if values is not None else "property"
                raise ExpressionError(f"[{type_name}] has no static {what} '{member}' that exohop understands"
                                      f"{'' if values is None else f' with {len(values)} argument(s)'}.", column)
            return result
        return run

    def _command(self) -> Node:
        tok = self.next()
        if str(tok.value).lower() != "get-date":
            raise self.error(f"Commands cannot run inside a local script block ('{tok.value}'); "
                             f"only (Get-Date) is understood.", tok)
        if self.tok.kind not in ("end",) and not (self.tok.kind == "punct" and self.tok.value == ")"):
            raise self.error("Get-Date takes no parameters here; use (Get-Date).AddDays(-7) and similar.")
        return lambda ctx: datetime.now()

    def _expandable(self, body: str, column: int) -> Node:
        """A double-quoted string: escapes, ``$var`` and ``$(…)`` expanded when evaluated."""
        parts: list[Node] = []
        buf: list[str] = []
        i, n = 0, len(body)
        escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "e": "\x1b"}
        while i < n:
            c = body[i]
            if c == "`" and i + 1 < n:
                buf.append(escapes.get(body[i + 1], body[i + 1]))
                i += 2
                continue
            if c == '"' and i + 1 < n and body[i + 1] == '"':
                buf.append('"')
                i += 2
                continue
            if c == "$" and body.startswith("$(", i):
                depth, j = 1, i + 2
                while j < n and depth:
                    depth += {"(": 1, ")": -1}.get(body[j], 0)
                    j += 1
                if depth:
                    raise ExpressionError("Missing closing ')' in subexpression.", self.offset + column + i)
                sub = _Parser(body[i + 2:j - 1], self.offset + column + i + 2).parse()
                if buf:
                    lit = "".join(buf)
                    parts.append(_const(lit))
                    buf = []
                parts.append(sub)
                i = j
                continue
            if c == "$":
                m = _VARIABLE.match(body, i)
                if m:
                    if buf:
                        lit = "".join(buf)
                        parts.append(_const(lit))
                        buf = []
                    parts.append(_variable(m.group(1) or m.group(2) or "_"))
                    i = m.end()
                    continue
            buf.append(c)
            i += 1
        if buf:
            lit = "".join(buf)
            parts.append(_const(lit))
        if len(parts) == 1:
            only = parts[0]
            return lambda ctx: to_text(only(ctx))
        return lambda ctx: "".join(to_text(p(ctx)) for p in parts)


# -- node builders ---------------------------------------------------------------------------------


def _const(value: Any) -> Node:
    return lambda ctx: value


def _variable(name: str) -> Node:
    low = name.lower()
    if low in ("_", "psitem"):
        return lambda ctx: ctx.item
    if low == "true":
        return lambda ctx: True
    if low == "false":
        return lambda ctx: False
    if low == "null":
        return lambda ctx: None

    def lookup(ctx: Context) -> Any:
        for k, v in ctx.variables.items():
            if k.lower() == low:
                return v
        return None

    return lookup


def _member(obj: Node, name: str) -> Node:
    low = name.lower()
    if low == "value":
        def value(ctx: Context) -> Any:
            target = obj(ctx)
            if isinstance(target, str) and is_exchange_size(target):
                return parse_size(target)
            return get_member(target, name)
        return value
    return lambda ctx: get_member(obj(ctx), name)


def _index(obj: Node, index: Node) -> Node:
    def run(ctx: Context) -> Any:
        target, key = obj(ctx), index(ctx)
        if isinstance(key, str):
            return get_member(target, key)
        pos = to_number(key)
        if pos is None or target is None:
            return None
        i = int(pos)
        if isinstance(target, list | tuple | str):
            try:
                return target[i]
            except IndexError:
                return None
        return target if i in (0, -1) else None
    return run


def _logical(op: str, left: Node, right: Node) -> Node:
    if op == "and":
        return lambda ctx: truthy(left(ctx)) and truthy(right(ctx))
    if op == "or":
        return lambda ctx: truthy(left(ctx)) or truthy(right(ctx))
    return lambda ctx: truthy(left(ctx)) != truthy(right(ctx))


def _binary_word(op: str, left: Node, right: Node, column: int) -> Node:
    base, case_sensitive = op, False
    if op not in COMPARISON_OPERATORS and op not in _OTHER_BINARY and op[:1] in ("c", "i"):
        base, case_sensitive = op[1:], op[0] == "c"
    if base in COMPARISON_OPERATORS:
        fn = comparison(base)

        def compare(ctx: Context) -> Any:
            try:
                return fn(left(ctx), right(ctx), case_sensitive)
            except OperatorError as exc:
                raise ExpressionError(str(exc), column) from None
        return compare
    if op in ("replace", "ireplace", "creplace"):
        cs = op == "creplace"

        def replace(ctx: Context) -> Any:
            args = as_list(right(ctx))
            pattern = to_text(args[0]) if args else ""
            repl = to_text(args[1]) if len(args) > 1 else ""
            repl = re.sub(r"\$(\d+)", r"\\g<\1>", repl.replace("\\", "\\\\"))
            try:
                rx = regex(pattern, cs)
            except OperatorError as exc:
                raise ExpressionError(str(exc), column) from None
            target = left(ctx)
            if isinstance(target, list):
                return [rx.sub(repl, to_text(x)) for x in target]
            return rx.sub(repl, to_text(target))
        return replace
    if op == "join":
        return lambda ctx: to_text(right(ctx)).join(to_text(x) for x in as_list(left(ctx)))
    if op in ("split", "isplit", "csplit"):
        cs = op == "csplit"

        def split(ctx: Context) -> Any:
            try:
                rx = regex(to_text(right(ctx)), cs)
            except OperatorError as exc:
                raise ExpressionError(str(exc), column) from None
            return [part for x in as_list(left(ctx)) for part in rx.split(to_text(x))]
        return split
    if op == "f":
        def fmt(ctx: Context) -> Any:
            try:
                return composite_format(to_text(left(ctx)), as_list(right(ctx)))
            except FormatError as exc:
                raise ExpressionError(str(exc), column) from None
        return fmt
    if op == "as":
        return lambda ctx: _convert(_cast_name(right(ctx)), left(ctx), column, strict=False)
    raise ExpressionError(f"The operator '-{op}' is not supported in a local script block.", column)


def _cast_name(value: Any) -> str:
    return _CAST_TYPES.get(to_text(value).strip("[] ").lower(), "string")


def _negate(v: Any, column: int) -> Any:
    num = to_number(v)
    if num is None:
        raise ExpressionError(f"Cannot negate the value '{to_text(v)}': it is not a number.", column)
    return -num


def _arith(op: str, left: Node, right: Node, column: int) -> Node:
    def run(ctx: Context) -> Any:
        a, b = left(ctx), right(ctx)
        if op == "+":
            if a is None:
                return b
            if isinstance(a, list | tuple):
                return [*a, *as_list(b)]
            if isinstance(a, str) and not is_exchange_size(a):
                return a + to_text(b)
            if isinstance(a, datetime):
                if isinstance(b, timedelta):
                    return a + b
                raise ExpressionError("Only a time span can be added to a date; use .AddDays(n).", column)
        if op == "*" and isinstance(a, str) and not is_exchange_size(a):
            times = to_number(b)
            if times is None:
                raise ExpressionError(f"Cannot convert value '{to_text(b)}' to a number.", column)
            if times < 0 or len(a) * times > _MAX_STRING:
                raise ExpressionError(f"Cannot repeat a string {to_text(times)} times (at most "
                                      f"{_MAX_STRING:,} characters).", column)
            return a * int(times)
        if op == "-" and isinstance(a, datetime) and isinstance(b, datetime):
            return a - b
        x = 0 if a is None else to_number(a)
        y = 0 if b is None else to_number(b)
        if x is None or y is None:
            bad = a if x is None else b
            raise ExpressionError(f"Cannot convert value '{to_text(bad)}' to a number for '{op}'.", column)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if y == 0:
            raise ExpressionError("Attempted to divide by zero.", column)
        if op == "%":
            return x % y
        q = x / y
        return int(q) if isinstance(x, int) and isinstance(y, int) and x % y == 0 else q
    return run


def _cast(type_name: str, operand: Node, column: int) -> Node:
    return lambda ctx: _convert(type_name, operand(ctx), column, strict=True)


def _convert(type_name: str, value: Any, column: int, *, strict: bool) -> Any:
    result: Any
    if type_name == "string":
        return to_text(value)
    if type_name == "bool":
        return truthy(value)
    if type_name == "array":
        return as_list(value)
    if type_name == "datetime":
        result = to_datetime(value)
    else:
        num = to_number(value) if value is not None else 0
        if num is None or (isinstance(num, float) and math.isinf(num)):
            result = None
        elif type_name == "int":
            result = round(num)
        else:
            result = float(num)
    if result is None and strict:
        raise ExpressionError(f"Cannot convert value \"{to_text(value)}\" to type [{type_name}].", column)
    return result


def _method(obj: Node, name: str, args: list[Node], column: int) -> Node:
    low = name.lower()

    def run(ctx: Context) -> Any:
        target = obj(ctx)
        values = [a(ctx) for a in args]
        if target is None:
            raise ExpressionError(f"You cannot call a method on a null-valued expression ({name}).", column)
        result = call_method(target, low, values)
        if result is NO_METHOD:
            raise ExpressionError(f"Method invocation failed because [{type_label(target)}] does not "
                                  f"contain a method named '{name}' (with {len(values)} argument(s)).", column)
        return result

    return run


# -- public API ------------------------------------------------------------------------------------


class Expression:
    """A compiled script block; ``evaluate`` runs it with ``$_`` bound to an item."""

    __slots__ = ("_node", "column", "text")

    def __init__(self, text: str, node: Node, column: int = 0) -> None:
        self.text = text
        self._node = node
        self.column = column

    def evaluate(self, item: Any = None, variables: Mapping[str, Any] | None = None) -> Any:
        return self.run(Context(item, variables))

    def run(self, ctx: Context) -> Any:
        """Evaluate with a caller-owned Context (reused across items on hot paths)."""
        try:
            return self._node(ctx)
        except RecursionError:
            # A long chain of operators (1+1+…) evaluates as deep as it is long.
            raise ExpressionError(f"The expression {{{self.text}}} is nested too deeply to evaluate.",
                                  self.column) from None
        except (ArithmeticError, ValueError, MemoryError) as exc:
            # Python's own limits (overflow, a math domain error) surface as a clear message, not a crash;
            # an empty text would leave only the class name, which is no message for an engineer.
            detail = f": {exc}" if str(exc) else ""
            raise ExpressionError(f"The expression {{{self.text}}} failed{detail}.", self.column) from None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, column: int = 0) -> Expression:
    """Parse a script block's inner text; ``column`` offsets error columns (the block's place in the line)."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        lead = text.index("{") + 1
        text, column = body[1:-1], column + lead
    return Expression(text.strip(), _Parser(text, column).parse(), column)
