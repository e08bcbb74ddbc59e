"""Delegated sign-in for a partner user, and fresh tokens for each customer tenant it reaches.

One sign-in to the partner's home tenant (device code or the browser); every customer token then comes
silently from the same cache through one msal application per customer authority, because msal's
``acquire_token_silent`` ignores a per-call authority (research §2.3). Each ``token_for`` asks msal again:
a cached token is returned at once, one with under 300 s left is refreshed, so long runs never see an
expired token; ``refresh_after_unauthorized`` forces one refresh after a 401.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import msal
from msal.oauth2cli.oauth2 import BrowserInteractionTimeoutError

from tui.logs import register_secret
from tui.remoting.auth.cache import PersistentTokenCache
from tui.remoting.auth.claims import AccessToken, b64url_json_object, unverified_claims
from tui.remoting.auth.clouds import CLOUDS, EXO_PUBLIC_CLIENT_ID, MICROSOFT_LOGIN_HOSTS
from tui.remoting.auth.errors import (
    CANCELLED,
    EXPIRED,
    NOT_SIGNED_IN,
    WRONG_TENANT,
    WRONG_USER,
    SignInError,
    from_exception,
    from_result,
)
from tui.remoting.auth.http import DEFAULT_TIMEOUT_S, PinnedSession
from tui.remoting.auth.tenants import TenantResolver

_PENDING = ("authorization_pending", "slow_down")


class TokenSource(Protocol):
    """What a transport needs: a fresh token for a tenant (``force_refresh`` after a 401)."""

    def token_for(self, tenant: str, *, force_refresh: bool = False) -> AccessToken: ...


@dataclass(frozen=True, slots=True)
class SignInSettings:
    upn: str | None = None                    # the account expected to sign in (None: whoever does)
    home_tenant: str = "organizations"       # the partner's tenant: domain, id, or organizations
    client_id: str = EXO_PUBLIC_CLIENT_ID
    authority_host: str = CLOUDS["worldwide"].authority_host
    resource: str = CLOUDS["worldwide"].resource
    ca_file: str | None = None               # CA bundle for the login host (None: the system's)
    timeout: float = DEFAULT_TIMEOUT_S

    @property
    def scope(self) -> str:
        return f"{self.resource}/.default"


@dataclass(frozen=True, slots=True)
class DeviceCodePrompt:
    message: str                 # msal's "To sign in, use a web browser to open the page … enter the code …"
    user_code: str
    verification_uri: str
    expires_at: float


def clock(seconds: float) -> str:
    """``899.4`` → "14:59", ``3725`` → "1:02:05" (whole seconds, rounded down, never negative): how a sign-in
    shows its code's time left and how long it has waited."""
    s = max(0, int(seconds))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class SignedInUser:
    upn: str
    home_tenant_id: str
    object_id: str


def instance_discovery_for(authority_host: str) -> bool | None:
    """msal's own validation for Microsoft's login hosts; off for any other (it would call
    login.microsoftonline.com about a host that Microsoft does not know)."""
    host = (urlsplit(authority_host).hostname or "").lower()
    return None if host in MICROSOFT_LOGIN_HOSTS else False


