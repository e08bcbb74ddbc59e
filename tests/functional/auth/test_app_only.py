"""App-only tokens: msal's ConfidentialClientApplication with the simulator app's certificate (PEM or PFX),
its client assertion verified by the simulator; tenants without consent refused with the mapped message."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tui.remoting.auth import AppTokenProvider, CertificateCredential, SignInError, unverified_claims
from tui.remoting.auth import errors as reasons
from tui.sim import Simulator


def _provider(sim: Simulator, credential: CertificateCredential, organization: str = "contoso.onmicrosoft.com"
              ) -> AppTokenProvider:
    return AppTokenProvider(sim.app_client_id, organization, credential, authority_host=sim.authority,
                            ca_file=sim.ca_file)


def test_app_only_with_a_pem_certificate(sim: Simulator) -> None:
    assert sim.app_pem_file is not None
    provider = _provider(sim, CertificateCredential.from_file(Path(sim.app_pem_file)))
    token = provider.token_for()
    claims = unverified_claims(token.token)
    assert token.tenant_id == claims["tid"] == sim.tenant_ids["contoso.onmicrosoft.com"]
    assert claims["roles"] == ["Exchange.ManageAsApp"] and claims["appid"] == sim.app_client_id
    assert token.upn is None and token.token not in repr(token)
    assert sim.entra is not None and sim.entra.verify_access_token(token.token)["idtyp"] == "app"
    other = provider.token_for("fabrikam.onmicrosoft.com")
    assert other.tenant_id == sim.tenant_ids["fabrikam.onmicrosoft.com"]
    assert provider.refresh_after_unauthorized().token != token.token


def test_app_only_with_a_pfx_and_its_passphrase(sim: Simulator, tmp_path: Path) -> None:
    assert sim.app_key_file and sim.app_cert_file
    key = serialization.load_pem_private_key(Path(sim.app_key_file).read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(Path(sim.app_cert_file).read_bytes())
    pfx = tmp_path / "app.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"app", key, cert, None, serialization.BestAvailableEncryption(b"s3cret-passphrase")))  # type: ignore[arg-type]
    with pytest.raises(SignInError) as wrong:
        CertificateCredential.from_file(pfx, "not-it")
    assert wrong.value.reason == reasons.CERTIFICATE and "not-it" not in wrong.value.message
    provider = _provider(sim, CertificateCredential.from_file(pfx, "s3cret-passphrase"), "northwindtraders.onmicrosoft.com")
    assert provider.token_for().tenant_id == sim.tenant_ids["northwindtraders.onmicrosoft.com"]


def test_a_tenant_without_consent_and_a_foreign_certificate_are_refused(sim: Simulator, tmp_path: Path) -> None:
    assert sim.app_pem_file is not None
    provider = _provider(sim, CertificateCredential.from_file(Path(sim.app_pem_file)))
    with pytest.raises(SignInError) as caught:
        provider.token_for("tailspintoys.onmicrosoft.com")
    err = caught.value
    assert err.reason == reasons.CONSENT and err.code == 700016
    assert sim.app_client_id in err.message and "tailspintoys.onmicrosoft.com" in err.message
    assert "Exchange Administrator" in err.message

    # Another key claiming the app's certificate thumbprint: the assertion's signature is checked.
    from cryptography.hazmat.primitives.asymmetric import rsa

    real = CertificateCredential.from_file(Path(sim.app_pem_file))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    stranger = CertificateCredential(other_key, real.certificate_pem, real.thumbprint)
    with pytest.raises(SignInError) as refused:
        _provider(sim, stranger).token_for()
    assert refused.value.reason == reasons.CERTIFICATE and refused.value.code == 700027
