"""Shared fixtures: the Exchange Online simulator every integration test talks to, the real Secret
Service (gnome-keyring in a private D-Bus session) and isolated exohop folders.

``secret_service`` starts a private D-Bus session bus and gnome-keyring-daemon (secrets component,
login keyring created and unlocked from a password on stdin) in a temporary home, points this
process at it (DBUS_SESSION_BUS_ADDRESS), selects keyring's SecretService backend, and tears it
all down afterwards. Nothing touches the developer's own keyring.

``sim``: one HTTPS simulator for the whole session (mailboxes=50). Tests that need a clean server
(fault injection, shell limits, expiry, the first-contact redirect) take ``make_sim`` instead, which
starts a fresh one with the given keyword arguments and stops it at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from tui.sim import Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator(mailboxes=50) as server:
        yield server


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def factory(**kwargs: Any) -> Simulator:
        kwargs.setdefault("mailboxes", 50)
        server = Simulator(**kwargs).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@dataclass
class SecretService:
    address: str
    env: dict[str, str]
    home: Path


def _wait_for_secret_service(daemon: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Until the login collection is unlocked; RuntimeError when the daemon exits or the time is up
    (20 s: on a loaded 2-core machine gnome-keyring has been seen to take over 10 s to come up)."""
    import secretstorage
    from secretstorage.collection import DEFAULT_COLLECTION, Collection
    from secretstorage.exceptions import ItemNotFoundException

    end = time.monotonic() + timeout_s
    state = "no answer on the bus"
    while True:
        if daemon.poll() is not None:
            raise RuntimeError(f"gnome-keyring-daemon exited with {daemon.returncode} before it came up")
        try:
            conn = secretstorage.dbus_init()
            try:
                # Look the default collection up without creating it: secretstorage's
                # get_default_collection() creates one when the daemon has not yet made the login
                # keyring from the password on its stdin, which needs a prompt that nobody answers
                # (PromptDismissedException) and leaves the daemon without a usable default.
                state = "the Secret Service is not on the bus"
                if secretstorage.check_service_availability(conn):
                    collection = Collection(conn, DEFAULT_COLLECTION)
                    state = "the default collection is locked"
                    if not collection.is_locked():
                        return
            except ItemNotFoundException:
                state = "no default collection yet"    # the login keyring is not there yet
            finally:
                conn.close()
        except Exception as exc:
            state = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > end:
                raise
        if time.monotonic() > end:
            raise RuntimeError(f"gnome-keyring did not come up on the private D-Bus session ({state})")
        time.sleep(0.05)


def _start_keyring_daemon(env: dict[str, str]) -> subprocess.Popen[bytes]:
    daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert daemon.stdin is not None
    daemon.stdin.write(b"exohop-test-keyring")   # the login keyring's own password, not an account's
    daemon.stdin.close()
    return daemon


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    daemon.terminate()
    try:
        daemon.wait(5)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait(5)


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: `apt-get install gnome-keyring dbus dbus-x11` (see README)")
    saved_address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    saved_backend = keyring.get_keyring()
    started: _Started | None = None
    failures: list[str] = []
    try:
        # Up to three tries, each on a fresh bus and home: a start that does not come up is thrown away
        # whole (its reason kept for the message), never waited on twice.
        for _ in range(3):
            started = _start_secret_service()
            try:
                _wait_for_secret_service(started.daemon)
                break
            except RuntimeError as exc:
                failures.append(str(exc))
                started.stop()
                started = None
        if started is None:
            raise RuntimeError("the private Secret Service did not start: " + "; ".join(failures))
        keyring.set_keyring(SecretServiceKeyring())
        yield SecretService(address=started.address, env=started.env, home=started.home)
    finally:
        keyring.set_keyring(saved_backend)
        if saved_address is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved_address
        if started is not None:
            started.stop()


@dataclass
class _Started:
    home: Path
    env: dict[str, str]
    address: str
    bus_pid: int
    daemon: subprocess.Popen[bytes]

    def stop(self) -> None:
        _stop(self.daemon)
        try:
            os.kill(self.bus_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)


def _start_secret_service() -> _Started:
    """A private D-Bus session bus and gnome-keyring on it, this process pointed at the bus."""
    home = Path(tempfile.mkdtemp(prefix="exohop-keyring-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_RUNTIME_DIR": str(runtime)}
    bus = subprocess.run(["dbus-daemon", "--session", "--print-address=1", "--print-pid=1", "--fork"],
                         env=env, capture_output=True, text=True, timeout=10, check=True)
    address, pid_text = bus.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    return _Started(home, env, address, int(pid_text), _start_keyring_daemon(env))


@pytest.fixture
def exohop_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Fresh config/data/cache dirs through the EXOHOP_* variables."""
    dirs = {name: tmp_path / name for name in ("config", "data", "cache")}
    for name, path in dirs.items():
        path.mkdir()
        monkeypatch.setenv(f"EXOHOP_{name.upper()}_DIR", str(path))
    return dirs
