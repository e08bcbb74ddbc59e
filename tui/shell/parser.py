"""PowerShell command-mode parser: text -> ``syntax.Script``.

A hand-written, single-pass scanner (no backtracking, no regex over the whole line), so any input
finishes in linear time. Only ``ParseError`` ever escapes: every malformed construct is reported
with the 0-based column where the problem starts, in PowerShell's own words where it has them.

What it understands is what engineers type in an Exchange session: ``Verb-Noun`` commands, ``|``,
``;``/new lines, ``-Name value``, ``-Name:value``, positional arguments, bare words, quoted strings,
numbers with KB/MB/GB/TB/PB suffixes, ``$true``/``$false``/``$null``, arrays, hashtables, script
blocks (kept as text) and variables. Expressions beyond that (sub-expressions, member access,
operators outside script blocks, redirection) are refused with a message saying what to type instead.
"""

from __future__ import annotations

import re

from tui.shell.errors import ParseError
from tui.shell.syntax import (
    Argument,
    ArrayLiteral,
    Command,
    Element,
    HashLiteral,
    Parameter,
    Pipeline,
    Script,
    ScriptBlock,
    Value,
    Variable,
)

__all__ = ["ParseError", "parse", "to_number"]

SPACE = frozenset(" \t\f\v\u00a0\ufeff")
NEWLINE = frozenset("\r\n")
DASHES = frozenset("-\u2013\u2014\u2015")  # PowerShell accepts en/em dashes pasted from documents
SQUOTES = frozenset("'\u2018\u2019\u201a\u201b")
DQUOTES = frozenset('"\u201c\u201d\u201e')
# Characters that end a bare word in argument mode.
WORD_END = SPACE | NEWLINE | frozenset("|;,(){}")
# Characters that end a parameter name (``-Name``).
PARAM_END = WORD_END | frozenset(":") | SQUOTES | DQUOTES
STATEMENT_END = NEWLINE | frozenset(";")
MAX_DEPTH = 64
# Each command of a pipeline wraps the stream of the one before it (a generator per local cmdlet), so a
# pipeline is nesting too: far more commands than anyone types would exhaust Python's stack when it runs.
MAX_PIPELINE = 100

_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v"}
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_NUMBER = re.compile(
    r"([+-]?)(?:0x([0-9a-f]{1,16})|(\d{1,60}(?:\.\d{0,60})?|\.\d{1,60})(e[+-]?\d{1,3})?)(kb|mb|gb|tb|pb)?",
    re.IGNORECASE,
)
_VARIABLE_CHAR = re.compile(r"[\w?]")
_REDIRECTION = re.compile(r"[1-6*]>")  # 2>&1, 2>err.txt, *>all.txt
_COMMAND_LIKE = re.compile(r"[A-Za-z]+-[A-Za-z][\w]*")
LITERALS: dict[str, Value] = {"true": True, "false": False, "null": None}


def to_number(word: str) -> int | float | None:
    """``10MB`` -> 10485760, ``-5`` -> -5, ``1.5`` -> 1.5, ``0x1F`` -> 31; None when not a number."""
    m = _NUMBER.fullmatch(word)
    if m is None:
        return None
    sign, hexdigits, digits, exponent, suffix = m.groups()
    mult = _MULTIPLIERS[suffix.lower()] if suffix else 1
    value: int | float
    if hexdigits is not None:
        value = int(hexdigits, 16)
    elif exponent is None and "." not in digits:
        value = int(digits)
    else:
        value = float(digits + (exponent or ""))
        if value != value or value in (float("inf"), float("-inf")):
            return None
    value = value * mult
    if suffix and isinstance(value, float) and value.is_integer():
        value = int(value)
    return -value if sign == "-" else value


def parse(text: str) -> Script:
    """Parse a command line (one or more statements). Raises ParseError(message, column)."""
    return _Parser(text).script()


