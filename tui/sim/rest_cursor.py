"""Server-side paging cursors behind the REST door's ``@odata.nextLink``.

A command runs once, on its first POST; its encoded records wait here and each nextLink re-POST
(the identical body, research/exo-modern.md §1.6) takes the next slice. So pages are stable — a
change made meanwhile (through either door) never shifts a record onto two pages or off all of them
— and a Set-* cmdlet is never run twice by paging. The skip token is opaque to clients: base64url
of the cursor id and the offset; the cursor remembers the body's hash, the caller and the tenant,
so a nextLink replayed with another body, by someone else or at another tenant is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from tui.sim.jwt import b64url, b64url_decode

CURSOR_TTL_S = 600.0          # a client that pauses longer than this starts over
MAX_CURSORS = 256             # oldest first out: memory stays bounded whatever clients abandon


class CursorError(ValueError):
    """A skip token that names no live cursor, or one used with another body, caller or tenant."""


@dataclass(slots=True)
class Cursor:
    cursor_id: str
    body_hash: str
    caller: str
    tenant_id: str
    records: list[dict[str, Any]]
    warnings: list[str]
    errors: list[str]
    select: list[str] | None
    created: float = field(default_factory=time.monotonic)


def body_hash(body: bytes) -> str:
    """Hash of the body as the client sent it: "the identical body" means byte for byte after JSON
    normalisation (key order and whitespace do not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def make_token(cursor_id: str, offset: int) -> str:
    raw = json.dumps({"c": cursor_id, "o": offset}, separators=(",", ":")).encode()
    return b64url(raw)


def read_token(token: str) -> tuple[str, int]:
    try:
        data = json.loads(b64url_decode(token))
        cursor_id, offset = str(data["c"]), int(data["o"])
    except (ValueError, KeyError, TypeError):   # b64url_decode's JWTError is a ValueError
        raise CursorError("The skip token is not valid.") from None
    if offset < 0:
        raise CursorError("The skip token is not valid.")
    return cursor_id, offset


class CursorStore:
    """Thread-safe; expired cursors go when the store is next touched (no reaper thread)."""

    def __init__(self, ttl: float = CURSOR_TTL_S, limit: int = MAX_CURSORS) -> None:
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self.ttl = ttl
        self.limit = limit

    def add(self, body: bytes, caller: str, tenant_id: str, records: list[dict[str, Any]],
            warnings: list[str], errors: list[str], select: list[str] | None) -> Cursor:
        cursor = Cursor(secrets.token_urlsafe(16), body_hash(body), caller, tenant_id, records, warnings,
                        errors, select)
        with self._lock:
            self._prune()
            self._cursors[cursor.cursor_id] = cursor
            while len(self._cursors) > self.limit:
                self._cursors.popitem(last=False)
        return cursor

    def resume(self, token: str, body: bytes, caller: str, tenant_id: str) -> tuple[Cursor, int]:
        cursor_id, offset = read_token(token)
        with self._lock:
            self._prune()
            cursor = self._cursors.get(cursor_id)
        if cursor is None:
            raise CursorError("The skip token has expired or is not valid; run the command again.")
        if cursor.caller != caller or cursor.tenant_id != tenant_id:
            raise CursorError("The skip token belongs to another caller or tenant.")
        if cursor.body_hash != body_hash(body):
            raise CursorError("The request body of a nextLink must be the body of the request that returned it.")
        if offset > len(cursor.records):
            raise CursorError("The skip token is not valid.")
        return cursor, offset

    def finish(self, cursor: Cursor) -> None:
        """The last page went out: release its records now rather than at expiry (a 10,000-mailbox
        listing is megabytes); re-asking for the last page then needs a new run."""
        with self._lock:
            self._cursors.pop(cursor.cursor_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._cursors)

    def _prune(self) -> None:
        now = time.monotonic()
        while self._cursors:
            oldest = next(iter(self._cursors.values()))
            if now - oldest.created < self.ttl:
                break
            self._cursors.popitem(last=False)
