"""Default views per object type: which columns a Get-Mailbox result shows when nothing says otherwise.

Keyed by the type's short name (the last dotted segment of a type name, with ``Deserialized.`` removed),
so ``Microsoft.Exchange.Data.Directory.Management.Mailbox`` and its deserialized twin both find
``mailbox``. The columns follow Exchange's own format data where it is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ViewKind = Literal["table", "list"]


@dataclass(frozen=True, slots=True)
class ViewDef:
    kind: ViewKind
    columns: tuple[str, ...]


def _t(*columns: str) -> ViewDef:
    return ViewDef("table", columns)


def _l(*columns: str) -> ViewDef:
    return ViewDef("list", columns)


DEFAULT_VIEWS: dict[str, ViewDef] = {
    "mailbox": _t("Name", "Alias", "Database", "ProhibitSendQuota", "ExternalDirectoryObjectId"),
    "mailboxstatistics": _t("DisplayName", "ItemCount", "StorageLimitStatus", "LastLogonTime"),
    "mailboxfolderstatistics": _t("Name", "FolderPath", "ItemsInFolder", "FolderSize"),
    "distributiongroup": _t("Name", "DisplayName", "GroupType", "PrimarySmtpAddress"),
    "dynamicdistributiongroup": _t("Name", "DisplayName", "RecipientFilter", "PrimarySmtpAddress"),
    "unifiedgroup": _t("Name", "Alias", "AccessType", "PrimarySmtpAddress"),
    "messagetrace": _t("Received", "SenderAddress", "RecipientAddress", "Subject", "Status"),
    "messagetracev2": _t("Received", "SenderAddress", "RecipientAddress", "Subject", "Status"),
    "messagetracedetail": _t("Date", "Event", "Action", "Detail"),
    "messagetracedetailv2": _t("Date", "Event", "Action", "Detail"),
    "mailboxacepresentationobject": _t("Identity", "User", "AccessRights", "IsInherited", "Deny"),
    "mailboxpermission": _t("Identity", "User", "AccessRights", "IsInherited", "Deny"),
    "recipientpermission": _t("Identity", "Trustee", "AccessControlType", "AccessRights"),
    "mailboxfolderpermission": _t("FolderName", "User", "AccessRights", "SharingPermissionFlags"),
    "casmailbox": _t("Name", "ActiveSyncEnabled", "OWAEnabled", "PopEnabled", "ImapEnabled", "MapiEnabled"),
    "inboxrule": _t("Name", "Enabled", "Priority", "RuleIdentity"),
    "accepteddomain": _t("Name", "DomainName", "DomainType", "Default"),
    "mobiledevice": _t("FriendlyName", "DeviceId", "DeviceOS", "DeviceModel", "FirstSyncTime"),
    "mobiledevicestatistics": _t("DeviceFriendlyName", "DeviceModel", "LastSuccessSync", "Status"),
    "transportrule": _t("Name", "State", "Mode", "Priority", "Comments"),
    "quarantinemessage": _t("ReceivedTime", "Type", "SenderAddress", "Subject", "Expires"),
    "distributiongroupmember": _t("Name", "RecipientType"),
    "reducedrecipient": _t("Name", "RecipientType"),
    "recipient": _t("Name", "RecipientType"),
    "user": _t("Name", "RecipientType"),
    "mailuser": _t("Name", "RecipientType"),
    "mailcontact": _t("Name", "Alias", "RecipientType"),
    "contact": _t("Name", "RecipientType"),
    "retentionpolicy": _t("Name", "RetentionPolicyTagLinks"),
    "managementroleassignment": _t("Name", "Role", "RoleAssigneeName", "RoleAssigneeType", "AssignmentMethod"),
    "rolegroup": _t("Name", "AssignedRoles", "RoleAssignments", "ManagedBy"),
    "mailboxautoreplyconfiguration": _l("Identity", "AutoReplyState", "StartTime", "EndTime", "InternalMessage",
                                        "ExternalMessage"),
    "calendarprocessing": _l("Identity", "AutomateProcessing", "AllowConflicts", "BookingWindowInDays",
                             "ResourceDelegates"),
    "groupinfo": _t("Count", "Name", "Group"),
    "groupinfonoelement": _t("Count", "Name"),
    "genericmeasureinfo": _l("Count", "Average", "Sum", "Maximum", "Minimum", "StandardDeviation", "Property"),
    "textmeasureinfo": _t("Lines", "Words", "Characters", "Property"),
}


def short_type_name(type_name: str) -> str:
    return type_name.removeprefix("Deserialized.").rsplit(".", 1)[-1].lower()


def view_for(type_names: Sequence[str]) -> ViewDef | None:
    """The default view of the most derived type that has one; None for ``Selected.*`` objects
    (Select-Object's output has no view, as in PowerShell) and for unknown types."""
    for name in type_names:
        bare = name.removeprefix("Deserialized.")
        if bare.startswith("Selected.") or bare.endswith("PSCustomObject") or bare == "System.Object":
            return None
        found = DEFAULT_VIEWS.get(short_type_name(bare))
        if found is not None:
            return found
    return None