class TokenProvider:
    """Thread-safe. ``cache`` defaults to the encrypted cache in the data folder."""

    def __init__(self, settings: SignInSettings, *, cache: PersistentTokenCache | None = None,
                 session: PinnedSession | None = None, resolver: TenantResolver | None = None) -> None:
        self.settings = settings
        self.store = cache or PersistentTokenCache()
        self.session = session or PinnedSession(settings.ca_file, settings.timeout)
        self.resolver = resolver or TenantResolver(settings.authority_host, self.session)
        self._host = urlsplit(settings.authority_host).netloc
        self._lock = threading.Lock()
        self._apps: dict[str, msal.PublicClientApplication] = {}
        self._tenant_locks: dict[str, threading.Lock] = {}

    @property
    def upn(self) -> str | None:
        return self.settings.upn

    # -- sign-in -------------------------------------------------------------------------------------------

    def sign_in_with_device_code(self, on_prompt: Callable[[DeviceCodePrompt], None], *,
                                 cancel: threading.Event | None = None) -> SignedInUser:
        """The device-code flow: ``on_prompt`` gets msal's message; blocks until the code is entered,
        expires, or ``cancel`` is set (checked every second)."""
        home = self.settings.home_tenant
        app = self._app(home)
        try:
            flow = app.initiate_device_flow(scopes=[self.settings.scope])
        except Exception as exc:
            raise self._mapped(exc, home) from None
        if "user_code" not in flow:
            raise from_result(flow, account=self.upn, tenant=home)
        register_secret(str(flow.get("device_code", "")))   # msal's debug log shows it while polling
        on_prompt(DeviceCodePrompt(str(flow.get("message", "")), str(flow["user_code"]),
                                   str(flow.get("verification_uri", "")), float(flow["expires_at"])))

        def done(f: dict[str, Any]) -> bool:
            return (cancel is not None and cancel.is_set()) or float(f.get("expires_at", 0)) < time.time()

        try:
            result = app.acquire_token_by_device_flow(flow, exit_condition=done)
        except Exception as exc:
            raise self._mapped(exc, home) from None
        if "access_token" not in result:
            who = self.upn or "the account"
            if cancel is not None and cancel.is_set():
                raise SignInError(f"The sign-in of {who} to {home} was cancelled.", CANCELLED, account=self.upn,
                                  tenant=home)
            if result.get("error") in _PENDING:
                raise SignInError(f"The sign-in code for {who} to {home} expired before it was entered. Sign in "
                                  "again and enter the new code within the time shown.", EXPIRED,
                                  account=self.upn, tenant=home)
            raise from_result(result, account=self.upn, tenant=home)
        return self._signed_in(app, result)

    def sign_in_interactive(self, *, timeout: float | None = None, port: int | None = None) -> SignedInUser:
        """The browser flow (msal's loopback ``http://localhost`` redirect, PKCE)."""
        home = self.settings.home_tenant
        app = self._app(home)
        try:
            result = app.acquire_token_interactive([self.settings.scope], login_hint=self.upn,
                                                   prompt="select_account", timeout=timeout, port=port)
        except BrowserInteractionTimeoutError:
            result = {"error": "timeout"}
        except Exception as exc:
            raise self._mapped(exc, home) from None
        if "access_token" not in result:
            if result.get("error") in ("timeout", "access_denied"):
                raise SignInError(f"The sign-in of {self.upn or 'the account'} to {home} in the browser did not "
                                  "complete (cancelled or timed out). Try again.", CANCELLED, account=self.upn,
                                  tenant=home)
            raise from_result(result, account=self.upn, tenant=home)
        return self._signed_in(app, result)

    def signed_in_user(self) -> SignedInUser | None:
        """The cached sign-in of this account (no network)."""
        self.store.sync()
        for account in self.store.cache.search(msal.TokenCache.CredentialType.ACCOUNT):
            if self._mine(account):
                home_id = str(account.get("home_account_id", ""))
                uid, _, utid = home_id.partition(".")
                return SignedInUser(str(account.get("username", "")), utid, uid)
        return None

    def logout(self) -> int:
        """Forget this account's sign-in (every tenant); the number of accounts removed."""
        if not self.upn:
            return 0
        with self._lock:
            self._apps.clear()
        return logout(self.store, self.upn)

    # -- tokens --------------------------------------------------------------------------------------------

    def tenant_id(self, tenant: str) -> str:
        return self.resolver.tenant_id(tenant, account=self.upn)

    def token_for(self, tenant: str, *, force_refresh: bool = False) -> AccessToken:
        """A token for ``tenant`` (domain or id) whose ``tid`` is that tenant, or ``SignInError``."""
        tenant_id = self.tenant_id(tenant)
        self.store.sync()
        app = self._app(tenant_id, label=tenant)
        account = self._account(app)
        if account is None:
            raise self._not_signed_in(tenant)
        with self._tenant_lock(tenant_id):
            try:
                result = app.acquire_token_silent_with_error([self.settings.scope], account=account,
                                                             force_refresh=force_refresh)
            except Exception as exc:
                raise self._mapped(exc, tenant) from None
            finally:
                self.store.sync()
        if result is None:
            raise self._not_signed_in(tenant)
        if "access_token" not in result:
            raise from_result(result, account=self.upn, tenant=tenant)
        return self._checked(result, tenant, tenant_id, account)

    def refresh_after_unauthorized(self, tenant: str) -> AccessToken:
        """What a transport calls once after a 401: a newly issued token (never the cached one)."""
        return self.token_for(tenant, force_refresh=True)

    # -- helpers -------------------------------------------------------------------------------------------

    def _checked(self, result: dict[str, Any], tenant: str, tenant_id: str, account: dict[str, Any]) -> AccessToken:
        token = str(result["access_token"])
        register_secret(token)
        claims = unverified_claims(token)
        tid = str(claims.get("tid", "")).lower()
        if tid != tenant_id:
            self._evict(token)
            raise SignInError(f"The sign-in service returned a token for another tenant ({tid or 'none'}) when "
                              f"{self.upn or 'the account'} asked for {tenant} ({tenant_id}); exohop refused to "
                              "use it. Sign in again; if it persists, check the tenant's id in tenants.toml.",
                              WRONG_TENANT, account=self.upn, tenant=tenant)
        expires_on = time.time() + float(result.get("expires_in", 0))
        upn = str(claims.get("upn") or claims.get("preferred_username") or account.get("username") or "")
        return AccessToken(token, tenant_id, expires_on, upn or None, self.settings.client_id)

    def _evict(self, token: str) -> None:
        cache = self.store.cache
        for at in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            if at.get("secret") == token:
                cache.remove_at(at)

    def _signed_in(self, app: msal.PublicClientApplication, result: dict[str, Any]) -> SignedInUser:
        claims = result.get("id_token_claims") or {}
        upn = str(claims.get("preferred_username") or unverified_claims(str(result["access_token"])).get("upn", ""))
        uid, utid = _client_info(result)
        if self.upn and upn.lower() != self.upn.lower():
            logout(self.store, upn)
            raise SignInError(f"{upn or 'Another account'} signed in, but this sign-in is for {self.upn}. Sign in "
                              f"again and pick {self.upn} in the browser.", WRONG_USER, account=self.upn,
                              tenant=self.settings.home_tenant)
        self.store.sync()
        return SignedInUser(upn, utid or str(claims.get("tid", "")), uid or str(claims.get("oid", "")))

    def _app(self, tenant: str, *, label: str | None = None) -> msal.PublicClientApplication:
        key = tenant.lower()
        with self._lock:
            app = self._apps.get(key)
        if app is not None:
            return app
        try:
            app = msal.PublicClientApplication(
                self.settings.client_id, authority=f"{self.settings.authority_host.rstrip('/')}/{tenant}",
                token_cache=self.store.cache, http_client=self.session,
                instance_discovery=instance_discovery_for(self.settings.authority_host))
        except Exception as exc:
            raise self._mapped(exc, label or tenant) from None
        with self._lock:
            return self._apps.setdefault(key, app)

    def _account(self, app: msal.PublicClientApplication) -> dict[str, Any] | None:
        accounts = app.get_accounts(username=self.upn) if self.upn else app.get_accounts()
        return accounts[0] if accounts else None

    def _mine(self, account: dict[str, Any]) -> bool:
        return not self.upn or str(account.get("username", "")).lower() == self.upn.lower()

    def _tenant_lock(self, tenant_id: str) -> threading.Lock:
        with self._lock:
            return self._tenant_locks.setdefault(tenant_id, threading.Lock())

    def _not_signed_in(self, tenant: str) -> SignInError:
        who = self.upn or "the account"
        return SignInError(f"{who} is not signed in (no usable sign-in is cached), so exohop cannot get a token "
                           f"for {tenant}. Sign in: `exohop login {self.upn or 'UPN'}`.", NOT_SIGNED_IN,
                           account=self.upn, tenant=tenant)

    def _mapped(self, exc: BaseException, tenant: str) -> SignInError:
        return from_exception(exc, account=self.upn, tenant=tenant, host=self._host)


def logout(store: PersistentTokenCache, upn: str) -> int:
    """Remove every cache entry of ``upn`` (refresh, access and id tokens, the account); no network."""
    store.sync()
    cache, kinds = store.cache, msal.TokenCache.CredentialType
    removed = 0
    for account in list(cache.search(kinds.ACCOUNT)):
        if str(account.get("username", "")).lower() != upn.lower():
            continue
        owner = {"home_account_id": account.get("home_account_id"), "environment": account.get("environment")}
        for rt in list(cache.search(kinds.REFRESH_TOKEN, query=owner)):
            cache.remove_rt(rt)
        for at in list(cache.search(kinds.ACCESS_TOKEN, query=owner)):
            cache.remove_at(at)
        for idt in list(cache.search(kinds.ID_TOKEN, query=owner)):
            cache.remove_idt(idt)
        cache.remove_account(account)
        removed += 1
    store.sync()
    return removed


def _client_info(result: dict[str, Any]) -> tuple[str, str]:
    info = b64url_json_object(str(result.get("client_info") or ""))
    return str(info.get("uid", "")), str(info.get("utid", ""))
