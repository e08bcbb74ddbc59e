"""A directory tenant's id (GUID) from its domain, read from the tenant's OpenID configuration:
``{authority_host}/{domain}/v2.0/.well-known/openid-configuration`` names the id in its token endpoint
and issuer. Answers are kept in memory; ``known()`` hands them to whoever persists them."""

from __future__ import annotations

import re
import threading
import uuid
from urllib.parse import urlsplit

import requests

from tui.remoting.auth.errors import UNKNOWN_TENANT, SignInError, from_exception, from_result

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_tenant_id(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return bool(_GUID.fullmatch(ref.strip()))


class TenantResolver:
    def __init__(self, authority_host: str, session: requests.Session) -> None:
        self.authority_host = authority_host.rstrip("/")
        self._session = session
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}

    def remember(self, domain: str, tenant_id: str) -> None:
        """Seed an id known from elsewhere (e.g. tenants.toml), so no request is made for it."""
        with self._lock:
            self._ids[domain.strip().lower()] = tenant_id.lower()

    def known(self) -> dict[str, str]:
        """Every domain → tenant id resolved or remembered so far."""
        with self._lock:
            return dict(self._ids)

    def tenant_id(self, ref: str, *, account: str | None = None) -> str:
        """The GUID of ``ref`` (a GUID is returned as is, lower-cased)."""
        key = ref.strip().lower()
        if is_tenant_id(key):
            return key
        with self._lock:
            cached = self._ids.get(key)
        if cached:
            return cached
        url = f"{self.authority_host}/{key}/v2.0/.well-known/openid-configuration"
        try:
            response = self._session.get(url, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise from_exception(exc, account=account, tenant=ref, host=urlsplit(url).netloc) from None
        try:
            doc = response.json()
        except ValueError:
            doc = {}
        if response.status_code != 200:
            raise from_result(doc if isinstance(doc, dict) else {}, account=account, tenant=ref)
        found = _GUID.search(urlsplit(str(doc.get("token_endpoint", ""))).path) or _GUID.search(
            str(doc.get("issuer", "")))
        if found is None:
            raise SignInError(f"The sign-in service answered for {ref} without a tenant id. Check the domain "
                              "(use the customer's .onmicrosoft.com domain or its tenant id).", UNKNOWN_TENANT,
                              account=account, tenant=ref)
        tenant_id = found.group(0).lower()
        with self._lock:
            self._ids[key] = tenant_id
        return tenant_id

