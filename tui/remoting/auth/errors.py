"""Every sign-in failure as one ``SignInError``: which account, which tenant, what happened, what to do.

``from_result`` reads the error dict msal returns (``error``, ``error_description`` with the AADSTS code,
``error_codes``); ``from_exception`` maps what msal/requests raise. Messages are fixed text plus, for
unknown service errors, the first sentence of the service's description with anything token-like
removed; no Python class names, never a secret.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Mapping
from typing import Any

import requests

from tui.remoting.errors import SIGN_IN, RemotingError, exception_chain

# reasons
CONSENT = "consent"                      # the app is not consented in the tenant (65001, 700016)
REVOKED = "revoked"                      # the grant was revoked (50173)
SIGN_IN_AGAIN = "sign_in_again"          # refresh token expired / sign-in frequency (70043, 700082)
INTERACTION = "interaction_required"     # MFA or Conditional Access needs the browser (50076, 50079)
NO_ACCESS = "no_access"                  # no active GDAP relationship with an Exchange role (50020)
UNKNOWN_TENANT = "unknown_tenant"        # 90002
CANCELLED = "cancelled"                  # the user cancelled or declined
EXPIRED = "expired"                      # the device code expired before anyone entered it
UNREACHABLE = "unreachable"
TLS = "tls"
CLOCK_SKEW = "clock_skew"
WRONG_TENANT = "wrong_tenant"            # a token whose tid is not the tenant asked for
WRONG_USER = "wrong_user"                # someone else signed in in the browser
NOT_SIGNED_IN = "not_signed_in"
CERTIFICATE = "certificate"              # app-only: the certificate cannot be read or was refused
KEYRING = "keyring"                      # the token cache's key cannot be kept in the OS keyring
CACHE = "cache"                          # the token cache file cannot be locked, read or written
SERVICE = "service"                      # anything else the sign-in service said

EXCHANGE_ROLE = "Exchange Administrator"
JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")   # a compact JWT (header.payload.signature)
# Tokens are base64url (no "/"): a long path is a path, not a secret, and stays readable in messages.
_OPAQUE = re.compile(r"[A-Za-z0-9_\-.~+=]{60,}")
_AADSTS = re.compile(r"AADSTS(\d+)")


class SignInError(RemotingError):
    """``message`` names the account and the tenant and says what to do; ``reason`` is one of the above."""

    def __init__(self, message: str, reason: str, *, account: str | None = None, tenant: str | None = None,
                 code: int | None = None) -> None:
        super().__init__(redact(message), SIGN_IN, account=account, tenant=tenant)
        self.reason = reason
        self.code = code


def redact(text: str) -> str:
    """``text`` without anything that could be a token (JWTs, long opaque strings)."""
    return _OPAQUE.sub("[redacted]", JWT.sub("[redacted]", text))


def aadsts_code(result: Mapping[str, Any]) -> int | None:
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    m = _AADSTS.search(str(result.get("error_description") or ""))
    return int(m.group(1)) if m else None


def _service_text(result: Mapping[str, Any]) -> str:
    """The service's own words, first sentence only (no trace/correlation ids), token-like bits removed."""
    text = str(result.get("error_description") or result.get("error") or "no reason given")
    text = text.split(" Trace ID:", 1)[0].strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return redact(first)[:300]


def _login(account: str | None, extra: str = "") -> str:
    return f"exohop login {account or 'UPN'}{extra}"


