"""Deterministic customer tenants, partner accounts and per-tenant Exchange data.

Everything is derived from the tenant's domain (``random.Random`` seeded by a SHA-256 of it, GUIDs
by uuid5), so a tenant holds the same data on every start for the same ``mailboxes`` size. A
tenant's data is generated only when first used, so a 10,000-mailbox simulator starts at once.
Changes made by Set/Add/Remove cmdlets persist while the process runs; every tenant has its own
lock (``TenantData.lock``) that writers hold.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

NAMESPACE = uuid.UUID("6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b")


@dataclass(frozen=True, slots=True)
class SimTenant:
    domain: str  # initial domain, e.g. contoso.onmicrosoft.com
    name: str  # display name of the organization
    tenant_id: str
    vanity_domain: str  # the custom domain mail uses, e.g. contoso.com
    region: str  # forest prefix used in database / DC names, e.g. EURPR05
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SimAccountSpec:
    upn: str
    display_name: str
    tenants: tuple[str, ...]  # initial domains this partner account is delegated to


def tenant_record(slug: str, name: str, vanity: str, region: str, *tags: str) -> SimTenant:
    """A customer tenant whose id is derived from its initial domain (``slug``.onmicrosoft.com)."""
    domain = f"{slug}.onmicrosoft.com"
    return SimTenant(domain, name, str(uuid.uuid5(NAMESPACE, "tenant:" + domain)), vanity, region, tags)


TENANTS: tuple[SimTenant, ...] = (
    tenant_record("contoso", "Contoso Ltd", "contoso.com", "EURPR05", "retail", "eu"),
    tenant_record("fabrikam", "Fabrikam, Inc.", "fabrikam.com", "NAMPR11", "manufacturing", "us"),
    tenant_record("northwindtraders", "Northwind Traders", "northwindtraders.com", "NAMPR03", "wholesale", "us"),
    tenant_record("tailspintoys", "Tailspin Toys", "tailspintoys.com", "EURPR09", "retail", "eu"),
    tenant_record("woodgrovebank", "Woodgrove Bank", "woodgrovebank.com", "NAMPR08", "finance", "us", "vip"),
    tenant_record("adatum", "A. Datum Corporation", "adatum.com", "EURPR02", "consulting", "eu"),
    tenant_record("litware", "Litware, Inc.", "litware.com", "NAMPR14", "software", "us"),
    tenant_record("proseware", "Proseware, Inc.", "proseware.com", "APCPR06", "software", "apac"),
    tenant_record("wideworldimporters", "Wide World Importers", "wideworldimporters.com", "EURPR07", "logistics", "eu"),
    tenant_record("alpineskihouse", "Alpine Ski House", "alpineskihouse.com", "EURPR04", "hospitality", "eu"),
    tenant_record("cohowinery", "Coho Winery", "cohowinery.com", "NAMPR06", "hospitality", "us"),
    tenant_record("fourthcoffee", "Fourth Coffee", "fourthcoffee.com", "APCPR01", "retail", "apac"),
    tenant_record("treyresearch", "Trey Research", "treyresearch.net", "EURPR03", "research", "eu"),
)

_ALL = tuple(t.domain for t in TENANTS)
ACCOUNTS: tuple[SimAccountSpec, ...] = (
    # The first account is the demo default; Coho Winery and Fourth Coffee are NOT delegated to it.
    SimAccountSpec("admin@fabrikampartner.onmicrosoft.com", "Fabrikam Partner Admin",
                   tuple(d for d in _ALL if d not in ("cohowinery.onmicrosoft.com", "fourthcoffee.onmicrosoft.com"))),
    SimAccountSpec("helpdesk@relecloudpartner.onmicrosoft.com", "Relecloud Helpdesk",
                   ("contoso.onmicrosoft.com", "cohowinery.onmicrosoft.com", "fourthcoffee.onmicrosoft.com",
                    "litware.onmicrosoft.com", "treyresearch.onmicrosoft.com")),
    SimAccountSpec("tier2@fabrikampartner.onmicrosoft.com", "Fabrikam Partner Tier 2",
                   ("contoso.onmicrosoft.com", "woodgrovebank.onmicrosoft.com", "adatum.onmicrosoft.com")),
)


def tenant_by_domain(domain: str) -> SimTenant | None:
    low = domain.lower()
    return next((t for t in TENANTS if t.domain == low), None)


# -- name pools --------------------------------------------------------------------------------

_FAMOUS = ("Adele Vance", "Alex Wilber", "Megan Bowen", "Lee Gu", "Nestor Wilke", "Isaiah Langer",
           "Lidia Holloway", "Diego Siciliani", "Grady Archie", "Henrietta Mueller", "Johanna Lorenz",
           "Joni Sherman", "Lynne Robbins", "Miriam Graham", "Patti Fernandez", "Pradeep Gupta")
_FIRST = ("Aaron", "Abigail", "Ahmed", "Aiko", "Alan", "Alicia", "Amir", "Ana", "Andrea", "Anil", "Ben",
          "Bianca", "Brian", "Camille", "Carlos", "Chen", "Chloe", "Daniel", "Dana", "David", "Elena",
          "Emily", "Emma", "Ethan", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hannah",
          "Hiro", "Ines", "Isabel", "Ivan", "Jack", "James", "Jana", "Jason", "Javier", "Julia", "Kai",
          "Karen", "Kenji", "Laura", "Leo", "Liam", "Lina", "Lucas", "Maria", "Mark", "Marta", "Mateo",
          "Mei", "Michael", "Mohammed", "Nadia", "Nina", "Noah", "Olga", "Oliver", "Omar", "Paul",
          "Priya", "Rachel", "Raj", "Rosa", "Ryan", "Sara", "Sean", "Sofia", "Stefan", "Tanya", "Tom",
          "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe")
_LAST = ("Abbott", "Alvarez", "Andersen", "Bauer", "Becker", "Bennett", "Brooks", "Carter", "Castro",
         "Chen", "Costa", "Dubois", "Eriksson", "Evans", "Fischer", "Garcia", "Gonzalez", "Hansen",
         "Hughes", "Ito", "Jansen", "Jensen", "Khan", "Kim", "Kowalski", "Larsen", "Lopez", "Martin",
         "Meyer", "Moreau", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel",
         "Peters", "Quinn", "Reyes", "Richter", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith",
         "Suzuki", "Tanaka", "Taylor", "Torres", "Vogel", "Wagner", "Walsh", "Weber", "Williams",
         "Wong", "Yamamoto", "Young", "Zhang")
_NAME_SPACE = len(_FIRST) * len(_LAST)
_DEPARTMENTS = ("Sales", "Marketing", "Finance", "Operations", "IT", "Human Resources", "Legal",
                "Engineering", "Customer Service", "Executive")
_TITLES = {"Sales": ("Account Manager", "Sales Director", "Sales Representative"),
           "Marketing": ("Marketing Manager", "Content Specialist", "Brand Manager"),
           "Finance": ("Accountant", "Financial Controller", "Payroll Specialist"),
           "Operations": ("Operations Manager", "Logistics Coordinator", "Planner"),
           "IT": ("IT Administrator", "Service Desk Analyst", "Systems Engineer"),
           "Human Resources": ("HR Manager", "Recruiter", "HR Business Partner"),
           "Legal": ("Legal Counsel", "Paralegal", "Compliance Officer"),
           "Engineering": ("Software Engineer", "Product Manager", "QA Engineer"),
           "Customer Service": ("Support Agent", "Support Team Lead", "Customer Success Manager"),
           "Executive": ("Chief Executive Officer", "Chief Financial Officer", "Executive Assistant")}
_CITIES = (("Seattle", "US"), ("London", "GB"), ("Amsterdam", "NL"), ("Munich", "DE"), ("Paris", "FR"),
           ("Dublin", "IE"), ("Toronto", "CA"), ("Sydney", "AU"), ("Singapore", "SG"), ("Madrid", "ES"))
_SHARED = ("Sales", "Support", "Info", "Accounts Payable", "HR", "Reception", "Marketing", "Invoices",
           "Careers", "Service Desk", "Orders", "Press", "Legal", "Facilities")
_ROOMS = ("Conference Room Adams", "Conference Room Baker", "Boardroom", "Conference Room Crystal",
          "Huddle Room 1", "Huddle Room 2", "Training Room", "Conference Room Rainier")
_EQUIPMENT = ("Projector 1", "Pool Car 1", "Pool Car 2", "Video Kit", "Projector 2", "Laptop Cart")
_GROUPS = ("All Staff", "Sales Team", "Marketing", "Finance", "IT Department", "Leadership Team",
           "Project Phoenix", "Support Escalations", "Social Club", "Security Alerts", "Board Members",
           "New Starters")
_DEVICES = (("iPhone 15 Pro", "iPhone16C2", "iOS 17.5.1", "Outlook-iOS-Android"),
            ("Galaxy S24", "SM-S921B", "Android 14.0.0", "Outlook-iOS-Android"),
            ("iPad Air", "iPad13C1", "iOS 17.4", "iPad"),
            ("Pixel 8", "Pixel 8", "Android 14.0.0", "Android"),
            ("iPhone 13", "iPhone14C5", "iOS 16.7.8", "iPhone"))
_SUBJECTS = ("Quarterly report", "Re: Invoice {n}", "Meeting notes", "Project Phoenix update",
             "FW: Contract draft", "Lunch on Friday?", "Your order #{n} has shipped", "Password expiry notice",
             "Weekly newsletter", "Re: Budget approval", "Action required: review access", "Team offsite",
             "Re: Customer escalation {n}", "Holiday schedule", "Welcome aboard!", "Urgent: wire transfer")
_EXTERNAL = ("noreply@microsoft.com", "newsletter@contoso-news.com", "billing@litwareinc.com",
             "support@adventure-works.com", "alerts@woodgrove-alerts.com", "jane.doe@outlook.com",
             "sales@proseware-mail.com", "info@wingtiptoys.com", "promo@deals-4u.biz", "hr@relecloud.com")
_STATUSES = ("Delivered",) * 14 + ("FilteredAsSpam", "Expanded", "Failed", "Quarantined", "Pending")

# Hostile data (README, "Hostile data"): one tenant holds a mailbox whose names carry terminal
# escapes (clear screen, set title), Rich markup (style, hyperlink) and a bidi override, as any user
# who may rename themselves or any outside sender could. The same text names one of its inbox
# rules and is the subject of one message a day in its trace. Every other tenant is clean.
HOSTILE_DOMAIN = "tailspintoys.onmicrosoft.com"
HOSTILE_ALIAS = "hostile.display"
HOSTILE_TEXT = ("Evil \x1b[2J\x1b]0;pwned\x07 [bold red]markup[/] "
                "[link=https://evil.example]click[/link] \u202egnp.exe")

QUOTA_WARNING = "98 GB (105,226,698,752 bytes)"
QUOTA_SEND = "99 GB (106,300,440,576 bytes)"
QUOTA_SEND_RECEIVE = "100 GB (107,374,182,400 bytes)"

MAILBOX_TYPES = ("Microsoft.Exchange.Data.Directory.Management.Mailbox",
                 "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
                 "Microsoft.Exchange.Data.Directory.Management.MailEnabledRecipient",
                 "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject",
                 "Microsoft.Exchange.Data.Directory.ADObject",
                 "Microsoft.Exchange.Data.Directory.ADRawEntry",
                 "Microsoft.Exchange.Data.ConfigurableObject",
                 "System.Object")


def byte_size(n: int) -> str:
    """Exchange's ByteQuantifiedSize text: ``1.234 GB (1,325,000,000 bytes)``."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            value = f"{n / size:.3f}".rstrip("0").rstrip(".")
            return f"{value} {unit} ({n:,} bytes)"
    return f"{n} B ({n:,} bytes)"


