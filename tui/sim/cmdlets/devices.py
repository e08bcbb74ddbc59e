"""Mobile devices: Get-MobileDevice (per mailbox, per device identity, or every device)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet, progress_every, resolve_mailbox
from tui.sim.data import MailboxRec, stable_rng
from tui.sim.model import SimObject

MOBILE_DEVICE_TYPES = ("Microsoft.Exchange.Data.Directory.SystemConfiguration.MobileDevice",
                       "Microsoft.Exchange.Data.Directory.ADConfigurationObject",
                       "Microsoft.Exchange.Data.Directory.ADObject", "Microsoft.Exchange.Data.Directory.ADRawEntry",
                       "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")


def _device_identity(m: MailboxRec, dev: dict[str, Any]) -> str:
    return f"{m.props['Identity']}\\ExchangeActiveSyncDevices\\{dev['DeviceType']}\u00a7{dev['DeviceId']}"


def device_object(m: MailboxRec, dev: dict[str, Any]) -> SimObject:
    identity = _device_identity(m, dev)
    props = {"FriendlyName": dev["FriendlyName"], "DeviceId": dev["DeviceId"], "DeviceModel": dev["DeviceModel"],
             "DeviceOS": dev["DeviceOS"], "DeviceType": dev["DeviceType"], "DeviceUserAgent": dev["DeviceUserAgent"],
             "ClientType": dev["ClientType"], "DeviceAccessState": dev["DeviceAccessState"],
             "DeviceAccessStateReason": dev["DeviceAccessStateReason"], "FirstSyncTime": dev["FirstSyncTime"],
             "UserDisplayName": m.props["DisplayName"], "Name": f"{dev['DeviceType']}\u00a7{dev['DeviceId']}",
             "Identity": identity, "Guid": dev["Guid"], "IsValid": True}
    return SimObject(MOBILE_DEVICE_TYPES, props, identity)


def _for_mailbox(inv: Invocation, m: MailboxRec) -> Iterator[SimObject]:
    for dev in inv.data.devices.get(m.guid, []):
        yield device_object(m, dev)


@cmdlet("Get-MobileDevice")
def get_mobile_device(inv: Invocation) -> Iterator[SimObject]:
    if inv.has("Mailbox"):
        objects: Iterator[SimObject] = _for_mailbox(inv, resolve_mailbox(inv, inv.get("Mailbox")))
    elif inv.has("Identity"):
        identity: str = inv.get("Identity")
        owner, sep, device = identity.partition("\\")
        m = resolve_mailbox(inv, owner)  # a device identity starts with its mailbox; a mailbox alone lists all
        found = [d for d in _for_mailbox(inv, m)
                 if not sep or d.properties["Identity"].lower() == identity.lower()
                 or d.properties["DeviceId"].lower() == device.rsplit("\u00a7", 1)[-1].lower()]
        if sep and not found:
            raise inv.not_found(identity)
        objects = iter(found)
    else:
        def every() -> Iterator[SimObject]:
            for m in progress_every(inv, inv.data.mailboxes, "Get-MobileDevice", "mailboxes"):
                yield from _for_mailbox(inv, m)
        objects = every()
    yield from inv.limited(inv.filtered(objects))


DEVICE_STATS_TYPES = ("Microsoft.Exchange.Management.Tasks.MobileDeviceConfiguration",
                      "Microsoft.Exchange.Data.ConfigurableObject", "System.Object")


def device_stats_object(inv: Invocation, m: MailboxRec, dev: dict[str, Any]) -> SimObject:
    identity = _device_identity(m, dev)
    r = stable_rng(inv.data.tenant.domain, "devicestats", dev["DeviceId"])
    last_success = inv.data.start - timedelta(minutes=r.randint(1, 60 * 24 * 20))
    stale = inv.data.start - last_success > timedelta(days=14)
    props = {"FirstSyncTime": dev["FirstSyncTime"], "LastPolicyUpdateTime": last_success - timedelta(hours=3),
             "LastSyncAttemptTime": last_success + timedelta(seconds=r.randint(0, 30)), "LastSuccessSync": last_success,
             "DeviceType": dev["DeviceType"], "DeviceID": dev["DeviceId"], "DeviceUserAgent": dev["DeviceUserAgent"],
             "DeviceModel": dev["DeviceModel"], "DeviceOS": dev["DeviceOS"], "DeviceFriendlyName": dev["FriendlyName"],
             "DeviceAccessState": dev["DeviceAccessState"], "DeviceAccessStateReason": dev["DeviceAccessStateReason"],
             "ClientType": dev["ClientType"], "Status": "DeviceOk" if not stale else "DeviceDiscoveryInitiated",
             "NumberOfFoldersSynced": r.randint(3, 40), "IsRemoteWipeSupported": True,
             "Identity": identity, "Guid": dev["Guid"], "IsValid": True}
    return SimObject(DEVICE_STATS_TYPES, props, identity)


@cmdlet("Get-MobileDeviceStatistics")
def get_mobile_device_statistics(inv: Invocation) -> Iterator[SimObject]:
    if inv.has("Mailbox"):
        m = resolve_mailbox(inv, inv.get("Mailbox"))
        devices = list(inv.data.devices.get(m.guid, []))
    else:
        identity: str = inv.get("Identity")
        owner, sep, device = identity.partition("\\")
        m = resolve_mailbox(inv, owner)
        devices = [d for d in inv.data.devices.get(m.guid, [])
                   if not sep or device.rsplit("\u00a7", 1)[-1].lower() == d["DeviceId"].lower()
                   or device.lower() == d["DeviceId"].lower()]
        if sep and not devices:
            raise inv.not_found(identity)
    for dev in devices:
        inv.check()
        yield device_stats_object(inv, m, dev)
