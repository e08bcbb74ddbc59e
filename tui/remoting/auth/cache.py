"""msal's token cache, kept encrypted at rest and shared safely between exohop processes.

The serialized cache (refresh tokens, id tokens, accounts; access tokens are left out: they are short-lived
and make the file three times larger) is encrypted with AES-256-GCM under a random key that lives in the OS
keyring (service ``exohop``, user ``token-cache-key``) and written atomically to ``token-cache.enc`` in the
data folder. Before every write the file is re-read under a file lock and merged three ways (what we last
read, what we hold now, what is on disk now), so two processes signing in or refreshing at once keep each
other's accounts and neither resurrects what the other removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import msal
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tui.files import FileBusy, atomic_write_text, locked
from tui.remoting.auth.errors import CACHE, KEYRING, SignInError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "exohop"
KEYRING_KEY_USER = "token-cache-key"      # no "@": cannot collide with an account's password entry
CACHE_FILE = "token-cache.enc"
FORMAT = "exohop-token-cache"
_AAD = b"exohop-token-cache-v1"
_VOLATILE = "AccessToken"
LOCK_TIMEOUT_S = 30.0

State = dict[str, dict[str, Any]]


def default_path() -> Path:
    from tui.config import data_dir

    return data_dir() / CACHE_FILE


class PersistentTokenCache:
    """Holds ``cache`` (an ``msal.SerializableTokenCache``) in step with the encrypted file ``path``.
    Thread-safe; call ``sync()`` after msal may have changed the cache and before reading it."""

    def __init__(self, path: Path | None = None, *, keyring_service: str = KEYRING_SERVICE,
                 key_user: str = KEYRING_KEY_USER) -> None:
        self.path = path or default_path()
        self.cache = msal.SerializableTokenCache()
        self._service = keyring_service
        self._key_user = key_user
        self._key: bytes | None = None
        self._base: State = {}
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.RLock()
        self._synced = False

    def sync(self) -> None:
        """Merge this process's changes with the file's and write the result when anything changed."""
        # msal's own lock too: the cache is snapshotted below and replaced at the end, so a token another
        # thread's msal adds in between would be dropped (and fetched again on its next use: a batch's
        # tenants asked Entra ~1.5 times each).
        with self._lock, getattr(self.cache, "_lock", nullcontext()):
            if self._synced and not self.cache.has_state_changed and self._file_stamp() == self._stamp:
                return
            with self._file_lock():
                key = self._cache_key()
                disk = self._read(key)
                mine: State = json.loads(self.cache.serialize())
                volatile = mine.pop(_VOLATILE, {})
                merged = _merge3(self._base, mine, disk)
                if merged != disk:
                    self._write(key, merged)
                self._stamp = self._file_stamp()
                self._base = merged
                self.cache.deserialize(json.dumps({**merged, _VOLATILE: volatile}))
                self._synced = True

    # -- the file -----------------------------------------------------------------------------------------

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The cache file's lock (tui.files.locked); a timeout becomes a SignInError that names the file."""
        try:
            with locked(self.path, LOCK_TIMEOUT_S):
                yield
        except FileBusy:   # only the acquire raises it: the body does no locking of its own
            raise SignInError(f"Another exohop process has held the token cache {self.path} locked for "
                              f"{LOCK_TIMEOUT_S:.0f} s. Close it, or remove {self.path}.lock if none runs.",
                              CACHE) from None

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def _read(self, key: bytes) -> State:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SignInError(f"Cannot read the token cache {self.path}: {exc.strerror or exc}. Check the data "
                              "folder's permissions.", CACHE) from None
        try:
            envelope = json.loads(text)
            nonce = base64.b64decode(envelope["nonce"], validate=True)
            data = base64.b64decode(envelope["ciphertext"], validate=True)
            state = json.loads(AESGCM(key).decrypt(nonce, data, _AAD))
        except (InvalidTag, ValueError, KeyError, TypeError, binascii.Error):
            # Lost or replaced key, or a damaged file: the sign-ins in it are gone; the next write replaces it.
            log.warning("the token cache %s cannot be decrypted; starting with an empty one", self.path)
            return {}
        return {k: v for k, v in state.items() if isinstance(v, dict) and k != _VOLATILE}

    def _write(self, key: bytes, state: State) -> None:
        nonce = secrets.token_bytes(12)
        data = AESGCM(key).encrypt(nonce, json.dumps(state, separators=(",", ":")).encode(), _AAD)
        envelope = {"format": FORMAT, "version": 1, "cipher": "AES-256-GCM",
                    "nonce": base64.b64encode(nonce).decode(), "ciphertext": base64.b64encode(data).decode()}
        try:
            atomic_write_text(self.path, json.dumps(envelope) + "\n", mode=0o600)
        except OSError as exc:
            raise SignInError(f"Cannot write the token cache {self.path}: {exc.strerror or exc}. Check the data "
                              "folder's permissions and free space.", CACHE) from None

    # -- the key ------------------------------------------------------------------------------------------

    def _cache_key(self) -> bytes:
        """The AES key from the keyring, created there on first use (called under the file lock, so two
        processes never create two keys)."""
        if self._key is not None:
            return self._key
        try:
            stored = keyring.get_password(self._service, self._key_user)
            key = _decode_key(stored) if stored else None
            if key is None:
                key = AESGCM.generate_key(bit_length=256)
                keyring.set_password(self._service, self._key_user, base64.b64encode(key).decode())
        except keyring.errors.KeyringError as exc:
            raise SignInError(
                "exohop keeps the key of its token cache in the OS keyring and cannot use it "
                f"({_keyring_detail(exc)}). On Linux run a Secret Service (e.g. gnome-keyring inside a "
                "D-Bus session); `python -m keyring diagnose` shows the backend in use.", KEYRING) from None
        self._key = key
        return key


class MemoryTokenCache(PersistentTokenCache):
    """A token cache that lives and dies with the process: the demo's (its simulator's tokens are
    worthless once it stops, and the demo must not touch the user's keyring or data folder)."""

    def __init__(self) -> None:
        self.path = Path(os.devnull)
        self.cache = msal.SerializableTokenCache()
        self._lock = threading.RLock()

    def sync(self) -> None:
        return None


def _decode_key(stored: str) -> bytes | None:
    try:
        key = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 else None


def _keyring_detail(exc: BaseException) -> str:
    # Backend messages name the backend, never the secret; keep them short.
    return (str(exc) or "no usable backend").splitlines()[0][:200]


def _merge3(base: State, mine: State, disk: State) -> State:
    """Per section and entry: what this process changed (added, altered, removed) since ``base`` wins;
    everything else is the file's."""
    merged: State = {name: dict(entries) for name, entries in disk.items()}
    for name in set(base) | set(mine):
        b, m = base.get(name, {}), mine.get(name, {})
        section = merged.setdefault(name, {})
        for key in set(b) | set(m):
            if key in m and m[key] == b.get(key):
                continue
            if key not in m:
                if key in b:
                    section.pop(key, None)
                continue
            section[key] = m[key]
    return {name: entries for name, entries in merged.items() if entries or name in disk}
