"""Parameter binding: PowerShell's rules and its exact error wording."""

from __future__ import annotations

from datetime import datetime

import pytest

from tui.sim.binding import UNLIMITED, bind_arguments, bind_input, full_type_name, resolve_name
from tui.sim.builtin_catalog import builtin_catalog
from tui.sim.model import CmdletError, SimObject

CAT = builtin_catalog()


def bind(cmdlet: str, *args: tuple[str | None, object], expect_input: bool = False):
    return bind_arguments(CAT[cmdlet], list(args), expect_input=expect_input)


def error_of(cmdlet: str, *args: tuple[str | None, object]) -> CmdletError:
    with pytest.raises(CmdletError) as info:
        bind(cmdlet, *args)
    return info.value


def test_unknown_parameter_is_named_parameter_not_found():
    err = error_of("Get-Mailbox", ("Foo", "x"))
    assert err.message == "A parameter cannot be found that matches parameter name 'Foo'."
    assert err.error_id == "NamedParameterNotFound,Get-Mailbox"
    assert err.category == "InvalidArgument"
    assert err.exception_type == "System.Management.Automation.ParameterBindingException"


def test_ambiguous_prefix_lists_the_candidates():
    err = error_of("Get-Mailbox", ("R", "x"))
    assert err.message == ("Parameter cannot be processed because the parameter name 'R' is ambiguous. "
                           "Possible matches include: -RecipientTypeDetails -ResultSize.")
    assert err.error_id == "AmbiguousParameter,Get-Mailbox"


def test_unique_prefix_alias_and_leading_dash_resolve():
    assert resolve_name(CAT["Get-Mailbox"], "ResultS").name == "ResultSize"
    assert resolve_name(CAT["Get-Mailbox"], "-identity").name == "Identity"
    assert resolve_name(CAT["Set-Mailbox"], "wi").name == "WhatIf"
    assert resolve_name(CAT["Set-Mailbox"], "ea").name == "ErrorAction"


def test_bad_enum_value_uses_the_enumerator_message():
    err = error_of("Set-Mailbox", ("Identity", "x"), ("Type", "Bogus"))
    assert err.message == (
        "Cannot bind parameter 'Type'. Cannot convert value \"Bogus\" to type "
        "\"Microsoft.Exchange.Data.Directory.Management.ConvertibleMailboxSubType\". Error: \"Unable to match the "
        "identifier name Bogus to a valid enumerator name. Specify one of the following enumerator names and try "
        "again: Regular, Room, Equipment, Shared, Workspace, Desk\"")
    assert err.error_id == "CannotConvertArgumentNoMessage,Set-Mailbox"


def test_enum_values_are_matched_case_insensitively_and_canonicalized():
    bound = bind("Set-Mailbox", ("Identity", "x"), ("Type", "shared"))
    assert bound.values["Type"] == "Shared"
    bound = bind("Get-Mailbox", ("RecipientTypeDetails", "usermailbox,sharedmailbox"))
    assert bound.values["RecipientTypeDetails"] == ["UserMailbox", "SharedMailbox"]


def test_missing_mandatory_parameter():
    err = error_of("Set-Mailbox", ("LitigationHoldEnabled", True))
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: Identity."
    assert err.error_id == "MissingMandatoryParameter,Set-Mailbox"


def test_missing_mandatory_lists_every_name():
    err = error_of("Add-MailboxPermission", ("Identity", "x"))
    assert err.message == ("Cannot process command because of one or more missing mandatory parameters: "
                           "AccessRights User.")


def test_mandatory_pipeline_parameter_may_come_from_input():
    bound = bind("Set-Mailbox", ("LitigationHoldEnabled", True), expect_input=True)
    assert "Identity" not in bound.values


def test_positional_argument_binds_to_identity():
    bound = bind("Get-Mailbox", (None, "AdeleV"))
    assert bound.values == {"Identity": "AdeleV"}
    assert bound.set_name == "Identity"


def test_extra_positional_argument_is_refused():
    err = error_of("Get-Mailbox", (None, "a"), (None, "b"))
    assert err.message == "A positional parameter cannot be found that accepts argument 'b'."
    assert err.error_id == "PositionalParameterNotFound,Get-Mailbox"


