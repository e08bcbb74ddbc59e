"""Mailbox, Send As and folder permissions: Get/Add/Remove-MailboxPermission,
Get/Add/Remove-RecipientPermission, Get/Add-MailboxFolderPermission."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, not_found_error, progress_every, resolve_mailbox
from tui.sim.cmdlets.mailbox import match_groups
from tui.sim.data import MailboxRec
from tui.sim.model import CmdletError, SimObject

MAILBOX_PERMISSION_TYPES = ("Microsoft.Exchange.Management.RecipientTasks.MailboxAcePresentationObject",
                            "Microsoft.Exchange.Management.RecipientTasks.AcePresentationObject",
                            "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
RECIPIENT_PERMISSION_TYPES = ("Microsoft.Exchange.Management.RecipientTasks.RecipientPermission",
                              "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
FOLDER_PERMISSION_TYPES = ("Microsoft.Exchange.Management.StoreTasks.MailboxFolderPermission",
                           "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")
SELF = "NT AUTHORITY\\SELF"
FOLDERS = {"calendar": "Calendar", "inbox": "Inbox", "contacts": "Contacts", "tasks": "Tasks",
           "sent items": "Sent Items", "deleted items": "Deleted Items", "drafts": "Drafts", "notes": "Notes",
           "journal": "Journal", "": "Top of Information Store"}


def _principal(inv: Invocation, text: str) -> str:
    """A user given to -User/-Trustee: a mailbox's UPN, or the well-known name as typed."""
    if text.upper().startswith("NT AUTHORITY\\") or text.lower() in ("default", "anonymous"):
        return text
    return resolve_mailbox(inv, text).props["UserPrincipalName"]


def _same_user(a: str, b: str) -> bool:
    return a.lower() == b.lower()


# -- full access -------------------------------------------------------------------------------------

def _mailbox_permission(m: MailboxRec, user: str, rights: list[str], deny: bool, inherited: bool) -> SimObject:
    props = {"AccessRights": list(rights), "Deny": deny, "InheritanceType": "All", "User": user,
             "Identity": m.props["Identity"], "IsInherited": inherited, "IsValid": True, "ObjectState": "Unchanged"}
    return SimObject(MAILBOX_PERMISSION_TYPES, props, m.props["Identity"])


def mailbox_permissions(inv: Invocation, m: MailboxRec) -> list[SimObject]:
    forest = inv.data.tenant.region + "A003"
    out = [_mailbox_permission(m, SELF, ["FullAccess", "ReadPermission"], False, False)]
    out += [_mailbox_permission(m, e["User"], e["AccessRights"], e["Deny"], False)
            for e in inv.data.permissions.get(m.guid, [])]
    out += [_mailbox_permission(m, f"{forest}\\Administrator", ["FullAccess"], True, True),
            _mailbox_permission(m, f"{forest}\\Domain Admins", ["FullAccess"], True, True),
            _mailbox_permission(m, f"{forest}\\Organization Management", ["FullAccess"], True, True),
            _mailbox_permission(m, "NT AUTHORITY\\SYSTEM", ["FullAccess"], False, True)]
    return out


@cmdlet("Get-MailboxPermission")
def get_mailbox_permission(inv: Invocation) -> Iterator[SimObject]:
    m = resolve_mailbox(inv, inv.get("Identity"))
    if inv.get("Owner"):
        yield SimObject(MAILBOX_PERMISSION_TYPES, {"Identity": m.props["Identity"], "Owner": "NT AUTHORITY\\SYSTEM",
                                                   "IsValid": True}, m.props["Identity"])
        return
    entries = mailbox_permissions(inv, m)
    if inv.has("User"):
        who = _principal(inv, inv.get("User"))
        entries = [e for e in entries if _same_user(e.properties["User"], who)]
    yield from inv.limited(entries)


