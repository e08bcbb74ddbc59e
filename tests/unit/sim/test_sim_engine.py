"""The engine end to end (pure): identity, result size, filter, Set then Get, WhatIf, pipelines, streams."""

from __future__ import annotations

from typing import Any

import pytest

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.sim.cmdlets.base import DEFAULT_SIZE_WARNING, MORE_RESULTS_WARNING
from tui.sim.engine import SimEngine
from tui.sim.model import CmdletError, PipelineStopped, SimObject

TENANT = "contoso.onmicrosoft.com"
MAILBOX_TYPE_NAMES = (
    "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
    "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
    "Microsoft.Exchange.Data.Directory.ADObject",
    "Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Microsoft.Exchange.Data.ConfigurableObject",
    "System.Object")


class Collector:
    """A RunContext that records every stream; optionally stops after N outputs."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.account = "admin@fabrikampartner.onmicrosoft.com"
        self.tenant = TENANT
        self.out: list[SimObject] = []
        self.warnings: list[str] = []
        self.verbose_lines: list[str] = []
        self.progress_records: list[tuple[Any, ...]] = []
        self.errors: list[CmdletError] = []
        self.stop_after = stop_after
        self.checks = 0

    def output(self, obj: SimObject) -> None:
        self.out.append(obj)

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def verbose(self, text: str) -> None:
        self.verbose_lines.append(text)

    def progress(self, activity: str, status: str, percent: int, record_id: int = 0, completed: bool = False) -> None:
        self.progress_records.append((activity, status, percent, completed))

    def error(self, err: CmdletError) -> None:
        self.errors.append(err)

    def check_stopped(self) -> None:
        self.checks += 1
        if self.stop_after is not None and len(self.out) >= self.stop_after:
            raise PipelineStopped()


def run(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, Any]]], ctx: Collector | None = None,
        tenant: str = TENANT) -> Collector:
    ctx = ctx or Collector()
    engine.run(tenant, list(commands), ctx)
    return ctx


def failure(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, Any]]]) -> CmdletError:
    with pytest.raises(CmdletError) as info:
        run(engine, *commands)
    return info.value


@pytest.fixture(scope="module")
def engine() -> SimEngine:
    """A read-only engine shared by the tests that change nothing."""
    return SimEngine(mailboxes=50)


def names(ctx: Collector) -> list[str]:
    return [o.properties["Name"] for o in ctx.out]


def test_get_mailbox_returns_typed_mailboxes(engine):
    ctx = run(engine, ("Get-Mailbox", []))
    assert len(ctx.out) == 50
    first = ctx.out[0]
    assert first.type_names == MAILBOX_TYPE_NAMES
    assert first.to_string == first.properties["Name"] == first.properties["Identity"]
    for prop in ("Alias", "DisplayName", "PrimarySmtpAddress", "UserPrincipalName", "EmailAddresses",
                 "RecipientTypeDetails", "Database", "ProhibitSendQuota", "ProhibitSendReceiveQuota",
                 "IssueWarningQuota", "ExternalDirectoryObjectId", "Guid", "DistinguishedName",
                 "LitigationHoldEnabled", "ForwardingSmtpAddress", "DeliverToMailboxAndForward",
                 "GrantSendOnBehalfTo", "HiddenFromAddressListsEnabled", "WhenCreated"):
        assert prop in first.properties, prop
    assert first.properties["ProhibitSendQuota"] == "99 GB (106,300,440,576 bytes)"
    assert ctx.warnings == [] and ctx.errors == []


@pytest.mark.parametrize("key", ["Name", "Alias", "UserPrincipalName", "PrimarySmtpAddress", "DisplayName",
                                 "Guid", "ExternalDirectoryObjectId"])
def test_identity_resolves_by_every_key(engine, key):
    adele = run(engine, ("Get-Mailbox", [("Identity", "AdeleV")])).out[0]
    value = adele.properties[key]
    ctx = run(engine, ("Get-Mailbox", [(None, str(value).upper() if key != "Guid" else str(value))]))
    assert names(ctx) == ["AdeleV"]


def test_identity_resolves_by_secondary_address(engine):
    ctx = run(engine, ("Get-Mailbox", [("Identity", "adelev@contoso.onmicrosoft.com")]))
    assert names(ctx) == ["AdeleV"]


def test_identity_wildcards(engine):
    ctx = run(engine, ("Get-Mailbox", [("Identity", "Conference Room*")]))
    assert ctx.out and all(o.properties["DisplayName"].startswith("Conference Room") for o in ctx.out)


def test_not_found_uses_the_service_wording(engine):
    ctx = run(engine, ("Get-Mailbox", [("Identity", "nobody@contoso.com")]))
    assert len(ctx.errors) == 1 and ctx.out == []      # written, not thrown: the pipeline completes
    err = ctx.errors[0]
    assert err.terminating is False and err.command == "Get-Mailbox" and err.category_target == ""
    dc = engine.tenant_data(TENANT).dc
    assert err.message == (f"The operation couldn't be performed because object 'nobody@contoso.com' couldn't be "
                           f"found on '{dc}'.")
    assert dc.endswith(".PROD.OUTLOOK.COM")
    assert err.category == "NotSpecified"
    assert err.exception_type.endswith("ManagementObjectNotFoundException")
    assert "ManagementObjectNotFoundException" in err.error_id


def test_explicit_result_size_cut_warns_more_results(engine):
    ctx = run(engine, ("Get-Mailbox", [("ResultSize", 5)]))
    assert len(ctx.out) == 5
    assert ctx.warnings == [MORE_RESULTS_WARNING]
    assert MORE_RESULTS_WARNING == "There are more results available than currently displayed."


def test_result_size_that_does_not_cut_is_silent(engine):
    ctx = run(engine, ("Get-Mailbox", [("ResultSize", "Unlimited")]))
    assert len(ctx.out) == 50 and ctx.warnings == []


def test_default_result_size_warns_past_1000_and_reports_progress():
    big = SimEngine(mailboxes=1200)
    ctx = run(big, ("Get-Mailbox", []))
    assert len(ctx.out) == 1000
    assert ctx.warnings == [DEFAULT_SIZE_WARNING]
    assert DEFAULT_SIZE_WARNING.startswith("By default, only the first 1000 items are returned. Use the ResultSize "
                                           "parameter to specify the number of items returned. To return all items, "
                                           "specify \"-ResultSize Unlimited\".")
    assert DEFAULT_SIZE_WARNING.endswith("Instead, pipe the results to another task or script to perform batch "
                                         "changes.")
    assert ctx.progress_records and ctx.progress_records[0][0] == "Get-Mailbox"
    all_of_them = run(big, ("Get-Mailbox", [("ResultSize", "Unlimited")]))
    assert len(all_of_them.out) == 1200 and all_of_them.warnings == []
    assert all_of_them.progress_records[-1][3] is True


def test_filter_eq_like_and_or_parentheses(engine):
    shared = run(engine, ("Get-Mailbox", [("Filter", "RecipientTypeDetails -eq 'SharedMailbox'")]))
    assert shared.out and all(o.properties["RecipientTypeDetails"] == "SharedMailbox" for o in shared.out)
    rooms_or_shared = run(engine, ("Get-Mailbox", [("Filter", "(RecipientTypeDetails -eq 'RoomMailbox') -or "
                                                             "(RecipientTypeDetails -eq \"SharedMailbox\")")]))
    kinds = {o.properties["RecipientTypeDetails"] for o in rooms_or_shared.out}
    assert kinds == {"RoomMailbox", "SharedMailbox"}
    like = run(engine, ("Get-Mailbox", [("Filter", "DisplayName -like 'A*' -and RecipientTypeDetails -ne "
                                                   "'SharedMailbox'")]))
    assert like.out and all(o.properties["DisplayName"].startswith("A") for o in like.out)
    assert all(o.properties["RecipientTypeDetails"] != "SharedMailbox" for o in like.out)
    held = run(engine, ("Get-Mailbox", [("Filter", "{LitigationHoldEnabled -eq $true}")]))
    assert all(o.properties["LitigationHoldEnabled"] is True for o in held.out)


def test_bad_filter_fails_like_exchange(engine):
    err = failure(engine, ("Get-Mailbox", [("Filter", "Name -eq")]))
    assert err.message.startswith("Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": "
                                  "\"Invalid filter syntax.")
    err = failure(engine, ("Get-Mailbox", [("Filter", "Colour -eq 'blue'")]))
    assert "\"Colour\" is not a recognized filterable property." in err.message


def test_set_then_get_shows_the_change():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Set-Mailbox", [(None, "AdeleV"), ("LitigationHoldEnabled", True),
                                 ("ForwardingSmtpAddress", "adele@outlook.com"), ("Confirm", False)]))
    adele = run(engine, ("Get-Mailbox", [(None, "AdeleV")])).out[0].properties
    assert adele["LitigationHoldEnabled"] is True
    assert adele["LitigationHoldOwner"] == "admin@fabrikampartner.onmicrosoft.com"
    assert adele["ForwardingSmtpAddress"] == "smtp:adele@outlook.com"


def test_set_mailbox_type_shared_converts_the_mailbox():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Set-Mailbox", [(None, "AlexW"), ("Type", "Shared")]))
    alex = run(engine, ("Get-Mailbox", [(None, "AlexW")])).out[0].properties
    assert alex["RecipientTypeDetails"] == "SharedMailbox"


def test_changes_are_per_tenant_and_persist_between_runs():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Set-Mailbox", [(None, "AdeleV"), ("HiddenFromAddressListsEnabled", True)]))
    assert run(engine, ("Get-Mailbox", [(None, "AdeleV")])).out[0].properties["HiddenFromAddressListsEnabled"]
    other = run(engine, ("Get-Mailbox", [(None, "AdeleV")]), tenant="fabrikam.onmicrosoft.com").out[0]
    assert other.properties["HiddenFromAddressListsEnabled"] is False


def test_whatif_reports_and_changes_nothing():
    engine = SimEngine(mailboxes=20)
    before = run(engine, ("Get-Mailbox", [(None, "AdeleV")])).out[0].properties["LitigationHoldEnabled"]
    ctx = run(engine, ("Set-Mailbox", [(None, "AdeleV"), ("LitigationHoldEnabled", not before), ("WhatIf", None)]))
    assert ctx.warnings == ['What if: Setting mailbox "AdeleV".']
    after = run(engine, ("Get-Mailbox", [(None, "AdeleV")])).out[0].properties["LitigationHoldEnabled"]
    assert after == before


def test_set_with_no_change_warns():
    engine = SimEngine(mailboxes=20)
    ctx = run(engine, ("Set-Mailbox", [(None, "AdeleV"), ("AuditEnabled", True)]))
    assert ctx.warnings == ["The command completed successfully but no settings of 'AdeleV' have been modified."]


def test_pipeline_binds_identity_by_property_name(engine):
    ctx = run(engine, ("Get-Mailbox", [("ResultSize", 3)]), ("Get-MailboxStatistics", []))
    assert len(ctx.out) == 3
    mailboxes = run(engine, ("Get-Mailbox", [("ResultSize", 3)])).out
    assert [o.properties["DisplayName"] for o in ctx.out] == [m.properties["DisplayName"] for m in mailboxes]
    assert all(o.type_names[0].endswith("MailboxStatistics") for o in ctx.out)
    assert {"ItemCount", "StorageLimitStatus", "LastLogonTime", "TotalItemSize"} <= set(ctx.out[0].properties)


def test_pipeline_set_changes_every_piped_mailbox():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Get-Mailbox", [("ResultSize", 5)]), ("Set-Mailbox", [("LitigationHoldEnabled", True)]))
    everyone = run(engine, ("Get-Mailbox", [])).out
    assert [o.properties["LitigationHoldEnabled"] for o in everyone[:5]] == [True] * 5


def test_pipeline_continues_after_a_failing_input(engine):
    ctx = run(engine, ("Get-Mailbox", [("ResultSize", 2)]), ("Get-MessageTraceV2", [("ResultSize", 1)]),
              ("Get-OrganizationConfig", []))
    assert ctx.errors and all(e.terminating is False for e in ctx.errors)


def test_error_action_stop_makes_pipeline_errors_terminating(engine):
    with pytest.raises(CmdletError) as info:
        run(engine, ("Get-Mailbox", [("ResultSize", 2)]),
            ("Get-OrganizationConfig", [("ErrorAction", "Stop")]))
    assert info.value.error_id.startswith("InputObjectNotBound")


def test_binding_errors_fail_before_any_output(engine):
    ctx = Collector()
    with pytest.raises(CmdletError):
        engine.run(TENANT, [("Get-Mailbox", []), ("Set-Mailbox", [("Bogus", 1)])], ctx)
    assert ctx.out == []


def test_unknown_command(engine):
    err = failure(engine, ("Get-Nothing", []))
    assert err.message.startswith("The term 'Get-Nothing' is not recognized as the name of a cmdlet")
    assert err.error_id == "CommandNotFoundException"


def test_stop_via_check_stopped_ends_the_run():
    engine = SimEngine(mailboxes=300)
    ctx = Collector(stop_after=7)
    with pytest.raises(PipelineStopped):
        engine.run(TENANT, [("Get-Mailbox", [("ResultSize", "Unlimited")])], ctx)
    assert len(ctx.out) == 7


def test_output_streams_as_produced():
    engine = SimEngine(mailboxes=300)
    seen: list[int] = []

    class Watch(Collector):
        def output(self, obj: SimObject) -> None:
            seen.append(self.checks)
            super().output(obj)
    run(engine, ("Get-Mailbox", [("ResultSize", 3)]), ("Get-MailboxStatistics", []), ctx=Watch())
    # the first object reaches the context long before the upstream is exhausted
    assert len(seen) == 3 and seen[0] < seen[-1]


def test_extra_catalog_cmdlets_bind_but_have_no_behaviour():
    extra = Catalog([CmdletInfo("Get-Widget", "Gets widgets.", (), (
        ParameterInfo("Identity", "String", position=1), ParameterInfo("Colour", "String", valid_values=("Red", "Blue"))))])
    engine = SimEngine(mailboxes=5, extra_catalog=extra)
    ctx = run(engine, ("Get-Widget", [(None, "w1"), ("Colour", "red")]))
    assert ctx.out == []
    assert ctx.warnings == ["The Exchange Online simulator has no behaviour for Get-Widget; the command was accepted "
                            "but did nothing."]
    err = failure(engine, ("Get-Widget", [("Colour", "Green")]))
    assert "Specify one of the following enumerator names and try again: Red, Blue" in err.message


def test_synthetic_cmdlet_warns_no_behaviour(engine):
    ctx = run(engine, ("Get-AntiPhishPolicy", []))
    assert ctx.out == [] and "no behaviour for Get-AntiPhishPolicy" in ctx.warnings[0]


def test_verbose_only_with_verbose(engine):
    assert run(engine, ("Get-Mailbox", [("ResultSize", 1)])).verbose_lines == []
    lines = run(engine, ("Get-Mailbox", [("ResultSize", 1), ("Verbose", None)])).verbose_lines
    assert len(lines) == 2
    assert lines[0].endswith("Get-Mailbox : Beginning processing &")
    assert lines[1].endswith("Get-Mailbox : Ending processing &")


def test_grant_send_on_behalf_hashtable_add_and_remove():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Set-Mailbox", [(None, "Sales"), ("GrantSendOnBehalfTo", {"Add": ["AdeleV", "alexw@contoso.com"]})]))
    assert run(engine, ("Get-Mailbox", [(None, "Sales")])).out[0].properties["GrantSendOnBehalfTo"] == ["AdeleV", "AlexW"]
    run(engine, ("Set-Mailbox", [(None, "Sales"), ("GrantSendOnBehalfTo", {"Remove": "AdeleV"})]))
    assert run(engine, ("Get-Mailbox", [(None, "Sales")])).out[0].properties["GrantSendOnBehalfTo"] == ["AlexW"]


def test_renamed_mailbox_resolves_by_its_new_name():
    engine = SimEngine(mailboxes=20)
    run(engine, ("Set-Mailbox", [(None, "AdeleV"), ("PrimarySmtpAddress", "adele.vance@contoso.com")]))
    found = run(engine, ("Get-Mailbox", [(None, "adele.vance@contoso.com")])).out[0].properties
    assert found["Name"] == "AdeleV"
    assert found["EmailAddresses"][0] == "SMTP:adele.vance@contoso.com"
    assert "smtp:AdeleV@contoso.com" in found["EmailAddresses"]


def test_sort_by(engine):
    ctx = run(engine, ("Get-Mailbox", [("SortBy", "DisplayName")]))
    shown = [o.properties["DisplayName"].lower() for o in ctx.out]
    assert shown == sorted(shown)
    with pytest.raises(CmdletError):
        run(engine, ("Get-Mailbox", [("SortBy", "Colour")]))


def test_error_action_silently_continue_hides_not_found(engine):
    ctx = run(engine, ("Get-Mailbox", [(None, "nobody"), ("ErrorAction", "SilentlyContinue")]))
    assert ctx.out == [] and ctx.errors == []
    with pytest.raises(CmdletError):  # binding errors still fail
        run(engine, ("Get-Mailbox", [("Nope", 1), ("ErrorAction", "SilentlyContinue")]))


def test_get_command_syntax_writes_lines(engine):
    ctx = run(engine, ("Get-Command", [(None, "Get-MailboxStatistics"), ("Syntax", None)]))
    assert ctx.out[0].type_names[0] == "System.String"
    assert ctx.out[0].to_string.splitlines()[1].startswith("Get-MailboxStatistics -Database <DatabaseIdParameter>")


def test_filter_finds_forwarding_mailboxes(engine):
    ctx = run(engine, ("Get-Mailbox", [("Filter", "ForwardingSmtpAddress -ne $null"), ("ResultSize", "Unlimited")]))
    assert ctx.out, "the generated tenant has some forwarding mailboxes to find"
    assert all(o.properties["ForwardingSmtpAddress"].startswith("smtp:") for o in ctx.out)
    rest = run(engine, ("Get-Mailbox", [("Filter", "ForwardingSmtpAddress -eq $null"), ("ResultSize", "Unlimited")]))
    assert len(ctx.out) + len(rest.out) == 50


def test_extra_catalog_replaces_synthetic_but_not_modeled_cmdlets():
    extra = Catalog([CmdletInfo("Get-Mailbox", "other", (), (ParameterInfo("Colour"),)),
                     CmdletInfo("Get-AntiPhishPolicy", "Real one.", (), (ParameterInfo("Identity", position=1),
                                                                        ParameterInfo("Detailed", "SwitchParameter",
                                                                                      switch=True)))])
    engine = SimEngine(mailboxes=5, extra_catalog=extra)
    assert engine.catalog["Get-Mailbox"].parameter("Colour") is None
    assert engine.catalog["Get-Mailbox"].parameter("ResultSize") is not None
    assert [p.name for p in engine.catalog["Get-AntiPhishPolicy"].parameters] == ["Identity", "Detailed"]
    assert len(engine.catalog) == 730
