"""Parser: table-driven cases for values and errors, plus hypothesis fuzzing (only ParseError, ever)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.shell import ParseError, parse
from tui.shell.parser import to_number
from tui.shell.syntax import (
    Argument,
    ArrayLiteral,
    Command,
    HashLiteral,
    Parameter,
    Pipeline,
    ScriptBlock,
    Variable,
)


def one(text: str) -> Pipeline:
    script = parse(text)
    assert len(script.statements) == 1
    return script.statements[0]


def single_command(text: str) -> Command:
    pipeline = one(text)
    assert len(pipeline.commands) == 1
    return pipeline.commands[0]


def first_value(text: str) -> Any:
    """The value of the first argument of ``Cmd <text>``."""
    element = single_command("Cmd " + text).elements[0]
    assert isinstance(element, Argument)
    return element.value


# -- structure --------------------------------------------------------------------------------

def test_pipeline_of_commands_with_named_and_positional_arguments() -> None:
    p = one("Get-Mailbox -Identity john.doe@contoso.com | Select-Object Name, Alias")
    assert [c.name for c in p.commands] == ["Get-Mailbox", "Select-Object"]
    get, sel = p.commands
    assert get.elements == (Parameter("Identity", 12), Argument("john.doe@contoso.com", 22, False,
                                                                "john.doe@contoso.com"))
    assert get.text == "Get-Mailbox -Identity john.doe@contoso.com"
    assert get.end == len(get.text)
    assert sel.column == 45
    assert isinstance(sel.elements[0], Argument)
    assert sel.elements[0].value == ArrayLiteral(("Name", "Alias"), 59)


def test_statements_split_on_semicolon_and_newline_and_empty_ones_skipped() -> None:
    script = parse("Get-Mailbox a;; Get-User b\n\nGet-Group c ;")
    assert [s.commands[0].name for s in script.statements] == ["Get-Mailbox", "Get-User", "Get-Group"]
    assert parse("").statements == ()
    assert parse("  ;  \n ").statements == ()


def test_assignment_and_variable_input() -> None:
    script = parse("$m = Get-Mailbox -ResultSize 5; $m | Sort-Object Name")
    first, second = script.statements
    assert first.assign_to == "m" and first.commands[0].name == "Get-Mailbox"
    assert first.text == "$m = Get-Mailbox -ResultSize 5"
    assert second.input_variable == "m" and second.commands[0].name == "Sort-Object"
    alone = one("$last")
    assert alone.input_variable == "last" and alone.commands == ()


def test_parameter_with_colon_value_and_switch_forms() -> None:
    c = single_command("Set-Mailbox x -Confirm:$false -Force -Name: 'A B' -Size:10MB")
    assert c.elements[1] == Parameter("Confirm", 14, False, True, "$false")
    assert c.elements[2] == Parameter("Force", 30)
    assert c.elements[3] == Parameter("Name", 37, "A B", True, "'A B'")
    assert c.elements[4] == Parameter("Size", 50, 10 * 1024**2, True, "10MB")


def test_en_dash_pasted_from_documents_is_a_parameter() -> None:
    c = single_command("Get-Mailbox \u2013Identity x")
    assert isinstance(c.elements[0], Parameter) and c.elements[0].name == "Identity"


def test_pipe_may_be_followed_by_a_new_line_and_backtick_continues_lines() -> None:
    p = one("Get-Mailbox |\n  Select-Object Name")
    assert [c.name for c in p.commands] == ["Get-Mailbox", "Select-Object"]
    c = single_command("Get-Mailbox `\n -Identity x")
    assert c.elements[0] == Parameter("Identity", 15)


def test_comments_are_ignored() -> None:
    c = single_command("Get-Mailbox x # the boss")
    assert len(c.elements) == 1
    assert first_value("a#b") == "a#b"  # '#' inside a word is text


# -- values -----------------------------------------------------------------------------------

VALUES: list[tuple[str, Any]] = [
    ("john.doe@contoso.com", "john.doe@contoso.com"),
    ("Unlimited", "Unlimited"),
    ("*smith*", "*smith*"),
    ("'single quoted'", "single quoted"),
    ("'it''s'", "it's"),
    ('"double `"quoted`" `t tab"', 'double "quoted" \t tab'),
    ('"say ""hi"""', 'say "hi"'),
    ('"cost $5 and $name"', "cost $5 and $name"),
    ("\u2018smart\u2019", "smart"),
    ("a'b c'd", "ab cd"),
    ("42", 42),
    ("-7", -7),
    ("1.5", 1.5),
    ("10KB", 10 * 1024),
    ("10mb", 10 * 1024**2),
    ("1GB", 1024**3),
    ("1.5GB", 1536 * 1024**2),
    ("2TB", 2 * 1024**4),
    ("0x1F", 31),
    ("'10MB'", "10MB"),
    ("10.0.0.1", "10.0.0.1"),
    ("2024-01-31", "2024-01-31"),
    ("1" * 80, "1" * 80),
    ("$true", True),
    ("$FALSE", False),
    ("$null", None),
    ("$last", Variable("last", 4)),
    ("${odd name}", Variable("odd name", 4)),
    ("$", "$"),
    ("a,b,c", ArrayLiteral(("a", "b", "c"), 4)),
    ("a, 'b c',\n 3", ArrayLiteral(("a", "b c", 3), 4)),
    ("@()", ArrayLiteral((), 4)),
    ("@('a'; 'b', 'c')", ArrayLiteral(("a", "b", "c"), 4)),
    ("@(@(1), 2)", ArrayLiteral((ArrayLiteral((1,), 6), 2), 4)),
    ("(1, 2)", ArrayLiteral((1, 2), 4)),
    ("('x')", "x"),
    ('@{Add="x@y.com"; Remove="z@y.com"}', HashLiteral((("Add", "x@y.com"), ("Remove", "z@y.com")), 4)),
    ("@{n='Size'; e={ $_.TotalItemSize }}", HashLiteral((("n", "Size"), ("e", ScriptBlock(" $_.TotalItemSize ", 18))), 4)),
    ("@{Add='a','b'\n 'Remove' = $null}", HashLiteral((("Add", ArrayLiteral(("a", "b"), 10)), ("Remove", None)), 4)),
    ("@{}", HashLiteral((), 4)),
    ("{ $_.Name -like 'a}*' }", ScriptBlock(" $_.Name -like 'a}*' ", 4)),
    ("{ if ($x) { \"}\" } }", ScriptBlock(' if ($x) { "}" } ', 4)),
    ("a`tb", "a\tb"),
    ("`$x", "$x"),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_value(text: str, expected: Any) -> None:
    assert first_value(text) == expected


