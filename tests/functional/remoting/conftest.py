"""Fixtures for the session-layer tests: a configured account, a seeded catalog cache. ``secret_service``
(the real Secret Service) and ``exohop_dirs`` live in tests/conftest.py: the sign-in tests share them.
"""

from __future__ import annotations

import os
import re
import select
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui.config import Account
from tui.tenants import Tenant


def keyring_env(secret_service: Any, **extra: str) -> dict[str, str]:
    """The environment of an exohop child process that keeps its passwords in the private Secret Service."""
    return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": secret_service.address,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring", **extra}


def write_config(dirs: dict[str, Path], *, upn: str, url: str, ca_file: str | None, tenants: list[str],
                 confirm: str = "always") -> None:
    """config.toml with one default account and tenants.toml with ``tenants`` (names from the domains)."""
    (dirs["config"] / "config.toml").write_text(tomli_w.dumps({"settings": {"confirm": confirm}, "accounts": [
        {"upn": upn, "endpoint": url, "ca_file": ca_file, "default": True}]}))
    (dirs["config"] / "tenants.toml").write_text(tomli_w.dumps({"tenants": [
        {"domain": d, "name": d.split(".")[0].title()} for d in tenants]}))


def write_sim_config(dirs: dict[str, Path], server: Any, tenants: list[str], *, ca_file: str | None = None,
                     confirm: str = "always", url: str | None = None) -> None:
    """``write_config`` for the first account of an in-process Simulator."""
    write_config(dirs, upn=server.accounts[0].upn, url=url or server.url, ca_file=ca_file or server.ca_file,
                 tenants=tenants, confirm=confirm)


class Pty:
    """A child process on a pseudo-terminal: what it shows (escape sequences dropped), read until a pattern.
    With ``cpr`` it answers cursor-position requests as a real terminal does."""

    ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")

    def __init__(self, pid: int, fd: int, *, cpr: bool = False) -> None:
        self.pid, self.fd, self.cpr = pid, fd, cpr
        self.buffer = b""        # what was read since the last clear()
        self._asked = 0

    def read_until(self, pattern: bytes, timeout: float = 30) -> bytes:
        """What the screen showed (since the last clear) once ``pattern`` (a regex) is in it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            clean = self.ANSI.sub(b"", self.buffer)
            if re.search(pattern, clean):
                return clean
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                self.buffer += chunk
                if self.cpr:
                    asked = self.buffer.count(b"\x1b[6n")
                    for _ in range(asked - self._asked):
                        os.write(self.fd, b"\x1b[1;1R")
                    self._asked = asked
        raise AssertionError(f"no {pattern!r} in {self.ANSI.sub(b'', self.buffer)[-2000:]!r}")

    def clear(self) -> None:
        self.buffer, self._asked = b"", 0

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self) -> int:
        """Wait for the child to leave; its exit code."""
        _, status = os.waitpid(self.pid, 0)
        return os.WEXITSTATUS(status)

    def close(self) -> None:
        """Kill the child if it is still there, and close the terminal."""
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def spawn_shell(secret_service: Any, tenant: str, *, cpr: bool = False) -> tuple[int, int]:
    """``exohop shell -t tenant`` on a pseudo-terminal: (child pid, the terminal's fd). With ``cpr`` the
    caller answers cursor-position requests (ESC[6n), as a real terminal does: prompt_toolkit draws the
    bottom toolbar only then."""
    import pty
    import sys

    pid, fd = pty.fork()
    if pid == 0:   # the child: exohop shell on a terminal
        extra = {} if cpr else {"PROMPT_TOOLKIT_NO_CPR": "1"}
        env = keyring_env(secret_service, TERM="xterm", COLUMNS="120", **extra)
        os.execve(sys.executable, [sys.executable, "-m", "tui", "shell", "-t", tenant], env)
    if cpr:   # a terminal with a size: rows for the toolbar to sit on
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return pid, fd


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
