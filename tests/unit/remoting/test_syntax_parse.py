"""Get-Command syntax lines → parameter sets, positions, mandatory flags and valid values."""

from __future__ import annotations

from tui.catalog import ALL_SETS, CmdletInfo, ParameterInfo
from tui.remoting.syntax_parse import cmdlet_from_syntax, definition_lines, parse_syntax_line, tokenize


def test_tokenize_keeps_types_and_value_lists_whole() -> None:
    assert tokenize("X [-A <Unlimited[uint]>] [-B {One | Two}]") == [
        "X", "[", "-A", "<Unlimited[uint]>", "]", "[", "-B", "{One | Two}", "]"]


def test_every_form_of_parameter() -> None:
    line = ("Set-Mailbox [-Identity] <MailboxIdParameter> [[-Second] <string[]>] -User <SecurityPrincipalIdParameter> "
            "[-Type {Regular | Room | Shared}] [-Force] -Must [<CommonParameters>]")
    got = {p.name: p for p in parse_syntax_line(line)}
    assert list(got) == ["Identity", "Second", "User", "Type", "Force", "Must"]
    assert got["Identity"].mandatory and got["Identity"].positional and got["Identity"].type == "MailboxIdParameter"
    assert not got["Second"].mandatory and got["Second"].positional and got["Second"].type == "string[]"
    assert got["User"].mandatory and not got["User"].positional
    assert got["Type"].valid_values == ("Regular", "Room", "Shared") and not got["Type"].mandatory
    assert got["Force"].switch and not got["Force"].mandatory
    assert got["Must"].switch and got["Must"].mandatory


def test_sets_positions_and_merge_into_metadata() -> None:
    detail = cmdlet_from_syntax("Get-Mailbox", [
        ("AnrSet", "Get-Mailbox [-Anr <string>] [-Archive] [<CommonParameters>]"),
        ("Identity", "Get-Mailbox [[-Identity] <MailboxIdParameter>] [-Archive] [<CommonParameters>]"),
    ], default_set="Identity")
    assert detail.parameter_sets == ("Identity", "AnrSet")
    identity = detail.parameter("Identity")
    assert identity is not None and identity.position == 1 and identity.sets == ("Identity",)
    archive = detail.parameter("archive")
    assert archive is not None and archive.switch and set(archive.sets) == {"Identity", "AnrSet"}
    base = CmdletInfo("Get-Mailbox", parameters=(
        ParameterInfo("Identity", "MailboxIdParameter", pipeline=True),
        ParameterInfo("Archive", "SwitchParameter", switch=True),
        ParameterInfo("Anr", "String", aliases=("a",))))
    merged = base.merged_with(detail)
    assert merged.positional("Identity")[0].name == "Identity"
    assert merged.parameter("a") is not None and merged.parameter("Identity").pipeline


def test_single_set_mandatory_is_mandatory_everywhere() -> None:
    c = cmdlet_from_syntax("Remove-Thing", [("__AllParameterSets",
                                             "Remove-Thing [-Identity] <string> [-Confirm] [<CommonParameters>]")])
    p = c.parameter("Identity")
    assert p is not None and p.sets == (ALL_SETS,) and p.is_mandatory(None)
    assert c.parameter_sets == ()


def test_definition_lines() -> None:
    text = "Get-X [-A <string>] [<CommonParameters>]\r\n\r\nGet-X [-B] [<CommonParameters>]"
    assert definition_lines(text, "Get-X") == ["Get-X [-A <string>] [<CommonParameters>]",
                                              "Get-X [-B] [<CommonParameters>]"]
