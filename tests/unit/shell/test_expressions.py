"""The script-block language: PowerShell operators and coercions over Records; clear errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.shell.errors import ShellError
from tui.shell.expressions import ExpressionError, compile_expression
from tui.shell.records import Record
from tui.shell.sizes import ByteSize

MAILBOX = Record({
    "Name": "Alice Smith",
    "Alias": "alice",
    "ProhibitSendQuota": "99 GB (106,300,440,576 bytes)",
    "IssueWarningQuota": "Unlimited",
    "ItemCount": 5,
    "Ratio": 0.25,
    "LitigationHoldEnabled": False,
    "EmailAddresses": ["smtp:alice@contoso.onmicrosoft.com", "SMTP:alice@contoso.com"],
    "WhenCreated": datetime(2026, 1, 15, 9, 30),
    "Manager": Record({"Name": "Bob", "Address": Record({"City": "Oslo"})}),
    "Count5": "10",
}, ["Microsoft.Exchange.Data.Directory.Management.Mailbox"])


def ev(text: str, item: Any = MAILBOX, variables: dict[str, Any] | None = None) -> Any:
    return compile_expression(text).evaluate(item, variables)


@pytest.mark.parametrize(("text", "expected"), [
    # equality is case-insensitive; -c variants are not; -i variants explicitly insensitive
    ("$_.Name -eq 'alice smith'", True),
    ("$_.Name -ceq 'alice smith'", False),
    ("$_.Name -ieq 'ALICE SMITH'", True),
    ("$_.Name -ne 'bob'", True),
    ("$_.Name -cne 'Alice Smith'", False),
    # left operand's type decides: number vs string
    ("$_.ItemCount -eq '5'", True),
    ("$_.ItemCount -gt '10'", False),
    ("$_.Count5 -gt 9", False),  # string comparison: "10" < "9"
    ("$_.ItemCount -ge 5", True),
    ("$_.ItemCount -lt 5.5", True),
    ("$_.ItemCount -le 4", False),
    ("$_.Ratio -lt 1", True),
    # sizes
    ("$_.ProhibitSendQuota -gt 50GB", True),
    ("$_.ProhibitSendQuota -lt 50GB", False),
    ("$_.ProhibitSendQuota -gt '100GB'", False),
    ("$_.ProhibitSendQuota -eq 106300440576", True),
    ("$_.IssueWarningQuota -gt 1000TB", True),
    ("$_.IssueWarningQuota -eq 'unlimited'", True),
    # wildcards and regex
    ("$_.Name -like 'a*'", True),
    ("$_.Name -like 'A?ice*'", True),
    ("$_.Name -like '[ab]lice*'", True),
    ("$_.Name -clike 'a*'", False),
    ("$_.Name -notlike '*smith'", False),
    ("$_.Name -match 'SMITH$'", True),
    ("$_.Name -cmatch 'SMITH$'", False),
    ("$_.Name -notmatch '^bob'", True),
    # collections
    ("$_.EmailAddresses -contains 'SMTP:ALICE@contoso.com'", True),
    ("$_.EmailAddresses -ccontains 'smtp:ALICE@contoso.com'", False),
    ("$_.EmailAddresses -notcontains 'x@y.z'", True),
    ("$_.Alias -in 'bob','ALICE'", True),
    ("$_.Alias -cin 'bob','ALICE'", False),
    ("$_.Alias -notin @('bob', 'carol')", True),
    ("$_.EmailAddresses -like '*contoso.com'", ["SMTP:alice@contoso.com"]),
    ("$_.EmailAddresses.Count", 2),
    ("$_.EmailAddresses[1]", "SMTP:alice@contoso.com"),
    ("$_.EmailAddresses[5]", None),
    # logic, PowerShell precedence (-and/-or equal, left to right; -not binds tightly)
    ("$_.ItemCount -gt 1 -and $_.Name -like 'a*'", True),
    ("$_.ItemCount -gt 10 -or $_.Alias -eq 'alice'", True),
    ("$false -and $false -or $true", True),
    ("$true -or $false -and $false", False),
    ("-not $_.LitigationHoldEnabled", True),
    ("!$_.LitigationHoldEnabled -and $_.ItemCount -eq 5", True),
    ("-not ($_.ItemCount -eq 5)", False),
    ("$true -xor $true", False),
    # members, nested records, missing properties are $null
    ("$_.Manager.Address.City", "Oslo"),
    ("$_.Manager.Address.City -eq 'oslo'", True),
    ("$_.Nope", None),
    ("$_.Nope.Deeper", None),
    ("$_.Nope -eq $null", True),
    ("$null -eq $_.Nope", True),
    ("$_.Name.Length", 11),
    ("$_.Name.ToUpper()", "ALICE SMITH"),
    ("$_.Name.StartsWith('Alice')", True),
    ("$_.Name.Split(' ')[0]", "Alice"),
    ("$_.ProhibitSendQuota.Value.ToGB()", 99),
    ("$_.ItemCount.ToString()", "5"),
    # arithmetic with size literals
    ("1GB / 1MB", 1024),
    ("10 / 4", 2.5),
    ("7 % 4 + 2 * 3", 9),
    ("-(2 - 5)", 3),
    ("$_.ProhibitSendQuota / 1GB -gt 98", True),
    ("'a' + 1", "a1"),
    ("1 + '2'", 3),
    ("0x10", 16),
    # strings
    ("\"$($_.Alias)@contoso.com\"", "alice@contoso.com"),
    ("\"tab`there\"", "tab\there"),
    ("'it''s'", "it's"),
    ("$_.Name -replace 'smith','Jones'", "Alice Jones"),
    ("$_.EmailAddresses -join ';'", "smtp:alice@contoso.onmicrosoft.com;SMTP:alice@contoso.com"),
    ("('a,b' -split ',').Count", 2),
    # dates
    ("$_.WhenCreated -lt '2026-02-01'", True),
    ("$_.WhenCreated -gt [datetime]'01/01/2026'", True),
    ("$_.WhenCreated.AddDays(30) -gt '2026-02-01'", True),
    ("$_.WhenCreated -lt (Get-Date)", True),
    ("$_ -is 'Mailbox'", True),
    ("$_.Name -is [string]", True),
])
def test_expression_evaluates_like_powershell(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_psitem_variables_and_scalars() -> None:
    assert ev("$PSItem.Alias") == "alice"
    assert ev("$_ -gt 3", 5) is True
    assert ev("$_.Length", "hello") == 5
    assert ev("$limit -lt $_.ItemCount", variables={"LIMIT": 3}) is True
    assert ev("$unset") is None


def test_get_date_is_now() -> None:
    now = ev("(Get-Date)")
    assert isinstance(now, datetime)
    assert abs(now - datetime.now()) < timedelta(seconds=5)
    week_ago = ev("(Get-Date).AddDays(-7)")
    assert abs((now - week_ago) - timedelta(days=7)) < timedelta(seconds=5)


def test_size_value_member_gives_bytesize() -> None:
    assert ev("$_.ProhibitSendQuota.Value") == ByteSize(106_300_440_576)


@pytest.mark.parametrize(("text", "message", "column"), [
    ("$_.Name = 'x'", "'=' is not a PowerShell comparison operator; use -eq", 8),
    ("$_.Name == 'x'", "use -eq", 8),
    ("$_.Size > 5", "use -gt", 8),
    ("$_.Name -foo 1", "unknown operator", 8),
    ("$_.Name -eq", "You must provide a value expression following the '-eq' operator", 11),
    ("($_.Name -eq 1", "Missing ')'", 14),
    ("'abc", "missing the terminator", 0),
    ('"abc', "missing the terminator", 0),
    ("$_.Name -eq bob", "'bob' is a bare word", 12),
    ("", "empty", 0),
    ("$_.Name | Select-Object", "'|' is not supported", 8),
    ("Get-Mailbox", "only (Get-Date)", 0),
    ("$_.Name -eq 1 2", "Unexpected token '2'", 14),
    ("[Foo.Bar]'x'", "not supported", 0),
    ("@{a=1}", "Hash tables", 0),
    ("$", "variable name is missing", 0),
    ("$_.", "Missing property name", 3),
])
def test_syntax_errors_are_clear_and_located(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert message in info.value.message
    assert info.value.column == column
    assert isinstance(info.value, ShellError)


def test_error_columns_are_offset_into_the_command_line() -> None:
    # Where-Object { $_.Name = 'x' }: the block's text starts after the brace at column 13
    with pytest.raises(ExpressionError) as info:
        compile_expression(" $_.Name = 'x' ", column=14)
    assert info.value.column == 14 + 9


@pytest.mark.parametrize(("text", "message"), [
    ("$_.Name.Nope()", "does not contain a method named 'Nope'"),
    ("$_.Nope.ToUpper()", "cannot call a method on a null-valued expression"),
    ("$_.Name -match '('", "Invalid regular expression"),
    ("$_.Name -like '[abc'", "wildcard character pattern is not valid"),
    ("1 / 0", "divide by zero"),
    ("$_.Name - 1", "Cannot convert value 'Alice Smith' to a number"),
    ("[int]'abc'", 'Cannot convert value "abc" to type [int]'),
])
def test_runtime_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(text)
    assert message in info.value.message


def test_compiled_once_evaluated_many_times() -> None:
    expr = compile_expression("$_.ItemCount -gt 2 -and $_.Name -like 'u*'")
    hits = [i for i in range(10) if expr.evaluate(Record({"ItemCount": i, "Name": f"u{i}"}))]
    assert hits == list(range(3, 10))


# -- fuzzing: any text either compiles or raises ExpressionError; evaluation never crashes otherwise --


_PIECES = st.sampled_from([
    "$_", "$_.Name", "$_.ItemCount", ".", "(", ")", "[", "]", "'a'", '"b$($_.Alias)"', "1", "50GB", "-eq",
    "-like", "-and", "-or", "-not", "!", "+", "-", "*", "/", "%", ",", "@(", "$(", "[int]", ".ToUpper()",
    "(Get-Date)", "-contains", "-in", "$null", "$true", " ", "-replace", "-split", "-join", "{", "}", "=",
    "-f", "'{0:N2}'", '"{1,-3}"', "[math]::", "Round", "::", "[datetime]::Now", ".ToString('yyyy')",
])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_PIECES, max_size=12).map("".join)))
def test_fuzz_never_raises_anything_but_expression_error(text: str) -> None:
    try:
        expr = compile_expression(text)
    except ExpressionError:
        return
    try:
        expr.evaluate(MAILBOX)
    except ExpressionError:
        pass


# -- .NET formatting and static members, as Exchange reports use them -------------------------------

SIZES = Record({"TotalItemSize": "1.5 GB (1,610,612,736 bytes)", "N": 1234.5678, "Name": "x",
                "When": datetime(2026, 3, 4, 17, 6, 7)})


@pytest.mark.parametrize(("text", "expected"), [
    ('"{0:N2}" -f ($_.TotalItemSize.Value.ToBytes() / 1GB)', "1.50"),
    ('"{0,-5}|{1,5}|{2:yyyy-MM-dd HH:mm}" -f $_.Name, 42, $_.When', "x    |   42|2026-03-04 17:06"),
    ('"{0} {{literal}}" -f 1', "1 {literal}"),
    ('"{0:P1}" -f 0.256', "25.6 %"),
    ('"{0:D4}" -f 7', "0007"),
    ('"{0:X}" -f 255', "FF"),
    ('$_.N.ToString("N1")', "1,234.6"),
    ('$_.N.ToString("F0")', "1235"),
    ('$_.When.ToString("dd/MM/yyyy h:mm tt")', "04/03/2026 5:06 PM"),
    ('$_.When.ToString("s")', "2026-03-04T17:06:07"),
    ("[math]::Round($_.TotalItemSize.Value.ToMB() / 1024, 2)", 1.5),
    ("[math]::Round(2.5)", 2.0),  # banker's rounding, as .NET
    ("[Math]::Max(3, 7)", 7),
    ("[math]::Floor(2.7)", 2),
    ("[string]::IsNullOrEmpty($_.Missing)", True),
    ("[string]::Join(';', @('a', 'b'))", "a;b"),
    ("[datetime]::Now -gt $_.When", True),
    ("[System.DateTime]::Parse('2026-01-02').Day", 2),
])
def test_dotnet_formatting_and_static_members(text: str, expected: Any) -> None:
    assert ev(text, SIZES) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("[foo]::Bar", "The type [foo] is not supported here"),
    ("[math]::Nope(1)", "[math] has no static method 'Nope'"),
    ('"{1}" -f 5', "Index (zero based)"),
])
def test_dotnet_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        ev(text, SIZES)


@pytest.mark.parametrize("text", ["$_.Name * 3GB", "[math]::Floor(1e400)", "[math]::Sqrt(-1)",
                                  "$_.WhenCreated.AddDays(1e12)", "[math]::Pow(10, 1000)"])
def test_python_limits_become_clear_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)