def test_parameter_given_twice():
    err = error_of("Get-Mailbox", ("Identity", "a"), ("Ident", "b"))
    assert err.message.startswith("Cannot bind parameter because parameter 'Identity' is specified more than once.")


def test_parameters_from_different_sets_cannot_be_combined():
    err = error_of("Get-Mailbox", ("Identity", "a"), ("Anr", "b"))
    assert err.message.startswith("Parameter set cannot be resolved using the specified named parameters.")
    assert err.error_id == "AmbiguousParameterSet,Get-Mailbox"


def test_named_parameter_selects_its_set():
    assert bind("Get-Mailbox", ("Anr", "ad")).set_name == "AnrSet"
    assert bind("Get-Mailbox").set_name == "Identity"
    assert bind("Get-MobileDevice", ("Mailbox", "x")).set_name == "Mailbox"


def test_switches_accept_no_value_and_confirm_false():
    bound = bind("Set-Mailbox", ("Identity", "x"), ("WhatIf", None), ("Confirm", False))
    assert bound.values["WhatIf"] is True
    assert bound.values["Confirm"] is False


def test_boolean_parameter_refuses_a_string():
    err = error_of("Set-Mailbox", ("Identity", "x"), ("LitigationHoldEnabled", "yes"))
    assert "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0." in err.message


def test_result_size_accepts_unlimited_and_numbers_only():
    assert bind("Get-Mailbox", ("ResultSize", "unlimited")).values["ResultSize"] == UNLIMITED
    assert bind("Get-Mailbox", ("ResultSize", "25")).values["ResultSize"] == 25
    err = error_of("Get-Mailbox", ("ResultSize", "lots"))
    assert err.message.startswith("Cannot process argument transformation on parameter 'ResultSize'.")
    assert err.error_id == "ParameterArgumentTransformationError,Get-Mailbox"


def test_quota_sizes_parse_to_bytes():
    bound = bind("Set-Mailbox", ("Identity", "x"), ("ProhibitSendQuota", "50GB"))
    assert bound.values["ProhibitSendQuota"] == 50 * 1024 ** 3


def test_dates_parse_from_text():
    bound = bind("Get-MessageTraceV2", ("StartDate", "2026-11-20"), ("EndDate", "11/25/2026 13:00"))
    assert bound.values["StartDate"].date() == datetime(2026, 11, 20).date()
    assert bound.values["EndDate"].hour == 13
    err = error_of("Get-MessageTraceV2", ("StartDate", "yesterday-ish"))
    assert "String was not recognized as a valid DateTime." in err.message


def test_common_parameters_are_accepted_and_validated():
    bound = bind("Get-Mailbox", ("ErrorAction", "stop"), ("Verbose", None))
    assert bound.common == {"ErrorAction": "Stop", "Verbose": True}
    err = error_of("Get-Mailbox", ("ErrorAction", "Maybe"))
    assert "ActionPreference" in err.message


def test_pipeline_input_binds_identity_by_property_name():
    bound = bind("Get-MailboxStatistics", expect_input=True)
    mailbox = SimObject(("Microsoft.Exchange.Data.Directory.Management.Mailbox",),
                        {"Name": "AdeleV", "Identity": "AdeleV", "Database": "EURPR05DG001-db001"}, "AdeleV")
    assert bind_input(bound, mailbox).values["Identity"] == "AdeleV"


def test_pipeline_input_binds_several_properties():
    bound = bind("Remove-MailboxPermission", expect_input=True)
    ace = SimObject(("X",), {"Identity": "Sales", "User": "AdeleV@contoso.com", "AccessRights": ["FullAccess"]})
    values = bind_input(bound, ace).values
    assert values["Identity"] == "Sales" and values["User"] == "AdeleV@contoso.com"
    assert values["AccessRights"] == ["FullAccess"]


def test_pipeline_input_that_binds_nothing_is_a_non_terminating_error():
    bound = bind("Get-OrganizationConfig", expect_input=True)
    with pytest.raises(CmdletError) as info:
        bind_input(bound, SimObject(("X",), {"Foo": 1}))
    assert info.value.terminating is False
    assert info.value.error_id == "InputObjectNotBound,Get-OrganizationConfig"


def test_full_type_names():
    assert full_type_name("MailboxIdParameter") == "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter"
    assert full_type_name("String[]") == "System.String[]"
    assert full_type_name("Unlimited") == "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]"
