"""A throwaway certificate authority and a server certificate for the simulator's TLS listener.

Generated at every start (EC P-256: milliseconds, not the seconds RSA keygen takes) into a private
directory that lives as long as the simulator; clients trust the CA through ``ca_file``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tui.files import atomic_write_text


@dataclass(frozen=True, slots=True)
class CertFiles:
    ca_file: Path       # PEM of the CA certificate (what clients verify with)
    cert_file: Path     # PEM of the server certificate
    key_file: Path      # PEM of the server key (mode 0600)


def generate(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> CertFiles:
    """Write a fresh CA and a server certificate valid for ``hosts`` into ``directory``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "exohop simulator"),
        x509.NameAttribute(NameOID.COMMON_NAME, "exohop simulator CA"),
    ])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys((*hosts, "127.0.0.1", "localhost")):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    files = CertFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    atomic_write_text(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    atomic_write_text(files.cert_file, cert.public_bytes(serialization.Encoding.PEM).decode())
    atomic_write_text(
        files.key_file,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode(),
        mode=0o600,
    )
    os.chmod(directory, 0o700)
    return files


@dataclass(frozen=True, slots=True)
class AppCredentialFiles:
    key_file: Path          # PEM of the app's private key (mode 0600)
    cert_file: Path         # PEM of its self-signed certificate (what the directory holds)
    pem_file: Path          # key + certificate in one PEM, as `--certificate FILE.pem` takes it (0600)
    certificate_pem: bytes


def generate_app_credential(directory: Path, name: str = "exohop automation") -> AppCredentialFiles:
    """An RSA key and self-signed certificate for the simulator's registered app (msal signs its client
    assertion with RS256/PS256, which needs RSA)."""
    now = dt.datetime.now(dt.UTC)
    key = rsa_key("app")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    files = AppCredentialFiles(directory / "app-key.pem", directory / "app-cert.pem", directory / "app.pem",
                               cert_pem)
    atomic_write_text(files.key_file, key_pem.decode(), mode=0o600)
    atomic_write_text(files.cert_file, cert_pem.decode())
    atomic_write_text(files.pem_file, (key_pem + cert_pem).decode(), mode=0o600)
    return files


_rsa_keys: dict[str, rsa.RSAPrivateKey] = {}
_rsa_lock = threading.Lock()


def rsa_key(purpose: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key for ``purpose``, generated once per process: RSA keygen costs 0.1-0.3 s and a
    test run starts dozens of simulators, which need fresh keys per run, not per instance."""
    with _rsa_lock:
        key = _rsa_keys.get(purpose)
        if key is None:
            key = _rsa_keys[purpose] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key