class _Parser:
    __slots__ = ("depth", "i", "n", "s")

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.depth = 0

    # -- scanning helpers --------------------------------------------------------------------

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.n else ""

    def skip_ws(self, newlines: bool = False) -> None:
        """Skip blanks, line continuations (backtick + new line) and ``#`` comments."""
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in SPACE or (newlines and c in NEWLINE):
                self.i += 1
            elif c == "`" and self.i + 1 < n and s[self.i + 1] in NEWLINE:
                self.i += 2
                if s[self.i - 1] == "\r" and self.i < n and s[self.i] == "\n":
                    self.i += 1
            elif c == "#":
                while self.i < n and s[self.i] not in NEWLINE:
                    self.i += 1
            else:
                break

    def at_statement_end(self) -> bool:
        return self.i >= self.n or self.s[self.i] in STATEMENT_END

    def token_text(self, at: int) -> str:
        """The token starting at ``at``, for messages (bounded length)."""
        j = at + 1
        while j < self.n and self.s[j] not in WORD_END and j - at < 30:
            j += 1
        return self.s[at:j]

    def unexpected(self, at: int) -> ParseError:
        return ParseError(f"Unexpected token '{self.token_text(at)}' in expression or statement.", at)

    def enter(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"The line is nested too deeply (more than {MAX_DEPTH} levels).", at)

    # -- statements --------------------------------------------------------------------------

    def script(self) -> Script:
        statements: list[Pipeline] = []
        while True:
            self.skip_ws()
            if self.i >= self.n:
                break
            if self.s[self.i] in STATEMENT_END:
                self.i += 1
                continue
            statements.append(self.statement())
            self.skip_ws()
            if not self.at_statement_end():
                raise self.unexpected(self.i)
        return Script(tuple(statements))

    def statement(self) -> Pipeline:
        start = self.i
        assign_to: str | None = None
        if self.peek() == "$":
            name, end = self.scan_variable_name(self.i)
            if name is not None and name.lower() not in LITERALS:
                j = end
                while j < self.n and self.s[j] in SPACE:
                    j += 1
                nxt = self.s[j] if j < self.n else ""
                if nxt == "=" and self.s[j + 1:j + 2] != "=":
                    assign_to = name
                    self.i = j + 1
                    self.skip_ws()
                    if self.at_statement_end():
                        raise ParseError("You must provide a value expression following the '=' operator.", j)
                elif nxt in ("+", "-", "*", "/", "%") and self.s[j + 1:j + 2] == "=":
                    raise ParseError(f"The '{nxt}=' operator is not supported; use $name = <command>.", j)
        return self.pipeline(assign_to, start)

    def pipeline(self, assign_to: str | None, start: int) -> Pipeline:
        self.skip_ws()
        begin = self.i
        commands: list[Command] = []
        input_variable: str | None = None
        if self.peek() == "|":
            raise ParseError("An empty pipe element is not allowed.", self.i)
        if self.peek() == "$":
            var = self.variable()
            if not isinstance(var, Variable):
                raise ParseError(
                    "Expressions are not supported: a statement starts with a command name "
                    "(e.g. Get-Mailbox) or a variable ($last).", begin)
            input_variable = var.name
        else:
            commands.append(self.command())
        end = self.i
        while True:
            self.skip_ws()
            if self.peek() != "|":
                break
            pipe = self.i
            self.i += 1
            self.skip_ws(newlines=True)
            c = self.peek()
            if c == "" or c in "|;)}":
                raise ParseError("An empty pipe element is not allowed.", pipe)
            if c == "$":
                raise ParseError("Expressions are only allowed as the first element of a pipeline.", self.i)
            if len(commands) >= MAX_PIPELINE:
                raise ParseError(f"The line is nested too deeply (more than {MAX_PIPELINE} commands in one "
                                 "pipeline).", pipe)
            commands.append(self.command())
            end = self.i
        if not self.at_statement_end():
            raise self.unexpected(self.i)
        return Pipeline(tuple(commands), assign_to, start, input_variable, self.s[start:end])

    # -- commands ----------------------------------------------------------------------------

    def command(self) -> Command:
        start = self.i
        c = self.peek()
        if c in DASHES:
            raise ParseError(
                f"Expected a command name before the parameter '{self.token_text(start)}' "
                "(e.g. Get-Mailbox -Identity …).", start)
        self.check_token_start(c, start)
        if c in SQUOTES or c in DQUOTES or c in "{(@$,":
            raise ParseError(
                "Expressions are not supported: a statement starts with a command name "
                "(e.g. Get-Mailbox) or a variable ($last).", start)
        name, quoted, _ = self.word()
        if quoted:
            raise ParseError("A command name cannot be quoted: type it bare, e.g. Get-Mailbox.", start)
        elements: list[Element] = []
        end = self.i
        while True:
            self.skip_ws()
            c = self.peek()
            if c == "" or c in STATEMENT_END or c == "|":
                break
            if c in ")}":
                raise self.unexpected(self.i)
            elements.append(self.element())
            end = self.i
        return Command(name, start, tuple(elements), end, self.s[start:end])

    def check_token_start(self, c: str, at: int) -> None:
        if not c:
            raise ParseError("Unexpected end of line.", at)
        if c == "&":
            raise ParseError("The call operator '&' is not supported: type the command name directly.", at)
        if c == "<" and self.peek(1) == "#":
            raise ParseError("Block comments <# … #> are not supported: use # for a comment.", at)
        if c in "<>":
            raise ParseError("Redirection is not supported: pipe to Out-File instead (… | Out-File <path>).", at)
        if c == ",":
            raise ParseError("Missing expression before ','.", at)

    def element(self) -> Element:
        at = self.i
        c = self.s[at]
        if c in DASHES:
            nxt = self.peek(1)
            if nxt == "" or nxt in WORD_END:
                raise ParseError("A '-' must be followed by a parameter name (e.g. -Identity).", at)
            if nxt.isalpha() or nxt in "_?":
                return self.parameter()
        value, quoted, text = self.value_list()
        return Argument(value, at, quoted, text)

    def parameter(self) -> Parameter:
        at = self.i
        self.i += 1
        begin = self.i
        while self.i < self.n and self.s[self.i] not in PARAM_END:
            self.i += 1
        name = self.s[begin:self.i]
        if self.peek() != ":":
            return Parameter(name, at)
        colon = self.i
        self.i += 1
        self.skip_ws()
        c = self.peek()
        if c == "" or c in STATEMENT_END or c in "|)}":
            raise ParseError(f"Missing an argument for parameter '{name}'. Specify a value after ':'.", colon)
        value, _, text = self.value_list()
        return Parameter(name, at, value, True, text)

    # -- values ------------------------------------------------------------------------------

    def value_list(self) -> tuple[Value, bool, str]:
        """A value, or ``a, b, c`` as an ArrayLiteral. Returns (value, quoted, source text)."""
        at = self.i
        items, quoted, text = self.value_items()
        if len(items) == 1:
            return items[0], quoted, text
        return ArrayLiteral(tuple(items), at), False, text

    def value_items(self) -> tuple[list[Value], bool, str]:
        """``a`` or ``a, b, c`` -> (items, first item quoted, source text); new lines may follow a comma."""
        at = self.i
        first, quoted = self.value()
        save = self.i
        self.skip_ws()
        items: list[Value] = [first]
        while self.peek() == ",":
            comma = self.i
            self.i += 1
            self.skip_ws(newlines=True)
            c = self.peek()
            if c == "" or c in STATEMENT_END or c in "|,)}":
                raise ParseError("Missing expression after ','.", comma)
            items.append(self.value()[0])
            save = self.i
            self.skip_ws()
        self.i = save
        return items, quoted, self.s[at:save]

    def value(self) -> tuple[Value, bool]:
        at = self.i
        c = self.peek()
        self.check_token_start(c, at)
        if c in ")}":
            raise self.unexpected(at)
        if c == "{":
            return self.after_closer(self.script_block()), False
        if c == "(":
            return self.after_closer(self.group()), False
        if c == "@":
            nxt = self.peek(1)
            if nxt == "(":
                return self.after_closer(self.array_expression()), False
            if nxt == "{":
                return self.after_closer(self.hashtable()), False
            if nxt and _VARIABLE_CHAR.match(nxt):
                raise ParseError("Splatting (@name) is not supported: pass the parameters directly.", at)
            if nxt and (nxt in SQUOTES or nxt in DQUOTES):
                raise ParseError("Here-strings (@' … '@) are not supported: use a quoted string.", at)
        if c == "$":
            return self.variable(), False
        text, quoted, escaped = self.word()
        if not quoted and not escaped:
            if _REDIRECTION.match(text):
                raise ParseError("Redirection is not supported: pipe to Out-File instead (… | Out-File <path>).",
                                 at)
            number = to_number(text)
            if number is not None:
                return number, False
        return text, quoted

    def after_closer(self, value: Value) -> Value:
        """After ``)`` or ``}`` only a separator may follow (no ``.Member`` or ``[index]``)."""
        c = self.peek()
        if c and c not in WORD_END:
            if c in ".[":
                raise ParseError("Member access and indexing are not supported outside script blocks.",
                                 self.i)
            raise self.unexpected(self.i)
        return value

    def word(self) -> tuple[str, bool, bool]:
        """A bare word, possibly with quoted parts (``a'b c'`` is one word). -> (text, quoted, escaped)."""
        s, n = self.s, self.n
        parts: list[str] = []
        quoted = escaped = False
        begin = self.i
        while self.i < n:
            c = s[self.i]
            if c in WORD_END:
                break
            if c in SQUOTES:
                parts.append(self.single_quoted())
                quoted = True
            elif c in DQUOTES:
                parts.append(self.double_quoted())
                quoted = True
            elif c == "`":
                if self.i + 1 >= n:
                    raise ParseError("Missing character after the escape character '`'.", self.i)
                nxt = s[self.i + 1]
                if nxt in NEWLINE:
                    break  # line continuation ends the word
                parts.append(_ESCAPES.get(nxt, nxt))
                escaped = True
                self.i += 2
            else:
                j = self.i + 1
                while j < n and s[j] not in WORD_END and s[j] not in SQUOTES and s[j] not in DQUOTES \
                        and s[j] != "`":
                    j += 1
                parts.append(s[self.i:j])
                self.i = j
        if self.i == begin:  # cannot happen for callers that checked the first character; stay safe
            raise self.unexpected(begin)
        return "".join(parts), quoted, escaped

    def single_quoted(self) -> str:
        at = self.i
        s, n = self.s, self.n
        self.i += 1
        parts: list[str] = []
        while self.i < n:
            j = self.i
            while j < n and s[j] not in SQUOTES:
                j += 1
            parts.append(s[self.i:j])
            if j >= n:
                break
            if j + 1 < n and s[j + 1] in SQUOTES:  # '' is one quote
                parts.append(s[j])
                self.i = j + 2
                continue
            self.i = j + 1
            return "".join(parts)
        raise ParseError(f"The string is missing the terminator: {s[at]}.", at)

    def double_quoted(self) -> str:
        at = self.i
        s, n = self.s, self.n
        self.i += 1
        parts: list[str] = []
        while self.i < n:
            c = s[self.i]
            if c == "`":
                if self.i + 1 >= n:
                    break
                parts.append(_ESCAPES.get(s[self.i + 1], s[self.i + 1]))
                self.i += 2
            elif c in DQUOTES:
                if self.i + 1 < n and s[self.i + 1] in DQUOTES:  # "" is one quote
                    parts.append(c)
                    self.i += 2
                    continue
                self.i += 1
                return "".join(parts)
            else:
                j = self.i + 1
                while j < n and s[j] != "`" and s[j] not in DQUOTES:
                    j += 1
                parts.append(s[self.i:j])
                self.i = j
        raise ParseError(f"The string is missing the terminator: {s[at]}.", at)

    def scan_variable_name(self, at: int) -> tuple[str | None, int]:
        """``$name``, ``$scope:name`` or ``${any name}`` at ``at`` -> (name or None, end)."""
        s, n = self.s, self.n
        j = at + 1
        if j < n and s[j] == "{":
            close = s.find("}", j + 1)
            if close < 0:
                raise ParseError("Missing closing '}' in variable name ${…}.", at)
            return s[j + 1:close], close + 1
        k = j
        while k < n and (_VARIABLE_CHAR.match(s[k]) or (s[k] == ":" and k + 1 < n
                                                        and _VARIABLE_CHAR.match(s[k + 1]) and k > j)):
            k += 1
        if k == j:
            return None, j
        return s[j:k], k

    def variable(self) -> Value:
        at = self.i
        if self.peek(1) == "(":
            raise ParseError("Sub-expressions $( ) are not supported: run the command on its own line "
                             "($name = Get-…) and use $name.", at)
        name, end = self.scan_variable_name(at)
        if name is None:  # a lone '$' is just text
            self.i = at
            return self.word()[0]
        self.i = end
        c = self.peek()
        if c and c not in WORD_END:
            if c in ".[":
                raise ParseError(
                    f"Member access and indexing (${name}{c}…) are not supported: use "
                    f"${name} | Select-Object -ExpandProperty <Name> (or -First/-Skip).", self.i)
            raise self.unexpected(self.i)
        if name.lower() in LITERALS:
            return LITERALS[name.lower()]
        return Variable(name, at)

    def script_block(self) -> ScriptBlock:
        """``{ … }`` kept as text: braces counted, quoted strings and escapes skipped."""
        at = self.i
        s, n = self.s, self.n
        self.i += 1
        depth = 1
        while self.i < n:
            c = s[self.i]
            if c in SQUOTES:
                self.single_quoted()
                continue
            if c in DQUOTES:
                self.double_quoted()
                continue
            if c == "`":
                self.i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    self.i += 1
                    return ScriptBlock(s[at + 1:self.i - 1], at)
            self.i += 1
        raise ParseError("Missing closing '}' in statement block or type definition.", at)

    def hashtable(self) -> HashLiteral:
        at = self.i
        self.enter(at)
        self.i += 2
        items: list[tuple[str, Value]] = []
        while True:
            self.skip_separators()
            c = self.peek()
            if c == "":
                raise ParseError("Missing closing '}' in hash literal.", at)
            if c == "}":
                self.i += 1
                break
            key = self.hash_key()
            self.skip_ws()
            if self.peek() != "=":
                if self.i >= self.n:
                    raise ParseError("Missing closing '}' in hash literal.", at)
                raise ParseError("Missing '=' operator after key in hash literal.", self.i)
            eq = self.i
            self.i += 1
            self.skip_ws(newlines=True)
            c = self.peek()
            if c == "" or c in ";}":
                raise ParseError("Missing statement after '=' in hash literal.", eq)
            value, _, _ = self.value_list()
            items.append((key, value))
            self.skip_ws()
            c = self.peek()
            if c and c not in ";}" and c not in NEWLINE:
                raise ParseError(
                    f"Unexpected token '{self.token_text(self.i)}' in hash literal: separate entries "
                    "with ';'.", self.i)
        self.depth -= 1
        return HashLiteral(tuple(items), at)

    def skip_separators(self) -> None:
        """Skip white space, new lines and ';' between the entries of a hash literal or a list."""
        self.skip_ws(newlines=True)
        while self.peek() == ";":
            self.i += 1
            self.skip_ws(newlines=True)

    def hash_key(self) -> str:
        at = self.i
        c = self.peek()
        if c in SQUOTES:
            return self.single_quoted()
        if c in DQUOTES:
            return self.double_quoted()
        j = self.i
        while j < self.n and self.s[j] not in WORD_END and self.s[j] != "=" and self.s[j] not in SQUOTES \
                and self.s[j] not in DQUOTES:
            j += 1
        if j == at:
            if c == "=":
                raise ParseError("Missing key before '=' in hash literal.", at)
            raise self.unexpected(at)
        self.i = j
        return self.s[at:j]

    def items_until_paren(self, at: int) -> list[Value]:
        """Values separated by ',' (or ';'/new lines) up to the matching ')'."""
        self.enter(at)
        items: list[Value] = []
        while True:
            self.skip_separators()
            c = self.peek()
            if c == "":
                raise ParseError("Missing closing ')' in expression.", at)
            if c == ")":
                self.i += 1
                break
            items.extend(self.value_items()[0])
            self.skip_ws()
            c = self.peek()
            if c and c not in ");" and c not in NEWLINE:
                raise ParseError(
                    "Commands and operators inside ( ) are not supported: list values separated by "
                    "commas, or run the command on its own line ($name = Get-…).", self.i)
        self.depth -= 1
        return items

    def array_expression(self) -> ArrayLiteral:
        at = self.i
        self.i += 2
        return ArrayLiteral(tuple(self.items_until_paren(at)), at)

    def group(self) -> Value:
        at = self.i
        self.i += 1
        self.skip_ws(newlines=True)
        if self.peek() == ")":
            raise ParseError("An expression was expected after '('.", at)
        items = self.items_until_paren(at)
        if len(items) == 1:
            only = items[0]
            if isinstance(only, str) and only.lower() == "get-date":
                raise ParseError("Get-Date is not available here: type the date itself, e.g. "
                                 "-StartDate 2024-05-01 or -StartDate '05/01/2024 08:00'.", at)
            if isinstance(only, str) and _COMMAND_LIKE.fullmatch(only):
                raise ParseError(
                    f"Commands in parentheses ({only} …) are not supported: run it on its own line "
                    "($name = " + only + " …) and use $name.", at)
            return only
        return ArrayLiteral(tuple(items), at)