@cmdlet("Add-MailboxPermission")
def add_mailbox_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m = resolve_mailbox(inv, inv.get("Identity"))
    if inv.has("Owner"):
        _principal(inv, inv.get("Owner"))
        inv.should_process(f"Setting the owner of mailbox \"{m.props['Identity']}\".")
        return
    user = _principal(inv, inv.get("User"))
    rights: list[str] = inv.get("AccessRights")
    deny = bool(inv.get("Deny"))
    if not inv.should_process(f"Adding mailbox permission \"{', '.join(rights)}\" for user \"{user}\" on mailbox "
                              f"\"{m.props['Identity']}\"."):
        return
    with data.lock:
        entries = data.permissions.setdefault(m.guid, [])
        existing = next((e for e in entries if _same_user(e["User"], user) and e["Deny"] == deny), None)
        if existing is not None and set(rights) <= set(existing["AccessRights"]):
            inv.warning(f"An existing permission entry was found for user: {user}.")
            return
        if existing is None:
            existing = {"User": user, "AccessRights": [], "Deny": deny}
            entries.append(existing)
        existing["AccessRights"] = [*existing["AccessRights"], *(r for r in rights if r not in existing["AccessRights"])]
        result = _mailbox_permission(m, user, existing["AccessRights"], deny, False)
    yield result


@cmdlet("Remove-MailboxPermission")
def remove_mailbox_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m = resolve_mailbox(inv, inv.get("Identity"))
    if inv.get("ClearAutoMapping"):
        inv.should_process(f"Clearing auto-mapping on mailbox \"{m.props['Identity']}\".")
        return
    user = _principal(inv, inv.get("User"))
    rights: list[str] = inv.get("AccessRights")
    deny = bool(inv.get("Deny"))
    if not inv.should_process(f"Removing mailbox permission \"{', '.join(rights)}\" for user \"{user}\" on "
                              f"mailbox \"{m.props['Identity']}\"."):
        return
    with data.lock:
        entries = data.permissions.get(m.guid, [])
        existing = next((e for e in entries if _same_user(e["User"], user) and e["Deny"] == deny
                         and set(rights) & set(e["AccessRights"])), None)
        if existing is None:
            inv.warning(f"Can't remove the access control entry on the object \"{m.props['DistinguishedName']}\" "
                        f"for account \"{user}\" because the ACE doesn't exist on the object.")
            return
        existing["AccessRights"] = [r for r in existing["AccessRights"] if r not in rights]
        if not existing["AccessRights"]:
            entries.remove(existing)
    yield from ()


# -- Send As ----------------------------------------------------------------------------------------

def _recipient(inv: Invocation, identity: str) -> tuple[uuid.UUID, dict[str, Any]]:
    """A mailbox or a group: (guid, properties)."""
    found = inv.data.find_mailboxes(identity)
    if len(found) == 1:
        return found[0].guid, found[0].props
    groups = match_groups(inv, identity) if "*" not in identity else []
    if len(groups) == 1 and not found:
        return groups[0].guid, groups[0].props
    if not found and not groups:
        raise inv.not_found(identity)
    return resolve_mailbox(inv, identity).guid, {}  # raises the ambiguous error


def _send_as(props: dict[str, Any], trustee: str, inherited: bool = False) -> SimObject:
    out = {"Identity": props["Identity"], "Trustee": trustee, "AccessControlType": "Allow",
           "AccessRights": ["SendAs"], "IsInherited": inherited, "InheritanceType": "None", "IsValid": True}
    return SimObject(RECIPIENT_PERMISSION_TYPES, out, props["Identity"])


def _send_as_entries(inv: Invocation, guid: uuid.UUID, props: dict[str, Any]) -> list[SimObject]:
    out = [_send_as(props, SELF)] if "UserPrincipalName" in props else []
    out += [_send_as(props, e["Trustee"]) for e in inv.data.send_as.get(guid, [])]
    return out