def stable_rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def stable_guid(tenant: SimTenant, *parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "|".join([tenant.domain, *(str(p) for p in parts)]))


@dataclass(slots=True, eq=False)
class MailboxRec:
    """One mailbox with its owner user; ``props`` holds the Mailbox object's properties."""

    guid: uuid.UUID
    kind: str  # RecipientTypeDetails: UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox
    props: dict[str, Any]
    user: dict[str, Any]  # Get-User properties beyond the mailbox ones
    cas: dict[str, Any]
    auto_reply: dict[str, Any]
    stats: dict[str, Any]


@dataclass(slots=True, eq=False)
class GroupRec:
    guid: uuid.UUID
    props: dict[str, Any]
    members: list[uuid.UUID]


@dataclass(slots=True)
class TenantData:
    """The Exchange data of one customer tenant. Collections are built lazily on first use."""

    tenant: SimTenant
    size: int
    start: datetime  # "now" of this simulator start, for relative dates
    lock: threading.RLock = field(default_factory=threading.RLock)
    _mailboxes: list[MailboxRec] | None = None
    _index: dict[str, list[MailboxRec]] | None = None
    _groups: list[GroupRec] | None = None
    _perms: dict[uuid.UUID, list[dict[str, Any]]] | None = None
    _send_as: dict[uuid.UUID, list[dict[str, Any]]] | None = None
    _folder_perms: dict[tuple[uuid.UUID, str], list[dict[str, Any]]] = field(default_factory=dict)
    _rules: dict[uuid.UUID, list[dict[str, Any]]] | None = None
    _devices: dict[uuid.UUID, list[dict[str, Any]]] | None = None
    _trace: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _other: dict[str, Any] = field(default_factory=dict)

    # -- identity --------------------------------------------------------------------------------

    @property
    def dc(self) -> str:
        """The domain controller named in not-found errors, e.g. ``AM6PR05A003DC02.EURPRD05.PROD.OUTLOOK.COM``."""
        r = stable_rng(self.tenant.domain, "dc")
        region = self.tenant.region
        site = {"EUR": "AM6", "NAM": "BN8", "APC": "SG2"}[region[:3]]
        forest = region[:3] + "PRD" + region[-2:]
        return f"{site}{region[3:5]}{region[-2:]}A{r.randint(1, 9):03d}DC{r.randint(1, 9):02d}.{forest}.PROD.OUTLOOK.COM"

    @property
    def mailbox_server(self) -> str:
        """The mailbox server named in error ids, e.g. ``AM6PR05MB4321``."""
        r = stable_rng(self.tenant.domain, "server")
        site = {"EUR": "AM6", "NAM": "BN8", "APC": "SG2"}[self.tenant.region[:3]]
        return f"{site}PR{self.tenant.region[-2:]}MB{r.randint(1000, 9999)}"

    def dn(self, name: str) -> str:
        region = self.tenant.region
        return (f"CN={name},OU={self.tenant.domain},OU=Microsoft Exchange Hosted Organizations,"
                f"DC={region}A003,DC=PROD,DC=OUTLOOK,DC=COM")

    # -- mailboxes -------------------------------------------------------------------------------

    @property
    def mailboxes(self) -> list[MailboxRec]:
        if self._mailboxes is None:
            with self.lock:
                if self._mailboxes is None:
                    self._generate_mailboxes()
        assert self._mailboxes is not None
        return self._mailboxes

    def _generate_mailboxes(self) -> None:
        t = self.tenant
        r = stable_rng(t.domain, "mailboxes", self.size)
        n = max(self.size, 1)
        n_equipment = max(1, n * 2 // 100) if n >= 10 else 0
        n_rooms = max(1, n * 4 // 100) if n >= 5 else 0
        n_shared = max(1, n * 8 // 100) if n >= 3 else 0
        n_users = n - n_equipment - n_rooms - n_shared
        dbs = [f"{t.region}DG{r.randint(100, 999):03d}-db{r.randint(1, 199):03d}" for _ in range(4)]
        servers = [f"{t.region[:3].lower()}{t.region[5:].lower()}mb{r.randint(1000, 9999)}" for _ in range(4)]
        used: set[str] = set()
        recs: list[MailboxRec] = []
        famous = list(_FAMOUS)
        r.shuffle(famous)
        people: list[tuple[str, str]] = []
        seen_names: set[str] = set()
        for full in famous[: max(0, min(len(famous), n_users))]:
            first, last = full.split(" ", 1)
            people.append((first, last))
            seen_names.add(full)
        while len(people) < n_users:
            first, last = r.choice(_FIRST), r.choice(_LAST)
            # Duplicate display names happen in real tenants: rare while the name pool is fresh.
            if (f"{first} {last}" in seen_names and len(seen_names) < _NAME_SPACE // 2
                    and r.random() < 0.97):
                continue
            seen_names.add(f"{first} {last}")
            people.append((first, last))
        entries: list[tuple[str, str, str, str]] = [("UserMailbox", f, la, f"{f} {la}") for f, la in people]
        entries += [("SharedMailbox", "", "", name) for name in _pool(_SHARED, n_shared, "Shared Mailbox")]
        entries += [("RoomMailbox", "", "", name) for name in _pool(_ROOMS, n_rooms, "Meeting Room")]
        entries += [("EquipmentMailbox", "", "", name) for name in _pool(_EQUIPMENT, n_equipment, "Equipment")]
        for i, (kind, first, last, display) in enumerate(entries):
            if kind == "UserMailbox":
                base = (first + last[:1]).replace(" ", "")
            else:
                base = "".join(ch for ch in display.title() if ch.isalnum())
            alias = base
            k = 2
            while alias.lower() in used:
                alias = f"{base}{k}"
                k += 1
            used.add(alias.lower())
            recs.append(self._mailbox(r, i, kind, first, last, display, alias, dbs, servers))
        if t.domain == HOSTILE_DOMAIN:  # one more than --mailboxes, from its own random stream
            hostile = self._mailbox(stable_rng(t.domain, "hostile"), len(recs), "UserMailbox", "Evil",
                                    "Display", HOSTILE_TEXT, HOSTILE_ALIAS, dbs, servers)
            hostile.props["Name"] = HOSTILE_TEXT
            recs.append(hostile)
        self._mailboxes = recs
        self._index = None

    def _mailbox(self, r: random.Random, i: int, kind: str, first: str, last: str, display: str,
                 alias: str, dbs: list[str], servers: list[str]) -> MailboxRec:
        t = self.tenant
        guid = stable_guid(t, "mailbox", alias.lower())
        # The other GUIDs derive from the mailbox GUID with one hash (uuid5 four times was a third of the time).
        h = hashlib.sha256(guid.bytes).digest()
        ext_id = uuid.UUID(bytes=h[:16], version=4)
        exchange_guid = uuid.UUID(bytes=h[16:], version=4)
        archive_guid = uuid.UUID(bytes=bytes(b ^ 0x5A for b in h[:16]), version=4)
        upn = f"{alias}@{t.vanity_domain}"
        created = self.start - timedelta(days=r.randint(30, 2400), seconds=r.randint(0, 86399))
        dept = r.choice(_DEPARTMENTS)
        city, country = r.choice(_CITIES)
        user = kind == "UserMailbox"
        db_i = r.randrange(len(dbs))
        props: dict[str, Any] = {
            "Name": alias,
            "Alias": alias,
            "DisplayName": display,
            "PrimarySmtpAddress": upn,
            "UserPrincipalName": upn,
            "WindowsEmailAddress": upn,
            "EmailAddresses": [f"SMTP:{upn}", f"smtp:{alias}@{t.domain}"],
            "RecipientType": "UserMailbox",
            "RecipientTypeDetails": kind,
            "Database": dbs[db_i],
            "ServerName": servers[db_i],
            "ProhibitSendQuota": QUOTA_SEND,
            "ProhibitSendReceiveQuota": QUOTA_SEND_RECEIVE,
            "IssueWarningQuota": QUOTA_WARNING,
            "UseDatabaseQuotaDefaults": False,
            "ExternalDirectoryObjectId": str(ext_id),
            "ArchiveStatus": "Active" if user and r.random() < 0.3 else "None",
            "ArchiveGuid": str(archive_guid) if user else "00000000-0000-0000-0000-000000000000",
            "LitigationHoldEnabled": user and r.random() < 0.1,
            "LitigationHoldDate": None,
            "LitigationHoldOwner": None,
            "LitigationHoldDuration": "Unlimited",
            "RetentionPolicy": "Default MRM Policy",
            "ForwardingAddress": None,
            "ForwardingSmtpAddress": None,
            "DeliverToMailboxAndForward": False,
            "GrantSendOnBehalfTo": [],
            "HiddenFromAddressListsEnabled": kind == "EquipmentMailbox",
            "AuditEnabled": True,
            "MessageCopyForSentAsEnabled": kind == "SharedMailbox",
            "MessageCopyForSendOnBehalfEnabled": False,
            "ResourceCapacity": r.choice((4, 6, 8, 12, 20)) if kind == "RoomMailbox" else None,
            "UsageLocation": country,
            "Office": city,
            "IsMailboxEnabled": True,
            "IsDirSynced": r.random() < 0.4,
            "IsShared": kind == "SharedMailbox",
            "IsResource": kind in ("RoomMailbox", "EquipmentMailbox"),
            "CustomAttribute1": dept if user else "",
            "WhenMailboxCreated": created,
            "WhenCreated": created,
            "WhenChanged": created + timedelta(days=r.randint(0, 25)),
            "Guid": guid,
            "ExchangeGuid": exchange_guid,
            "Identity": alias,
            "Id": alias,
            "DistinguishedName": self.dn(alias),
            "OrganizationalUnit": f"{t.region}A003.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/{t.domain}",
            "OrganizationId": t.domain,
        }
        if user and r.random() < 0.04:  # an offboarded or compromised mailbox forwarding mail outside
            props["ForwardingSmtpAddress"] = f"smtp:{first.lower()}.{last.lower()}@outlook.com"
            props["DeliverToMailboxAndForward"] = r.random() < 0.5
        if props["LitigationHoldEnabled"]:
            props["LitigationHoldDate"] = created + timedelta(days=r.randint(1, 20))
            props["LitigationHoldOwner"] = f"admin@{t.domain}"
        title = r.choice(_TITLES[dept]) if user else ""
        user_props = {"FirstName": first, "LastName": last, "Title": title, "Department": dept if user else "",
                      "Company": t.name, "City": city, "CountryOrRegion": country,
                      "Phone": f"+1 425 555 {r.randint(100, 9999):04d}" if user else "",
                      "AccountDisabled": not user, "Manager": None}
        cas = {"OWAEnabled": True, "ActiveSyncEnabled": True, "PopEnabled": r.random() < 0.2,
               "ImapEnabled": r.random() < 0.2, "MAPIEnabled": True, "EwsEnabled": True,
               "ECPEnabled": True, "SmtpClientAuthenticationDisabled": None,
               "ActiveSyncMailboxPolicy": "Default", "OWAMailboxPolicy": "OwaMailboxPolicy-Default"}
        state = "Disabled"
        if r.random() < 0.08:
            state = r.choice(("Enabled", "Scheduled"))
        start = (self.start - timedelta(days=r.randint(0, 3))).replace(hour=8, minute=0, second=0, microsecond=0)
        auto = {"AutoReplyState": state,
                "StartTime": start, "EndTime": start + timedelta(days=r.randint(3, 14)),
                "InternalMessage": f"<html><body>I am out of the office. For urgent matters contact {t.name} reception.</body></html>"
                if state != "Disabled" else "",
                "ExternalMessage": "<html><body>Thank you for your message. I am out of the office.</body></html>"
                if state != "Disabled" else "",
                "ExternalAudience": "All" if state != "Disabled" else "None",
                "AutoDeclineFutureRequestsWhenOOF": False, "CreateOOFEvent": False,
                "DeclineAllEventsForScheduledOOF": False, "DeclineEventsForScheduledOOF": False,
                "DeclineMeetingMessage": None, "OOFEventSubject": None, "EventsToDeleteIDs": None}
        items = r.randint(50, 60000) if user else r.randint(0, 9000)
        size = items * r.randint(30_000, 120_000)
        stats = {"ItemCount": items, "DeletedItemCount": r.randint(0, items // 10 + 1),
                 "TotalItemSize": byte_size(size), "TotalDeletedItemSize": byte_size(size // 20),
                 "LastLogonTime": (self.start - timedelta(minutes=r.randint(5, 60 * 24 * 30))) if user or r.random() < 0.5 else None,
                 "StorageLimitStatus": None, "SystemMessageCount": r.randint(100, 400)}
        return MailboxRec(guid, kind, props, user_props, cas, auto, stats)

    @property
    def index(self) -> dict[str, list[MailboxRec]]:
        """Lower-cased name, alias, UPN, every SMTP address, DisplayName, GUIDs and DN → mailboxes."""
        idx = self._index
        if idx is None:
            with self.lock:
                idx = self._index
                if idx is None:
                    idx = {}
                    for m in self.mailboxes:
                        for key in set(self._keys(m)):
                            idx.setdefault(key, []).append(m)
                    self._index = idx
        return idx

    @staticmethod
    def _keys(m: MailboxRec) -> Iterator[str]:
        p = m.props
        for name in ("Name", "Alias", "DisplayName", "PrimarySmtpAddress", "UserPrincipalName",
                     "ExternalDirectoryObjectId", "DistinguishedName", "Guid", "ExchangeGuid"):
            value = p.get(name)
            if value:
                yield str(value).lower()
        for addr in p.get("EmailAddresses") or ():
            yield addr.split(":", 1)[-1].lower()

    def reindex(self) -> None:
        """Forget the identity index after a change to names or addresses."""
        with self.lock:
            self._index = None

    def find_mailboxes(self, identity: str) -> list[MailboxRec]:
        return list(self.index.get(identity.strip().lower(), ()))

    # -- groups ----------------------------------------------------------------------------------

    @property
    def groups(self) -> list[GroupRec]:
        if self._groups is None:
            with self.lock:
                if self._groups is None:
                    self._groups = self._generate_groups()
        return self._groups

    def _generate_groups(self) -> list[GroupRec]:
        t = self.tenant
        r = stable_rng(t.domain, "groups", self.size)
        users = [m for m in self.mailboxes if m.kind == "UserMailbox"]
        count = min(len(_GROUPS), max(3, self.size // 8)) + max(0, self.size // 200)
        out: list[GroupRec] = []
        for i in range(count):
            name = _GROUPS[i] if i < len(_GROUPS) else f"Team {i - len(_GROUPS) + 1:03d}"
            alias = "".join(ch for ch in name if ch.isalnum())
            security = name in ("IT Department", "Security Alerts", "Board Members")
            smtp = f"{alias}@{t.vanity_domain}"
            guid = stable_guid(t, "group", alias.lower())
            created = self.start - timedelta(days=r.randint(60, 2000))
            if name == "All Staff":
                members = [m.guid for m in users]
            else:
                members = [m.guid for m in r.sample(users, min(len(users), r.randint(2, 12)))] if users else []
            owner = users[r.randrange(len(users))].props["Name"] if users else None
            props = {"Name": name, "DisplayName": name, "Alias": alias,
                     "GroupType": "Universal, SecurityEnabled" if security else "Universal",
                     "PrimarySmtpAddress": smtp,
                     "EmailAddresses": [f"SMTP:{smtp}", f"smtp:{alias}@{t.domain}"],
                     "RecipientType": "MailUniversalSecurityGroup" if security else "MailUniversalDistributionGroup",
                     "RecipientTypeDetails": "MailUniversalSecurityGroup" if security else "MailUniversalDistributionGroup",
                     "ManagedBy": [owner] if owner else [],
                     "MemberJoinRestriction": "Closed", "MemberDepartRestriction": "Closed",
                     "RequireSenderAuthenticationEnabled": name != "Support Escalations",
                     "HiddenFromAddressListsEnabled": False,
                     "ExternalDirectoryObjectId": str(stable_guid(t, "groupobj", alias.lower())),
                     "WhenCreated": created, "WhenChanged": created + timedelta(days=r.randint(0, 50)),
                     "Guid": guid, "Identity": name, "Id": name, "DistinguishedName": self.dn(alias),
                     "OrganizationId": t.domain}
            out.append(GroupRec(guid, props, members))
        return out

    def mailbox_by_guid(self, guid: uuid.UUID) -> MailboxRec | None:
        if self._other.get("by_guid_size") != len(self.mailboxes):
            with self.lock:
                self._other["by_guid"] = {m.guid: m for m in self.mailboxes}
                self._other["by_guid_size"] = len(self.mailboxes)
        found: MailboxRec | None = self._other["by_guid"].get(guid)
        return found

    # -- permissions -----------------------------------------------------------------------------

    @property
    def permissions(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Explicit (non-SELF) FullAccess grants per mailbox GUID: {"User", "AccessRights", "Deny"}."""
        if self._perms is None:
            with self.lock:
                if self._perms is None:
                    self._generate_permissions()
        assert self._perms is not None
        return self._perms

    @property
    def send_as(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Explicit Send As grants per mailbox GUID: {"Trustee", "AccessRights"}."""
        if self._send_as is None:
            with self.lock:
                if self._send_as is None:
                    self._generate_permissions()
        assert self._send_as is not None
        return self._send_as

    def _generate_permissions(self) -> None:
        r = stable_rng(self.tenant.domain, "permissions", self.size)
        users = [m for m in self.mailboxes if m.kind == "UserMailbox"]
        perms: dict[uuid.UUID, list[dict[str, Any]]] = {}
        send_as: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for m in self.mailboxes:
            if m.kind == "UserMailbox" and r.random() > 0.05:
                continue
            chosen = r.sample(users, min(len(users), r.randint(1, 4))) if users else []
            perms[m.guid] = [{"User": u.props["UserPrincipalName"], "AccessRights": ["FullAccess"], "Deny": False}
                             for u in chosen]
            if m.kind == "SharedMailbox" and chosen:
                send_as[m.guid] = [{"Trustee": u.props["UserPrincipalName"], "AccessRights": ["SendAs"]}
                                   for u in chosen[:2]]
        self._perms = perms
        self._send_as = send_as

    def folder_permissions(self, mailbox: MailboxRec, folder: str) -> list[dict[str, Any]]:
        """Permissions of one folder (``Calendar``, ``Inbox`` …): Default, Anonymous, then grants."""
        key = (mailbox.guid, folder.lower())
        with self.lock:
            found = self._folder_perms.get(key)
            if found is None:
                r = stable_rng(self.tenant.domain, "folder", mailbox.guid, folder.lower())
                calendar = folder.lower() == "calendar"
                found = [{"User": "Default", "AccessRights": ["AvailabilityOnly" if calendar else "None"]},
                         {"User": "Anonymous", "AccessRights": ["None"]}]
                if calendar and mailbox.kind == "UserMailbox" and r.random() < 0.2:
                    users = [m for m in self.mailboxes if m.kind == "UserMailbox" and m is not mailbox]
                    if users:
                        delegate = r.choice(users)
                        found.append({"User": delegate.props["DisplayName"], "AccessRights": ["Editor"]})
                self._folder_perms[key] = found
            return found

    # -- inbox rules, devices --------------------------------------------------------------------

    @property
    def inbox_rules(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        if self._rules is None:
            with self.lock:
                if self._rules is None:
                    self._rules = self._generate_rules()
        return self._rules

    def _generate_rules(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        r = stable_rng(self.tenant.domain, "rules", self.size)
        out: dict[uuid.UUID, list[dict[str, Any]]] = {}
        templates: tuple[tuple[str, dict[str, Any]], ...] = (
            ("Newsletters", {"SubjectContainsWords": ["newsletter"], "MoveToFolder": "Newsletters"}),
            ("Invoices to Finance", {"SubjectContainsWords": ["invoice"], "MoveToFolder": "Finance"}),
            ("From my manager", {"From": ["manager"], "MarkImportance": "High"}),
            ("Forward to personal", {"ForwardTo": ["\"jane.doe@outlook.com\" [SMTP:jane.doe@outlook.com]"]}),
            ("Delete alerts", {"SubjectContainsWords": ["alert"], "DeleteMessage": True}),
            (".", {"MoveToFolder": "RSS Subscriptions", "MarkAsRead": True}),
        )
        for m in self.mailboxes:
            if m.kind != "UserMailbox" or r.random() > 0.35:
                continue
            rules = []
            for prio, (name, extra) in enumerate(r.sample(templates[:-1] if r.random() > 0.03 else templates,
                                                          r.randint(1, 3)), start=1):
                rid = r.randint(10**18, 10**19 - 1)
                rules.append({"Name": name, "Enabled": r.random() > 0.1, "Priority": prio,
                              "RuleIdentity": rid, "StopProcessingRules": False, **extra})
            out[m.guid] = rules
        for m in self.mailboxes:
            if m.props["Alias"] == HOSTILE_ALIAS:  # always one rule with the hostile name
                rules = out.setdefault(m.guid, [])
                rules.append({"Name": HOSTILE_TEXT, "Enabled": True, "Priority": len(rules) + 1,
                              "RuleIdentity": r.randint(10**18, 10**19 - 1), "StopProcessingRules": False,
                              "MoveToFolder": "Archive"})
        return out

    @property
    def devices(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        if self._devices is None:
            with self.lock:
                if self._devices is None:
                    self._devices = self._generate_devices()
        return self._devices

    def _generate_devices(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        r = stable_rng(self.tenant.domain, "devices", self.size)
        out: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for m in self.mailboxes:
            if m.kind != "UserMailbox" or r.random() > 0.45:
                continue
            devs = []
            for _ in range(r.randint(1, 2)):
                friendly, model, os_, dtype = r.choice(_DEVICES)
                device_id = "".join(r.choice("0123456789ABCDEF") for _ in range(32))
                first_sync = self.start - timedelta(days=r.randint(1, 700))
                devs.append({"FriendlyName": friendly, "DeviceId": device_id, "DeviceModel": model,
                             "DeviceOS": os_, "DeviceType": dtype, "DeviceUserAgent": f"{dtype}/1.0",
                             "ClientType": "Outlook" if dtype.startswith("Outlook") else "EAS",
                             "DeviceAccessState": r.choice(("Allowed",) * 9 + ("Quarantined",)),
                             "DeviceAccessStateReason": "Global", "FirstSyncTime": first_sync,
                             "Guid": stable_guid(self.tenant, "device", device_id)})
            out[m.guid] = devs
        return out

    # -- message trace ---------------------------------------------------------------------------

    def trace_day(self, day: datetime) -> list[dict[str, Any]]:
        """Message trace entries received on ``day`` (UTC date), newest first; generated once per day."""
        day0 = day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        key = int(day0.timestamp()) // 86400
        with self.lock:
            found = self._trace.get(key)
            if found is not None:
                return found
        r = stable_rng(self.tenant.domain, "trace", self.size, key)
        users = [m for m in self.mailboxes if m.kind in ("UserMailbox", "SharedMailbox")]
        entries: list[dict[str, Any]] = []
        if users:
            count = min(3000, max(20, len(users) * 4)) + r.randint(0, 10)
            if day0.weekday() >= 5:
                count //= 3
            end = min(day0 + timedelta(days=1), self.start)
            seconds = int((end - day0).total_seconds())
            if seconds > 0:
                for _ in range(count):
                    received = day0 + timedelta(seconds=r.randrange(seconds), microseconds=r.randrange(10**6))
                    a = r.choice(users).props["PrimarySmtpAddress"]
                    b = r.choice(users).props["PrimarySmtpAddress"] if r.random() < 0.5 else r.choice(_EXTERNAL)
                    sender, recipient = (a, b) if r.random() < 0.5 else (b, a)
                    status = r.choice(_STATUSES)
                    subject = r.choice(_SUBJECTS).format(n=r.randint(1000, 99999))
                    mid = f"<{r.getrandbits(64):016x}@{sender.split('@', 1)[1]}>"
                    entries.append({"Received": received, "SenderAddress": sender, "RecipientAddress": recipient,
                                    "Subject": subject, "Status": status,
                                    "ToIP": None if "@" + self.tenant.vanity_domain in recipient else f"52.{r.randint(96, 111)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                                    "FromIP": f"40.{r.randint(92, 107)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                                    "Size": r.randint(2_000, 9_000_000), "MessageId": mid,
                                    "MessageTraceId": uuid.UUID(int=r.getrandbits(128), version=4)})
        if entries and self.tenant.domain == HOSTILE_DOMAIN:  # an outside sender picks any subject
            entries[0] = {**entries[0], "Subject": HOSTILE_TEXT}
        entries.sort(key=lambda e: e["Received"], reverse=True)
        with self.lock:
            return self._trace.setdefault(key, entries)

    # -- organization-wide objects ---------------------------------------------------------------

    def singleton(self, key: str, build: Any) -> Any:
        """A lazily built organization-wide collection (accepted domains, transport rules …)."""
        with self.lock:
            if key not in self._other:
                self._other[key] = build(self)
            return self._other[key]


def _pool(names: tuple[str, ...], count: int, fallback: str) -> list[str]:
    out = list(names[:count])
    out += [f"{fallback} {i:03d}" for i in range(1, count - len(out) + 1)]
    return out


class TenantStore:
    """Per-tenant data, created on first use, shared by every shell of a simulator."""

    def __init__(self, mailboxes: int = 50, start: datetime | None = None,
                 tenants: Sequence[SimTenant] = TENANTS) -> None:
        self.size = mailboxes
        self.start = start or datetime.now(UTC).replace(microsecond=0)
        self._tenants = {t.domain: t for t in tenants}
        self._lock = threading.Lock()
        self._data: dict[str, TenantData] = {}

    def get(self, domain: str) -> TenantData | None:
        tenant = self._tenants.get(domain.lower())
        if tenant is None:
            return None
        with self._lock:
            data = self._data.get(tenant.domain)
            if data is None:
                data = self._data[tenant.domain] = TenantData(tenant, self.size, self.start)
            return data
