"""Compact JWS by hand with ``cryptography``: RS256 signing for the tokens the simulator issues, RS256 and
PS256 verification for the client assertions msal sends (PyJWT is not a dependency of exohop).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class JWTError(ValueError):
    """A token that is not a well-formed compact JWS, or whose signature does not verify."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JWTError(f"not base64url: {exc}") from None


def _segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def encode_rs256(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str) -> str:
    signing_input = f"{_segment({'typ': 'JWT', 'alg': 'RS256', 'kid': kid})}.{_segment(claims)}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS, signature NOT checked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("a JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JWTError(f"unreadable JWT: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("JWT header and payload must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2])


def verify(token: str, public_key: rsa.RSAPublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) once the RS256 or PS256 signature checks out against ``public_key``."""
    header, claims, signing_input, signature = split(token)
    alg = header.get("alg")
    pad: padding.AsymmetricPadding
    if alg == "RS256":
        pad = padding.PKCS1v15()
    elif alg == "PS256":
        # PyJWT (what msal signs with) uses a salt as long as the digest; AUTO accepts any valid salt.
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    else:
        raise JWTError(f"unsupported JWS algorithm {alg!r}")
    try:
        public_key.verify(signature, signing_input, pad, hashes.SHA256())
    except InvalidSignature:
        raise JWTError("the signature does not verify") from None
    return header, claims


def public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    numbers = public_key.public_numbers()

    def as_bytes(n: int) -> bytes:
        return n.to_bytes((n.bit_length() + 7) // 8, "big")

    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}
