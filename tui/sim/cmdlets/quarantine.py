"""Quarantined messages: Get-QuarantineMessage (summary search with paging, or one message by identity)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from tui.sim.cmdlets.base import Invocation, cmdlet
from tui.sim.data import TenantData, stable_rng
from tui.sim.model import SimObject

QUARANTINE_TYPES = ("Microsoft.Exchange.Management.FfoQuarantine.QuarantineMessage", "System.Object")
_KINDS = (("Spam", "Default"), ("Spam", "Default"), ("Bulk", "Default"), ("Phish", "Office365 AntiPhish Default"),
          ("HighConfPhish", "Default"), ("Malware", "Default"), ("TransportRule", "Block executable attachments"))
_SENDERS = ("promo@deals-4u.biz", "security@micros0ft-support.com", "invoice@paypa1-billing.net",
            "newsletter@bulkmailer.example", "hr-update@c0ntoso-portal.com", "noreply@parcel-track.info")
_SUBJECTS = ("You won a prize!", "Action required: verify your account", "Invoice overdue", "Weekly deals",
             "Your password expires today", "Package delivery failed", "Updated payroll document")


def _messages(data: TenantData) -> list[dict[str, Any]]:
    r = stable_rng(data.tenant.domain, "quarantine", data.size)
    users = [m for m in data.mailboxes if m.kind == "UserMailbox"]
    out: list[dict[str, Any]] = []
    for _ in range(min(500, max(8, data.size // 3))):
        kind, policy = r.choice(_KINDS)
        received = data.start - timedelta(minutes=r.randint(5, 60 * 24 * 14))
        first, second = uuid.UUID(int=r.getrandbits(128), version=4), uuid.UUID(int=r.getrandbits(128), version=4)
        recipient = r.choice(users).props["PrimarySmtpAddress"] if users else f"admin@{data.tenant.domain}"
        sender = r.choice(_SENDERS)
        out.append({"Identity": f"{first}\\{second}", "ReceivedTime": received, "SenderAddress": sender,
                    "RecipientAddress": [recipient], "Subject": r.choice(_SUBJECTS), "Size": r.randint(3_000, 900_000),
                    "Type": kind, "QuarantineTypes": kind, "PolicyType": "HostedContentFilterPolicy"
                    if kind in ("Spam", "Bulk", "HighConfPhish") else "AntiPhishPolicy" if kind == "Phish"
                    else "AntiMalwarePolicy" if kind == "Malware" else "ExchangeTransportRule",
                    "PolicyName": policy, "Expires": received + timedelta(days=30), "Direction": "Inbound",
                    "ReleaseStatus": "NotReleased", "Released": False, "Reported": False, "EntityType": "Email",
                    "MessageId": f"<{r.getrandbits(64):016x}@{sender.split('@', 1)[1]}>",
                    "RecipientCount": 1, "QuarantinedUser": [], "ReleasedUser": []})
    out.sort(key=lambda e: e["ReceivedTime"], reverse=True)
    return out


@cmdlet("Get-QuarantineMessage")
def get_quarantine_message(inv: Invocation) -> Iterator[SimObject]:
    rows: list[dict[str, Any]] = inv.data.singleton("quarantine", _messages)
    if inv.has("Identity"):
        ident = inv.get("Identity").lower()
        found = [r for r in rows if r["Identity"].lower() == ident]
        if not found:
            raise inv.not_found(inv.get("Identity"))
        rows = found
    types = set(inv.get("QuarantineTypes") or ())
    senders = {s.lower() for s in inv.get("SenderAddress") or ()}
    recipients = {s.lower() for s in inv.get("RecipientAddress") or ()}
    start, end = inv.get("StartReceivedDate"), inv.get("EndReceivedDate")
    subject = (inv.get("Subject") or "").lower()
    selected = [r for r in rows
                if (not types or r["Type"] in types)
                and (not senders or r["SenderAddress"].lower() in senders)
                and (not recipients or any(a.lower() in recipients for a in r["RecipientAddress"]))
                and (start is None or r["ReceivedTime"] >= start) and (end is None or r["ReceivedTime"] <= end)
                and (not subject or subject in r["Subject"].lower())
                and (inv.get("PolicyName") is None or r["PolicyName"].lower() == inv.get("PolicyName").lower())
                and (inv.get("Direction") is None or r["Direction"] == inv.get("Direction"))]
    page, size = inv.get("Page", 1), inv.get("PageSize", 100)
    page, size = max(1, page), max(1, min(size, 1000))
    for r in selected[(page - 1) * size: page * size]:
        inv.check()
        yield SimObject(QUARANTINE_TYPES, dict(r), r["Identity"])
