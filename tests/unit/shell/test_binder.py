"""Binder: names, prefixes, aliases, sets, positions, switches, coercion and errors, on a catalog written here."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.shell.conftest import P
from tui.catalog import Catalog, CmdletInfo
from tui.shell import BindError, bind, parse
from tui.shell.bound import BoundCommand
from tui.shell.syntax import Command, ScriptBlock, Variable

CATALOG = Catalog([
    CmdletInfo("Get-Mailbox", "Retrieves mailboxes.", ("Identity", "AnrSet"), (
        P("Identity", "MailboxIdParameter", sets=["Identity"], position=0, pipeline=True),
        P("Anr", sets=["AnrSet"]),
        P("ResultSize", "Unlimited"),
        P("Filter"),
        P("RecipientTypeDetails", "RecipientTypeDetails[]", valid_values=["UserMailbox", "SharedMailbox",
                                                                          "RoomMailbox"]),
        P("IgnoreDefaultScope", "SwitchParameter"),
        P("Archive", "SwitchParameter"),
    )),
    CmdletInfo("Get-MailboxStatistics", "Gets mailbox statistics.", ("Identity",), (
        P("Identity", "GeneralMailboxOrMailUserIdParameter", position=0, pipeline=True,
          mandatory_in=["Identity"]),
        P("Archive", "SwitchParameter"),
    )),
    CmdletInfo("Set-Mailbox", "Modifies mailbox settings.", ("Identity",), (
        P("Identity", "MailboxIdParameter", position=0, pipeline=True, mandatory_in=["Identity"]),
        P("ProhibitSendQuota", "Unlimited"),
        P("IssueWarningQuota", "ByteQuantifiedSize"),
        P("HiddenFromAddressListsEnabled", "Boolean"),
        P("EmailAddresses", "ProxyAddressCollection"),
        P("MaxSendSize", "Int32"),
        P("Type", "ConvertibleMailboxSubType", valid_values=["Regular", "Room", "Equipment", "Shared"]),
        P("DisplayName", aliases=["Name"]),
        P("Confirm", "SwitchParameter", aliases=["cf"]),
        P("Force", "SwitchParameter"),
    )),
    CmdletInfo("Add-MailboxPermission", "Adds permissions to a mailbox.", ("AccessRights", "Owner"), (
        P("Identity", "MailboxIdParameter", position=0, mandatory_in=["(All)"]),
        P("User", "SecurityPrincipalIdParameter", sets=["AccessRights"], mandatory_in=["AccessRights"]),
        P("AccessRights", "MailboxRights[]", sets=["AccessRights"], mandatory_in=["AccessRights"],
          valid_values=["ChangeOwner", "FullAccess", "ReadPermission"]),
        P("Owner", "SecurityPrincipalIdParameter", sets=["Owner"], mandatory_in=["Owner"]),
        P("AutoMapping", "Boolean", sets=["AccessRights"]),
    )),
])


def b(text: str, variables: dict[str, Any] | None = None, **kw: Any) -> BoundCommand:
    command = parse(text).statements[0].commands[0]
    return bind(command, CATALOG, variables, **kw)


def err(text: str, variables: dict[str, Any] | None = None, **kw: Any) -> BindError:
    with pytest.raises(BindError) as info:
        b(text, variables, **kw)
    return info.value


# -- names ------------------------------------------------------------------------------------

def test_exact_name_prefix_alias_and_case_insensitivity() -> None:
    bound = b("get-mailbox -identity john -res 5")
    assert bound.name == "Get-Mailbox" and not bound.local
    assert bound.parameters == {"Identity": "john", "ResultSize": 5}
    assert b("Set-Mailbox x -Name 'Big Boss'").parameters["DisplayName"] == "Big Boss"
    assert b("Set-Mailbox x -cf:$false").parameters["Confirm"] is False


def test_exact_match_wins_over_longer_names() -> None:
    catalog = Catalog([CmdletInfo("Get-X", parameters=(P("Id"), P("Identity")))])
    bound = bind(parse("Get-X -Id 1").statements[0].commands[0], catalog)
    assert bound.parameters == {"Id": "1"}


def test_ambiguous_prefix_lists_candidates() -> None:
    e = err("Get-Mailbox -I x")
    assert e.message == ("Parameter cannot be processed because the parameter name 'I' is ambiguous. "
                         "Possible matches include: -Identity -IgnoreDefaultScope.")
    assert e.column == 12
    assert e.suggestions == ["Identity", "IgnoreDefaultScope"]


def test_unknown_parameter_names_closest() -> None:
    e = err("Get-Mailbox -Fillter x")
    assert e.message == ("A parameter cannot be found that matches parameter name 'Fillter'. "
                         "Did you mean: -Filter?")
    assert e.column == 12 and e.suggestions == ["Filter"]
    assert err("Get-Mailbox -Zzz").message == "A parameter cannot be found that matches parameter name 'Zzz'."


def test_unknown_command_names_closest_cmdlet() -> None:
    e = err("Get-Mailbx john")
    assert e.message == ("The term 'Get-Mailbx' is not recognized as the name of a cmdlet, function, script "
                         "file, or operable program. Did you mean: Get-Mailbox?")
    assert e.suggestions[0] == "Get-Mailbox"
    assert "Check the spelling" in err("Frobnicate").message


def test_common_parameters_for_remote_cmdlets() -> None:
    bound = b("Get-Mailbox x -ErrorAction silentlycontinue -Verbose")
    assert bound.parameters == {"Identity": "x", "ErrorAction": "SilentlyContinue", "Verbose": True}


# -- positions, switches, sets ----------------------------------------------------------------

def test_positional_argument_binds_by_position_and_selects_its_set() -> None:
    bound = b("Get-Mailbox john")
    assert bound.parameters == {"Identity": "john"} and bound.parameter_set == "Identity"
    assert b("Get-Mailbox").parameter_set == "Identity"  # default set: the first
    assert b("Get-Mailbox -Anr jo").parameter_set == "AnrSet"


def test_switch_alone_and_with_colon_value_and_not_consuming_next_argument() -> None:
    bound = b("Get-Mailbox -Archive john")
    assert bound.parameters == {"Archive": True, "Identity": "john"}
    assert b("Get-Mailbox -Archive:$false").parameters == {"Archive": False}
    assert b("Get-Mailbox -Archive:0").parameters == {"Archive": False}
    e = err("Get-Mailbox -Archive:'yes'")
    assert "A switch takes $true or $false after a colon (-Archive:$false)" in e.message


def test_parameter_set_cannot_be_resolved() -> None:
    e = err("Get-Mailbox -Identity x -Anr y")
    assert e.message.startswith("Parameter set cannot be resolved using the specified named parameters.")
    assert e.message.endswith(" -Identity and -Anr cannot be used together.")


def test_set_chosen_from_named_parameters_and_missing_mandatory_reported() -> None:
    bound = b("Add-MailboxPermission box -Owner boss")
    assert bound.parameter_set == "Owner" and bound.parameters == {"Identity": "box", "Owner": "boss"}
    e = err("Add-MailboxPermission box -User u")
    assert e.message == ("Cannot process command because of one or more missing mandatory parameters: "
                         "AccessRights.")
    assert e.missing == ["AccessRights"]
    assert e.bound is not None and e.bound.parameters == {"Identity": "box", "User": "u"}
    e = err("Add-MailboxPermission")
    assert e.missing == ["Identity", "User", "AccessRights"]


def test_pipeline_input_satisfies_mandatory_pipeline_parameters() -> None:
    assert err("Get-MailboxStatistics").missing == ["Identity"]
    assert b("Get-MailboxStatistics", pipeline_input=True).parameters == {}


def test_too_many_positional_arguments() -> None:
    e = err("Get-Mailbox a b")
    assert e.message == "A positional parameter cannot be found that accepts argument 'b'."
    assert e.column == 14


def test_parameter_given_twice_and_missing_argument() -> None:
    assert "is specified more than once" in err("Get-Mailbox -Identity a -Identity b").message
    e = err("Get-Mailbox -Identity -Archive")
    assert e.message == ("Missing an argument for parameter 'Identity'. Specify a parameter of type "
                         "'MailboxIdParameter' and try again.")
    assert e.column == 12


# -- coercion ---------------------------------------------------------------------------------

def test_unlimited_accepts_word_and_number() -> None:
    assert b("Get-Mailbox -ResultSize unlimited").parameters["ResultSize"] == "Unlimited"
    assert b("Get-Mailbox -ResultSize 10").parameters["ResultSize"] == 10
    assert b("Set-Mailbox x -ProhibitSendQuota 50GB").parameters["ProhibitSendQuota"] == 50 * 1024**3
    e = err("Get-Mailbox -ResultSize lots")
    assert 'Cannot convert value "lots" to type "Unlimited"' in e.message and "Unlimited." in e.message


def test_numbers_and_booleans() -> None:
    assert b("Set-Mailbox x -MaxSendSize '35'").parameters["MaxSendSize"] == 35
    assert b("Set-Mailbox x -MaxSendSize 1KB").parameters["MaxSendSize"] == 1024
    e = err("Set-Mailbox x -MaxSendSize big")
    assert e.message.startswith("Cannot process argument transformation on parameter 'MaxSendSize'.")
    assert b("Set-Mailbox x -HiddenFromAddressListsEnabled $true").parameters[
        "HiddenFromAddressListsEnabled"] is True
    assert b("Set-Mailbox x -HiddenFromAddressListsEnabled 0").parameters[
        "HiddenFromAddressListsEnabled"] is False
    e = err("Set-Mailbox x -HiddenFromAddressListsEnabled maybe")
    assert "Boolean parameters accept only Boolean values and numbers" in e.message


def test_enum_canonical_casing_and_invalid_value_lists_valid_ones() -> None:
    assert b("Set-Mailbox x -Type shared").parameters["Type"] == "Shared"
    e = err("Set-Mailbox x -Type Sharde")
    assert e.message == ("Cannot validate argument on parameter 'Type'. The argument \"Sharde\" does not belong "
                         "to the set \"Regular,Room,Equipment,Shared\" specified by the ValidateSet attribute. "
                         "Supply an argument that is in the set and then try the command again.")
    assert e.suggestions == ["Shared"]


def test_arrays_become_lists_with_coerced_items() -> None:
    assert b("Get-Mailbox -RecipientTypeDetails usermailbox, sharedmailbox").parameters[
        "RecipientTypeDetails"] == ["UserMailbox", "SharedMailbox"]
    assert b("Get-Mailbox -RecipientTypeDetails roommailbox").parameters["RecipientTypeDetails"] == ["RoomMailbox"]
    bound = b("Add-MailboxPermission box -User u -AccessRights fullaccess")
    assert bound.parameters["AccessRights"] == ["FullAccess"]


def test_hashtable_for_multivalued_parameters() -> None:
    bound = b('Set-Mailbox x -EmailAddresses @{Add="a@x.com","b@x.com"; Remove="z@x.com"}')
    assert bound.parameters["EmailAddresses"] == {"Add": ["a@x.com", "b@x.com"], "Remove": "z@x.com"}


def test_number_looking_identity_keeps_the_text_typed() -> None:
    assert b("Get-Mailbox 12345").parameters["Identity"] == "12345"
    assert b("Get-Mailbox 10MB").parameters["Identity"] == "10MB"
    assert b("Set-Mailbox x -IssueWarningQuota 10MB").parameters["IssueWarningQuota"] == 10 * 1024**2


def test_script_block_filter_sent_as_text_to_remote_cmdlets() -> None:
    bound = b("Get-Mailbox -Filter { RecipientTypeDetails -eq 'SharedMailbox' }")
    assert bound.parameters["Filter"] == "RecipientTypeDetails -eq 'SharedMailbox'"


def test_variables_resolved_or_reported() -> None:
    assert b("Get-Mailbox $who", {"Who": "john"}).parameters["Identity"] == "john"
    assert b("Get-Mailbox $who").parameters["Identity"] == Variable("who", 12)  # no mapping: left for caller
    e = err("Get-Mailbox $nobody", {"who": "x"})
    assert e.message == "The variable '$nobody' cannot be retrieved because it has not been set."
    assert e.column == 12


# -- local commands ---------------------------------------------------------------------------

def local(text: str, variables: dict[str, Any] | None = None) -> BoundCommand:
    command: Command = parse("Get-Mailbox | " + text).statements[0].commands[1]
    return bind(command, CATALOG, variables, pipeline_input=True)


def test_local_commands_bind_against_the_local_catalog() -> None:
    bound = local("select name, alias -first 5")
    assert bound.local and bound.name == "Select-Object"
    assert bound.parameters == {"Property": ["name", "alias"], "First": 5}


def test_where_object_operator_forms() -> None:
    bound = local("Where-Object ProhibitSendQuota -gt 50GB")
    assert bound.parameters == {"GT": True, "Property": "ProhibitSendQuota", "Value": 50 * 1024**3}
    assert bound.parameter_set == "GreaterThanSet"
    bound = local("where Name -like 'a*'")
    assert bound.parameters == {"Like": True, "Property": "Name", "Value": "a*"}
    bound = local("Where-Object Name john")
    assert bound.parameter_set == "EqualSet" and bound.parameters == {"Property": "Name", "Value": "john"}


def test_where_object_script_block_binds_filter_script_and_keeps_variables() -> None:
    bound = local("Where-Object { $_.Name -eq $who }", {"other": 1})
    assert bound.parameter_set == "ScriptBlockSet"
    assert bound.parameters == {"FilterScript": ScriptBlock(" $_.Name -eq $who ", 27)}


def test_select_object_calculated_property() -> None:
    bound = local("Select-Object Name, @{n='MB'; e={ $_.Size / 1MB }}")
    assert bound.parameters["Property"] == ["Name", {"n": "MB", "e": ScriptBlock(" $_.Size / 1MB ", 46)}]


def test_identity_is_positional_when_the_catalog_has_no_positions() -> None:
    # GetCommandMetadata gives no positions; Identity is then taken as the first positional parameter.
    catalog = Catalog([CmdletInfo("Get-Thing", parameters=(P("Identity", "ThingIdParameter"), P("Filter")))])
    bound = bind(parse("Get-Thing abc").statements[0].commands[0], catalog)
    assert bound.parameters == {"Identity": "abc"}
    # … but not when the catalog knows positions and Identity is not one of them.
    catalog = Catalog([CmdletInfo("Get-Thing", parameters=(P("Identity"), P("Filter", position=0)))])
    assert bind(parse("Get-Thing abc").statements[0].commands[0], catalog).parameters == {"Filter": "abc"}
