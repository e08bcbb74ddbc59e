"""OAuth sign-in for Exchange Online with msal: a partner user's delegated (GDAP) tokens for customer
tenants, app-only tokens with a certificate, and the encrypted token cache. Blocking I/O, no UI.

    provider = TokenProvider(SignInSettings(upn="admin@partner.onmicrosoft.com",
                                            home_tenant="partner.onmicrosoft.com"))
    provider.sign_in_with_device_code(lambda prompt: print(prompt.message))
    token = provider.token_for("contoso.onmicrosoft.com")      # AccessToken; token.authorization
"""

from __future__ import annotations

from tui.remoting.auth.app_only import AppTokenProvider, CertificateCredential
from tui.remoting.auth.cache import PersistentTokenCache
from tui.remoting.auth.claims import AccessToken, unverified_claims
from tui.remoting.auth.clouds import CLOUDS, EXO_PUBLIC_CLIENT_ID, Cloud
from tui.remoting.auth.errors import SignInError
from tui.remoting.auth.http import PinnedSession
from tui.remoting.auth.provider import (
    DeviceCodePrompt,
    SignedInUser,
    SignInSettings,
    TokenProvider,
    TokenSource,
    logout,
)
from tui.remoting.auth.tenants import TenantResolver, is_tenant_id, resolve_tenant_id

__all__ = ["CLOUDS", "EXO_PUBLIC_CLIENT_ID", "AccessToken", "AppTokenProvider", "CertificateCredential", "Cloud",
           "DeviceCodePrompt", "PersistentTokenCache", "PinnedSession", "SignInError", "SignInSettings",
           "SignedInUser", "TenantResolver", "TokenProvider", "TokenSource", "is_tenant_id", "logout",
           "resolve_tenant_id", "unverified_claims"]