def from_result(result: Mapping[str, Any], *, account: str | None, tenant: str | None,
                client_id: str | None = None, app_only: bool = False) -> SignInError:
    """Map an msal error dict for ``account`` (or an app) asking for a token for ``tenant``."""
    code = aadsts_code(result)
    error = str(result.get("error") or "")
    who = account or (f"the app {client_id}" if client_id else "the account")
    where = tenant or "its home tenant"
    said = _service_text(result)

    def make(message: str, reason: str) -> SignInError:
        return SignInError(message, reason, account=account, tenant=tenant, code=code)

    if code in (65001, 700016) or error == "unauthorized_client" or error == "consent_required":
        subject = f"the app {client_id}" if client_id else "exohop's sign-in app"
        return make(f"{where} has not consented to {subject}, so {who} cannot get a token there "
                    f"(AADSTS{code or 65001}). A Global Administrator of {where} must grant admin consent"
                    + (" and assign the app the Exchange Administrator role" if app_only else
                       "; for a customer, refresh the partner's consent (CPV) in Partner Center") + ".", CONSENT)
    if code == 50173:
        return make(f"The sign-in of {who} was revoked (AADSTS50173: a password change, or an administrator "
                    f"revoked its sessions or consent) while asking for {where}. Sign in again: "
                    f"`{_login(account)}`.", REVOKED)
    if code in (70043, 700082, 50078, 50133, 700084):
        return make(f"The sign-in of {who} has expired (AADSTS{code}: refresh token expired or the sign-in "
                    f"frequency policy of {where} reached). Sign in again: `{_login(account)}`.", SIGN_IN_AGAIN)
    if code in (50076, 50079, 50158, 53003) or error == "interaction_required":
        return make(f"{where} requires multi-factor authentication or a Conditional Access step for {who} "
                    f"(AADSTS{code or 50076}) that cannot happen silently. Sign in interactively: "
                    f"`{_login(account, ' --browser')}`.", INTERACTION)
    if code == 50020:
        return make(f"{who} cannot get a token for {where} (AADSTS50020): no active GDAP relationship grants it "
                    f"an Exchange role in that customer. Ask your partner administrator for a GDAP relationship "
                    f"with {where} that gives you the {EXCHANGE_ROLE} role (Partner Center › Customers › Admin "
                    f"relationships), or pick the account that manages this customer.", NO_ACCESS)
    if code == 90002 or error == "invalid_tenant":
        return make(f"The sign-in service does not know the tenant {where} (AADSTS90002) that {who} asked for. "
                    "Check the tenant's domain or id in tenants.toml.", UNKNOWN_TENANT)
    if code in (700024, 500133):
        return make(f"The sign-in of {who} to {where} was refused because this computer's clock is off "
                    f"(AADSTS{code}: token not within its valid time range). Synchronise the clock "
                    "(NTP, e.g. `timedatectl set-ntp true`) and try again.", CLOCK_SKEW)
    if code in (700027, 50027, 7000215, 700023) or error == "invalid_client":
        return make(f"The certificate of {who} was refused by the sign-in service of {where} "
                    f"(AADSTS{code}: {said}). Use the certificate whose public part is uploaded to the app "
                    "registration.", CERTIFICATE)
    if error in ("authorization_declined", "access_denied") or code == 70000:
        return make(f"The sign-in of {who} to {where} was declined in the browser. Run `{_login(account)}` "
                    "again to retry.", CANCELLED)
    if error in ("expired_token", "code_expired") or code == 70020:
        return make(f"The sign-in code for {who} to {where} expired before it was entered. Run "
                    f"`{_login(account)}` and enter the new code within the time shown.", EXPIRED)
    if error == "invalid_grant":
        return make(f"The sign-in of {who} is no longer valid for {where} (AADSTS{code}: {said}). Sign in "
                    f"again: `{_login(account)}`.", SIGN_IN_AGAIN)
    return make(f"The sign-in service refused a token for {who} in {where}: {said}. If it persists, sign in "
                f"again: `{_login(account)}`.", SERVICE)


def from_exception(exc: BaseException, *, account: str | None, tenant: str | None,
                   host: str | None = None) -> SignInError:
    """Map what msal or requests raised while signing ``account`` in to ``tenant``."""
    if isinstance(exc, SignInError):
        return exc
    who = account or "the account"
    where = tenant or "its home tenant"
    login_host = host or "the sign-in service"
    chain = exception_chain(exc)

    def make(message: str, reason: str, code: int | None = None) -> SignInError:
        return SignInError(message, reason, account=account, tenant=tenant, code=code)

    if any(isinstance(e, requests.exceptions.SSLError | ssl.SSLError) for e in chain):
        return make(f"Cannot verify the TLS certificate of {login_host} while signing {who} in to {where}. "
                    "Check the account's ca_file in config.toml, or the CA of a proxy that intercepts TLS.", TLS)
    if any(isinstance(e, requests.exceptions.ConnectionError | requests.exceptions.Timeout | socket.gaierror
                      | ConnectionError | TimeoutError) for e in chain):
        return make(f"Cannot reach {login_host} to sign {who} in to {where}. Check the network, a VPN, or the "
                    "proxy settings (HTTPS_PROXY / NO_PROXY).", UNREACHABLE)
    text = " ".join(str(e) for e in chain)
    if (m := _AADSTS.search(text)) is not None:
        # msal raises a bare ValueError for an unknown tenant; the service's answer is in __context__.
        return from_result({"error_description": text[m.start():], "error_codes": [int(m.group(1))]},
                           account=account, tenant=tenant)
    if "authority configuration" in text.lower():
        return make(f"{login_host} has no sign-in configuration for {where} (asked for {who}). Check the "
                    "tenant's domain or id, and the account's authority in config.toml.", UNKNOWN_TENANT)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    detail = f" (HTTP {status})" if status else ""
    return make(f"The sign-in service {login_host} failed{detail} while signing {who} in to {where}. Try again "
                "in a minute.", SERVICE)
