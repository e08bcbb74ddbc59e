"""Inbox rules and automatic replies: Get/Remove-InboxRule, Get/Set-MailboxAutoReplyConfiguration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, resolve_mailbox
from tui.sim.data import MailboxRec
from tui.sim.model import CmdletError, SimObject

INBOX_RULE_TYPES = ("Microsoft.Exchange.Management.Common.InboxRule",
                    "Microsoft.Exchange.Data.XsoMailboxConfigurationObject",
                    "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
AUTO_REPLY_TYPES = ("Microsoft.Exchange.InfoWorker.Common.OOF.MailboxAutoReplyConfiguration",
                    "Microsoft.Exchange.Data.XsoMailboxConfigurationObject",
                    "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
_RULE_FIELDS = ("From", "SubjectContainsWords", "MoveToFolder", "ForwardTo", "RedirectTo", "DeleteMessage",
                "MarkAsRead", "MarkImportance")


def _describe(rule: dict[str, Any]) -> str:
    lines = ["If the message:"]
    if rule.get("From"):
        lines.append(f"\tis from '{'; '.join(rule['From'])}'")
    if rule.get("SubjectContainsWords"):
        lines.append(f"\tincludes '{' or '.join(rule['SubjectContainsWords'])}' in the subject")
    if len(lines) == 1:
        lines.append("\tapplies to all messages")
    lines.append("Take the following actions:")
    if rule.get("MoveToFolder"):
        lines.append(f"\tmove the message to folder '{rule['MoveToFolder']}'")
    if rule.get("ForwardTo"):
        lines.append(f"\tforward the message to '{'; '.join(rule['ForwardTo'])}'")
    if rule.get("DeleteMessage"):
        lines.append("\tdelete the message")
    if rule.get("MarkAsRead"):
        lines.append("\tmark the message as read")
    if rule.get("MarkImportance"):
        lines.append(f"\tmark the message with '{rule['MarkImportance']}' importance")
    return "\r\n".join(lines) + "\r\n"


def rule_object(m: MailboxRec, rule: dict[str, Any]) -> SimObject:
    owner = m.props["Identity"]
    props: dict[str, Any] = {"Name": rule["Name"], "Enabled": rule["Enabled"], "Priority": rule["Priority"],
                             "RuleIdentity": rule["RuleIdentity"], "Description": _describe(rule),
                             "StopProcessingRules": rule["StopProcessingRules"]}
    for name in _RULE_FIELDS:
        value = rule.get(name)
        props[name] = value if value is not None else (False if name in ("DeleteMessage", "MarkAsRead") else None)
    props.update({"InError": False, "SupportedByTask": True, "MailboxOwnerId": owner,
                  "Identity": f"{owner}\\{rule['RuleIdentity']}", "IsValid": True})
    return SimObject(INBOX_RULE_TYPES, props, rule["Name"])


def _caller_mailbox_error(inv: Invocation) -> CmdletError:
    return inv.not_found(inv.ctx.account)


def _rules_in(inv: Invocation, m: MailboxRec) -> list[dict[str, Any]]:
    return inv.data.inbox_rules.get(m.guid, [])


def _find_rules(inv: Invocation) -> tuple[MailboxRec, list[dict[str, Any]]]:
    """The mailbox and rules -Identity / -Mailbox select (``mailbox\\ruleid``, a rule name, or a mailbox)."""
    identity = inv.get("Identity")
    if inv.has("Mailbox"):
        m = resolve_mailbox(inv, inv.get("Mailbox"))
        rules = _rules_in(inv, m)
        if identity is None:
            return m, rules
        key = identity.rsplit("\\", 1)[-1].lower()
        picked = [r for r in rules if r["Name"].lower() == key or str(r["RuleIdentity"]) == key]
        if not picked:
            raise inv.not_found(identity)
        return m, picked
    if identity is None:
        raise _caller_mailbox_error(inv)
    if "\\" in identity:
        owner, _, key = identity.rpartition("\\")
        m = resolve_mailbox(inv, owner)
        picked = [r for r in _rules_in(inv, m) if r["Name"].lower() == key.lower() or str(r["RuleIdentity"]) == key]
        if not picked:
            raise inv.not_found(identity)
        return m, picked
    # A bare identity naming a mailbox (e.g. piped from Get-Mailbox) lists that mailbox's rules.
    found = inv.data.find_mailboxes(identity)
    if found:
        m = resolve_mailbox(inv, identity)
        return m, _rules_in(inv, m)
    raise inv.not_found(identity)


@cmdlet("Get-InboxRule")
def get_inbox_rule(inv: Invocation) -> Iterator[SimObject]:
    m, rules = _find_rules(inv)
    yield from inv.limited(rule_object(m, r) for r in list(rules))


@cmdlet("Remove-InboxRule")
def remove_inbox_rule(inv: Invocation) -> Iterator[SimObject]:
    if inv.get("Identity") is None:
        raise _caller_mailbox_error(inv)
    m, rules = _find_rules(inv)
    for rule in list(rules):
        inv.check()
        if not inv.should_process(f"Removing Inbox rule \"{rule['Name']}\" from mailbox \"{m.props['Identity']}\"."):
            continue
        with inv.data.lock:
            current = inv.data.inbox_rules.get(m.guid, [])
            if rule in current:
                current.remove(rule)
    yield from ()


# -- automatic replies ----------------------------------------------------------------------------

def auto_reply_object(m: MailboxRec) -> SimObject:
    owner = m.props["Identity"]
    props = {**m.auto_reply, "MailboxOwnerId": owner, "Identity": owner, "IsValid": True}
    return SimObject(AUTO_REPLY_TYPES, props, owner)


@cmdlet("Get-MailboxAutoReplyConfiguration")
def get_auto_reply(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    yield auto_reply_object(m)


def _html(text: str | None) -> str:
    if not text:
        return ""
    if text.lstrip().lower().startswith("<html"):
        return text
    return f"<html>\n<body>\n{text}\n</body>\n</html>\n"


@cmdlet("Set-MailboxAutoReplyConfiguration")
def set_auto_reply(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    changes = {k: v for k, v in inv.bound.values.items()
               if k not in ("Identity", "Confirm", "WhatIf", "IgnoreDefaultScope")}
    start: datetime = changes.get("StartTime", m.auto_reply["StartTime"])
    end: datetime = changes.get("EndTime", m.auto_reply["EndTime"])
    state = changes.get("AutoReplyState", m.auto_reply["AutoReplyState"])
    if state == "Scheduled" and start and end and end <= start:
        raise CmdletError("The end time must be later than the start time.", category="InvalidArgument",
                          error_id="InvalidTimeRange",
                          exception_type="Microsoft.Exchange.Data.DataValidationException", target=m.props["Identity"])
    if not inv.should_process(f"Setting the automatic replies of mailbox \"{m.props['Identity']}\"."):
        return
    with inv.data.lock:
        m.auto_reply = {**m.auto_reply, **{
            name: _html(value) if name in ("InternalMessage", "ExternalMessage") else value
            for name, value in changes.items()}}
    yield from ()


def _set_enabled(inv: Invocation, enabled: bool) -> Iterator[SimObject]:
    m, rules = _find_rules(inv)
    verb = "Enabling" if enabled else "Disabling"
    for rule in list(rules):
        inv.check()
        if not inv.should_process(f"{verb} Inbox rule \"{rule['Name']}\" in mailbox \"{m.props['Identity']}\"."):
            continue
        with inv.data.lock:
            current = inv.data.inbox_rules.get(m.guid, [])
            if rule in current:
                current[current.index(rule)] = {**rule, "Enabled": enabled}
    yield from ()


@cmdlet("Enable-InboxRule")
def enable_inbox_rule(inv: Invocation) -> Iterator[SimObject]:
    return _set_enabled(inv, True)


@cmdlet("Disable-InboxRule")
def disable_inbox_rule(inv: Invocation) -> Iterator[SimObject]:
    return _set_enabled(inv, False)


# -- calendar processing (resource booking) -----------------------------------------------------------

CALENDAR_PROCESSING_TYPES = ("Microsoft.Exchange.Management.StoreTasks.CalendarConfiguration",
                             "Microsoft.Exchange.Data.XsoMailboxConfigurationObject",
                             "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")


def _calendar_processing(inv: Invocation, m: MailboxRec) -> dict[str, Any]:
    overrides: dict[Any, dict[str, Any]] = inv.data.singleton("calendar_processing", lambda _: {})
    resource = m.kind in ("RoomMailbox", "EquipmentMailbox")
    base: dict[str, Any] = {
        "AutomateProcessing": "AutoAccept" if resource else "AutoUpdate", "AllowConflicts": False,
        "AllowRecurringMeetings": True, "BookingWindowInDays": 180, "MaximumDurationInMinutes": 1440,
        "AllBookInPolicy": True, "AllRequestInPolicy": False, "BookInPolicy": [], "RequestInPolicy": [],
        "ResourceDelegates": [], "AddOrganizerToSubject": resource, "DeleteComments": resource,
        "DeleteSubject": resource, "RemovePrivateProperty": True, "ProcessExternalMeetingMessages": False,
        "AddAdditionalResponse": False, "AdditionalResponse": None}
    return {**base, **overrides.get(m.guid, {})}


@cmdlet("Get-CalendarProcessing")
def get_calendar_processing(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    owner = m.props["Identity"]
    props = {**_calendar_processing(inv, m), "MailboxOwnerId": owner, "Identity": owner, "IsValid": True}
    yield SimObject(CALENDAR_PROCESSING_TYPES, props, owner)


@cmdlet("Set-CalendarProcessing")
def set_calendar_processing(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    changes = {k: v for k, v in inv.bound.values.items() if k not in ("Identity", "Confirm", "WhatIf")}
    for key in ("ResourceDelegates", "BookInPolicy", "RequestInPolicy"):
        if key in changes:
            changes[key] = [resolve_mailbox(inv, str(v)).props["Name"] for v in changes[key] or []]
    if not inv.should_process(f"Setting the calendar processing of mailbox \"{m.props['Identity']}\"."):
        return
    with inv.data.lock:
        overrides: dict[Any, dict[str, Any]] = inv.data.singleton("calendar_processing", lambda _: {})
        before = _calendar_processing(inv, m)
        overrides[m.guid] = {**overrides.get(m.guid, {}), **changes}
        if _calendar_processing(inv, m) == before:
            inv.warning(f"The command completed successfully but no settings of '{m.props['Identity']}' have "
                        "been modified.")
    yield from ()