@cmdlet("Get-RecipientPermission")
def get_recipient_permission(inv: Invocation) -> Iterator[SimObject]:
    trustee = _principal(inv, inv.get("Trustee")) if inv.has("Trustee") else None
    rights = [r.lower() for r in inv.get("AccessRights") or []]
    if rights and "sendas" not in rights:
        return

    def entries() -> Iterator[SimObject]:
        if inv.has("Identity"):
            guid, props = _recipient(inv, inv.get("Identity"))
            yield from _send_as_entries(inv, guid, props)
            return
        for m in progress_every(inv, inv.data.mailboxes, "Get-RecipientPermission", "recipients"):
            yield from _send_as_entries(inv, m.guid, m.props)
        for g in inv.data.groups:
            inv.check()
            yield from _send_as_entries(inv, g.guid, g.props)

    selected = (e for e in entries() if trustee is None or _same_user(e.properties["Trustee"], trustee))
    yield from inv.limited(selected)


@cmdlet("Add-RecipientPermission")
def add_recipient_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    guid, props = _recipient(inv, inv.get("Identity"))
    trustee = _principal(inv, inv.get("Trustee"))
    if not inv.should_process(f"Adding recipient permission 'SendAs' for trustee '{trustee}' on recipient "
                              f"'{props['Identity']}'."):
        return
    with data.lock:
        entries = data.send_as.setdefault(guid, [])
        if any(_same_user(e["Trustee"], trustee) for e in entries):
            inv.warning(f"The appropriate access control entry is already present on the object "
                        f"\"{props['DistinguishedName']}\" for account \"{trustee}\".")
            return
        entries.append({"Trustee": trustee, "AccessRights": ["SendAs"]})
    yield _send_as(props, trustee)


@cmdlet("Remove-RecipientPermission")
def remove_recipient_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    guid, props = _recipient(inv, inv.get("Identity"))
    trustee = _principal(inv, inv.get("Trustee"))
    if not inv.should_process(f"Removing recipient permission 'SendAs' for trustee '{trustee}' on recipient "
                              f"'{props['Identity']}'."):
        return
    with data.lock:
        entries = data.send_as.get(guid, [])
        keep = [e for e in entries if not _same_user(e["Trustee"], trustee)]
        if len(keep) == len(entries):
            inv.warning(f"Can't remove the access control entry on the object \"{props['DistinguishedName']}\" for "
                        f"account \"{trustee}\" because the ACE doesn't exist on the object.")
            return
        data.send_as[guid] = keep
    yield from ()


# -- folders ----------------------------------------------------------------------------------------

def _folder(inv: Invocation, identity: str) -> tuple[MailboxRec, str, str]:
    """``mailbox:\\Folder`` → (mailbox, folder display name, folder identity text)."""
    mailbox_part, sep, folder_part = identity.partition(":")
    m = resolve_mailbox(inv, mailbox_part)
    folder_key = folder_part.strip().strip("\\/").lower() if sep else ""
    name = FOLDERS.get(folder_key)
    if name is None:
        raise not_found_error(inv.data, inv.info.name, identity,
                              f"The operation couldn't be performed because '{identity}' couldn't be found.")
    folder_id = f"{m.props['Identity']}:\\{name if folder_key else ''}"
    return m, name, folder_id


def _folder_permission(folder_id: str, folder: str, entry: dict[str, Any]) -> SimObject:
    props = {"FolderName": folder, "User": entry["User"], "AccessRights": list(entry["AccessRights"]),
             "SharingPermissionFlags": entry.get("SharingPermissionFlags"), "Identity": folder_id,
             "IsValid": True, "ObjectState": "Unchanged"}
    return SimObject(FOLDER_PERMISSION_TYPES, props, folder_id)


def _folder_user(inv: Invocation, text: str) -> str:
    if text.lower() in ("default", "anonymous"):
        return text.capitalize()
    return resolve_mailbox(inv, text).props["DisplayName"]


