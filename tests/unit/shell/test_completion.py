"""Completion: context kinds on text alone, ranking, values, properties, mid-line and robustness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from tests.unit.shell.conftest import P
from tui.catalog import Catalog, CmdletInfo
from tui.shell.completion import CmdletCompleter, CompletionData, commands_in, complete, index_for, learn
from tui.shell.context import Kind, analyze
from tui.shell.matching import NameIndex, match_quality
from tui.shell.records import Record

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Retrieves mailboxes.", ("Identity", "AnrSet"), (
        P("Identity", "MailboxIdParameter", sets=["Identity"], position=0, pipeline=True),
        P("Anr", sets=["AnrSet"]),
        P("ResultSize", "Unlimited"),
        P("RecipientTypeDetails", "RecipientTypeDetails[]", valid_values=["UserMailbox", "SharedMailbox"]),
        P("Archive", "SwitchParameter"),
    )),
    CmdletInfo("Get-MailboxPermission", "Retrieves permissions on a mailbox.", ("Identity",), (
        P("Identity", "MailboxIdParameter", position=0, mandatory_in=["Identity"]),
        P("User", "SecurityPrincipalIdParameter"),
    )),
    CmdletInfo("Get-MailboxStatistics", "Gets statistics.", ("Identity",), (
        P("Identity", "GeneralMailboxOrMailUserIdParameter", position=0, pipeline=True),
    )),
    CmdletInfo("Get-MobileDeviceMailboxPolicy", "Mobile policies.", (), (P("Identity"),)),
    CmdletInfo("Get-User", "Retrieves users.", (), (P("Identity", "UserIdParameter", position=0),)),
    CmdletInfo("Set-Mailbox", "Modifies mailboxes.", ("Identity",), (
        P("Identity", "MailboxIdParameter", position=0, mandatory_in=["Identity"]),
        P("HiddenFromAddressListsEnabled", "Boolean"),
        P("ProhibitSendQuota", "Unlimited"),
        P("Type", "ConvertibleMailboxSubType", valid_values=["Regular", "Room", "Shared"]),
        P("Confirm", "SwitchParameter"),
    )),
    CmdletInfo("Add-MailboxPermission", "Adds permissions.", ("AccessRights", "Owner"), (
        P("Identity", "MailboxIdParameter", position=0, mandatory_in=["(All)"]),
        P("User", "SecurityPrincipalIdParameter", sets=["AccessRights"], mandatory_in=["AccessRights"]),
        P("AccessRights", "MailboxRights[]", sets=["AccessRights"], mandatory_in=["AccessRights"],
          valid_values=["ChangeOwner", "FullAccess", "ReadPermission"]),
        P("Owner", "SecurityPrincipalIdParameter", sets=["Owner"], mandatory_in=["Owner"]),
        P("AutoMapping", "Boolean", sets=["AccessRights"]),
        P("Deny", "SwitchParameter", sets=["AccessRights"]),
    )),
])

DATA = CompletionData(
    history_counts={"Get-MailboxStatistics": 5},
    properties={"Get-Mailbox": ["Name", "Alias", "ProhibitSendQuota", "Display Name"],
                "Get-MailboxStatistics": ["DisplayName", "ItemCount", "TotalItemSize"],
                "$m": ["Name", "Alias"]},
    identities=["john.doe@contoso.com", "Megan Bowen", "O'Brien"],
    variables=["last", "m"],
)


def texts(text: str, cursor: int | None = None, data: CompletionData = DATA) -> list[str]:
    return [c.text for c in complete(text, cursor, CATALOG, data)]


# -- context kinds, on text alone -------------------------------------------------------------

KINDS: list[tuple[str, Kind, dict[str, Any]]] = [
    ("", Kind.COMMAND, {"word": ""}),
    ("Get-Ma", Kind.COMMAND, {"word": "Get-Ma"}),
    ("Get-Mailbox | Get-Ma", Kind.COMMAND, {"word": "Get-Ma"}),
    ("Get-Mailbox x; Set-", Kind.COMMAND, {"word": "Set-"}),
    ("$x = Get-M", Kind.COMMAND, {"word": "Get-M"}),
    ("$x=Get-M", Kind.COMMAND, {"word": "Get-M"}),
    ("$x= Get-Mailbox -Re", Kind.PARAMETER, {"command": "Get-Mailbox"}),
    ("Get-Mailbox -", Kind.PARAMETER, {"command": "Get-Mailbox", "prefix": ""}),
    ("Get-Mailbox -Res", Kind.PARAMETER, {"command": "Get-Mailbox", "prefix": "Res"}),
    ("Get-Mailbox -Archive -Identity x -R", Kind.PARAMETER, {"given": ("Archive", "Identity")}),
    ("Get-Mailbox -ResultSize ", Kind.VALUE, {"parameter": "ResultSize", "word": ""}),
    ("Get-Mailbox -ResultSize:unl", Kind.VALUE, {"parameter": "ResultSize", "word": "unl", "attached": True}),
    ("Get-Mailbox 'Meg", Kind.VALUE, {"parameter": None, "position": 0, "quote": "'", "prefix": "Meg"}),
    ("Get-Mailbox x ", Kind.VALUE, {"parameter": None, "position": 1}),
    ("Get-Mailbox -RecipientTypeDetails UserMailbox,Sh", Kind.VALUE,
     {"parameter": "RecipientTypeDetails", "word": "Sh"}),
    ("Get-Mailbox | Select-Object ", Kind.PROPERTY, {"source": "Get-Mailbox", "parameter": "Property"}),
    ("Get-Mailbox | Select-Object Name, Al", Kind.PROPERTY, {"source": "Get-Mailbox", "prefix": "Al"}),
    ("Get-Mailbox | select -ExpandProperty Na", Kind.PROPERTY, {"parameter": "ExpandProperty"}),
    ("Get-Mailbox | Select-Object -First 5 -Property ", Kind.PROPERTY, {"parameter": "Property"}),
    ("Get-Mailbox | Select-Object -First ", Kind.VALUE, {"parameter": "First"}),
    ("Get-Mailbox | Sort-Object Name -Descending ", Kind.VALUE, {"position": 1}),
    ("Get-Mailbox | Where-Object Pro", Kind.PROPERTY, {"source": "Get-Mailbox"}),
    ("Get-Mailbox | Where-Object Name -like ", Kind.VALUE, {"parameter": "Value"}),
    ("Get-Mailbox | Get-MailboxStatistics | Sort-Object Name | Format-Table ", Kind.PROPERTY,
     {"source": "Get-MailboxStatistics"}),
    ("Get-Mailbox | Where-Object { $_.Pro", Kind.PROPERTY, {"source": "Get-Mailbox", "prefix": "Pro"}),
    ("Get-Mailbox | Where-Object { $_.Name -eq 'x' -and $PSItem.Al", Kind.PROPERTY, {"prefix": "Al"}),
    ("Get-Mailbox | Select-Object @{n='GB'; e={ $_.Prohib", Kind.PROPERTY, {"prefix": "Prohib"}),
    ("Get-Mailbox | Where-Object { $_.Name -l", Kind.OPERATOR, {"prefix": "l"}),
    ("Get-Mailbox | Where-Object { $", Kind.VARIABLE, {"prefix": ""}),
    ("$m | Select-Object ", Kind.PROPERTY, {"source": "$m"}),
    ("$la", Kind.VARIABLE, {"prefix": "la"}),
    ("Get-Mailbox -Identity $", Kind.VARIABLE, {"command": "Get-Mailbox"}),
    ("Get-Mailbox # a comment", Kind.NONE, {}),
    ("Get-Mailbox -Filter (x", Kind.NONE, {}),
    ("Set-Mailbox x -EmailAddresses @{Add=", Kind.NONE, {}),
]


@pytest.mark.parametrize(("text", "kind", "fields"), KINDS)
def test_context_kind(text: str, kind: Kind, fields: dict[str, Any]) -> None:
    ctx = analyze(text)
    assert ctx.kind is kind, ctx
    for name, value in fields.items():
        assert getattr(ctx, name) == value, (name, ctx)


# -- matching and ranking ---------------------------------------------------------------------

def test_match_tiers() -> None:
    assert match_quality("get-mailbox", "get-mailbox")[0] == 0
    assert match_quality("get-m", "get-mailbox")[0] == 1
    assert match_quality("gmbx", "get-mailbox", name="Get-Mailbox")[0] == 2
    assert match_quality("mbx", "get-mailbox")[0] == 3
    assert match_quality("zz", "get-mailbox") is None


def test_name_index_agrees_with_match_quality() -> None:
    names = ["Get-Mailbox", "Get-MailboxPermission", "Set-Mailbox", "Add-MailboxPermission", "New-Thing"]
    index = NameIndex(names)
    for query in ("", "g", "get", "gmbxp", "g-mbx", "mbx", "perm", "x", "zz", "set-mailbox", "-"):
        found = {index.names[i]: q for q, i in index.search(query)}
        for name in names:
            q = match_quality(query.lower(), name.lower(), name=name)
            assert found.get(name) == q, (query, name)


def test_typing_letter_by_letter_narrows_to_the_same_results_as_a_fresh_search() -> None:
    names = [f"{verb}-{noun}" for verb in ("Get", "Set", "Add", "Remove")
             for noun in ("Mailbox", "MailboxPermission", "MobileDevice", "MessageTrace", "User", "Group")]
    for enough in (None, 3):
        typed = NameIndex(names)
        for word in ("set-mailboxperm", "gmbxp", "mailbox", "rem-user", "xyz"):
            for k in range(1, len(word) + 1):
                fresh = NameIndex(names)
                assert sorted(typed.search(word[:k], enough)) == sorted(fresh.search(word[:k], enough)), word[:k]


def test_prefix_then_humps_then_fuzzy_then_alphabetical() -> None:
    assert texts("Get-Mailbox")[:3] == ["Get-Mailbox", "Get-MailboxStatistics", "Get-MailboxPermission"]
    assert texts("gmbxp")[0] == "Get-MailboxPermission"
    assert texts("g-mbx", data=CompletionData())[0] == "Get-Mailbox"
    assert texts("g-mbx")[0] == "Get-MailboxStatistics"  # same quality: the one used more comes first
    assert texts("gmbxp")[:2] == ["Get-MailboxPermission", "Get-MobileDeviceMailboxPolicy"]
    assert texts("permission") == ["Add-MailboxPermission", "Get-MailboxPermission"]


def test_history_counts_rank_within_the_same_quality() -> None:
    assert texts("Get-Mailbox", data=CompletionData())[:3] == [
        "Get-Mailbox", "Get-MailboxPermission", "Get-MailboxStatistics"]
    # Get-MailboxStatistics was used more, so it comes before Get-MailboxPermission (same quality).
    assert texts("Get-Mailbox")[:3] == ["Get-Mailbox", "Get-MailboxStatistics", "Get-MailboxPermission"]


def test_history_counts_bumped_in_place_change_the_ranking() -> None:
    counts = {"Get-MailboxPermission": 1}
    data = CompletionData(history_counts=counts)
    assert texts("Get-Mailbox", data=data)[:3] == ["Get-Mailbox", "Get-MailboxPermission", "Get-MailboxStatistics"]
    counts["get-mailboxstatistics"] = 1
    counts["get-mailboxstatistics"] += 2  # the same dict, mutated: the ranking follows
    assert texts("Get-Mailbox", data=data)[:3] == ["Get-Mailbox", "Get-MailboxStatistics", "Get-MailboxPermission"]


def test_command_completion_carries_synopsis_and_start_position() -> None:
    c = complete("Get-Mailbox | get-mailboxs", None, CATALOG, DATA)[0]
    assert c.text == "Get-MailboxStatistics" and c.start_position == -len("get-mailboxs")
    assert c.display_meta_text == "Gets statistics."
    assert "Select-Object" in texts("Select-O")  # local cmdlets complete too


def test_after_a_local_command_only_local_commands_are_offered() -> None:
    # Names that begin with the word, so no hump match (Group-Object) joins them…
    assert texts("Get-Mailbox | Get") == ["Get-MailboxStatistics", "Get-Mailbox", "Get-MailboxPermission",
                                          "Get-MobileDeviceMailboxPolicy", "Get-User"]
    # …but after a local command only local ones remain, none begins with it, and the hump match is offered.
    assert texts("Get-Mailbox | Sort-Object Name | Get") == ["Group-Object"]
    assert texts("$last | S") == ["Select-Object", "Sort-Object"]
    assert analyze("Get-Mailbox | Sort-Object Name | ").local_only


def test_no_catalog_yet_completes_local_cmdlets_only() -> None:
    assert [c.text for c in complete("Sel", 3, None)] == ["Select-Object"]
    assert complete("Get-Mai", 7, None) == []


# -- parameters -------------------------------------------------------------------------------

def test_parameters_with_type_and_mandatory_meta_given_ones_excluded() -> None:
    found = complete("Add-MailboxPermission box -User u -", None, CATALOG, DATA)
    names = [c.text for c in found]
    assert names[:2] == ["-Identity", "-AccessRights"]  # mandatory in the only set left, positional first
    assert "-User" not in names and "-Identity" in names
    assert "-Owner" not in names  # cannot be combined with -User
    meta = {c.text: c.display_meta_text for c in found}
    assert meta["-AccessRights"] == "<MailboxRights[]>  mandatory"
    assert meta["-Deny"] == "<SwitchParameter>"


def test_parameter_prefix_and_common_parameters_last() -> None:
    assert texts("Get-Mailbox -r") == ["-RecipientTypeDetails", "-ResultSize"]
    names = texts("Get-Mailbox -")
    assert names[0] == "-Identity"  # positional first when nothing narrows the sets
    assert names[-4:] == ["-Debug", "-ErrorAction", "-Verbose", "-WarningAction"]


# -- values -----------------------------------------------------------------------------------

def test_values_valid_values_booleans_unlimited() -> None:
    assert texts("Get-Mailbox -RecipientTypeDetails ") == ["SharedMailbox", "UserMailbox"]
    assert texts("Get-Mailbox -RecipientTypeDetails UserMailbox,s") == ["SharedMailbox"]
    assert texts("Set-Mailbox x -HiddenFromAddressListsEnabled ") == ["$false", "$true"]
    assert texts("Set-Mailbox x -Confirm:") == ["$false", "$true"]
    assert texts("Get-Mailbox -ResultSize u") == ["Unlimited"]
    assert texts("Set-Mailbox x -Type r") == ["Regular", "Room"]
    assert texts("Add-MailboxPermission x -AccessRights full") == ["FullAccess"]


def test_identities_quoted_when_needed() -> None:
    assert texts("Get-Mailbox ") == ["john.doe@contoso.com", "'Megan Bowen'", "'O''Brien'"]
    assert texts("Get-Mailbox -Identity meg") == ["'Megan Bowen'"]
    assert texts('Get-Mailbox -Identity "Meg') == ['"Megan Bowen"']
    assert texts("Get-Mailbox -Identity 'jo") == ["'john.doe@contoso.com'"]
    assert texts("Get-User -Identity:me") == ["'Megan Bowen'"]


def test_switch_does_not_take_the_next_word() -> None:
    # After the switch -Archive the word is positional (Identity), so identities are offered.
    assert texts("Get-Mailbox -Archive meg") == ["'Megan Bowen'"]


def test_properties_of_the_remote_source() -> None:
    assert texts("Get-Mailbox | Select-Object ") == ["Alias", "'Display Name'", "Name", "ProhibitSendQuota"]
    assert texts("Get-Mailbox | Get-MailboxStatistics | Sort-Object -Property t") == ["TotalItemSize"]
    assert texts("get-mailbox | where { $_.pro") == ["ProhibitSendQuota"]
    assert texts("$m | Format-Table a") == ["Alias"]
    assert texts("Get-User | Select-Object ") == []  # nothing seen yet for Get-User


def test_variables_and_operators() -> None:
    assert texts("$") == ["$last", "$m"]
    assert texts("Get-Mailbox -Identity $l") == ["$last"]
    assert "$true" in texts("Get-Mailbox -Identity $")
    assert texts("Get-Mailbox | Where-Object { $_.Name -notl")[0] == "-notlike"


# -- cursor, robustness, API ------------------------------------------------------------------

def test_mid_line_cursor_completes_the_word_before_it() -> None:
    line = "Get-Mailb -ResultSize 5 | Select-Object Name"
    found = complete(line, len("Get-Mailb"), CATALOG, CompletionData())
    assert found[0].text == "Get-Mailbox" and found[0].start_position == -len("Get-Mailb")
    line = "Get-Mailbox -Res 5 | Select-Object Name"
    found = complete(line, len("Get-Mailbox -Res"), CATALOG, DATA)
    assert (found[0].text, found[0].start_position) == ("-ResultSize", -4)
    found = complete(line, len(line) - 2, CATALOG, DATA)  # inside "Name": properties matching "Na"
    assert found[0].text == "Name"


LONG = ("$m = Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails UserMailbox,SharedMailbox -Archive | "
        "Get-MailboxStatistics | Where-Object { $_.TotalItemSize -gt 50GB -and $_.DisplayName -like 'A*' } | "
        "Sort-Object TotalItemSize -Descending | Select-Object DisplayName, @{n='GB'; e={ $_.TotalItemSize / 1GB }} "
        "-First 10 | Format-Table -AutoSize; Set-Mailbox -Identity 'Megan Bowen' -ProhibitSendQuota:50GB "
        "-Confirm:$false; $m | Export-Csv -Path \"c:\\tmp\\out.csv\" -NoTypeInformation")


def test_every_prefix_and_every_cursor_of_a_long_pipeline_completes_without_error() -> None:
    for k in range(len(LONG) + 1):
        for c in complete(LONG[:k], None, CATALOG, DATA):
            assert c.start_position <= 0 and -c.start_position <= k
        complete(LONG, k, CATALOG, DATA)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120), st.integers(min_value=0, max_value=130))
def test_fuzz_complete_never_raises(text: str, cursor: int) -> None:
    for c in complete(text, cursor, CATALOG, DATA):
        assert -c.start_position <= min(cursor, len(text))


def test_completer_yields_the_same_as_complete() -> None:
    completer = CmdletCompleter(CATALOG, DATA)
    for text in ("Get-M", "Get-Mailbox -", "Get-Mailbox | Select-Object ", "gmbxp"):
        got = list(completer.get_completions(Document(text, len(text)), CompleteEvent()))
        want = complete(text, len(text), CATALOG, DATA)
        assert [(c.text, c.start_position, c.display_meta_text) for c in got] == \
            [(c.text, c.start_position, c.display_meta_text) for c in want]


def test_index_built_once_per_catalog_instance_and_limit_respected() -> None:
    assert index_for(CATALOG) is index_for(CATALOG)
    other = Catalog(list(CATALOG))
    assert index_for(other) is not index_for(CATALOG)
    assert len(complete("", 0, CATALOG, DATA, limit=3)) == 3
    assert complete("Get-M", 5, CATALOG, None)  # data is optional


def test_learn_collects_properties_identities_and_history() -> None:
    records = [Record({"Name": "alice", "PrimarySmtpAddress": "alice@contoso.com", "ItemCount": 3}),
               Record({"Name": "bob", "DisplayName": "Bob Lee", "Extra": None})]
    data = learn(None, "Get-Mailbox", records, history_line="get-mailbox | select Name; Get-User x")
    assert data.properties["Get-Mailbox"] == ["Name", "PrimarySmtpAddress", "ItemCount", "DisplayName", "Extra"]
    assert data.identities == ["bob", "Bob Lee", "alice@contoso.com", "alice"]  # latest record first
    assert data.history_counts == {"get-mailbox": 1, "select": 1, "Get-User": 1}
    again = learn(data, "Get-Mailbox", [Record({"Name": "alice", "Alias": "al"})])
    assert again.identities[:3] == ["al", "alice", "bob"] and again.identities.count("alice") == 1
    assert texts_with(again, "Get-Mailbox | Select-Object A") == ["Alias"]
    assert commands_in("Get-Mailbox 'x") == []


def texts_with(data: CompletionData, text: str) -> list[str]:
    return [c.text for c in complete(text, None, CATALOG, data)]
