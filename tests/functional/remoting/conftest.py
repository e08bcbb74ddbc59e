"""Fixtures for the session-layer tests: the real Secret Service, isolated exohop dirs, a configured account.

``secret_service`` starts a private D-Bus session bus and gnome-keyring-daemon (secrets component,
login keyring created and unlocked from a password on stdin) in a temporary home, points this
process at it (DBUS_SESSION_BUS_ADDRESS), selects keyring's SecretService backend, and tears it
all down afterwards. Nothing touches the developer's own keyring.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from tui.config import Account
from tui.tenants import Tenant


@dataclass
class SecretService:
    address: str
    env: dict[str, str]
    home: Path


def _wait_for_secret_service(timeout_s: float = 10.0) -> None:
    import secretstorage

    end = time.monotonic() + timeout_s
    while True:
        try:
            conn = secretstorage.dbus_init()
            try:
                if secretstorage.check_service_availability(conn):
                    collection = secretstorage.get_default_collection(conn)
                    if not collection.is_locked():
                        return
            finally:
                conn.close()
        except Exception:
            if time.monotonic() > end:
                raise
        if time.monotonic() > end:
            raise RuntimeError("gnome-keyring did not come up on the private D-Bus session")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: `apt-get install gnome-keyring dbus dbus-x11` (see README)")
    home = Path(tempfile.mkdtemp(prefix="exohop-keyring-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_RUNTIME_DIR": str(runtime)}
    bus = subprocess.run(["dbus-daemon", "--session", "--print-address=1", "--print-pid=1", "--fork"],
                         env=env, capture_output=True, text=True, timeout=10, check=True)
    address, pid_text = bus.stdout.split()[:2]
    bus_pid = int(pid_text)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert daemon.stdin is not None
    daemon.stdin.write(b"exohop-test-keyring")   # the login keyring's own password, not an account's
    daemon.stdin.close()
    saved_address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    saved_backend = keyring.get_keyring()
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        _wait_for_secret_service()
        keyring.set_keyring(SecretServiceKeyring())
        yield SecretService(address=address, env=env, home=home)
    finally:
        keyring.set_keyring(saved_backend)
        if saved_address is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved_address
        daemon.terminate()
        try:
            daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(5)
        try:
            os.kill(bus_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def exohop_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Fresh config/data/cache dirs through the EXOHOP_* variables."""
    dirs = {name: tmp_path / name for name in ("config", "data", "cache")}
    for name, path in dirs.items():
        path.mkdir()
        monkeypatch.setenv(f"EXOHOP_{name.upper()}_DIR", str(path))
    return dirs


# The commands these tests use (Import-PSSession -CommandName style): a full import costs seconds and
# is tested once, in test_connect.py.
TEST_COMMANDS = ("*-Mailbox", "*-MailboxStatistics", "*-MailboxPermission", "Get-Recipient", "*-DistributionGroup",
                 "*-MailboxFolderPermission", "Get-MessageTrace*")


@pytest.fixture(scope="session")
def seeded_catalog(sim, tmp_path_factory):   # type: ignore[no-untyped-def]
    """The catalog a real import (through DelegatedSession) of TEST_COMMANDS gives, done once."""
    from tui.remoting.session import DelegatedSession

    first = sim.accounts[0]
    account = Account(upn=first.upn, endpoint=sim.url, ca_file=sim.ca_file)
    session = DelegatedSession(account, Tenant(first.tenants[0]), first.password,
                               cache_dir=tmp_path_factory.mktemp("import"), refresh_in_background=False,
                               import_patterns=TEST_COMMANDS)
    session.open()
    session.close()
    return session.catalog


def seed_cache(directory: Path, server, catalog) -> Path:   # type: ignore[no-untyped-def]
    """File ``catalog`` under every account+tenant cache key of ``server``, as an earlier session would."""
    from tui.remoting.importer import CatalogCache

    cache = CatalogCache(directory)
    for a in server.accounts:
        for domain in {t.domain for t in server.tenants}:
            cache.save(server.url, a.upn, domain, catalog)
    return directory


@pytest.fixture
def seeded_cache(sim, seeded_catalog, tmp_path: Path) -> Path:   # type: ignore[no-untyped-def]
    """A fresh cache dir holding the shared simulator's (test) catalog for every tenant."""
    return seed_cache(tmp_path / "seeded-cache", sim, seeded_catalog)


@pytest.fixture
def open_session(seeded_catalog, tmp_path: Path):   # type: ignore[no-untyped-def]
    """Factory: an open DelegatedSession to a simulator (cache seeded, no background refresh); closed after."""
    from tui.remoting.session import DelegatedSession

    opened: list[DelegatedSession] = []

    def factory(server, *, account: int = 0, tenant: str | None = None, **kwargs):   # type: ignore[no-untyped-def]
        cache_dir = seed_cache(tmp_path / f"cache-{len(opened)}", server, seeded_catalog)
        a = server.accounts[account]
        acc = Account(upn=a.upn, endpoint=server.url, ca_file=server.ca_file)
        kwargs.setdefault("refresh_in_background", False)
        kwargs.setdefault("import_patterns", TEST_COMMANDS)
        session = DelegatedSession(acc, Tenant(tenant or a.tenants[0]), a.password, cache_dir=cache_dir, **kwargs)
        opened.append(session)
        session.open()
        return session

    yield factory
    for s in opened:
        try:
            s.close()
        except Exception:
            pass