def test_quoted_flag_and_text_are_kept() -> None:
    a = single_command("Cmd '5' 5 10MB").elements
    assert isinstance(a[0], Argument) and a[0].quoted and a[0].value == "5"
    assert isinstance(a[1], Argument) and not a[1].quoted and a[1].value == 5
    assert isinstance(a[2], Argument) and a[2].text == "10MB"


def test_to_number() -> None:
    assert to_number("10MB") == 10485760
    assert to_number("1e3") == 1000.0
    assert to_number("abc") is None
    assert to_number("1e999") is None


# -- errors -----------------------------------------------------------------------------------

ERRORS: list[tuple[str, str, int]] = [
    ("Get-Mailbox -Identity 'john", "The string is missing the terminator: '.", 22),
    ('Get-Mailbox "john', 'The string is missing the terminator: ".', 12),
    ('Get-Mailbox "john`', 'The string is missing the terminator: ".', 12),
    ("Where-Object { $_.Name -eq 'x' ", "Missing closing '}' in statement block or type definition.", 13),
    ("Where-Object { '}' ", "Missing closing '}' in statement block or type definition.", 13),
    ("Get-Mailbox x }", "Unexpected token '}' in expression or statement.", 14),
    ("Get-Mailbox (a, b", "Missing closing ')' in expression.", 12),
    ("Get-Mailbox a)", "Unexpected token ')' in expression or statement.", 13),
    ("Get-Mailbox @(a", "Missing closing ')' in expression.", 12),
    ("Set-Mailbox -X @{Add='a'", "Missing closing '}' in hash literal.", 15),
    ("Set-Mailbox -X @{Add}", "Missing '=' operator after key in hash literal.", 20),
    ("Set-Mailbox -X @{Add=}", "Missing statement after '=' in hash literal.", 20),
    ("Set-Mailbox -X @{=1}", "Missing key before '=' in hash literal.", 17),
    ("Set-Mailbox -X @{a=1 b=2}", "Unexpected token 'b=2' in hash literal: separate entries with ';'.", 21),
    ("Get-Mailbox |", "An empty pipe element is not allowed.", 12),
    ("Get-Mailbox | ", "An empty pipe element is not allowed.", 12),
    ("| Select-Object", "An empty pipe element is not allowed.", 0),
    ("Get-Mailbox || Select-Object", "An empty pipe element is not allowed.", 12),
    ("Get-Mailbox | ; x", "An empty pipe element is not allowed.", 12),
    ("Get-Mailbox - x", "A '-' must be followed by a parameter name (e.g. -Identity).", 12),
    ("Get-Mailbox -", "A '-' must be followed by a parameter name (e.g. -Identity).", 12),
    ("Get-Mailbox -Identity:", "Missing an argument for parameter 'Identity'. Specify a value after ':'.", 21),
    ("Get-Mailbox -Identity: | x", "Missing an argument for parameter 'Identity'. Specify a value after ':'.", 21),
    ("Get-Mailbox a,", "Missing expression after ','.", 13),
    ("Get-Mailbox a,,b", "Missing expression after ','.", 13),
    ("Get-Mailbox , a", "Missing expression before ','.", 12),
    ("$x =", "You must provide a value expression following the '=' operator.", 3),
    ("$x = ; y", "You must provide a value expression following the '=' operator.", 3),
    ("$x += Get-Mailbox", "The '+=' operator is not supported; use $name = <command>.", 3),
    ("Set-Mailbox @params", "Splatting (@name) is not supported: pass the parameters directly.", 12),
    ("& Get-Mailbox", "The call operator '&' is not supported: type the command name directly.", 0),
    ("Get-Mailbox > out.txt", "Redirection is not supported: pipe to Out-File instead (… | Out-File <path>).", 12),
    ("Get-Mailbox x 2>&1", "Redirection is not supported: pipe to Out-File instead (… | Out-File <path>).", 14),
    ("Get-Mailbox <# note #> x", "Block comments <# … #> are not supported: use # for a comment.", 12),
    ("Set-Mailbox x -Name @'\nA\n'@", "Here-strings (@' … '@) are not supported: use a quoted string.", 20),
    ("Get-Mailbox -Identity $m.Name",
     "Member access and indexing ($m.…) are not supported: use $m | Select-Object -ExpandProperty <Name> "
     "(or -First/-Skip).", 24),
    ("$m[0]", "Member access and indexing ($m[…) are not supported: use $m | Select-Object -ExpandProperty "
     "<Name> (or -First/-Skip).", 2),
    ("Get-Mailbox $(Get-User x)",
     "Sub-expressions $( ) are not supported: run the command on its own line ($name = Get-…) and use $name.", 12),
    ("Get-Mailbox (Get-User)",
     "Commands in parentheses (Get-User …) are not supported: run it on its own line ($name = Get-User …) "
     "and use $name.", 12),
    ("Get-Mailbox (Get-User x)",
     "Commands and operators inside ( ) are not supported: list values separated by commas, or run the "
     "command on its own line ($name = Get-…).", 22),
    ("Get-MessageTraceV2 -StartDate (Get-Date).AddDays(-2)", "Get-Date is not available here: type the date "
     "itself, e.g. -StartDate 2024-05-01 or -StartDate '05/01/2024 08:00'.", 30),
    ("Get-Mailbox ()", "An expression was expected after '('.", 12),
    ("Get-Mailbox (a).Name", "Member access and indexing are not supported outside script blocks.", 15),
    ("'text'", "Expressions are not supported: a statement starts with a command name (e.g. Get-Mailbox) or a "
     "variable ($last).", 0),
    ("$true | Select-Object", "Expressions are not supported: a statement starts with a command name "
     "(e.g. Get-Mailbox) or a variable ($last).", 0),
    ("-Identity x", "Expected a command name before the parameter '-Identity' (e.g. Get-Mailbox -Identity …).", 0),
    ("Get-Mailbox | $last", "Expressions are only allowed as the first element of a pipeline.", 14),
    ("$last Select-Object", "Unexpected token 'Select-Object' in expression or statement.", 6),
    ("Get-'Mailbox'", "A command name cannot be quoted: type it bare, e.g. Get-Mailbox.", 0),
    ("Get-Mailbox ${x", "Missing closing '}' in variable name ${…}.", 12),
    ("Get-Mailbox a`", "Missing character after the escape character '`'.", 13),
    ("x " + "@(" * 70 + ")" * 70, "The line is nested too deeply (more than 64 levels).", 2 + 2 * 64),
]


