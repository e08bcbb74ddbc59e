"""The simulator's hand-made JWS: RS256 tokens verify with the published key, PS256/RS256 client
assertions verify, and any tampering is caught."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tui.sim import jwt

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rs256_round_trip_and_header() -> None:
    token = jwt.encode_rs256({"tid": "t", "exp": 1}, KEY, "kid1")
    header, claims = jwt.verify(token, KEY.public_key())
    assert header == {"typ": "JWT", "alg": "RS256", "kid": "kid1"}
    assert claims == {"tid": "t", "exp": 1}
    assert "=" not in token


def test_ps256_assertions_verify() -> None:
    signing_input = jwt.b64url(b'{"alg":"PS256"}') + "." + jwt.b64url(b'{"iss":"app"}')
    sig = KEY.sign(signing_input.encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                       salt_length=32), hashes.SHA256())
    _, claims = jwt.verify(f"{signing_input}.{jwt.b64url(sig)}", KEY.public_key())
    assert claims == {"iss": "app"}


@pytest.mark.parametrize("mutate", [
    lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),             # signature
    lambda t: ".".join([t.split(".")[0], jwt.b64url(b'{"tid":"other"}'), t.split(".")[2]]),  # payload
])
def test_tampering_is_caught(mutate) -> None:
    token = jwt.encode_rs256({"tid": "t"}, KEY, "k")
    with pytest.raises(jwt.JWTError):
        jwt.verify(mutate(token), KEY.public_key())


def test_another_key_or_algorithm_is_refused() -> None:
    token = jwt.encode_rs256({"a": 1}, KEY, "k")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.JWTError):
        jwt.verify(token, other.public_key())
    none_alg = jwt.b64url(b'{"alg":"none"}') + "." + jwt.b64url(b"{}") + "."
    with pytest.raises(jwt.JWTError):
        jwt.verify(none_alg, KEY.public_key())
    with pytest.raises(jwt.JWTError):
        jwt.split("not-a-jwt")


def test_the_published_jwk_is_the_signing_key() -> None:
    jwk = jwt.public_jwk(KEY.public_key(), "k")
    numbers = KEY.public_key().public_numbers()
    assert int.from_bytes(jwt.b64url_decode(jwk["n"]), "big") == numbers.n
    assert int.from_bytes(jwt.b64url_decode(jwk["e"]), "big") == numbers.e
    assert (jwk["kty"], jwk["kid"], jwk["use"]) == ("RSA", "k", "sig")
