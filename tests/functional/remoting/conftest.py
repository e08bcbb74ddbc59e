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

    @property
    def screen(self) -> bytes:
        """What was read since the last clear(), escape sequences dropped."""
        return self.ANSI.sub(b"", self.buffer)

    def read_until(self, pattern: bytes, timeout: float = 30, *, raw: bool = False) -> bytes:
        """What the screen showed (since the last clear) once ``pattern`` (a regex) is in it; with ``raw``
        the escape sequences are kept, in the match and in what is returned."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.buffer if raw else self.screen
            if re.search(pattern, shown):
                return shown
            if not self._read(0.1):
                break
        raise AssertionError(f"no {pattern!r} in {self.screen[-2000:]!r}")

    def _read(self, wait: float) -> bool:
        """Read what is there within ``wait`` seconds (answering CPRs); False once the terminal is gone."""
        if select.select([self.fd], [], [], wait)[0]:
            try:
                self.buffer += os.read(self.fd, 65536)
            except OSError:
                return False
            if self.cpr:
                asked = self.buffer.count(b"\x1b[6n")
                for _ in range(asked - self._asked):
                    os.write(self.fd, b"\x1b[1;1R")
                self._asked = asked
        return True

    def clear(self) -> None:
        self.buffer, self._asked = b"", 0

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self, timeout: float = 60) -> int:
        """Wait for the child to leave, reading what it still writes; its exit code."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self._read(0.05)
        raise AssertionError(f"the child did not leave: {self.screen[-2000:]!r}")

    def close(self) -> None:
        """Kill the child if it is still there, and close the terminal."""
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def spawn_tui(args: list[str], env: dict[str, str], *, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """``python -m tui ARGS`` on a pseudo-terminal: (child pid, the terminal's fd); ``size`` (rows,
    columns) gives the terminal a size, which prompt_toolkit needs to draw its bottom toolbar."""
    import pty
    import sys

    pid, fd = pty.fork()
    if pid == 0:   # the child: exohop on a terminal
        os.execve(sys.executable, [sys.executable, "-m", "tui", *args], env)
    if size is not None:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    return pid, fd


def spawn_shell(secret_service: Any, tenant: str, *, cpr: bool = False) -> tuple[int, int]:
    """``exohop shell -t tenant`` on a pseudo-terminal: (child pid, the terminal's fd). With ``cpr`` the
    caller answers cursor-position requests (ESC[6n), as a real terminal does: prompt_toolkit draws the
    bottom toolbar only then."""
    extra = {} if cpr else {"PROMPT_TOOLKIT_NO_CPR": "1"}
    env = keyring_env(secret_service, TERM="xterm", COLUMNS="120", **extra)
    return spawn_tui(["shell", "-t", tenant], env, size=(40, 120) if cpr else None)


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
