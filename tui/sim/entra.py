"""The simulator's Entra ID token service: device codes, authorization codes (PKCE), refresh tokens and
client-credential assertions in; RS256 JWT access tokens out, under the GDAP rules of ``directory``.

What msal needs of it (``client_info`` of the *home* tenant, ``.default`` in the granted ``scope``, the
error JSON shape with ``error_codes``) is in PROTOCOL.md, "Entra ID as msal 1.39 sees it". The
HTTP routing and the HTML pages are ``entra_web``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from tui.sim import jwt
from tui.sim.certs import rsa_key
from tui.sim.directory import EXCHANGE_ADMINISTRATOR, EXCHANGE_ROLES, DirApp, Directory, DirTenant, DirUser

RESOURCE = "https://outlook.office365.com"
DEFAULT_SCOPE = RESOURCE + "/.default"
# What a token of the EXO module's public client carries (§2.1 of the research notes lists the first).
DELEGATED_PERMISSIONS = ("AdminApi.AccessAsUser.All", "EWS.AccessAsUser.All", "Exchange.Manage")
APP_ROLES = ("Exchange.ManageAsApp",)
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HOME_REALMS = ("organizations", "common")
CLOCK_SKEW_S = 300
AUTH_CODE_LIFETIME_S = 600

# AADSTS code → (OAuth error, description). Codes and wording are the service's as seen in public issue
# threads and Microsoft's error-code reference; where the OAuth ``error`` string could not be confirmed for
# a code it is the one the same family uses (noted per line).
AADSTS: dict[int, tuple[str, str]] = {
    50020: ("invalid_grant",     # family guess; the code and text are the service's
            "User account '{upn}' from identity provider 'https://sts.windows.net/{home}/' does not exist in "
            "tenant '{tenant_name}' and cannot access the application '{client_id}'({app_name}) in that "
            "tenant. The account needs to be added as an external user in the tenant first. Sign out and "
            "sign in again with a different Azure Active Directory user account."),
    65001: ("invalid_grant",
            "The user or administrator has not consented to use the application with ID '{client_id}' named "
            "'{app_name}'. Send an interactive authorization request for this user and resource."),
    50173: ("invalid_grant",
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user "
            "might have changed or reset their password."),
    70043: ("invalid_grant",
            "The refresh token has expired or is invalid due to sign-in frequency checks by conditional "
            "access."),
    700082: ("invalid_grant",
             "The refresh token has expired due to inactivity. The token was issued on {issued} and was "
             "inactive for 90.00:00:00."),
    50076: ("interaction_required",
            "Due to a configuration change made by your administrator, or because you moved to a new location, "
            "you must use multi-factor authentication to access '{resource_id}'."),
    50079: ("interaction_required",
            "Due to a configuration change made by your administrator, or because you moved to a new location, "
            "you must enroll in multi-factor authentication to access '{resource_id}'."),
    700016: ("unauthorized_client",
             "Application with identifier '{client_id}' was not found in the directory '{tenant_name}'. This can "
             "happen if the application has not been installed by the administrator of the tenant or consented "
             "to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
    90002: ("invalid_tenant",
            "Tenant '{tenant_ref}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud. Check with your subscription administrator, this may happen if there are "
            "no active subscriptions for the tenant."),
    50059: ("invalid_request",
            "No tenant-identifying information found in either the request or implied by any provided "
            "credentials."),
    70016: ("authorization_pending", "OAuth 2.0 device flow error. Authorization is pending. Continue polling."),
    70020: ("expired_token", "The provided value for the input parameter 'device_code' is not valid. This "
                             "device code has expired."),
    # Microsoft documents ``authorization_declined`` for a refused device code; the number is a guess.
    70000: ("authorization_declined", "The user declined to authorize the sign-in on the device."),
    9002313: ("invalid_grant", "Invalid request. Request is malformed or invalid: the {what} is not valid."),
    700024: ("invalid_client", "Client assertion is not within its valid time range. Current time: {now}, "
                               "assertion valid from {nbf}, expiry time of assertion {exp}."),
    700027: ("invalid_client", "Client assertion failed signature validation. {why}"),
    50027: ("invalid_client", "JWT token is invalid or malformed: {why}"),
    900144: ("invalid_request", "The request body must contain the following parameter: '{param}'."),
    70003: ("unsupported_grant_type", "The app requested an unsupported grant type '{grant}'."),
    500011: ("invalid_resource", "The resource principal named {resource_id} was not found in the tenant "
                                 "named {tenant_name}."),
    50148: ("invalid_grant", "The code_verifier does not match the code_challenge supplied in the "
                             "authorization request for PKCE."),
    500112: ("invalid_request", "The reply address '{redirect}' does not match the reply address "
                                "'http://localhost' provided when requesting the authorization code."),
}


class OAuthError(Exception):
    """An error the token service answers with (400 unless ``status`` says otherwise)."""

    def __init__(self, code: int, status: int = 400, **fields: Any) -> None:
        error, template = AADSTS[code]
        self.code = code
        self.error = error
        self.status = status
        self.description = f"AADSTS{code}: " + template.format_map(_Blank(fields))
        super().__init__(self.description)

    def body(self) -> dict[str, Any]:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        return {"error": self.error,
                "error_description": f"{self.description} Trace ID: {trace} Correlation ID: {correlation} "
                                     f"Timestamp: {now}",
                "error_codes": [self.code], "timestamp": now, "trace_id": trace, "correlation_id": correlation,
                "error_uri": f"https://login.microsoftonline.com/error?code={self.code}"}


class LoginRefused(Exception):
    """The /devicelogin or /authorize form refused the sign-in; ``str()`` is the text for the page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(slots=True)
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    tenant_ref: str
    scope: str
    expires_at: float
    status: str = "pending"            # pending | approved | declined
    upn: str | None = None


