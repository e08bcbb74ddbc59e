"""OAuth sign-in for Exchange Online with msal: a partner user's delegated (GDAP) tokens for customer
tenants, app-only tokens with a certificate, and the encrypted token cache. Blocking I/O, no UI.

    provider = TokenProvider(SignInSettings(upn="admin@partner.onmicrosoft.com",
                                            home_tenant="partner.onmicrosoft.com"))
    provider.sign_in_with_device_code(lambda prompt: print(prompt.message))
    token = provider.token_for("contoso.onmicrosoft.com")      # AccessToken; token.authorization

The names below are imported on first use (PEP 562, as in ``tui.shell``): ``exohop run`` over PSRP
reads ``tui.remoting.auth.account`` (which sign-in an account uses) and must not pay for msal,
cryptography and the keyring to learn that it needs none of them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from tui.remoting.auth.tenants import TenantResolver, is_tenant_id

__all__ = ["CLOUDS", "EXO_PUBLIC_CLIENT_ID", "AccessToken", "AppTokenProvider", "CertificateCredential", "Cloud",
           "DeviceCodePrompt", "PersistentTokenCache", "PinnedSession", "SignInError", "SignInSettings",
           "SignedInUser", "TenantResolver", "TokenProvider", "TokenSource", "is_tenant_id", "logout",
           "unverified_claims"]

_HOME = {"AppTokenProvider": "app_only", "CertificateCredential": "app_only", "PersistentTokenCache": "cache",
         "AccessToken": "claims", "unverified_claims": "claims", "CLOUDS": "clouds",
         "EXO_PUBLIC_CLIENT_ID": "clouds", "Cloud": "clouds", "SignInError": "errors", "PinnedSession": "http",
         "DeviceCodePrompt": "provider", "SignedInUser": "provider", "SignInSettings": "provider",
         "TokenProvider": "provider", "TokenSource": "provider", "logout": "provider",
         "TenantResolver": "tenants", "is_tenant_id": "tenants"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
