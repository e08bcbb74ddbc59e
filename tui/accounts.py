"""Partner account passwords, kept in the OS keyring only (service ``exohop``, user = the UPN), and the
passphrases of app certificates (same service, user ``certificate:<APP_ID>``).

Nothing here logs, caches or echoes a password or passphrase; error messages name the account, never the
secret.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

import keyring
import keyring.errors

SERVICE = "exohop"
PASSPHRASE_PREFIX = "certificate:"      # no "@": cannot collide with an account's password entry

HOW_TO_GET_A_KEYRING = (
    "exohop keeps passwords in the OS keyring and found none it can use. On Linux install a Secret "
    "Service and run it, e.g. `sudo apt-get install gnome-keyring dbus-x11`, then work from a desktop "
    "session (or start `gnome-keyring-daemon --start --components=secrets` inside a D-Bus session); "
    "macOS Keychain and Windows Credential Locker work as they are. "
    "`python -m keyring diagnose` shows which backend is selected."
)


class KeyringUnavailable(Exception):
    """No usable keyring backend (or it refused); ``message`` explains how to get one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PasswordInputError(Exception):
    """A password could not be read (no terminal, empty input); ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _unavailable(action: str, what: str, exc: BaseException) -> KeyringUnavailable:
    # The backend's own text can mention D-Bus details but never the password (we never pass it in text).
    detail = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return KeyringUnavailable(f"cannot {action} {what} in the OS keyring ({detail}). {HOW_TO_GET_A_KEYRING}")


def _backend_usable() -> None:
    backend = keyring.get_keyring()
    priority = getattr(type(backend), "priority", 1)
    name = type(backend).__module__
    if name.endswith((".fail", ".null")) or (isinstance(priority, int | float) and priority <= 0):
        raise KeyringUnavailable(f"no OS keyring backend is available ({type(backend).__name__}). "
                                 f"{HOW_TO_GET_A_KEYRING}")


# -- one keyring entry (``user`` under SERVICE); ``what`` names it in messages ----------------------------


def _get(user: str, what: str) -> str | None:
    _backend_usable()
    try:
        return keyring.get_password(SERVICE, user)
    except Exception as exc:  # KeyringError, OSError, and secretstorage/jeepney's own D-Bus errors
        raise _unavailable("read", what, exc) from None


def _set(user: str, secret: str, what: str, noun: str) -> None:
    if not secret:
        raise PasswordInputError(f"the {noun} is empty; nothing was stored")
    _backend_usable()
    try:
        keyring.set_password(SERVICE, user, secret)
    except Exception as exc:
        raise _unavailable("store", what, exc) from None


def _delete(user: str, what: str) -> bool:
    _backend_usable()
    try:
        if keyring.get_password(SERVICE, user) is None:
            return False
        keyring.delete_password(SERVICE, user)
        return True
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _unavailable("remove", what, exc) from None


def _read_secret(noun: str, prompt: str, no_terminal: str, from_stdin: bool, stdin: TextIO | None) -> str:
    """The first line of stdin with ``from_stdin``, else asked hidden (``prompt``) on a terminal."""
    stream = stdin or sys.stdin
    if from_stdin:
        secret = stream.readline().rstrip("\r\n")
        if not secret:
            raise PasswordInputError(f"no {noun} on standard input (expected one line)")
        return secret
    if not stream.isatty():
        raise PasswordInputError(no_terminal)
    secret = getpass.getpass(prompt)
    if not secret:
        raise PasswordInputError(f"the {noun} is empty; nothing was stored")
    return secret


# -- a partner account's password ------------------------------------------------------------------------


def _password_of(upn: str) -> str:
    return f"the password of {upn}"


def get_password(upn: str) -> str | None:
    """The stored password, or None when there is none."""
    return _get(upn.lower(), _password_of(upn))


def set_password(upn: str, password: str) -> None:
    _set(upn.lower(), password, _password_of(upn), "password")


def delete_password(upn: str) -> bool:
    """Remove the stored password; False when there was none."""
    return _delete(upn.lower(), _password_of(upn))


def read_password(upn: str, *, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """Read a password: the first line of stdin with ``from_stdin``, else a hidden prompt on a terminal."""
    return _read_secret("password", f"Password for {upn}: ",
                        f"no terminal to ask for the password of {upn}: "
                        f"pipe it in with `exohop login {upn} --password-stdin`", from_stdin, stdin)


# -- the passphrase of an app's certificate (``exohop login --app``) ---------------------------------------


def _passphrase_user(app_id: str) -> str:
    return PASSPHRASE_PREFIX + app_id.strip().lower()


def _passphrase_of(app_id: str) -> str:
    return f"the passphrase of the certificate of the app {app_id}"


def get_certificate_passphrase(app_id: str) -> str | None:
    """The stored passphrase of the app's certificate key, or None when there is none."""
    return _get(_passphrase_user(app_id), _passphrase_of(app_id))


def set_certificate_passphrase(app_id: str, passphrase: str) -> None:
    _set(_passphrase_user(app_id), passphrase, _passphrase_of(app_id), "passphrase")


def delete_certificate_passphrase(app_id: str) -> bool:
    """Remove the stored passphrase; False when there was none."""
    return _delete(_passphrase_user(app_id), _passphrase_of(app_id))


def read_passphrase(certificate: str, *, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """The passphrase of ``certificate``'s key: the first line of stdin with ``from_stdin``, else asked hidden
    on a terminal."""
    return _read_secret("passphrase", f"Passphrase for {certificate}: ",
                        f"the key in {certificate} is encrypted and there is no terminal to ask for its "
                        "passphrase: pipe it in with --passphrase-stdin", from_stdin, stdin)
