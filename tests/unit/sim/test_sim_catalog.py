"""The built-in catalog (modeled + synthetic), syntax lines, Get-Command objects and command metadata."""

from __future__ import annotations

import pytest

from tui.catalog import Catalog
from tui.sim.builtin_catalog import builtin_catalog, modeled_names
from tui.sim.cmdlets import load_behaviours
from tui.sim.cmdlets.base import BEHAVIOURS
from tui.sim.engine import SimEngine
from tui.sim.model import CmdletError, SimObject
from tui.sim.syntax_lines import definition, parameter_sets, syntax_lines

CAT = builtin_catalog()
load_behaviours()


class Collector:
    account = "admin@fabrikampartner.onmicrosoft.com"
    tenant = "contoso.onmicrosoft.com"

    def __init__(self) -> None:
        self.out: list[SimObject] = []
        self.warnings: list[str] = []
        self.errors: list[CmdletError] = []

    def output(self, obj: SimObject) -> None:
        self.out.append(obj)

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def verbose(self, text: str) -> None:
        pass

    def progress(self, *args: object, **kwargs: object) -> None:
        pass

    def error(self, err: CmdletError) -> None:
        self.errors.append(err)

    def check_stopped(self) -> None:
        pass


def run(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, object]]]) -> Collector:
    ctx = Collector()
    engine.run(Collector.tenant, list(commands), ctx)
    return ctx

MODELED = {
    "Get-Mailbox": {"Identity", "Anr", "Filter", "RecipientTypeDetails", "ResultSize", "Archive", "SoftDeletedMailbox"},
    "Set-Mailbox": {"Identity", "LitigationHoldEnabled", "ForwardingSmtpAddress", "DeliverToMailboxAndForward",
                    "GrantSendOnBehalfTo", "HiddenFromAddressListsEnabled", "Type", "ProhibitSendQuota", "WhatIf",
                    "Confirm"},
    "Get-Recipient": {"Identity", "RecipientTypeDetails", "Filter", "ResultSize"},
    "Get-User": {"Identity", "Filter", "ResultSize", "RecipientTypeDetails"},
    "Get-MailboxStatistics": {"Identity", "Archive", "Database"},
    "Get-CASMailbox": {"Identity", "Filter", "ResultSize"},
    "Get-MailboxFolderStatistics": {"Identity", "FolderScope", "IncludeOldestAndNewestItems", "Archive"},
    "Get-MobileDeviceStatistics": {"Identity", "Mailbox", "ShowRecoveryPassword"},
    "Set-CASMailbox": {"Identity", "OWAEnabled", "ActiveSyncEnabled", "PopEnabled", "ImapEnabled", "EwsEnabled",
                       "SmtpClientAuthenticationDisabled"},
    "Get-MailboxPermission": {"Identity", "User", "Owner", "ResultSize"},
    "Add-MailboxPermission": {"Identity", "User", "AccessRights", "AutoMapping", "InheritanceType", "Deny"},
    "Remove-MailboxPermission": {"Identity", "User", "AccessRights", "Deny", "InheritanceType"},
    "Get-RecipientPermission": {"Identity", "Trustee", "AccessRights", "ResultSize"},
    "Add-RecipientPermission": {"Identity", "Trustee", "AccessRights"},
    "Remove-RecipientPermission": {"Identity", "Trustee", "AccessRights"},
    "Get-MailboxFolderPermission": {"Identity", "User"},
    "Add-MailboxFolderPermission": {"Identity", "User", "AccessRights", "SharingPermissionFlags"},
    "Set-MailboxFolderPermission": {"Identity", "User", "AccessRights", "SharingPermissionFlags"},
    "Remove-MailboxFolderPermission": {"Identity", "User", "ResetDelegateUserCollection"},
    "Get-DistributionGroup": {"Identity", "Filter", "ManagedBy", "ResultSize"},
    "Get-DistributionGroupMember": {"Identity", "ResultSize"},
    "Add-DistributionGroupMember": {"Identity", "Member", "BypassSecurityGroupManagerCheck"},
    "Remove-DistributionGroupMember": {"Identity", "Member", "BypassSecurityGroupManagerCheck"},
    "Get-InboxRule": {"Identity", "Mailbox", "IncludeHidden"},
    "Remove-InboxRule": {"Identity", "Mailbox", "Force"},
    "Enable-InboxRule": {"Identity", "Mailbox", "Force"},
    "Disable-InboxRule": {"Identity", "Mailbox", "Force"},
    "Get-CalendarProcessing": {"Identity"},
    "Set-CalendarProcessing": {"Identity", "AutomateProcessing", "AllowConflicts", "BookingWindowInDays",
                               "ResourceDelegates"},
    "Get-MailboxAutoReplyConfiguration": {"Identity"},
    "Set-MailboxAutoReplyConfiguration": {"Identity", "AutoReplyState", "InternalMessage", "ExternalMessage",
                                          "ExternalAudience", "StartTime", "EndTime"},
    "Get-MessageTraceV2": {"StartDate", "EndDate", "SenderAddress", "RecipientAddress", "Status", "ResultSize",
                           "MessageId", "Subject"},
    "Get-AcceptedDomain": {"Identity"},
    "Get-OrganizationConfig": set(),
    "Get-TransportRule": {"Identity", "State", "Filter"},
    "Get-MobileDevice": {"Identity", "Mailbox", "ResultSize"},
    "Get-QuarantineMessage": {"Identity", "QuarantineTypes", "SenderAddress", "RecipientAddress", "PageSize"},
    "Get-Command": {"Name", "Verb", "Noun", "Module"},
}