def _no_entry_error(user: str) -> CmdletError:
    return CmdletError(f"There is no existing permission entry found for user: {user}.", category="NotSpecified",
                       error_id="UserNotFoundInPermissionEntryException",
                       exception_type="Microsoft.Exchange.Management.StoreTasks.UserNotFoundInPermissionEntryException",
                       target=user)


@cmdlet("Get-MailboxFolderPermission")
def get_mailbox_folder_permission(inv: Invocation) -> Iterator[SimObject]:
    m, folder, folder_id = _folder(inv, inv.get("Identity"))
    entries = inv.data.folder_permissions(m, folder)
    if inv.has("User"):
        who = _folder_user(inv, inv.get("User"))
        entries = [e for e in entries if e["User"].lower() == who.lower()]
        if not entries:
            raise _no_entry_error(who)
    yield from inv.limited(_folder_permission(folder_id, folder, e) for e in entries)


@cmdlet("Add-MailboxFolderPermission")
def add_mailbox_folder_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m, folder, folder_id = _folder(inv, inv.get("Identity"))
    user = _folder_user(inv, inv.get("User"))
    rights: list[str] = inv.get("AccessRights")
    if not inv.should_process(f"Adding mailbox folder permission \"{', '.join(rights)}\" for user \"{user}\" on "
                              f"folder \"{folder_id}\"."):
        return
    with data.lock:
        entries = data.folder_permissions(m, folder)
        if any(e["User"].lower() == user.lower() for e in entries):
            raise CmdletError(f"An existing permission entry was found for user: {user}.", category="NotSpecified",
                              error_id="UserAlreadyExistsInPermissionEntryException",
                              exception_type="Microsoft.Exchange.Management.StoreTasks."
                                             "UserAlreadyExistsInPermissionEntryException", target=user)
        entry = {"User": user, "AccessRights": list(rights),
                 "SharingPermissionFlags": inv.get("SharingPermissionFlags")}
        entries.append(entry)
    yield _folder_permission(folder_id, folder, entry)


def _existing_entry(inv: Invocation, entries: list[dict[str, Any]], user: str) -> dict[str, Any]:
    found = next((e for e in entries if e["User"].lower() == user.lower()), None)
    if found is None:
        raise _no_entry_error(user)
    return found


@cmdlet("Set-MailboxFolderPermission")
def set_mailbox_folder_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m, folder, folder_id = _folder(inv, inv.get("Identity"))
    user = _folder_user(inv, inv.get("User"))
    rights: list[str] = inv.get("AccessRights")
    with data.lock:
        entries = data.folder_permissions(m, folder)
        entry = _existing_entry(inv, entries, user)
        if not inv.should_process(f"Setting mailbox folder permission \"{', '.join(rights)}\" for user \"{user}\" "
                                  f"on folder \"{folder_id}\"."):
            return
        changed = {**entry, "AccessRights": list(rights)}
        if inv.has("SharingPermissionFlags"):
            changed["SharingPermissionFlags"] = inv.get("SharingPermissionFlags")
        if changed == entry:
            inv.warning(f"The command completed successfully but no settings of '{folder_id}' have been modified.")
            return
        entries[entries.index(entry)] = changed
    yield from ()


@cmdlet("Remove-MailboxFolderPermission")
def remove_mailbox_folder_permission(inv: Invocation) -> Iterator[SimObject]:
    data = inv.data
    m, folder, folder_id = _folder(inv, inv.get("Identity"))
    user = _folder_user(inv, inv.get("User"))
    with data.lock:
        entries = data.folder_permissions(m, folder)
        entry = _existing_entry(inv, entries, user)
        if not inv.should_process(f"Removing mailbox folder permission for user \"{user}\" on folder "
                                  f"\"{folder_id}\"."):
            return
        if user in ("Default", "Anonymous"):
            entries[entries.index(entry)] = {**entry, "AccessRights": ["None"]}  # built-in entries stay, reset
        else:
            entries.remove(entry)
    yield from ()
