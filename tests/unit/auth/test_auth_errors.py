"""The sign-in error mapping: each AADSTS family gets its reason and a message that names the account and
the tenant, says what to do, and carries no class names or token-like text."""

from __future__ import annotations

import socket

import pytest
import requests

from tui.remoting.auth import errors as e
from tui.remoting.auth.errors import SignInError, aadsts_code, from_exception, from_result, redact
from tui.remoting.errors import SIGN_IN, RemotingError

UPN = "admin@fabrikampartner.onmicrosoft.com"
TENANT = "contoso.onmicrosoft.com"
JWT = "eyJ0eXAiOiJKV1QifQ.eyJ0aWQiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"


def _service(code: int, error: str = "invalid_grant", text: str = "Something happened.") -> dict[str, object]:
    return {"error": error, "error_codes": [code],
            "error_description": f"AADSTS{code}: {text} Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01"}


@pytest.mark.parametrize(("code", "error", "reason", "hint"), [
    (65001, "invalid_grant", e.CONSENT, "consent"),
    (700016, "unauthorized_client", e.CONSENT, "consent"),
    (50173, "invalid_grant", e.REVOKED, f"exohop login {UPN}"),
    (70043, "invalid_grant", e.SIGN_IN_AGAIN, f"exohop login {UPN}"),
    (700082, "invalid_grant", e.SIGN_IN_AGAIN, "Sign in again"),
    (50076, "interaction_required", e.INTERACTION, "--browser"),
    (50079, "interaction_required", e.INTERACTION, "interactively"),
    (50020, "invalid_grant", e.NO_ACCESS, "Exchange Administrator"),
    (90002, "invalid_tenant", e.UNKNOWN_TENANT, "tenants.toml"),
    (700024, "invalid_client", e.CLOCK_SKEW, "clock"),
    (500133, "invalid_grant", e.CLOCK_SKEW, "clock"),
    (700027, "invalid_client", e.CERTIFICATE, "certificate"),
    (70000, "authorization_declined", e.CANCELLED, "declined"),
    (70020, "expired_token", e.EXPIRED, "expired"),
    (12345, "temporarily_unavailable", e.SERVICE, "refused"),
])
def test_each_service_error_maps_to_its_reason_and_advice(code: int, error: str, reason: str, hint: str) -> None:
    err = from_result(_service(code, error), account=UPN, tenant=TENANT)
    assert isinstance(err, RemotingError) and err.kind == SIGN_IN
    assert (err.reason, err.code, err.account, err.tenant) == (reason, code, UPN, TENANT)
    assert UPN in err.message and TENANT in err.message and hint in err.message
    assert "Trace ID" not in err.message
    for name in ("SignInError", "ValueError", "MsalServiceError", "Exception"):
        assert name not in err.message
    assert str(err) == err.message


def test_the_code_is_read_from_the_description_when_error_codes_are_missing() -> None:
    assert aadsts_code({"error_description": "AADSTS70043: The refresh token has expired"}) == 70043
    assert aadsts_code({"error": "invalid_grant"}) is None


def test_nothing_token_like_survives_into_a_message() -> None:
    result = _service(99999, "server_error", f"Bad token {JWT} and refresh 0.A{'x' * 80}.")
    err = from_result(result, account=UPN, tenant=TENANT)
    assert JWT not in err.message and "x" * 60 not in err.message
    assert redact(f"a {JWT} b") == "a [redacted] b"
    direct = SignInError(f"carrying {JWT}", e.SERVICE)
    assert JWT not in direct.message


def test_app_only_consent_names_the_app_and_the_role() -> None:
    err = from_result(_service(700016, "unauthorized_client"), account=None, tenant=TENANT,
                      client_id="1234", app_only=True)
    assert "the app 1234" in err.message and "Exchange Administrator" in err.message


def test_transport_failures() -> None:
    tls = requests.exceptions.SSLError("certificate verify failed")
    err = from_exception(tls, account=UPN, tenant=TENANT, host="login.example")
    assert err.reason == e.TLS and "login.example" in err.message and "ca_file" in err.message
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as inner:
            raise requests.exceptions.ConnectionError("boom") from inner
    except requests.exceptions.ConnectionError as exc:
        down = from_exception(exc, account=UPN, tenant=TENANT, host="login.example")
    assert down.reason == e.UNREACHABLE and "HTTPS_PROXY" in down.message and UPN in down.message


def test_msal_s_bare_value_error_for_an_unknown_tenant() -> None:
    try:
        try:
            raise requests.HTTPError("400: AADSTS90002: Tenant 'nope' not found.")
        except requests.HTTPError:
            raise ValueError("Unable to get authority configuration for https://x/nope.") from None
    except ValueError as exc:
        err = from_exception(exc, account=UPN, tenant="nope")
    # ``from None`` hides __cause__ but keeps __context__, where msal leaves the service's text.
    assert err.reason == e.UNKNOWN_TENANT and "nope" in err.message