@dataclass(slots=True)
class AuthCode:
    client_id: str
    tenant_ref: str
    scope: str
    redirect_uri: str
    challenge: str
    upn: str
    expires_at: float
    nonce: str | None = None           # echoed in the id_token: msal checks it


@dataclass(slots=True)
class RefreshGrant:
    upn: str
    client_id: str
    issued: float


@dataclass(slots=True)
class _Injected:
    code: int
    tenant_id: str | None
    times: int


@dataclass
class EntraStats:
    token_requests: Counter[str] = field(default_factory=Counter)   # per grant type
    token_errors: Counter[str] = field(default_factory=Counter)     # per AADSTS code
    tokens_issued: int = 0
    device_codes_issued: int = 0
    device_codes_approved: int = 0
    discovery_requests: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {"token_requests": dict(self.token_requests), "token_errors": dict(self.token_errors),
                "tokens_issued": self.tokens_issued, "device_codes_issued": self.device_codes_issued,
                "device_codes_approved": self.device_codes_approved,
                "discovery_requests": self.discovery_requests}


class TokenService:
    """Thread-safe. ``token_lifetime`` is the access tokens' lifetime in seconds."""

    def __init__(self, directory: Directory, *, token_lifetime: int = 3600, device_code_lifetime: int = 900,
                 device_poll_interval: int = 1) -> None:
        self.directory = directory
        self.token_lifetime = token_lifetime
        self.device_code_lifetime = device_code_lifetime
        self.device_poll_interval = device_poll_interval
        self.auto_approve_upn: str | None = None      # the demo's user: its device codes approve themselves
        self.stats = EntraStats()
        self._key = rsa_key("token-signing")
        self.kid = jwt.b64url(secrets.token_bytes(16))
        self._lock = threading.Lock()
        self._device: dict[str, DeviceCode] = {}
        self._codes: dict[str, AuthCode] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._revoked_upns: set[str] = set()
        self._injected: list[_Injected] = []
        self._wrong_tid = 0

    # -- discovery ---------------------------------------------------------------------------------------

    def openid_configuration(self, base_url: str, tenant_ref: str) -> dict[str, Any]:
        with self._lock:
            self.stats.discovery_requests += 1
        if tenant_ref.lower() in HOME_REALMS:
            segment, issuer_tid = tenant_ref.lower(), "{tenantid}"
        else:
            tenant = self._tenant(tenant_ref)
            segment = issuer_tid = tenant.tenant_id
        root = f"{base_url}/{segment}"
        return {
            "issuer": f"{base_url}/{issuer_tid}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid",
                                 "preferred_username"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [jwt.public_jwk(self._key.public_key(), self.kid)]}

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """The claims of a token this service issued that is still valid for Exchange (else ``JWTError``)."""
        header, claims = jwt.verify(token, self._key.public_key())
        if header.get("kid") != self.kid:
            raise jwt.JWTError("unknown signing key")
        if claims.get("aud") not in (RESOURCE, RESOURCE + "/"):
            raise jwt.JWTError(f"wrong audience {claims.get('aud')!r}")
        if float(claims.get("exp", 0)) <= time.time():
            raise jwt.JWTError("the token has expired")
        return claims

    # -- device flow -------------------------------------------------------------------------------------

    def start_device_flow(self, base_url: str, tenant_ref: str, form: dict[str, str]) -> dict[str, Any]:
        client_id = _required(form, "client_id")
        scope = form.get("scope", "")
        if tenant_ref.lower() not in HOME_REALMS:
            self._tenant(tenant_ref)
        self._public_client(client_id, tenant_ref)
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        entry = DeviceCode(secrets.token_urlsafe(48), user_code, client_id, tenant_ref, scope,
                           time.time() + self.device_code_lifetime)
        with self._lock:
            self._device[entry.device_code] = entry
            self.stats.device_codes_issued += 1
            auto = self.auto_approve_upn
        if auto:
            self.approve_device_code(user_code, auto)
        uri = f"{base_url}/devicelogin"
        return {"user_code": user_code, "device_code": entry.device_code, "verification_uri": uri,
                "expires_in": self.device_code_lifetime, "interval": self.device_poll_interval,
                "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
                           f"{user_code} to authenticate."}

    def approve_device_code(self, user_code: str, upn: str, password: str | None = None) -> DirUser:
        """Approve a pending code as ``upn`` would in the browser (checking ``password`` when given)."""
        user = self._signed_in(upn, password)
        with self._lock:
            entry = next((d for d in self._device.values() if d.user_code == user_code.strip().upper()), None)
            if entry is None or entry.status != "pending" or entry.expires_at <= time.time():
                raise LoginRefused("The code you entered has expired or is not valid. Get a new code from the "
                                   "device you're trying to sign in to and try again.")
            entry.status, entry.upn = "approved", user.upn
            self.stats.device_codes_approved += 1
        return user

    def decline_device_code(self, user_code: str) -> None:
        with self._lock:
            for d in self._device.values():
                if d.user_code == user_code.strip().upper() and d.status == "pending":
                    d.status = "declined"

    # -- authorization code + PKCE (msal's interactive loopback flow) -----------------------------------

    def check_authorize(self, tenant_ref: str, query: dict[str, str]) -> None:
        """Refuse an /authorize request a real service would refuse before showing its sign-in page."""
        if tenant_ref.lower() not in HOME_REALMS:
            self._tenant(tenant_ref)
        client_id = _required(query, "client_id")
        self._public_client(client_id, tenant_ref)
        redirect = _required(query, "redirect_uri")
        if not redirect.startswith(("http://localhost", "http://127.0.0.1")):
            raise OAuthError(500112, redirect=redirect)
        if query.get("code_challenge_method", "S256") != "S256" or not query.get("code_challenge"):
            raise OAuthError(9002313, what="code_challenge")

    def authorize(self, tenant_ref: str, query: dict[str, str], upn: str, password: str) -> str:
        """A one-time code once the user's credentials check out."""
        self.check_authorize(tenant_ref, query)
        user = self._signed_in(upn, password)
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = AuthCode(query["client_id"], tenant_ref, query.get("scope", ""),
                                         query["redirect_uri"], query["code_challenge"], user.upn,
                                         time.time() + AUTH_CODE_LIFETIME_S, query.get("nonce"))
        return code

    def client_info_for(self, upn: str) -> str:
        user = self.directory.user(upn)
        if user is None:
            raise KeyError(upn)
        return _client_info(user)

    # -- the token endpoint ------------------------------------------------------------------------------

    def token(self, base_url: str, tenant_ref: str, form: dict[str, str], request_url: str) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        with self._lock:
            self.stats.token_requests[grant or "(none)"] += 1
        try:
            if not grant:
                raise OAuthError(900144, param="grant_type")
            if grant == DEVICE_CODE_GRANT:
                result = self._device_code_grant(base_url, tenant_ref, form)
            elif grant == "refresh_token":
                result = self._refresh_grant(base_url, tenant_ref, form)
            elif grant == "authorization_code":
                result = self._code_grant(base_url, tenant_ref, form)
            elif grant == "client_credentials":
                result = self._client_credentials(base_url, tenant_ref, form, request_url)
            else:
                raise OAuthError(70003, grant=grant)
        except OAuthError as exc:
            with self._lock:
                self.stats.token_errors[str(exc.code)] += 1
            raise
        with self._lock:
            self.stats.tokens_issued += 1
        return result

    def _device_code_grant(self, base_url: str, tenant_ref: str, form: dict[str, str]) -> dict[str, Any]:
        code = _required(form, "device_code")
        with self._lock:
            entry = self._device.get(code)
            if entry is None or entry.client_id != form.get("client_id"):
                raise OAuthError(9002313, what="device_code")
            if entry.status == "declined":
                del self._device[code]
                raise OAuthError(70000)
            if entry.expires_at <= time.time():
                del self._device[code]
                raise OAuthError(70020)
            if entry.status == "pending":
                raise OAuthError(70016)
            del self._device[code]             # a device code is good for one token response
        user = self._user(entry.upn or "")
        return self._user_tokens(base_url, tenant_ref, user, entry.client_id, entry.scope)

    def _code_grant(self, base_url: str, tenant_ref: str, form: dict[str, str]) -> dict[str, Any]:
        code = _required(form, "code")
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry.expires_at <= time.time() or entry.client_id != form.get("client_id"):
            raise OAuthError(9002313, what="authorization code")
        if form.get("redirect_uri") != entry.redirect_uri:
            raise OAuthError(500112, redirect=form.get("redirect_uri", ""))
        verifier = _required(form, "code_verifier")
        if not hmac.compare_digest(jwt.b64url(hashlib.sha256(verifier.encode("ascii")).digest()), entry.challenge):
            raise OAuthError(50148)
        return self._user_tokens(base_url, tenant_ref, self._user(entry.upn), entry.client_id,
                                 form.get("scope") or entry.scope, nonce=entry.nonce)

    def _refresh_grant(self, base_url: str, tenant_ref: str, form: dict[str, str]) -> dict[str, Any]:
        token = _required(form, "refresh_token")
        with self._lock:
            grant = self._refresh.get(token)
            revoked = grant is not None and grant.upn.lower() in self._revoked_upns
        if grant is None or grant.client_id != form.get("client_id"):
            raise OAuthError(9002313, what="refresh token")
        if revoked:
            raise OAuthError(50173)
        return self._user_tokens(base_url, tenant_ref, self._user(grant.upn), grant.client_id,
                                 form.get("scope", ""))

    def _client_credentials(self, base_url: str, tenant_ref: str, form: dict[str, str],
                            request_url: str) -> dict[str, Any]:
        client_id = _required(form, "client_id")
        if tenant_ref.lower() in HOME_REALMS:
            raise OAuthError(50059)
        tenant = self._tenant(tenant_ref)
        app = self.directory.app(client_id)
        if app is None or app.public_client or app.certificate_pem is None:
            raise OAuthError(700016, 400, client_id=client_id, tenant_name=tenant.name)
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError(900144, param="client_assertion")
        self._check_assertion(app, _required(form, "client_assertion"), request_url)
        if tenant.tenant_id not in app.consented:
            raise OAuthError(700016, client_id=client_id, tenant_name=tenant.name)
        self._take_injected(tenant.tenant_id, client_id=client_id, app_name=app.name, tenant_name=tenant.name)
        _resource(form.get("scope", ""), tenant)
        now = int(time.time())
        sp_id = str(uuid.uuid5(uuid.UUID(tenant.tenant_id), "sp:" + app.client_id))
        claims = {"aud": RESOURCE, "iss": f"{base_url}/{tenant.tenant_id}/v2.0", "iat": now, "nbf": now,
                  "exp": now + self.token_lifetime, "tid": tenant.tenant_id, "oid": sp_id, "sub": sp_id,
                  "appid": app.client_id, "azp": app.client_id, "app_displayname": app.name, "idtyp": "app",
                  "roles": list(APP_ROLES), "wids": [EXCHANGE_ADMINISTRATOR],
                  "ver": "2.0", "uti": secrets.token_urlsafe(16)}
        return {"token_type": "Bearer", "expires_in": self.token_lifetime, "ext_expires_in": self.token_lifetime,
                "access_token": jwt.encode_rs256(claims, self._key, self.kid)}

    def _check_assertion(self, app: DirApp, assertion: str, request_url: str) -> None:
        assert app.certificate_pem is not None
        cert = x509.load_pem_x509_certificate(app.certificate_pem)
        try:
            header, _claims, _, _ = jwt.split(assertion)
        except jwt.JWTError as exc:
            raise OAuthError(50027, why=str(exc)) from None
        sha1 = jwt.b64url(cert.fingerprint(hashes.SHA1()))     # x5t is SHA-1 by definition
        sha256 = jwt.b64url(cert.fingerprint(hashes.SHA256()))
        if str(header.get("x5t", "")).rstrip("=") != sha1 and str(header.get("x5t#S256", "")).rstrip("=") != sha256:
            raise OAuthError(700027, why=f"Key was not found for the thumbprint in the assertion of app "
                                         f"'{app.client_id}'.")
        public = cert.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise OAuthError(700027, why="The app's certificate does not hold an RSA key.")
        try:
            _, claims = jwt.verify(assertion, public)
        except jwt.JWTError as exc:
            raise OAuthError(700027, why=f"The signature {exc}.") from None
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            raise OAuthError(50027, why="iss and sub must both be the client id")
        if claims.get("aud") != request_url:
            raise OAuthError(50027, why=f"the audience must be the token endpoint {request_url}")
        now = time.time()
        nbf, exp = float(claims.get("nbf", claims.get("iat", 0))), float(claims.get("exp", 0))
        if exp < now - CLOCK_SKEW_S or nbf > now + CLOCK_SKEW_S:
            raise OAuthError(700024, now=_when(now), nbf=_when(nbf), exp=_when(exp))

    # -- minting -------------------------------------------------------------------------------------------

    def _user_tokens(self, base_url: str, tenant_ref: str, user: DirUser, client_id: str,
                     scope: str, nonce: str | None = None) -> dict[str, Any]:
        if tenant_ref.lower() in HOME_REALMS:
            tenant = self.directory.tenants[user.home_tenant_id]
        else:
            tenant = self._tenant(tenant_ref)
        app = self._public_client(client_id, tenant_ref)
        roles = self.directory.roles_of(user.upn, tenant.tenant_id)
        if tenant.tenant_id != user.home_tenant_id and (not roles or not roles & EXCHANGE_ROLES):
            # A partner user reaches a customer only through GDAP. Without an active relationship the user is
            # unknown in the customer directory, and the service answers as for any foreign user: AADSTS50020
            # (inferred from the service's wording; Microsoft documents no GDAP-specific code). With a
            # relationship that grants no Exchange role the real service would still issue a token (Exchange
            # then refuses); the simulator refuses here instead, with the same code, so one message covers both.
            raise OAuthError(50020, upn=user.upn, home=user.home_tenant_id, tenant_name=tenant.name,
                             client_id=client_id, app_name=app.name)
        self._take_injected(tenant.tenant_id, client_id=client_id, app_name=app.name, tenant_name=tenant.name,
                            resource_id=RESOURCE, issued=_when(time.time() - 90 * 86400))
        resource = _resource(scope, tenant)
        with self._lock:
            wrong = self._wrong_tid > 0
            if wrong:
                self._wrong_tid -= 1
        tid = user.home_tenant_id if wrong else tenant.tenant_id
        now = int(time.time())
        claims = {"aud": resource, "iss": f"{base_url}/{tid}/v2.0", "iat": now, "nbf": now,
                  "exp": now + self.token_lifetime, "tid": tid, "oid": user.object_id, "sub": user.object_id,
                  "upn": user.upn, "unique_name": user.upn, "name": user.display_name, "appid": client_id,
                  "azp": client_id, "scp": " ".join(DELEGATED_PERMISSIONS), "wids": sorted(roles or ()),
                  "idtyp": "user", "ver": "2.0", "uti": secrets.token_urlsafe(16)}
        if tid != user.home_tenant_id:
            claims["idp"] = f"https://sts.windows.net/{user.home_tenant_id}/"
        id_claims = {"aud": client_id, "iss": f"{base_url}/{tid}/v2.0", "iat": now, "nbf": now,
                     "exp": now + 3600, "name": user.display_name, "oid": user.object_id,
                     "preferred_username": user.upn, "sub": _pairwise(user, client_id), "tid": tid, "ver": "2.0"}
        if nonce:
            id_claims["nonce"] = nonce
        refresh = "0.A" + secrets.token_urlsafe(64)
        with self._lock:
            self._refresh[refresh] = RefreshGrant(user.upn, client_id, time.time())
        granted = " ".join([f"{resource}/{p}" for p in DELEGATED_PERMISSIONS] + [f"{resource}/.default"])
        return {"token_type": "Bearer", "scope": granted, "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime, "access_token": jwt.encode_rs256(claims, self._key, self.kid),
                "refresh_token": refresh, "id_token": jwt.encode_rs256(id_claims, self._key, self.kid),
                "client_info": _client_info(user)}

    # -- faults (tests and demos) --------------------------------------------------------------------------

    def inject_error(self, code: int, tenant_ref: str | None = None, times: int = 1) -> None:
        """The next ``times`` token requests that would succeed for ``tenant_ref`` (any tenant if None)
        fail with AADSTS``code`` instead (one of ``AADSTS``'s codes)."""
        if code not in AADSTS:
            raise KeyError(code)
        tenant_id = self._tenant(tenant_ref).tenant_id if tenant_ref else None
        with self._lock:
            self._injected.append(_Injected(code, tenant_id, times))

    def issue_wrong_tenant(self, times: int = 1) -> None:
        """The next ``times`` user tokens carry the user's home tenant as ``tid``, whatever was asked."""
        with self._lock:
            self._wrong_tid += times

    def revoke_sessions(self, upn: str) -> None:
        """As "Revoke sessions" in Entra: every refresh token of ``upn`` now fails with AADSTS50173."""
        with self._lock:
            self._revoked_upns.add(upn.lower())

    def _take_injected(self, tenant_id: str, **fields: Any) -> None:
        with self._lock:
            hit = next((i for i in self._injected if i.tenant_id in (None, tenant_id)), None)
            if hit is None:
                return
            hit.times -= 1
            if hit.times <= 0:
                self._injected.remove(hit)
        raise OAuthError(hit.code, **fields)

    # -- helpers -------------------------------------------------------------------------------------------

    def _tenant(self, ref: str) -> DirTenant:
        tenant = self.directory.tenant(ref)
        if tenant is None:
            raise OAuthError(90002, tenant_ref=ref)
        return tenant

    def _public_client(self, client_id: str, tenant_ref: str) -> DirApp:
        app = self.directory.app(client_id)
        if app is None or not app.public_client:
            tenant = self.directory.tenant(tenant_ref)
            raise OAuthError(700016, client_id=client_id, tenant_name=tenant.name if tenant else tenant_ref)
        return app

    def _signed_in(self, upn: str, password: str | None) -> DirUser:
        """The user a sign-in form names, once its password checks out (None: not checked)."""
        user = self.directory.user(upn)
        if user is None or (password is not None and not hmac.compare_digest(password.encode(),
                                                                             user.password.encode())):
            raise LoginRefused("Your account or password is incorrect. If you don't remember your password, "
                               "reset it now.", status=401)
        return user

    def _user(self, upn: str) -> DirUser:
        user = self.directory.user(upn)
        if user is None:
            raise OAuthError(9002313, what="user")
        return user


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError(900144, param=name)
    return value


def _resource(scope: str, tenant: DirTenant) -> str:
    """The resource a scope list asks for: Exchange Online's (the only one served), or refused."""
    for s in scope.split():
        if s.lower() in OIDC_SCOPES:
            continue
        resource = s.rsplit("/", 1)[0] if "/" in s else s
        if resource.rstrip("/").lower() != RESOURCE:
            raise OAuthError(500011, resource_id=resource, tenant_name=tenant.name)
    return RESOURCE


def _client_info(user: DirUser) -> str:
    # Always the HOME tenant: with the resource tenant here every silent call misses msal's cache.
    raw = json.dumps({"uid": user.object_id, "utid": user.home_tenant_id}).encode()
    return jwt.b64url(raw)


def _pairwise(user: DirUser, client_id: str) -> str:
    return jwt.b64url(hashlib.sha256(f"{user.object_id}:{client_id}".encode()).digest()[:32])


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%m/%d/%Y %H:%M:%S")
