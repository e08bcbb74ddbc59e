"""The simulated Entra ID directory: partner users in their home tenants, the customer tenants, the GDAP
relationships between them (with the Entra roles each grants to which partner user), and app registrations.

Who reaches what mirrors the PSRP door: a partner account's delegated tenants (``SimAccount.tenants``)
are the customers whose active GDAP relationship grants it an Exchange-capable role; every other customer
has no relationship for it, except one relationship that grants only a non-Exchange role (so "a
relationship, but no Exchange role" is testable too). ``tier2@`` holds Global Reader only: read-only
(Get-* only) in Exchange, which a REST door reads through ``exchange_access``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tui.sim.data import ACCOUNTS, NAMESPACE, TENANTS, SimTenant

# Entra built-in role template ids (the ``wids`` claim carries these).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
EXCHANGE_RECIPIENT_ADMINISTRATOR = "31392ffb-586c-42d1-9346-e59415a2cf4e"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
EXCHANGE_ROLES = frozenset({GLOBAL_ADMINISTRATOR, EXCHANGE_ADMINISTRATOR, EXCHANGE_RECIPIENT_ADMINISTRATOR,
                            GLOBAL_READER})
READ_ONLY_ROLES = frozenset({GLOBAL_READER})

EXO_PUBLIC_CLIENT_ID = "fb78d390-0c51-40cd-8e17-fdbfab77341b"   # the ExchangeOnlineManagement v3 module
EXO_PUBLIC_CLIENT_NAME = "Microsoft Exchange REST API Based Powershell"
AUTOMATION_APP_NAME = "exohop automation"
# Customers where the partner's automation app has admin consent (Exchange.ManageAsApp + Exchange Administrator).
AUTOMATION_CONSENTED = ("contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com", "northwindtraders.onmicrosoft.com")
READ_ONLY_UPNS = ("tier2@fabrikampartner.onmicrosoft.com",)
NO_EXCHANGE_ROLE = (("admin@fabrikampartner.onmicrosoft.com", "cohowinery.onmicrosoft.com"),)

_PARTNER_NAMES = {"fabrikampartner.onmicrosoft.com": "Fabrikam Partner",
                  "relecloudpartner.onmicrosoft.com": "Relecloud"}


class AccountLike(Protocol):
    @property
    def upn(self) -> str: ...
    @property
    def password(self) -> str: ...
    @property
    def tenants(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class DirTenant:
    tenant_id: str
    domain: str                  # the initial .onmicrosoft.com domain
    name: str
    vanity_domain: str | None = None
    partner: bool = False


@dataclass(frozen=True, slots=True)
class DirUser:
    upn: str
    display_name: str
    object_id: str
    home_tenant_id: str
    password: str = field(repr=False)


@dataclass(slots=True)
class Relationship:
    """One GDAP relationship: partner tenant → customer tenant, with per-user role assignments
    (standing in for the security groups GDAP assigns roles to)."""
    relationship_id: str
    partner_tenant_id: str
    customer_tenant_id: str
    assignments: dict[str, frozenset[str]]          # lower-case UPN → role template ids
    status: str = "active"                          # "active" | "terminated"


@dataclass(frozen=True, slots=True)
class DirApp:
    client_id: str
    name: str
    home_tenant_id: str | None                      # None: a Microsoft first-party app, present everywhere
    public_client: bool
    certificate_pem: bytes | None = None            # the credential of a confidential app
    consented: frozenset[str] = frozenset()         # tenant ids with admin consent (confidential apps)


@dataclass(frozen=True, slots=True)
class ExchangeAccess:
    """What a caller may do in a tenant's Exchange: its Entra roles there, and whether they only read."""
    tenant_id: str
    roles: frozenset[str]
    read_only: bool


