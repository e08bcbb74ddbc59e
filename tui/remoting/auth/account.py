"""From a config.toml account to how it signs in and which wire it speaks.

    auth       "oauth" (a partner user, msal, GDAP) | "app" (an app with a certificate) | "basic" (a
               password, remote PowerShell). Not set: "basic", the seed's accounts' way.
    transport  "rest" (InvokeCommand) | "psrp" (WS-Management). Not set: "rest" for oauth/app, "psrp" for
               basic — Exchange Online answers OAuth on REST only; Basic exists only on a PSRP endpoint.
    cloud      worldwide | gcchigh | dod | china: its login host and Exchange's resource (research §2.1).
               Not set: the endpoint's cloud when the endpoint is a cloud name, else worldwide.
    authority  a login host of its own (the simulator's); overrides the cloud's.

The REST base is the endpoint's scheme and host (``https://outlook.office365.com/powershell-liveid`` →
``https://outlook.office365.com``): the same host serves both doors, the real one and the simulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tui.config import Account, ConfigError, resolve_endpoint
from tui.remoting.auth.clouds import CLOUDS, EXO_PUBLIC_CLIENT_ID, Cloud

if TYPE_CHECKING:
    from tui.remoting.auth.app_only import AppTokenProvider
    from tui.remoting.auth.cache import PersistentTokenCache
    from tui.remoting.auth.provider import SignInSettings, TokenProvider

OAUTH, APP, BASIC = "oauth", "app", "basic"
REST, PSRP = "rest", "psrp"


def auth_of(account: Account) -> str:
    return account.auth or BASIC


def transport_of(account: Account) -> str:
    if account.transport:
        return account.transport
    return REST if auth_of(account) in (OAUTH, APP) else PSRP


def cloud_of(account: Account) -> Cloud:
    name = account.cloud or (account.endpoint if account.endpoint in CLOUDS else "worldwide")
    cloud = CLOUDS.get(name)
    if cloud is None:
        raise ConfigError(f"account {account.upn}: cloud {name!r} is not known: use one of {', '.join(CLOUDS)}")
    return cloud


def authority_host_of(account: Account) -> str:
    return (account.authority or cloud_of(account).authority_host).rstrip("/")


def rest_base_of(account: Account) -> str:
    """``https://host[:port]``: where ``/adminapi/beta/{tenant}/InvokeCommand`` lives for this account."""
    parts = urlsplit(resolve_endpoint(account.endpoint))
    return f"{parts.scheme}://{parts.netloc}"


def home_tenant_of(account: Account) -> str:
    """The partner's tenant for the sign-in: set in config, else the UPN's domain."""
    return account.home_tenant or account.upn.partition("@")[2] or "organizations"


def settings_for(account: Account) -> SignInSettings:
    from tui.remoting.auth.provider import SignInSettings

    cloud = cloud_of(account)
    return SignInSettings(upn=account.upn, home_tenant=home_tenant_of(account),
                          client_id=account.client_id or EXO_PUBLIC_CLIENT_ID,
                          authority_host=authority_host_of(account), resource=cloud.resource,
                          ca_file=account.ca_file)


def user_provider_for(account: Account, *, cache: PersistentTokenCache | None = None) -> TokenProvider:
    """The partner user's token source (``auth = "oauth"``): sign-in and per-customer tokens."""
    from tui.remoting.auth.provider import TokenProvider

    return TokenProvider(settings_for(account), cache=cache)


def app_provider_for(account: Account, *, passphrase: str | None = None) -> AppTokenProvider:
    """The app's token source (``auth = "app"``): its certificate, read now (a passphrase if it has one)."""
    from pathlib import Path

    from tui.remoting.auth.app_only import AppTokenProvider, CertificateCredential

    if not account.app_id or not account.certificate or not account.organization:
        raise ConfigError(f"account {account.upn}: an app sign-in needs app_id, certificate and organization in "
                          "config.toml (`exohop login --app APP_ID --certificate FILE --organization ORG`)")
    credential = CertificateCredential.from_file(Path(account.certificate).expanduser(), passphrase)
    cloud = cloud_of(account)
    return AppTokenProvider(account.app_id, account.organization, credential,
                            authority_host=authority_host_of(account), resource=cloud.resource,
                            ca_file=account.ca_file)


def token_source_for(account: Account) -> TokenProvider | AppTokenProvider:
    """What an OAuth or app account connects with: its provider over the encrypted cache / its certificate
    (whose passphrase, if any, ``exohop login --app`` put in the OS keyring)."""
    if auth_of(account) == APP:
        from tui.accounts import get_certificate_passphrase
        from tui.logs import register_secret

        passphrase = get_certificate_passphrase(account.app_id or "")
        register_secret(passphrase)   # a keyring backend's debug output must not carry it into the log
        return app_provider_for(account, passphrase=passphrase)
    return user_provider_for(account)
