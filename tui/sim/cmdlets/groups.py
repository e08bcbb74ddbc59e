"""Distribution groups: Get-DistributionGroup, Get/Add/Remove-DistributionGroupMember."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from tui.sim.cmdlets.base import Invocation, ambiguous_error, cmdlet, has_wildcard, resolve_mailbox
from tui.sim.cmdlets.mailbox import match_groups, recipient_from_mailbox
from tui.sim.data import GroupRec
from tui.sim.model import CmdletError, SimObject

GROUP_TYPES = ("Microsoft.Exchange.Data.Directory.Management.DistributionGroup",
               "Microsoft.Exchange.Data.Directory.Management.DistributionGroupBase",
               "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
               "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
               "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
               "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")


def group_object(g: GroupRec) -> SimObject:
    return SimObject(GROUP_TYPES, dict(g.props), g.props["Name"])


def resolve_group(inv: Invocation, identity: str) -> GroupRec:
    found = match_groups(inv, identity) if not has_wildcard(identity) else []
    if not found:
        raise inv.not_found(identity)
    if len(found) > 1:
        raise ambiguous_error(inv.data, inv.info.name, identity)
    return found[0]


@cmdlet("Get-DistributionGroup")
def get_distribution_group(inv: Invocation) -> Iterator[SimObject]:
    groups = list(inv.data.groups)
    if inv.has("Identity"):
        identity = inv.get("Identity")
        groups = match_groups(inv, identity)
        if not groups and not has_wildcard(identity):
            raise inv.not_found(identity)
    if inv.has("Anr"):
        groups = [g for g in groups if g.props["Name"].lower().startswith(inv.get("Anr").lower())]
    if inv.has("ManagedBy"):
        owner = resolve_mailbox(inv, inv.get("ManagedBy")).props["Name"]
        groups = [g for g in groups if owner in g.props["ManagedBy"]]
    kinds = inv.get("RecipientTypeDetails")
    if kinds:
        groups = [g for g in groups if g.props["RecipientTypeDetails"] in kinds]
    yield from inv.limited(inv.filtered(group_object(g) for g in groups))


@cmdlet("Get-DistributionGroupMember")
def get_distribution_group_member(inv: Invocation) -> Iterator[SimObject]:
    g = resolve_group(inv, inv.get("Identity"))

    def members() -> Iterator[SimObject]:
        for guid in list(g.members):
            inv.check()
            m = inv.data.mailbox_by_guid(guid)
            if m is not None:
                yield recipient_from_mailbox(m)
    yield from inv.limited(members())


def _member_error(text: str, error_id: str, target: str) -> CmdletError:
    return CmdletError(text, category="NotSpecified", error_id=error_id,
                       exception_type=f"Microsoft.Exchange.Management.Tasks.{error_id}", target=target)


@cmdlet("Add-DistributionGroupMember")
def add_distribution_group_member(inv: Invocation) -> Iterator[SimObject]:
    g = resolve_group(inv, inv.get("Identity"))
    if not inv.has("Member"):
        return
    m = resolve_mailbox(inv, inv.get("Member"))
    if not inv.should_process(f"Adding recipient \"{m.props['Identity']}\" to distribution group "
                              f"\"{g.props['Identity']}\"."):
        return
    with inv.data.lock:
        if m.guid in g.members:
            raise _member_error(f"The recipient \"{m.props['Name']}\" is already a member of the group "
                                f"\"{g.props['Name']}\".", "MemberAlreadyExistsException", m.props["Name"])
        g.members.append(m.guid)
        g.props["WhenChanged"] = datetime.now(UTC).replace(microsecond=0)
    yield from ()


@cmdlet("Remove-DistributionGroupMember")
def remove_distribution_group_member(inv: Invocation) -> Iterator[SimObject]:
    g = resolve_group(inv, inv.get("Identity"))
    if not inv.has("Member"):
        return
    m = resolve_mailbox(inv, inv.get("Member"))
    if not inv.should_process(f"Removing recipient \"{m.props['Identity']}\" from distribution group "
                              f"\"{g.props['Identity']}\"."):
        return
    with inv.data.lock:
        if m.guid not in g.members:
            raise _member_error(f"The recipient \"{m.props['Name']}\" isn't a member of the group "
                                f"\"{g.props['Name']}\".", "MemberNotFoundException", m.props["Name"])
        g.members.remove(m.guid)
        g.props["WhenChanged"] = datetime.now(UTC).replace(microsecond=0)
    yield from ()