class Directory:
    """Thread-safe: relationships can be ended or changed while the server runs."""

    def __init__(self, tenants: Iterable[DirTenant], users: Iterable[DirUser],
                 relationships: Iterable[Relationship], apps: Iterable[DirApp]) -> None:
        self._lock = threading.Lock()
        self.tenants = {t.tenant_id: t for t in tenants}
        self._by_domain: dict[str, DirTenant] = {}
        for t in self.tenants.values():
            self._by_domain[t.domain.lower()] = t
            if t.vanity_domain:
                self._by_domain[t.vanity_domain.lower()] = t
        self.users = {u.upn.lower(): u for u in users}
        self._relationships = list(relationships)
        self.apps = {a.client_id.lower(): a for a in apps}

    # -- lookups -------------------------------------------------------------------------------------------

    def tenant(self, ref: str) -> DirTenant | None:
        """A tenant by id (GUID, any case) or by one of its domains."""
        low = ref.strip().lower()
        return self.tenants.get(low) or self._by_domain.get(low)

    def user(self, upn: str) -> DirUser | None:
        return self.users.get(upn.strip().lower())

    def app(self, client_id: str) -> DirApp | None:
        return self.apps.get(client_id.strip().lower())

    def roles_of(self, upn: str, tenant_id: str) -> frozenset[str] | None:
        """The roles ``upn`` holds in ``tenant_id``: ``frozenset()`` in its home tenant (a member with no
        admin role modelled), the union of its active GDAP assignments in a customer, None without any."""
        user = self.user(upn)
        if user is None:
            return None
        if user.home_tenant_id == tenant_id:
            return frozenset()
        with self._lock:
            through = self._active(user, tenant_id)
        if not through:
            return None
        return frozenset().union(*(r.assignments[user.upn.lower()] for r in through))

    def exchange_access(self, upn: str, tenant_ref: str) -> ExchangeAccess | None:
        """A partner user's Exchange access in a customer (None: no Exchange-capable role there)."""
        tenant = self.tenant(tenant_ref)
        if tenant is None:
            return None
        roles = self.roles_of(upn, tenant.tenant_id)
        if not roles or not roles & EXCHANGE_ROLES:
            return None
        return ExchangeAccess(tenant.tenant_id, roles, read_only=not ((roles & EXCHANGE_ROLES) - READ_ONLY_ROLES))

    def app_exchange_access(self, client_id: str, tenant_ref: str) -> ExchangeAccess | None:
        app, tenant = self.app(client_id), self.tenant(tenant_ref)
        if app is None or tenant is None or tenant.tenant_id not in app.consented:
            return None
        return ExchangeAccess(tenant.tenant_id, frozenset({EXCHANGE_ADMINISTRATOR}), read_only=False)

    # -- changes (tests, demos) ----------------------------------------------------------------------------

    def end_relationship(self, upn: str, tenant_ref: str) -> bool:
        """Terminate the GDAP relationship(s) through which ``upn`` reaches a customer; True if any was active."""
        user, tenant = self.user(upn), self.tenant(tenant_ref)
        if user is None or tenant is None:
            return False
        with self._lock:
            through = self._active(user, tenant.tenant_id)
            for r in through:
                r.status = "terminated"
        return bool(through)

    def _active(self, user: DirUser, tenant_id: str) -> list[Relationship]:
        """The active relationships through which ``user`` reaches customer ``tenant_id`` (hold the lock)."""
        return [r for r in self._relationships
                if r.status == "active" and r.customer_tenant_id == tenant_id
                and r.partner_tenant_id == user.home_tenant_id and user.upn.lower() in r.assignments]


def partner_domain(upn: str) -> str:
    return upn.rsplit("@", 1)[-1].lower()


def tenant_id_for(domain: str) -> str:
    """The same uuid5 scheme as ``tui.sim.data`` uses for the customer tenants."""
    return str(uuid.uuid5(NAMESPACE, "tenant:" + domain.lower()))


def build(accounts: Sequence[AccountLike], customers: Sequence[SimTenant] = TENANTS, *,
          automation_client_id: str, automation_certificate_pem: bytes) -> Directory:
    """The directory for the simulator's accounts (their passwords are the users' sign-in)."""
    display = {s.upn.lower(): s.display_name for s in ACCOUNTS}
    tenants = [DirTenant(t.tenant_id, t.domain, t.name, t.vanity_domain) for t in customers]
    partners = sorted({partner_domain(a.upn) for a in accounts})
    tenants += [DirTenant(tenant_id_for(d), d, _PARTNER_NAMES.get(d, d.split(".")[0]), partner=True)
                for d in partners]
    users = [DirUser(a.upn, display.get(a.upn.lower(), a.upn.split("@")[0]),
                     str(uuid.uuid5(NAMESPACE, "user:" + a.upn.lower())), tenant_id_for(partner_domain(a.upn)),
                     a.password) for a in accounts]
    by_domain = {t.domain: t for t in customers}
    grants: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
    for a in accounts:
        role = GLOBAL_READER if a.upn.lower() in READ_ONLY_UPNS else EXCHANGE_ADMINISTRATOR
        for domain in a.tenants:
            if domain in by_domain:
                key = (tenant_id_for(partner_domain(a.upn)), by_domain[domain].tenant_id)
                grants.setdefault(key, {})[a.upn.lower()] = frozenset({role})
    for upn, domain in NO_EXCHANGE_ROLE:
        if any(a.upn.lower() == upn for a in accounts) and domain in by_domain:
            key = (tenant_id_for(partner_domain(upn)), by_domain[domain].tenant_id)
            grants.setdefault(key, {})[upn] = frozenset({USER_ADMINISTRATOR})
    relationships = [Relationship(str(uuid.uuid5(NAMESPACE, f"gdap:{p}:{c}")), p, c, assignments)
                     for (p, c), assignments in grants.items()]
    home = tenant_id_for(partners[0]) if partners else None
    consented = frozenset(by_domain[d].tenant_id for d in AUTOMATION_CONSENTED if d in by_domain)
    apps = [DirApp(EXO_PUBLIC_CLIENT_ID, EXO_PUBLIC_CLIENT_NAME, None, public_client=True),
            DirApp(automation_client_id, AUTOMATION_APP_NAME, home, public_client=False,
                   certificate_pem=automation_certificate_pem,
                   consented=consented | ({home} if home else frozenset()))]
    return Directory(tenants, users, relationships, apps)
