"""App-only tokens for automation: msal's ``ConfidentialClientApplication`` with a certificate credential
(PEM holding key and certificate, or PFX with a passphrase), one application per tenant authority.

App tokens are cheap to get again, so they stay in memory: nothing of them is written anywhere.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tui.logs import register_secret
from tui.remoting.auth.claims import AccessToken, unverified_claims
from tui.remoting.auth.clouds import CLOUDS
from tui.remoting.auth.errors import CERTIFICATE, WRONG_TENANT, SignInError, from_exception, from_result
from tui.remoting.auth.http import DEFAULT_TIMEOUT_S, PinnedSession
from tui.remoting.auth.provider import instance_discovery_for
from tui.remoting.auth.tenants import TenantResolver


@dataclass(frozen=True, slots=True)
class CertificateCredential:
    private_key_pem: str = field(repr=False)
    certificate_pem: str
    thumbprint: str                      # SHA-1, hex, as msal wants it

    @classmethod
    def from_file(cls, path: Path, passphrase: str | None = None) -> CertificateCredential:
        """Read a PEM (private key + certificate) or a PFX/P12; ``passphrase`` unlocks either."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SignInError(f"Cannot read the certificate {path}: {exc.strerror or exc}.", CERTIFICATE) from None
        secret = passphrase.encode() if passphrase else None
        try:
            if b"-----BEGIN" in data:
                key = serialization.load_pem_private_key(data, password=secret)
                certs = x509.load_pem_x509_certificates(data)
                cert = certs[0] if certs else None
            else:
                pfx_key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
                key = pfx_key       # type: ignore[assignment]
        except (ValueError, TypeError):
            # Deliberately vague: the library's text may echo what it parsed.
            raise SignInError(f"Cannot open the certificate {path}: wrong passphrase, or not a PEM/PFX file "
                              "with a private key and its certificate.", CERTIFICATE) from None
        if key is None or cert is None or not isinstance(key, rsa.RSAPrivateKey):
            raise SignInError(f"The certificate file {path} must hold an RSA private key and its certificate.",
                              CERTIFICATE)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        return cls(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(),
                   cert.fingerprint(hashes.SHA1()).hex())

    def for_msal(self) -> dict[str, str]:
        return {"private_key": self.private_key_pem, "thumbprint": self.thumbprint}


class AppTokenProvider:
    """Tokens for the app ``client_id`` in ``organization`` (its default tenant) or any tenant that
    consented to it. Thread-safe."""

    def __init__(self, client_id: str, organization: str, credential: CertificateCredential, *,
                 authority_host: str = CLOUDS["worldwide"].authority_host,
                 resource: str = CLOUDS["worldwide"].resource, ca_file: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, session: PinnedSession | None = None,
                 resolver: TenantResolver | None = None) -> None:
        self.client_id = client_id
        self.organization = organization
        self._credential = credential
        self.authority_host = authority_host.rstrip("/")
        self.scope = f"{resource}/.default"
        self.session = session or PinnedSession(ca_file, timeout)
        self.resolver = resolver or TenantResolver(self.authority_host, self.session)
        self._host = urlsplit(self.authority_host).netloc
        self._lock = threading.Lock()
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}

    def token_for(self, tenant: str | None = None, *, force_refresh: bool = False) -> AccessToken:
        label = tenant or self.organization
        tenant_id = self.resolver.tenant_id(label)
        app = self._app(tenant_id, label)
        if force_refresh:
            _forget_access_tokens(app)
        try:
            result = app.acquire_token_for_client([self.scope])
        except Exception as exc:
            raise from_exception(exc, account=None, tenant=label, host=self._host) from None
        if "access_token" not in result:
            raise from_result(result, account=None, tenant=label, client_id=self.client_id, app_only=True)
        token = str(result["access_token"])
        register_secret(token)
        tid = str(unverified_claims(token).get("tid", "")).lower()
        if tid != tenant_id:
            _forget_access_tokens(app)
            raise SignInError(f"The sign-in service returned a token for another tenant ({tid or 'none'}) when "
                              f"the app {self.client_id} asked for {label} ({tenant_id}); exohop refused to use "
                              "it.", WRONG_TENANT, tenant=label)
        return AccessToken(token, tenant_id, time.time() + float(result.get("expires_in", 0)), None, self.client_id)

    def refresh_after_unauthorized(self, tenant: str | None = None) -> AccessToken:
        return self.token_for(tenant, force_refresh=True)

    def _app(self, tenant_id: str, label: str) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(tenant_id)
        if app is not None:
            return app
        kwargs: dict[str, Any] = {"instance_discovery": instance_discovery_for(self.authority_host)}
        try:
            app = msal.ConfidentialClientApplication(
                self.client_id, client_credential=self._credential.for_msal(),
                authority=f"{self.authority_host}/{tenant_id}", http_client=self.session,
                token_cache=msal.TokenCache(), **kwargs)
        except Exception as exc:
            raise from_exception(exc, account=None, tenant=label, host=self._host) from None
        with self._lock:
            return self._apps.setdefault(tenant_id, app)


def _forget_access_tokens(app: msal.ConfidentialClientApplication) -> None:
    """Drop the access tokens the app holds (in memory: one app per tenant, so all of them are that tenant's)."""
    for at in list(app.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
        app.token_cache.remove_at(at)