def test_catalog_has_the_size_the_service_exposed():
    assert 700 <= len(CAT) <= 760
    assert 6500 <= sum(len(c.parameters) for c in CAT) <= 7300


def test_catalog_is_deterministic_json():
    again = Catalog.loads(CAT.dumps())
    assert again == CAT


@pytest.mark.parametrize("name", sorted(MODELED))
def test_modeled_cmdlets_exist_with_real_parameters(name):
    info = CAT.get(name)
    assert info is not None
    assert MODELED[name] <= {p.name for p in info.parameters}
    assert info.synopsis
    assert name.lower() in BEHAVIOURS or name.lower() in ("get-command",)


def test_every_modeled_cmdlet_has_a_behaviour():
    SimEngine(mailboxes=1)  # loads the behaviours
    missing = [n for n in modeled_names() if n not in BEHAVIOURS]
    assert missing == []


def test_synthetic_cmdlets_look_like_exchange():
    for name in ("Get-AntiPhishPolicy", "Set-HostedContentFilterPolicy", "New-TransportRule", "Remove-JournalRule",
                 "Get-RetentionPolicy", "Set-OrganizationConfig"):
        assert name in CAT, name
    set_policy = CAT["Set-HostedContentFilterPolicy"]
    identity = set_policy.parameter("Identity")
    assert identity is not None and identity.position == 1 and identity.is_mandatory()
    assert set_policy.parameter("WhatIf") is not None and set_policy.parameter("cf") is not None
    new_rule = CAT["New-TransportRule"]
    name_param = new_rule.parameter("Name")
    assert name_param is not None and name_param.is_mandatory()


def test_syntax_lines_exactly():
    stats = syntax_lines(CAT["Get-MailboxStatistics"])
    assert stats == [
        ("Identity", True, "Get-MailboxStatistics [-Identity] <GeneralMailboxOrMailUserIdParameter> [-Archive] "
                           "[-IncludeMoveHistory] [-IncludeMoveReport] [-IncludeSoftDeletedRecipients] "
                           "[-UseCustomRouting] [<CommonParameters>]"),
        ("Database", False, "Get-MailboxStatistics -Database <DatabaseIdParameter> [-IncludeMoveHistory] "
                            "[-IncludeMoveReport] [<CommonParameters>]"),
    ]
    assert syntax_lines(CAT["Get-DistributionGroupMember"]) == [
        ("__AllParameterSets", True, "Get-DistributionGroupMember [-Identity] <DistributionGroupMemberIdParameter> "
                                     "[-IncludeSoftDeletedObjects] [-ResultSize <Unlimited[uint]>] "
                                     "[<CommonParameters>]")]
    owner = syntax_lines(CAT["Add-MailboxPermission"])[1]
    assert owner == ("Owner", False, "Add-MailboxPermission [-Identity] <MailboxIdParameter> -Owner "
                                     "<SecurityPrincipalIdParameter> [-GroupMailbox] [-IgnoreDefaultScope] [-Confirm] "
                                     "[-WhatIf] [<CommonParameters>]")


def test_syntax_shapes_optional_positional_enums_and_switches():
    line = syntax_lines(CAT["Get-Mailbox"])[0][2]
    assert line.startswith("Get-Mailbox [[-Identity] <MailboxIdParameter>] [-Archive] [-Filter <string>] ")
    assert "[-RecipientTypeDetails {DiscoveryMailbox | EquipmentMailbox | " in line
    assert line.endswith(" [-SortBy <string>] [<CommonParameters>]")
    set_line = syntax_lines(CAT["Set-Mailbox"])[0][2]
    assert "[-Type {Regular | Room | Equipment | Shared | Workspace | Desk}]" in set_line
    assert "[-LitigationHoldEnabled <bool>]" in set_line and set_line.endswith("[-Confirm] [-WhatIf] [<CommonParameters>]")


