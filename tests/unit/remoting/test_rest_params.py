"""``encode_parameters``: a bound command's parameters as the InvokeCommand body carries them
(research/exo-modern.md §1.5)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from tui.remoting.rest.params import (
    HASHTABLE_TYPE,
    UnsendableParameter,
    encode_parameters,
    sanitize_filter,
    split_common,
)
from tui.shell.bound import BoundCommand
from tui.shell.records import Record
from tui.shell.sizes import ByteSize
from tui.shell.syntax import ArrayLiteral, HashLiteral, ScriptBlock, Variable

TAG: dict[str, Any] = {"@odata.type": HASHTABLE_TYPE}


def enc(name: str = "Set-Mailbox", **parameters: Any) -> dict[str, Any]:
    out = encode_parameters(BoundCommand(name, parameters))
    json.dumps(out, allow_nan=False)              # whatever comes out is JSON
    return out


def test_switches_and_booleans_are_json_booleans() -> None:
    assert enc(WhatIf=True, Confirm=False, HiddenFromAddressListsEnabled=True) == {
        "WhatIf": True, "Confirm": False, "HiddenFromAddressListsEnabled": True}


def test_numbers_unlimited_sizes_and_identities_stay_as_powershell_sends_them() -> None:
    out = enc("Get-Mailbox", ResultSize="Unlimited", Identity="adele@contoso.com")
    assert out == {"ResultSize": "Unlimited", "Identity": "adele@contoso.com"}
    assert enc("Get-Mailbox", ResultSize=500)["ResultSize"] == 500
    out = enc(ProhibitSendQuota=53687091200, IssueWarningQuota="49GB", Type="Shared")
    assert out == {"ProhibitSendQuota": 53687091200, "IssueWarningQuota": "49GB", "Type": "Shared"}
    assert enc(ProhibitSendQuota=ByteSize(1024 ** 3))["ProhibitSendQuota"] == "1 GB (1,073,741,824 bytes)"
    assert enc(ProhibitSendQuota=ByteSize.unlimited_size())["ProhibitSendQuota"] == "Unlimited"


def test_lists_become_arrays() -> None:
    out = enc("Get-Mailbox", RecipientTypeDetails=["UserMailbox", "SharedMailbox"])
    assert out == {"RecipientTypeDetails": ["UserMailbox", "SharedMailbox"]}
    assert enc(Identity=("a", "b"))["Identity"] == ["a", "b"]
    assert enc(Identity=ArrayLiteral(("a", "b")))["Identity"] == ["a", "b"]


def test_hashtables_are_tagged_recursively() -> None:
    out = enc(EmailAddresses={"Add": "smtp:x@contoso.com", "Remove": ["smtp:y@contoso.com"]})
    assert out["EmailAddresses"] == {**TAG, "Add": "smtp:x@contoso.com", "Remove": ["smtp:y@contoso.com"]}
    assert next(iter(out["EmailAddresses"])) == "@odata.type"
    nested = enc(Settings={"Outer": {"Inner": 1}, "List": [{"In": True}]})["Settings"]
    assert nested == {**TAG, "Outer": {**TAG, "Inner": 1}, "List": [{**TAG, "In": True}]}
    assert enc(GrantSendOnBehalfTo={})["GrantSendOnBehalfTo"] == TAG          # empty: just the tag
    assert enc(X=HashLiteral((("Add", "a"),)))["X"] == {**TAG, "Add": "a"}


def test_a_filter_script_block_is_its_text_with_booleans_as_the_service_reads_them() -> None:
    out = enc("Get-Mailbox", Filter=ScriptBlock(" HiddenFromAddressListsEnabled -eq $true -and X -ne $FALSE "))
    assert out["Filter"] == "HiddenFromAddressListsEnabled -eq 'True' -and X -ne 'False'"
    # The binder sends a remote script block as text already: a *Filter string is sanitized the same way.
    assert enc("Get-Recipient", RecipientFilter="A -eq $true")["RecipientFilter"] == "A -eq 'True'"
    assert enc(DisplayName="costs $true")["DisplayName"] == "costs $true"      # not a filter: untouched


def test_sanitize_filter_leaves_quoted_text_and_longer_names_alone() -> None:
    assert sanitize_filter("Name -eq '$true' -and B -eq $true") == "Name -eq '$true' -and B -eq 'True'"
    assert sanitize_filter('N -eq "say ""$false""" -or C -eq $false') == 'N -eq "say ""$false""" -or C -eq \'False\''
    assert sanitize_filter("Name -eq 'o''$true' -and D -eq $True") == "Name -eq 'o''$true' -and D -eq 'True'"
    assert sanitize_filter("A -eq $trueish -and B -eq $true_x") == "A -eq $trueish -and B -eq $true_x"
    assert sanitize_filter('A -eq "`"$true" -and B -eq $null') == 'A -eq "`"$true" -and B -eq $null'
    assert sanitize_filter("no dollars") == "no dollars"


def test_dates_guids_timespans_and_records() -> None:
    when = dt.datetime(2026, 11, 4, 22, 17, 39, tzinfo=dt.UTC)
    out = enc("Get-MessageTraceV2", StartDate=when, EndDate=dt.date(2026, 11, 5))
    assert out == {"StartDate": "2026-11-04T22:17:39+00:00", "EndDate": "2026-11-05"}
    guid = uuid.uuid4()
    assert enc(Identity=guid)["Identity"] == str(guid)
    assert enc(X=dt.timedelta(days=1, hours=2, minutes=3, seconds=4))["X"] == "1.02:03:04"
    assert enc(X=dt.timedelta(minutes=-90))["X"] == "-01:30:00"
    mbx = Record({"Name": "Adele", "Identity": "AdeleV"}, ("Microsoft.Exchange.Data.Directory.Management.Mailbox",))
    assert enc(Identity=mbx)["Identity"] == "AdeleV"
    assert enc(Identity=Record({"Name": "N"}))["Identity"] == "N"


def test_null_is_null() -> None:
    assert enc(ForwardingSmtpAddress=None) == {"ForwardingSmtpAddress": None}


@pytest.mark.parametrize(("value", "why"), [
    (Variable("mbx"), "$mbx"),
    (b"\x00\x01", "byte arrays"),
    (float("nan"), "not a number"),
    (object(), "no JSON form"),
    ({"Add": object()}, "no JSON form"),
])
def test_what_cannot_be_sent_is_refused_naming_parameter_and_cmdlet(value: Any, why: str) -> None:
    with pytest.raises(UnsendableParameter) as caught:
        enc("Set-Mailbox", Identity="a", Thing=value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.parameter == "Thing" and caught.value.cmdlet == "Set-Mailbox"
    assert "-Thing" in str(caught.value) and "Set-Mailbox" in str(caught.value) and why in str(caught.value)


def test_a_local_cmdlet_is_not_sent() -> None:
    with pytest.raises(UnsendableParameter):
        encode_parameters(BoundCommand("Where-Object", {}, local=True))


def test_common_parameters_move_to_headers() -> None:
    params, headers = split_common({"Identity": "a", "warningaction": "SilentlyContinue",
                                    "ErrorAction": "Stop", "Confirm": False})
    assert params == {"Identity": "a", "Confirm": False}
    assert headers == {"WarningAction": "SilentlyContinue", "ErrorAction": "Stop"}
