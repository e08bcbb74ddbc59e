"""Connection URIs: the account's endpoint + ``?DelegatedOrg=<domain>``, and their split for pypsrp's WSMan."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from tui.config import resolve_endpoint
from tui.tenants import validate_domain


@dataclass(frozen=True, slots=True)
class WSManTarget:
    """What ``pypsrp.wsman.WSMan`` takes: it rebuilds ``scheme://server:port/path`` from these."""

    server: str
    port: int
    path: str    # without the leading "/", query included
    ssl: bool

    @property
    def url(self) -> str:
        host = f"[{self.server}]" if ":" in self.server else self.server
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}/{self.path}"


def delegated_uri(endpoint: str, domain: str) -> str:
    """``https://…/powershell-liveid?DelegatedOrg=contoso.onmicrosoft.com`` (domain validated, encoded)."""
    url = resolve_endpoint(endpoint)
    clean = validate_domain(domain)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}DelegatedOrg={quote(clean, safe='')}"


def split_uri(uri: str) -> WSManTarget:
    """Split a full URI for WSMan; ValueError on anything but http(s) with a host."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {uri!r}")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 80)
    path = parts.path.lstrip("/")
    if parts.query:
        path = f"{path}?{parts.query}"
    return WSManTarget(server=parts.hostname, port=port, path=path, ssl=ssl)


def host_of(uri: str) -> str:
    return urlsplit(uri).hostname or uri


def with_delegated_org(location: str, domain: str) -> str:
    """``location`` with ``DelegatedOrg=<domain>`` appended (a redirect target that lost the tenant)."""
    sep = "&" if "?" in location else "?"
    return f"{location}{sep}DelegatedOrg={quote(domain, safe='')}"