def test_parameter_sets_default_first():
    assert parameter_sets(CAT["Get-Mailbox"])[0] == "Identity"
    assert parameter_sets(CAT["Get-OrganizationConfig"]) == ["__AllParameterSets"]


def test_definition_joins_lines():
    text = definition(CAT["Get-MailboxStatistics"])
    assert text.split("\r\n\r\n") == [line for _, _, line in syntax_lines(CAT["Get-MailboxStatistics"])]


def test_get_command_returns_cmdlet_info_objects():
    engine = SimEngine(mailboxes=5)
    ctx = run(engine, ("Get-Command", [("Name", ["Get-Mailbox", "Set-Mailbox"])]))
    assert [o.properties["Name"] for o in ctx.out] == ["Get-Mailbox", "Set-Mailbox"]
    info = ctx.out[0]
    assert info.type_names == ("System.Management.Automation.CmdletInfo", "System.Management.Automation.CommandInfo",
                               "System.Object")
    assert info.to_string == "Get-Mailbox"
    assert info.properties["CommandType"] == "Cmdlet"
    assert info.properties["Verb"] == "Get" and info.properties["Noun"] == "Mailbox"
    sets = info.properties["ParameterSets"]
    assert [s.properties["Name"] for s in sets] == ["Identity", "AnrSet", "MailboxPlanSet"]
    assert [s.properties["IsDefault"] for s in sets] == [True, False, False]
    assert sets[0].type_names[0] == "System.Management.Automation.CommandParameterSetInfo"
    assert sets[0].to_string.startswith("[[-Identity] <MailboxIdParameter>]") is False
    assert sets[0].to_string.startswith("Get-Mailbox [[-Identity] <MailboxIdParameter>]")
    assert all(line.startswith("Get-Mailbox ") for line in info.properties["Definition"].split("\r\n\r\n"))


def test_get_command_wildcards_and_missing_names():
    engine = SimEngine(mailboxes=5)
    ctx = run(engine, ("Get-Command", [(None, ["get-mailbox*", "Get-Nope"])]))
    found = [o.properties["Name"] for o in ctx.out]
    assert "Get-Mailbox" in found and "Get-MailboxStatistics" in found
    assert len(ctx.errors) == 1 and ctx.errors[0].error_id == "CommandNotFoundException"
    assert run(engine, ("Get-Command", [(None, "Get-Nope*")])).errors == []
    nouns = run(engine, ("Get-Command", [("Noun", ["Mailbox"]), ("Verb", ["Get", "Set"])]))
    assert [o.properties["Name"] for o in nouns.out] == ["Get-Mailbox", "Set-Mailbox"]


def test_get_help_gives_name_and_synopsis():
    engine = SimEngine(mailboxes=5)
    helped = run(engine, ("Get-Help", [(None, "Get-Mailbox")])).out[0]
    assert helped.properties["Name"] == "Get-Mailbox"
    assert helped.properties["Synopsis"].startswith("Use the Get-Mailbox cmdlet")


def test_command_metadata_wildcards():
    engine = SimEngine(mailboxes=5)
    assert len(engine.command_metadata(["*"])) == len(CAT)
    assert [c.name for c in engine.command_metadata(["get-mailboxstat?stics"])] == ["Get-MailboxStatistics"]
    names = [c.name for c in engine.command_metadata(["Get-Mailbox", "*-DistributionGroupMember"])]
    assert names == ["Add-DistributionGroupMember", "Get-DistributionGroupMember", "Get-Mailbox",
                     "Remove-DistributionGroupMember", "Update-DistributionGroupMember"]
    assert engine.command_metadata(["Nothing-Here*"]) == []


@pytest.mark.parametrize("name", sorted(MODELED))
def test_syntax_lines_parse_back_to_the_catalog_facts(name):
    """The client's parser (tui.remoting.syntax_parse) recovers sets, mandatory, positions and valid values."""
    from tui.remoting.syntax_parse import cmdlet_from_syntax

    info = CAT[name]
    lines = syntax_lines(info)
    default = next(s for s, is_default, _ in lines if is_default)
    parsed = cmdlet_from_syntax(name, [(s, line) for s, _, line in lines], default)
    assert parsed.parameter_sets[:1] == info.parameter_sets[:1]
    for param in info.parameters:
        back = parsed.parameter(param.name)
        assert back is not None, param.name
        assert back.switch == param.switch
        for set_name in parameter_sets(info):
            if param.in_set(set_name) or set_name == "__AllParameterSets":
                assert back.is_mandatory(set_name if set_name != "__AllParameterSets" else None) == \
                    param.is_mandatory(set_name if set_name != "__AllParameterSets" else None), (param.name, set_name)
        assert (back.position is None) == (param.position is None), param.name
        if param.valid_values and param.type != "Boolean":
            assert back.valid_values == param.valid_values
