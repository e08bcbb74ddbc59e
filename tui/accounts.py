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


def _unavailable(action: str, upn: str, exc: BaseException, what: str | None = None) -> KeyringUnavailable:
    # The backend's own text can mention D-Bus details but never the password (we never pass it in text).
    detail = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return KeyringUnavailable(f"cannot {action} {what or f'the password of {upn}'} in the OS keyring ({detail}). "
                              f"{HOW_TO_GET_A_KEYRING}")


def _backend_usable() -> None:
    backend = keyring.get_keyring()
    priority = getattr(type(backend), "priority", 1)
    name = type(backend).__module__
    if name.endswith((".fail", ".null")) or (isinstance(priority, int | float) and priority <= 0):
        raise KeyringUnavailable(f"no OS keyring backend is available ({type(backend).__name__}). "
                                 f"{HOW_TO_GET_A_KEYRING}")


def get_password(upn: str) -> str | None:
    """The stored password, or None when there is none."""
    _backend_usable()
    try:
        return keyring.get_password(SERVICE, upn.lower())
    except Exception as exc:  # KeyringError, OSError, and secretstorage/jeepney's own D-Bus errors
        raise _unavailable("read", upn, exc) from None


def set_password(upn: str, password: str) -> None:
    if not password:
        raise PasswordInputError("the password is empty; nothing was stored")
    _backend_usable()
    try:
        keyring.set_password(SERVICE, upn.lower(), password)
    except Exception as exc:
        raise _unavailable("store", upn, exc) from None


def delete_password(upn: str) -> bool:
    """Remove the stored password; False when there was none."""
    _backend_usable()
    try:
        if keyring.get_password(SERVICE, upn.lower()) is None:
            return False
        keyring.delete_password(SERVICE, upn.lower())
        return True
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _unavailable("remove", upn, exc) from None


def read_password(upn: str, *, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """Read a password: the first line of stdin with ``from_stdin``, else a hidden prompt on a terminal."""
    stream = stdin or sys.stdin
    if from_stdin:
        line = stream.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise PasswordInputError("no password on standard input (expected one line)")
        return password
    if not stream.isatty():
        raise PasswordInputError(f"no terminal to ask for the password of {upn}: "
                                 f"pipe it in with `exohop login {upn} --password-stdin`")
    password = getpass.getpass(f"Password for {upn}: ")
    if not password:
        raise PasswordInputError("the password is empty; nothing was stored")
    return password


# -- the passphrase of an app's certificate (``exohop login --app``) ---------------------------------------


def _passphrase_user(app_id: str) -> str:
    return PASSPHRASE_PREFIX + app_id.strip().lower()


def _passphrase_of(app_id: str) -> str:
    return f"the passphrase of the certificate of the app {app_id}"


def get_certificate_passphrase(app_id: str) -> str | None:
    """The stored passphrase of the app's certificate key, or None when there is none."""
    _backend_usable()
    try:
        return keyring.get_password(SERVICE, _passphrase_user(app_id))
    except Exception as exc:
        raise _unavailable("read", app_id, exc, _passphrase_of(app_id)) from None


def set_certificate_passphrase(app_id: str, passphrase: str) -> None:
    if not passphrase:
        raise PasswordInputError("the passphrase is empty; nothing was stored")
    _backend_usable()
    try:
        keyring.set_password(SERVICE, _passphrase_user(app_id), passphrase)
    except Exception as exc:
        raise _unavailable("store", app_id, exc, _passphrase_of(app_id)) from None


def delete_certificate_passphrase(app_id: str) -> bool:
    """Remove the stored passphrase; False when there was none."""
    _backend_usable()
    user = _passphrase_user(app_id)
    try:
        if keyring.get_password(SERVICE, user) is None:
            return False
        keyring.delete_password(SERVICE, user)
        return True
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _unavailable("remove", app_id, exc, _passphrase_of(app_id)) from None


def read_passphrase(certificate: str, *, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """The passphrase of ``certificate``'s key: the first line of stdin with ``from_stdin``, else asked hidden
    on a terminal."""
    stream = stdin or sys.stdin
    if from_stdin:
        passphrase = stream.readline().rstrip("\r\n")
        if not passphrase:
            raise PasswordInputError("no passphrase on standard input (expected one line)")
        return passphrase
    if not stream.isatty():
        raise PasswordInputError(f"the key in {certificate} is encrypted and there is no terminal to ask for its "
                                 "passphrase: pipe it in with --passphrase-stdin")
    passphrase = getpass.getpass(f"Passphrase for {certificate}: ")
    if not passphrase:
        raise PasswordInputError("the passphrase is empty; nothing was stored")
    return passphrase