@pytest.mark.parametrize(("text", "message", "column"), ERRORS)
def test_parse_error(text: str, message: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.column == column


def test_error_column_counts_from_the_start_of_the_whole_text() -> None:
    with pytest.raises(ParseError) as info:
        parse("Get-Mailbox x; Get-User 'y")
    assert info.value.column == 24


# -- fuzzing ----------------------------------------------------------------------------------

def _parse_or_parse_error(text: str) -> None:
    start = time.perf_counter()
    try:
        parse(text)
    except ParseError as exc:
        assert isinstance(exc.column, int) and 0 <= exc.column <= len(text)
        assert exc.message
    assert time.perf_counter() - start < 0.5


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text_raises_only_parse_error(text: str) -> None:
    _parse_or_parse_error(text)


_PIECES = st.sampled_from([
    "Get-Mailbox", "Set-Mailbox", "Select-Object", "Where-Object", " ", "  ", "|", ";", "\n", "-Identity",
    "-Confirm:", "$false", "$true", "$null", "$last", "$x", "=", "'", "''", '"', '`', "`n", "{", "}", "(",
    ")", "@(", "@{", ",", "10MB", "-5", "1.5", "*smith*", "john@contoso.com", "-", "--", ":", "#", "&",
    ">", "$", "${", ".", "[0]", "-eq", "$_.Name", "\u2013", "\u201c", "\u2019", "x", "=", "@params",
])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_fuzz_grammar_like_text_raises_only_parse_error(text: str) -> None:
    _parse_or_parse_error(text)


def test_long_inputs_parse_in_linear_time() -> None:
    cases = ["Cmd " + "a," * 20000 + "b", "Cmd " + "{" * 50000, "Cmd '" + "x" * 100000,
             "Cmd " + "-p v " * 20000, "Cmd " + "`" * 100001]
    for text in cases:
        start = time.perf_counter()
        try:
            parse(text)
        except ParseError:
            pass
        assert time.perf_counter() - start < 1.0, text[:20]
