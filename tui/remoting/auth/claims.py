"""What a client may read from an access token without verifying it (the resource verifies it): the
tenant it was issued for, its expiry, its user. And the value handed to transports, whose repr hides it."""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from typing import Any


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWT; {} when ``token`` is not one."""
    parts = token.split(".")
    return b64url_json_object(parts[1]) if len(parts) == 3 else {}


def b64url_json_object(text: str) -> dict[str, Any]:
    """The JSON object in unpadded base64url ``text`` (a JWT segment, msal's client_info); {} if it is not one."""
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token for one tenant. ``token`` never shows in repr/str, so logging this object is safe."""
    token: str = field(repr=False)
    tenant_id: str
    expires_on: float                   # epoch seconds
    upn: str | None = None              # None for an app-only token
    client_id: str | None = None

    @property
    def authorization(self) -> str:
        """The value of an ``Authorization`` header."""
        return f"Bearer {self.token}"

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires_on - (time.time() if now is None else now)
