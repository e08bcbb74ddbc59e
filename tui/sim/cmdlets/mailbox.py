"""Mailboxes, users and recipients: Get/Set-Mailbox, Get-Recipient, Get-User, Get-MailboxStatistics,
Get/Set-CASMailbox."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tui.sim.binding import UNLIMITED
from tui.sim.cmdlets.base import (
    Invocation,
    cmdlet,
    has_wildcard,
    match_mailboxes,
    progress_every,
    resolve_mailbox,
    wildcard,
)
from tui.sim.data import MAILBOX_TYPES, GroupRec, MailboxRec, TenantData, byte_size
from tui.sim.model import CmdletError, SimObject

_AD_TAIL = ("Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
            "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
            "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
USER_TYPES = ("Microsoft.Exchange.Data.Directory.Management.User",
              "Microsoft.Exchange.Data.Directory.Management.OrgPersonPresentationObject", *_AD_TAIL)
CAS_TYPES = ("Microsoft.Exchange.Data.Directory.Management.CASMailbox", *_AD_TAIL)
RECIPIENT_TYPES = ("Microsoft.Exchange.Data.Directory.Management.ReducedRecipient",
                   "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
                   "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
STATS_TYPES = ("Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics",
               "Microsoft.Exchange.Management.MapiTasks.Presentation.StoreStatistics",
               "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
_TYPE_TO_DETAILS = {"Regular": "UserMailbox", "Shared": "SharedMailbox", "Room": "RoomMailbox",
                    "Equipment": "EquipmentMailbox", "Workspace": "WorkspaceMailbox", "Desk": "DeskMailbox"}


def mailbox_object(m: MailboxRec) -> SimObject:
    return SimObject(MAILBOX_TYPES, dict(m.props), m.props["Name"])


def _anr(m: MailboxRec, text: str) -> bool:
    t = text.lower()
    p = m.props
    return any(str(v).lower().startswith(t) for v in (
        p["Name"], p["Alias"], p["DisplayName"], p["PrimarySmtpAddress"], m.user["FirstName"], m.user["LastName"]))


def select_mailboxes(inv: Invocation, kinds: tuple[str, ...] | None = None) -> list[MailboxRec]:
    """The mailboxes -Identity / -Anr / -RecipientTypeDetails select (all of them without those)."""
    wanted = inv.get("RecipientTypeDetails")
    if wanted:
        kinds = tuple(k for k in wanted if kinds is None or k in kinds)
    if inv.has("Identity"):
        identity = inv.get("Identity")
        found = match_mailboxes(inv, identity, kinds)
        if not found and not has_wildcard(identity):
            raise inv.not_found(identity)
        return found
    items = inv.data.mailboxes
    if inv.has("Anr"):
        items = [m for m in items if _anr(m, inv.get("Anr"))]
    if kinds is not None:
        items = [m for m in items if m.kind in kinds]
    return list(items)


@cmdlet("Get-Mailbox")
def get_mailbox(inv: Invocation) -> Iterator[SimObject]:
    if any(inv.get(s) for s in ("SoftDeletedMailbox", "InactiveMailboxOnly", "GroupMailbox", "PublicFolder",
                                "Migration")):
        return  # the simulated tenants have none of these mailboxes
    items = select_mailboxes(inv)
    if inv.get("Archive"):
        items = [m for m in items if m.props["ArchiveStatus"] == "Active"]
    objects = (mailbox_object(m) for m in progress_every(inv, items, "Get-Mailbox", "mailboxes"))
    yield from inv.limited(inv.filtered(objects))


def _identities(inv: Invocation, values: Any) -> list[str]:
    """Recipient identities → their Names (what Exchange stores in GrantSendOnBehalfTo etc.)."""
    out = []
    for value in values if isinstance(values, list) else [values]:
        out.append(resolve_mailbox(inv, str(value)).props["Name"])
    return out


def _multi(inv: Invocation, current: list[Any], value: Any, resolve: bool) -> list[Any]:
    """A MultiValuedProperty assignment: a list replaces, ``@{Add=…; Remove=…}`` edits."""
    def norm(v: Any) -> list[str]:
        items = v if isinstance(v, list) else [v]
        return _identities(inv, items) if resolve else [str(x) for x in items]
    if isinstance(value, dict):
        out = list(current)
        for key, v in value.items():
            if key.lower() == "add":
                out += [x for x in norm(v) if x not in out]
            elif key.lower() == "remove":
                drop = {x.lower() for x in norm(v)}
                out = [x for x in out if str(x).lower() not in drop]
        return out
    if value is None:
        return []
    return norm(value)


def _quota(value: Any) -> str:
    return "Unlimited" if value == UNLIMITED else byte_size(int(value))


@cmdlet("Set-Mailbox")
def set_mailbox(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m = resolve_mailbox(inv, inv.get("Identity"))
    changes = {k: v for k, v in inv.bound.values.items() if k not in ("Identity", "Confirm", "WhatIf", "Force")}
    if not inv.should_process(f"Setting mailbox \"{m.props['Identity']}\"."):
        return
    with data.lock:
        # Copy on write: readers in other shells keep iterating the old dicts safely.
        props, user = dict(m.props), dict(m.user)
        _apply_mailbox_changes(inv, data, m, props, user, changes)
        if (props, user) == (m.props, m.user):
            inv.warning(f"The command completed successfully but no settings of '{m.props['Identity']}' have "
                        "been modified.")
            return
        props["WhenChanged"] = datetime.now(UTC).replace(microsecond=0)
        reindex = any(props[k] != m.props[k] for k in ("Name", "Alias", "DisplayName", "PrimarySmtpAddress",
                                                        "EmailAddresses"))
        m.props, m.user = props, user
        if reindex:
            data.reindex()
    yield from ()


def _apply_mailbox_changes(inv: Invocation, data: TenantData, m: MailboxRec, p: dict[str, Any],
                           user: dict[str, Any], changes: dict[str, Any]) -> None:
    """Apply Set-Mailbox parameters to copies ``p`` (mailbox properties) and ``user``."""
    for name, value in changes.items():
        if name == "Type":
            kind = _TYPE_TO_DETAILS[value]
            m.kind = kind
            p["RecipientTypeDetails"] = kind
            p["IsShared"] = kind == "SharedMailbox"
            p["IsResource"] = kind in ("RoomMailbox", "EquipmentMailbox")
            if kind == "SharedMailbox":
                user["AccountDisabled"] = True
        elif name == "ForwardingSmtpAddress":
            p[name] = None if not value else (value if ":" in value else f"smtp:{value}")
        elif name == "ForwardingAddress":
            p[name] = resolve_mailbox(inv, value).props["Name"] if value else None
        elif name == "GrantSendOnBehalfTo":
            p[name] = _multi(inv, p[name], value, resolve=True)
        elif name == "EmailAddresses":
            p[name] = _multi(inv, p[name], value, resolve=False)
        elif name == "LitigationHoldEnabled":
            if value != p[name]:
                p[name] = value
                p["LitigationHoldDate"] = datetime.now(UTC).replace(microsecond=0) if value else None
                p["LitigationHoldOwner"] = inv.ctx.account if value else None
        elif name in ("ProhibitSendQuota", "ProhibitSendReceiveQuota", "IssueWarningQuota"):
            p[name] = _quota(value)
            p["UseDatabaseQuotaDefaults"] = False
        elif name in ("PrimarySmtpAddress", "WindowsEmailAddress"):
            old = p["PrimarySmtpAddress"]
            addresses = [a if a.lower() != f"smtp:{old}".lower() else f"smtp:{old}" for a in p["EmailAddresses"]]
            addresses = [a for a in addresses if a.lower() != f"smtp:{value}".lower()]
            p["EmailAddresses"] = [f"SMTP:{value}", *addresses]
            p["PrimarySmtpAddress"] = p["WindowsEmailAddress"] = value
        elif name in ("Name", "Alias", "DisplayName"):
            p[name] = value
            if name == "Name":
                p["Identity"] = p["Id"] = value
                p["DistinguishedName"] = data.dn(value)
        elif name == "AccountDisabled":
            user["AccountDisabled"] = value
        else:
            p[name] = value


# -- recipients and users -------------------------------------------------------------------------

# The directory properties a ReducedRecipient copies from its mailbox or group.
_RECIPIENT_KEYS = ("Name", "RecipientType", "RecipientTypeDetails", "DisplayName", "Alias", "PrimarySmtpAddress",
                   "EmailAddresses", "ExternalDirectoryObjectId", "HiddenFromAddressListsEnabled", "WhenCreated",
                   "WhenChanged", "Guid", "Identity", "DistinguishedName", "OrganizationId")


def recipient_from_mailbox(m: MailboxRec) -> SimObject:
    p = m.props
    props = {k: p[k] for k in _RECIPIENT_KEYS}
    props["Department"] = m.user["Department"]
    props["Company"] = m.user["Company"]
    props["Title"] = m.user["Title"]
    return SimObject(RECIPIENT_TYPES, props, p["Name"])


def recipient_from_group(g: GroupRec) -> SimObject:
    p = g.props
    props = {k: p[k] for k in _RECIPIENT_KEYS}
    props.update(Department="", Company="", Title="")
    return SimObject(RECIPIENT_TYPES, props, p["Name"])


def match_groups(inv: Invocation, identity: str) -> list[GroupRec]:
    low = identity.strip().lower()
    if has_wildcard(identity):
        rx = wildcard(identity)
        return [g for g in inv.data.groups if rx.fullmatch(g.props["Name"]) or rx.fullmatch(g.props["Alias"])
                or rx.fullmatch(g.props["PrimarySmtpAddress"])]
    return [g for g in inv.data.groups if low in (
        g.props["Name"].lower(), g.props["Alias"].lower(), g.props["DisplayName"].lower(),
        g.props["PrimarySmtpAddress"].lower(), str(g.guid), g.props["ExternalDirectoryObjectId"],
        g.props["DistinguishedName"].lower()) or any(a.split(":", 1)[-1].lower() == low
                                                     for a in g.props["EmailAddresses"])]


@cmdlet("Get-Recipient")
def get_recipient(inv: Invocation) -> Iterator[SimObject]:
    kinds = set(inv.get("RecipientTypeDetails") or ()) | set(inv.get("RecipientType") or ())
    if inv.has("Identity"):
        identity = inv.get("Identity")
        mailboxes = match_mailboxes(inv, identity)
        groups = match_groups(inv, identity)
        if not mailboxes and not groups and not has_wildcard(identity):
            raise inv.not_found(identity)
    else:
        mailboxes = list(inv.data.mailboxes)
        groups = list(inv.data.groups)
        if inv.has("Anr"):
            mailboxes = [m for m in mailboxes if _anr(m, inv.get("Anr"))]
            groups = [g for g in groups if g.props["Name"].lower().startswith(inv.get("Anr").lower())]

    def objects() -> Iterator[SimObject]:
        for m in progress_every(inv, mailboxes, "Get-Recipient", "recipients"):
            yield recipient_from_mailbox(m)
        for g in groups:
            yield recipient_from_group(g)

    selected = (o for o in objects() if not kinds or o.properties["RecipientTypeDetails"] in kinds
                or o.properties["RecipientType"] in kinds)
    yield from inv.limited(inv.filtered(selected))


def user_object(m: MailboxRec) -> SimObject:
    p = m.props
    props: dict[str, Any] = {"Name": p["Name"], "DisplayName": p["DisplayName"], **{
        k: m.user[k] for k in ("FirstName", "LastName", "Title", "Department", "Company", "City",
                               "CountryOrRegion", "Phone", "Manager", "AccountDisabled")}}
    props["Office"] = p["Office"]
    props.update({
        "UserPrincipalName": p["UserPrincipalName"], "WindowsEmailAddress": p["WindowsEmailAddress"],
        "RecipientType": "UserMailbox", "RecipientTypeDetails": m.kind, "IsDirSynced": p["IsDirSynced"],
        "ExternalDirectoryObjectId": p["ExternalDirectoryObjectId"], "WhenCreated": p["WhenCreated"],
        "WhenChanged": p["WhenChanged"], "Guid": p["Guid"], "Identity": p["Identity"],
        "DistinguishedName": p["DistinguishedName"], "OrganizationId": p["OrganizationId"]})
    return SimObject(USER_TYPES, props, p["Name"])


@cmdlet("Get-User")
def get_user(inv: Invocation) -> Iterator[SimObject]:
    items = select_mailboxes(inv)
    if inv.get("IsVIP") or inv.get("PublicFolder"):
        return
    objects = (user_object(m) for m in progress_every(inv, items, "Get-User", "users"))
    yield from inv.limited(inv.filtered(objects))


# -- statistics ------------------------------------------------------------------------------------

def stats_object(data: TenantData, m: MailboxRec, archive: bool = False) -> SimObject:
    p, s = m.props, m.stats
    items = s["ItemCount"] // 7 if archive else s["ItemCount"]
    props = {"DisplayName": p["DisplayName"] if not archive else f"In-Place Archive - {p['DisplayName']}",
             "ItemCount": items, "DeletedItemCount": s["DeletedItemCount"],
             "TotalItemSize": s["TotalItemSize"], "TotalDeletedItemSize": s["TotalDeletedItemSize"],
             "StorageLimitStatus": s["StorageLimitStatus"], "LastLogonTime": s["LastLogonTime"],
             "SystemMessageCount": s["SystemMessageCount"], "MailboxTypeDetail": m.kind,
             "IsArchiveMailbox": archive, "Database": p["Database"], "DatabaseName": p["Database"],
             "ServerName": p["ServerName"], "MailboxGuid": p["ExchangeGuid"],
             "OwnerADGuid": p["Guid"], "ExternalDirectoryOrganizationId": data.tenant.tenant_id,
             "Identity": str(p["ExchangeGuid"])}
    return SimObject(STATS_TYPES, props, str(p["ExchangeGuid"]))


@cmdlet("Get-MailboxStatistics")
def get_mailbox_statistics(inv: Invocation) -> Iterator[SimObject]:
    archive = bool(inv.get("Archive"))
    if inv.has("Database"):
        db = inv.get("Database").lower()
        items = [m for m in inv.data.mailboxes if m.props["Database"].lower() == db]
        if not items:
            raise inv.not_found(inv.get("Database"))
        for m in progress_every(inv, items, "Get-MailboxStatistics", "mailboxes"):
            yield stats_object(inv.data, m)
        return
    m = resolve_mailbox(inv, inv.get("Identity"))
    if archive and m.props["ArchiveStatus"] != "Active":
        raise CmdletError(f"The archive mailbox of '{m.props['Identity']}' isn't enabled.",
                          category="NotSpecified", error_id="ArchiveNotEnabled",
                          exception_type="Microsoft.Exchange.Data.Storage.MailboxUnavailableException",
                          target=m.props["Identity"])
    yield stats_object(inv.data, m, archive)


# -- client access ---------------------------------------------------------------------------------

def cas_object(m: MailboxRec) -> SimObject:
    p = m.props
    props: dict[str, Any] = {"Name": p["Name"], "DisplayName": p["DisplayName"],
                             "PrimarySmtpAddress": p["PrimarySmtpAddress"], "EmailAddresses": p["EmailAddresses"],
                             "ServerName": p["ServerName"], **m.cas,
                             "ExternalDirectoryObjectId": p["ExternalDirectoryObjectId"], "Guid": p["Guid"],
                             "Identity": p["Identity"], "DistinguishedName": p["DistinguishedName"]}
    return SimObject(CAS_TYPES, props, p["Name"])


@cmdlet("Get-CASMailbox")
def get_cas_mailbox(inv: Invocation) -> Iterator[SimObject]:
    items = select_mailboxes(inv)
    objects = (cas_object(m) for m in progress_every(inv, items, "Get-CASMailbox", "mailboxes"))
    yield from inv.limited(inv.filtered(objects))


@cmdlet("Set-CASMailbox")
def set_cas_mailbox(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    changes = {k: v for k, v in inv.bound.values.items() if k not in ("Identity", "Confirm", "WhatIf")}
    if not inv.should_process(f"Setting CAS mailbox \"{m.props['Identity']}\"."):
        return
    with inv.data.lock:
        cas = {**m.cas, **changes}
        if cas != m.cas:
            m.cas = cas  # copy on write, as Set-Mailbox
        else:
            inv.warning(f"The command completed successfully but no settings of '{m.props['Identity']}' have "
                        "been modified.")
    yield from ()


# -- folder statistics -----------------------------------------------------------------------------

FOLDER_STATS_TYPES = ("Microsoft.Exchange.Management.Tasks.MailboxFolderConfiguration",
                      "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
# (name, FolderType, share of the mailbox's items and bytes)
_FOLDERS = (("Top of Information Store", "Root", 0.0), ("Inbox", "Inbox", 0.42), ("Sent Items", "SentItems", 0.2),
            ("Deleted Items", "DeletedItems", 0.08), ("Drafts", "Drafts", 0.01), ("Junk Email", "JunkEmail", 0.03),
            ("Archive", "Archive", 0.12), ("Calendar", "Calendar", 0.06), ("Contacts", "Contacts", 0.03),
            ("Conversation History", "ConversationHistory", 0.02), ("Notes", "Notes", 0.0),
            ("Outbox", "Outbox", 0.0), ("Tasks", "Tasks", 0.01), ("RSS Subscriptions", "RssSubscriptions", 0.0),
            ("Sync Issues", "SyncIssues", 0.0), ("Recoverable Items", "RecoverableItemsRoot", 0.02))


def _bytes_of(size_text: str) -> int:
    inner = size_text.rsplit("(", 1)[-1].split(" ", 1)[0]
    return int(inner.replace(",", "")) if inner.replace(",", "").isdigit() else 0


def folder_stats_objects(data: TenantData, m: MailboxRec, scope: str | None, oldest_newest: bool) -> list[SimObject]:
    items, total = m.stats["ItemCount"], _bytes_of(m.stats["TotalItemSize"])
    owner = m.props["Identity"]
    created = m.props["WhenCreated"]
    out = []
    for name, ftype, share in _FOLDERS:
        if scope not in (None, "All") and ftype != scope and not (scope == "RecoverableItems"
                                                                  and ftype == "RecoverableItemsRoot"):
            continue
        count = int(items * share)
        size = int(total * share)
        path = "/" if ftype == "Root" else f"/{name}"
        props: dict[str, Any] = {
            "Name": name, "FolderPath": path, "FolderType": ftype, "ItemsInFolder": count,
            "DeletedItemsInFolder": 0, "FolderSize": byte_size(size), "ItemsInFolderAndSubfolders": count,
            "FolderAndSubfolderSize": byte_size(size), "VisibleItemsInFolder": count,
            "CreationTime": created, "LastModifiedTime": m.props["WhenChanged"],
            "FolderId": "LgAAAA" + hashlib.sha256(f"{m.guid}|{name}".encode()).hexdigest()[:40].upper(), "Identity": f"{owner}\\{name}"}
        if oldest_newest:
            props["OldestItemReceivedDate"] = created if count else None
            props["NewestItemReceivedDate"] = m.stats["LastLogonTime"] if count else None
        out.append(SimObject(FOLDER_STATS_TYPES, props, f"{owner}\\{name}"))
    return out


@cmdlet("Get-MailboxFolderStatistics")
def get_mailbox_folder_statistics(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    if inv.get("Archive") and m.props["ArchiveStatus"] != "Active":
        raise CmdletError(f"The archive mailbox of '{m.props['Identity']}' isn't enabled.",
                          category="NotSpecified", error_id="ArchiveNotEnabled",
                          exception_type="Microsoft.Exchange.Data.Storage.MailboxUnavailableException",
                          target=m.props["Identity"])
    objects = folder_stats_objects(inv.data, m, inv.get("FolderScope"), bool(inv.get("IncludeOldestAndNewestItems")))
    yield from inv.limited(objects)
