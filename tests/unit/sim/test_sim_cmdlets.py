"""Behaviour of each modeled area: permissions, groups, rules, auto-replies, trace, org, devices, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.sim.engine import SimEngine
from tui.sim.model import CmdletError, SimObject

TENANT = "contoso.onmicrosoft.com"
ADMIN = "admin@fabrikampartner.onmicrosoft.com"


class Collector:
    account = ADMIN
    tenant = TENANT

    def __init__(self) -> None:
        self.out: list[SimObject] = []
        self.warnings: list[str] = []
        self.errors: list[CmdletError] = []
        self.progress_records: list[tuple[Any, ...]] = []

    def output(self, obj: SimObject) -> None:
        self.out.append(obj)

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def verbose(self, text: str) -> None:
        pass

    def progress(self, activity: str, status: str, percent: int, record_id: int = 0, completed: bool = False) -> None:
        self.progress_records.append((activity, status, percent, completed))

    def error(self, err: CmdletError) -> None:
        self.errors.append(err)

    def check_stopped(self) -> None:
        pass


@pytest.fixture
def engine() -> SimEngine:
    return SimEngine(mailboxes=40)


def run(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, Any]]]) -> Collector:
    ctx = Collector()
    engine.run(TENANT, list(commands), ctx)
    return ctx


def fail(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, Any]]]) -> CmdletError:
    with pytest.raises(CmdletError) as info:
        run(engine, *commands)
    return info.value


def written(engine: SimEngine, *commands: tuple[str, list[tuple[str | None, Any]]]) -> CmdletError:
    """The one non-terminating error the run wrote (Exchange's object errors: the pipeline completes)."""
    ctx = run(engine, *commands)
    assert len(ctx.errors) == 1 and ctx.errors[0].terminating is False
    return ctx.errors[0]


def users_of(ctx: Collector) -> list[str]:
    return [o.properties["User"] for o in ctx.out]


# -- permissions -------------------------------------------------------------------------------------

def test_full_access_add_get_remove(engine):
    before = run(engine, ("Get-MailboxPermission", [(None, "Sales")]))
    assert before.out[0].properties["User"] == "NT AUTHORITY\\SELF"
    assert "AdeleV@contoso.com" not in users_of(before)
    added = run(engine, ("Add-MailboxPermission", [(None, "Sales"), ("User", "Adele Vance"),
                                                   ("AccessRights", "FullAccess"), ("AutoMapping", False)]))
    assert added.out[0].properties["AccessRights"] == ["FullAccess"]
    assert added.out[0].type_names[0] == "Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject"
    only = run(engine, ("Get-MailboxPermission", [(None, "Sales"), ("User", "AdeleV")]))
    assert users_of(only) == ["AdeleV@contoso.com"]
    again = run(engine, ("Add-MailboxPermission", [(None, "Sales"), ("User", "AdeleV"), ("AccessRights", "FullAccess")]))
    assert again.warnings == ["An existing permission entry was found for user: AdeleV@contoso.com."]
    run(engine, ("Remove-MailboxPermission", [(None, "Sales"), ("User", "AdeleV"), ("AccessRights", "FullAccess"),
                                              ("Confirm", False)]))
    assert "AdeleV@contoso.com" not in users_of(run(engine, ("Get-MailboxPermission", [(None, "Sales")])))


def test_remove_permission_through_the_pipeline(engine):
    run(engine, ("Add-MailboxPermission", [(None, "Support"), ("User", "AlexW"), ("AccessRights", "FullAccess")]))
    run(engine, ("Get-MailboxPermission", [(None, "Support"), ("User", "AlexW")]),
        ("Remove-MailboxPermission", [("Confirm", False)]))
    assert run(engine, ("Get-MailboxPermission", [(None, "Support"), ("User", "AlexW")])).out == []


def test_permission_whatif_changes_nothing(engine):
    ctx = run(engine, ("Add-MailboxPermission", [(None, "Info"), ("User", "AdeleV"), ("AccessRights", "FullAccess"),
                                                 ("WhatIf", True)]))
    assert ctx.out == [] and ctx.warnings[0].startswith("What if: Adding mailbox permission \"FullAccess\"")
    assert run(engine, ("Get-MailboxPermission", [(None, "Info"), ("User", "AdeleV")])).out == []


def test_unknown_user_is_not_found(engine):
    err = written(engine, ("Add-MailboxPermission", [(None, "Sales"), ("User", "ghost"), ("AccessRights", "FullAccess")]))
    assert err.message.startswith("The operation couldn't be performed because object 'ghost' couldn't be found on '")


def test_send_as_add_get_remove(engine):
    added = run(engine, ("Add-RecipientPermission", [(None, "Sales"), ("Trustee", "AdeleV"),
                                                     ("AccessRights", "SendAs"), ("Confirm", False)]))
    assert added.out[0].properties["Trustee"] == "AdeleV@contoso.com"
    got = run(engine, ("Get-RecipientPermission", [(None, "Sales"), ("Trustee", "AdeleV")]))
    assert [o.properties["AccessRights"] for o in got.out] == [["SendAs"]]
    run(engine, ("Remove-RecipientPermission", [(None, "Sales"), ("Trustee", "AdeleV"), ("AccessRights", "SendAs")]))
    assert run(engine, ("Get-RecipientPermission", [(None, "Sales"), ("Trustee", "AdeleV")])).out == []


def test_send_as_on_a_group(engine):
    run(engine, ("Add-RecipientPermission", [(None, "Sales Team"), ("Trustee", "AdeleV"), ("AccessRights", "SendAs")]))
    got = run(engine, ("Get-RecipientPermission", [(None, "Sales Team")]))
    assert [o.properties["Trustee"] for o in got.out] == ["AdeleV@contoso.com"]


def test_calendar_permissions(engine):
    got = run(engine, ("Get-MailboxFolderPermission", [(None, "AdeleV:\\Calendar")]))
    assert users_of(got)[:2] == ["Default", "Anonymous"]
    assert got.out[0].properties["AccessRights"] == ["AvailabilityOnly"]
    assert got.out[0].properties["Identity"] == "AdeleV:\\Calendar"
    run(engine, ("Add-MailboxFolderPermission", [(None, "AdeleV:\\Calendar"), ("User", "AlexW"),
                                                 ("AccessRights", "Editor"), ("SharingPermissionFlags", "Delegate")]))
    alex = run(engine, ("Get-MailboxFolderPermission", [(None, "adelev@contoso.com:\\calendar"), ("User", "AlexW")]))
    assert [(o.properties["User"], o.properties["AccessRights"]) for o in alex.out] == [("Alex Wilber", ["Editor"])]
    err = fail(engine, ("Add-MailboxFolderPermission", [(None, "AdeleV:\\Calendar"), ("User", "AlexW"),
                                                        ("AccessRights", "Reviewer")]))
    assert err.message == "An existing permission entry was found for user: Alex Wilber."
    err = written(engine, ("Get-MailboxFolderPermission", [(None, "AdeleV:\\Nowhere")]))
    assert err.message == "The operation couldn't be performed because 'AdeleV:\\Nowhere' couldn't be found."


def test_folder_rights_are_validated(engine):
    err = fail(engine, ("Add-MailboxFolderPermission", [(None, "AdeleV:\\Calendar"), ("User", "AlexW"),
                                                        ("AccessRights", "Boss")]))
    assert "Unable to match the identifier name Boss to a valid enumerator name." in err.message


# -- groups ------------------------------------------------------------------------------------------

def test_groups_and_members(engine):
    groups = run(engine, ("Get-DistributionGroup", []))
    assert "All Staff" in [o.properties["Name"] for o in groups.out]
    assert {"Name", "DisplayName", "GroupType", "PrimarySmtpAddress"} <= set(groups.out[0].properties)
    assert groups.out[0].type_names[0] == "Microsoft.Exchange.Data.Directory.Management.DistributionGroup"
    members = [o.properties["Name"] for o in run(engine, ("Get-DistributionGroupMember", [(None, "Finance")])).out]
    outsider = next(o.properties["Name"] for o in run(engine, ("Get-Mailbox", [("RecipientTypeDetails", "UserMailbox")])).out
                    if o.properties["Name"] not in members)
    run(engine, ("Add-DistributionGroupMember", [(None, "Finance"), ("Member", outsider)]))
    after = [o.properties["Name"] for o in run(engine, ("Get-DistributionGroupMember", [(None, "finance")])).out]
    assert after == [*members, outsider]
    err = fail(engine, ("Add-DistributionGroupMember", [(None, "Finance"), ("Member", outsider)]))
    assert err.message == f"The recipient \"{outsider}\" is already a member of the group \"Finance\"."
    run(engine, ("Remove-DistributionGroupMember", [(None, "Finance"), ("Member", outsider), ("Confirm", False)]))
    assert [o.properties["Name"] for o in run(engine, ("Get-DistributionGroupMember", [(None, "Finance")])).out] == members
    err = fail(engine, ("Remove-DistributionGroupMember", [(None, "Finance"), ("Member", outsider)]))
    assert err.message == f"The recipient \"{outsider}\" isn't a member of the group \"Finance\"."


def test_group_members_through_the_pipeline(engine):
    ctx = run(engine, ("Get-DistributionGroup", [(None, "All Staff")]), ("Get-DistributionGroupMember", []))
    users = run(engine, ("Get-Mailbox", [("RecipientTypeDetails", "UserMailbox")])).out
    assert len(ctx.out) == len(users)


def test_recipients_include_groups(engine):
    kinds = {o.properties["RecipientTypeDetails"] for o in run(engine, ("Get-Recipient", [])).out}
    assert {"UserMailbox", "SharedMailbox", "MailUniversalDistributionGroup"} <= kinds
    only_groups = run(engine, ("Get-Recipient", [("RecipientTypeDetails", ["MailUniversalSecurityGroup"])]))
    assert only_groups.out and all(o.properties["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
                                   for o in only_groups.out)


# -- inbox rules and automatic replies -------------------------------------------------------------

def test_inbox_rules_by_mailbox_pipeline_and_removal(engine):
    every = run(engine, ("Get-Mailbox", [("ResultSize", "Unlimited")]), ("Get-InboxRule", []))
    assert every.out, "some mailboxes have rules"
    rule = every.out[0].properties
    owner = rule["MailboxOwnerId"]
    assert rule["Identity"] == f"{owner}\\{rule['RuleIdentity']}"
    mine = run(engine, ("Get-InboxRule", [("Mailbox", owner)]))
    assert rule["Name"] in [o.properties["Name"] for o in mine.out]
    run(engine, ("Remove-InboxRule", [(None, rule["Identity"]), ("Confirm", False)]))
    left = run(engine, ("Get-InboxRule", [("Mailbox", owner)]))
    assert rule["RuleIdentity"] not in [o.properties["RuleIdentity"] for o in left.out]


def test_inbox_rule_without_mailbox_is_the_callers(engine):
    err = written(engine, ("Get-InboxRule", []))
    assert f"'{ADMIN}' couldn't be found" in err.message


def test_auto_reply_set_then_get(engine):
    run(engine, ("Set-MailboxAutoReplyConfiguration", [(None, "AdeleV"), ("AutoReplyState", "scheduled"),
                                                       ("StartTime", "2026-12-01 08:00"),
                                                       ("EndTime", "2026-12-05 17:00"),
                                                       ("InternalMessage", "On leave"),
                                                       ("ExternalAudience", "Known")]))
    got = run(engine, ("Get-MailboxAutoReplyConfiguration", [(None, "AdeleV")])).out[0].properties
    assert got["AutoReplyState"] == "Scheduled" and got["ExternalAudience"] == "Known"
    assert "On leave" in got["InternalMessage"] and got["InternalMessage"].startswith("<html>")
    assert got["StartTime"] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    err = fail(engine, ("Set-MailboxAutoReplyConfiguration", [(None, "AdeleV"), ("AutoReplyState", "Scheduled"),
                                                              ("StartTime", "2026-12-09"), ("EndTime", "2026-12-01")]))
    assert err.message == "The end time must be later than the start time."


# -- message trace -------------------------------------------------------------------------------------

def test_message_trace_defaults_and_properties(engine):
    ctx = run(engine, ("Get-MessageTraceV2", [("ResultSize", 50)]))
    assert len(ctx.out) == 50
    first = ctx.out[0].properties
    assert {"Received", "SenderAddress", "RecipientAddress", "Subject", "Status"} <= set(first)
    received = [o.properties["Received"] for o in ctx.out]
    assert received == sorted(received, reverse=True)
    assert datetime.now(UTC) - received[-1] <= timedelta(hours=48)
    assert ctx.warnings and ctx.warnings[0].startswith("There are more results, use the following command to get more.")
    assert ctx.progress_records and ctx.progress_records[-1][3] is True


def test_message_trace_filters(engine):
    anyone = run(engine, ("Get-MessageTraceV2", [("ResultSize", 200)])).out
    sender = anyone[0].properties["SenderAddress"]
    from_sender = run(engine, ("Get-MessageTraceV2", [("SenderAddress", sender), ("ResultSize", 5000)])).out
    assert from_sender and all(o.properties["SenderAddress"] == sender for o in from_sender)
    failed = run(engine, ("Get-MessageTraceV2", [("Status", ["Failed", "FilteredAsSpam"]), ("ResultSize", 5000),
                                                 ("StartDate", datetime.now(UTC) - timedelta(days=9))])).out
    assert failed and {o.properties["Status"] for o in failed} <= {"Failed", "FilteredAsSpam"}
    wildcard = run(engine, ("Get-MessageTraceV2", [("RecipientAddress", "*@contoso.com"), ("ResultSize", 100)])).out
    assert wildcard and all(o.properties["RecipientAddress"].endswith("@contoso.com") for o in wildcard)


def test_message_trace_limits(engine):
    now = datetime.now(UTC)
    err = fail(engine, ("Get-MessageTraceV2", [("StartDate", now - timedelta(days=11)), ("EndDate", now)]))
    assert "can't be greater than 10 days" in err.message
    err = fail(engine, ("Get-MessageTraceV2", [("ResultSize", 5001)]))
    assert err.message == "The ResultSize value must be between 1 and 5000."
    err = fail(engine, ("Get-MessageTraceV2", [("StartDate", now), ("EndDate", now - timedelta(days=1))]))
    assert err.message == "The EndDate value must be later than the StartDate value."
    err = fail(engine, ("Get-MessageTraceV2", [("Status", "Lost")]))
    assert "Delivered, Expanded, Failed, FilteredAsSpam, GettingStatus, Pending, Quarantined" in err.message


def test_message_trace_reports_progress_per_day(engine):
    now = datetime.now(UTC)
    ctx = run(engine, ("Get-MessageTraceV2", [("StartDate", now - timedelta(days=5)), ("EndDate", now),
                                              ("ResultSize", 5000)]))
    days = [r for r in ctx.progress_records if not r[3]]
    assert len(days) >= 5 and all(r[0] == "Get-MessageTraceV2" for r in days)


# -- organization, devices, quarantine ------------------------------------------------------------------

def test_accepted_domains_and_org_config(engine):
    domains = run(engine, ("Get-AcceptedDomain", [])).out
    names = [o.properties["DomainName"] for o in domains]
    assert names[:2] == ["contoso.com", "contoso.onmicrosoft.com"]
    assert [o.properties["Default"] for o in domains].count(True) == 1
    assert run(engine, ("Get-AcceptedDomain", [(None, "contoso.onmicrosoft.com")])).out[0].properties["InitialDomain"]
    org = run(engine, ("Get-OrganizationConfig", [])).out[0]
    assert org.to_string == TENANT and org.properties["DisplayName"] == "Contoso Ltd"


def test_transport_rules(engine):
    rules = run(engine, ("Get-TransportRule", [])).out
    assert rules and rules[0].properties["Name"] == "External email warning"
    assert {"State", "Mode", "Priority", "Description"} <= set(rules[0].properties)
    enabled = run(engine, ("Get-TransportRule", [("State", "Enabled")])).out
    assert all(o.properties["State"] == "Enabled" for o in enabled)
    assert written(engine, ("Get-TransportRule", [(None, "No such rule")])).message.startswith(
        "The operation couldn't be performed because object 'No such rule' couldn't be found")


def test_mobile_devices(engine):
    every = run(engine, ("Get-MobileDevice", [("ResultSize", "Unlimited")])).out
    assert every
    owner = every[0].properties["Identity"].split("\\", 1)[0]
    by_mailbox = run(engine, ("Get-MobileDevice", [("Mailbox", owner)])).out
    assert by_mailbox and all(o.properties["Identity"].startswith(owner + "\\") for o in by_mailbox)
    piped = run(engine, ("Get-Mailbox", [(None, owner)]), ("Get-MobileDevice", [])).out
    assert [o.properties["DeviceId"] for o in piped] == [o.properties["DeviceId"] for o in by_mailbox]


def test_quarantine_messages(engine):
    page = run(engine, ("Get-QuarantineMessage", [("PageSize", 5)])).out
    assert len(page) == 5
    phish = run(engine, ("Get-QuarantineMessage", [("QuarantineTypes", ["Phish", "HighConfPhish"])])).out
    assert all(o.properties["QuarantineTypes"] in ("Phish", "HighConfPhish") for o in phish)
    one = run(engine, ("Get-QuarantineMessage", [("Identity", page[0].properties["Identity"])])).out
    assert [o.properties["Identity"] for o in one] == [page[0].properties["Identity"]]


def test_cas_mailbox_set_then_get(engine):
    run(engine, ("Set-CASMailbox", [(None, "AdeleV"), ("PopEnabled", False), ("ImapEnabled", False),
                                    ("SmtpClientAuthenticationDisabled", True)]))
    cas = run(engine, ("Get-CASMailbox", [(None, "AdeleV")])).out[0].properties
    assert (cas["PopEnabled"], cas["ImapEnabled"], cas["SmtpClientAuthenticationDisabled"]) == (False, False, True)


def test_user_and_statistics(engine):
    user = run(engine, ("Get-User", [(None, "AdeleV")])).out[0]
    assert user.properties["FirstName"] == "Adele" and user.type_names[0].endswith("Management.User")
    stats = run(engine, ("Get-MailboxStatistics", [(None, "AdeleV")])).out[0].properties
    assert stats["DisplayName"] == "Adele Vance" and stats["TotalItemSize"].endswith(" bytes)")


def test_calendar_permission_set_and_remove(engine):
    err = fail(engine, ("Set-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "AdeleV"),
                                                        ("AccessRights", "Reviewer")]))
    assert err.message == "There is no existing permission entry found for user: Adele Vance."
    run(engine, ("Add-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "AdeleV"),
                                                 ("AccessRights", "Reviewer")]))
    run(engine, ("Set-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "AdeleV"),
                                                 ("AccessRights", "Editor")]))
    got = run(engine, ("Get-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "AdeleV")])).out
    assert got[0].properties["AccessRights"] == ["Editor"]
    run(engine, ("Set-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "Default"),
                                                 ("AccessRights", "LimitedDetails")]))
    run(engine, ("Remove-MailboxFolderPermission", [(None, "MeganB:\\Calendar"), ("User", "AdeleV"),
                                                    ("Confirm", False)]))
    left = run(engine, ("Get-MailboxFolderPermission", [(None, "MeganB:\\Calendar")])).out
    assert "Adele Vance" not in [o.properties["User"] for o in left]
    assert left[0].properties["AccessRights"] == ["LimitedDetails"]


def test_folder_statistics(engine):
    folders = run(engine, ("Get-MailboxFolderStatistics", [(None, "AdeleV")])).out
    names = [o.properties["Name"] for o in folders]
    assert names[:3] == ["Top of Information Store", "Inbox", "Sent Items"]
    stats = run(engine, ("Get-MailboxStatistics", [(None, "AdeleV")])).out[0].properties
    assert sum(o.properties["ItemsInFolder"] for o in folders) <= stats["ItemCount"]
    assert folders[1].properties["Identity"] == "AdeleV\\Inbox"
    inbox = run(engine, ("Get-MailboxFolderStatistics", [(None, "AdeleV"), ("FolderScope", "Inbox"),
                                                         ("IncludeOldestAndNewestItems", None)])).out
    assert [o.properties["FolderType"] for o in inbox] == ["Inbox"]
    assert "OldestItemReceivedDate" in inbox[0].properties
    assert inbox[0].properties["FolderId"] == folders[1].properties["FolderId"]


def test_mobile_device_statistics(engine):
    owner = run(engine, ("Get-MobileDevice", [("ResultSize", 1)])).out[0].properties["Identity"].split("\\", 1)[0]
    stats = run(engine, ("Get-MobileDeviceStatistics", [("Mailbox", owner)])).out
    devices = run(engine, ("Get-MobileDevice", [("Mailbox", owner)])).out
    assert [o.properties["DeviceID"] for o in stats] == [o.properties["DeviceId"] for o in devices]
    assert {"LastSuccessSync", "DeviceOS", "Status"} <= set(stats[0].properties)
    one = run(engine, ("Get-MobileDeviceStatistics", [(None, devices[0].properties["Identity"])])).out
    assert [o.properties["DeviceID"] for o in one] == [devices[0].properties["DeviceId"]]
    err = fail(engine, ("Get-MobileDeviceStatistics", []))
    assert "missing mandatory parameters: Identity." in err.message


def test_disable_and_enable_a_suspicious_inbox_rule(engine):
    every = run(engine, ("Get-Mailbox", [("ResultSize", "Unlimited")]), ("Get-InboxRule", [])).out
    rule = every[0].properties
    run(engine, ("Disable-InboxRule", [(None, rule["Identity"]), ("Confirm", False)]))
    again = run(engine, ("Get-InboxRule", [(None, rule["Identity"])])).out[0].properties
    assert again["Enabled"] is False
    run(engine, ("Enable-InboxRule", [("Mailbox", rule["MailboxOwnerId"]), (None, rule["Name"])]))
    assert run(engine, ("Get-InboxRule", [(None, rule["Identity"])])).out[0].properties["Enabled"] is True


def test_calendar_processing_for_rooms(engine):
    room = run(engine, ("Get-Mailbox", [("RecipientTypeDetails", "RoomMailbox")])).out[0].properties["Name"]
    got = run(engine, ("Get-CalendarProcessing", [(None, room)])).out[0].properties
    assert got["AutomateProcessing"] == "AutoAccept"
    run(engine, ("Set-CalendarProcessing", [(None, room), ("AllowConflicts", True), ("BookingWindowInDays", 365),
                                            ("ResourceDelegates", ["AdeleV"])]))
    got = run(engine, ("Get-CalendarProcessing", [(None, room)])).out[0].properties
    assert (got["AllowConflicts"], got["BookingWindowInDays"], got["ResourceDelegates"]) == (True, 365, ["AdeleV"])
    err = fail(engine, ("Set-CalendarProcessing", [(None, room), ("AutomateProcessing", "Always")]))
    assert "None, AutoUpdate, AutoAccept" in err.message
