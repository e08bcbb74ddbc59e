"""``exohop --demo shell`` on a pseudo-terminal: the console's memory and history, the toolbar, switching tenant.

The terminal answers prompt_toolkit's cursor-position requests as a real one does (without an answer
prompt_toolkit never draws the bottom toolbar), in 24-bit colour so the tenant's accent is checkable.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tui.console.controller import Controller
from tui.shell.accent import accent_color

from .conftest import Pty, spawn_tui

ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")
CONTOSO = "contoso.onmicrosoft.com"


class Shell(Pty):
    """``exohop --demo shell -t TENANT`` on a pty: type, read what the screen shows, answer CPRs."""

    def __init__(self, tenant: str = "contoso") -> None:
        env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_COLOR_DEPTH": "DEPTH_24_BIT"}
        super().__init__(*spawn_tui(["--demo", "shell", "-t", tenant], env, size=(40, 160)), cpr=True)

    def expect(self, pattern: str, timeout: float = 60.0, raw: bool = False) -> str:
        """Wait until ``pattern`` (a regex) shows after the last ``type``; what showed up to then."""
        return self.read_until(pattern.encode(), timeout, raw=raw).decode("utf-8", "replace")

    def type(self, keys: str) -> None:
        self.clear()
        super().type(keys)

    def run(self, line: str, until: str) -> str:
        self.type(line + "\r")
        return self.expect(until)

    def leave(self) -> int:
        self.type("\x15exit\r")   # Ctrl+U first: whatever is typed goes
        return self.exit_status(timeout=30)


@pytest.fixture
def shell(exohop_dirs: dict[str, Path]):   # type: ignore[no-untyped-def]
    started: list[Shell] = []

    def start(tenant: str = "contoso") -> Shell:
        started.append(Shell(tenant))
        started[-1].expect(r"\] PS>")
        return started[-1]

    yield start
    for s in started:
        s.close()


def test_select_object_after_get_mailbox_offers_what_get_mailbox_objects_had(shell) -> None:   # type: ignore[no-untyped-def]
    sh = shell()
    sh.run("Get-Mailbox -ResultSize 2 | Select-Object Name", r"Name\s*\r?\n-+")
    sh.run("Get-Mailbox -ResultSize 2", r"ProhibitSendQuota")
    # A later Select-Object does not narrow what Get-Mailbox's objects are remembered to have.
    sh.run("Get-Mailbox -ResultSize 1 | Select-Object Name", r"Name\s*\r?\n-+\r?\n\S+")
    sh.type("Get-Mailbox | Select-Object \t")
    menu = sh.expect(r"Database\s+property of Get-Mailbox")
    assert re.search(r"Alias\s+property of Get-Mailbox", menu)
    assert sh.leave() == 0


def test_history_is_one_file_the_console_and_the_shell_share(shell, exohop_dirs: dict[str, Path]) -> None:   # type: ignore[no-untyped-def]
    history = exohop_dirs["data"] / "demo" / "history"   # the demo's own folder (the user's stays untouched)
    history.mkdir(parents=True)
    # What the shell wrote before the file was shared (prompt_toolkit FileHistory) …
    (history / f"{CONTOSO}.txt").write_text("\n# 2025-01-01 10:00:00.000000\n+Get-User -ResultSize 3\n")
    # … and what a console saved, through the console's own code.
    console = Controller(None, None, password_source=lambda upn: None, history_dir=history)
    console.load_history(CONTOSO)
    console.save_history(CONTOSO, ["Get-Recipient -ResultSize 4"])

    sh = shell()
    sh.type("\x1b[A")                                       # Up: the console's line, the newest
    sh.expect(r"Recipient -ResultSize 4")
    sh.type("\x1b[A")                                       # Up again: the shell's old line
    sh.expect(r"User -ResultSize 3")   # (the screen redraws only what changed)
    sh.type("\x15")                                         # Ctrl+U: clear the line
    sh.run("Get-Mailbox -ResultSize 1 | Select-Object Alias", r"Alias\s*\r?\n-+")
    sh.run(":tenants", r"Fabrikam")                          # the shell's own commands stay out
    assert sh.leave() == 0

    assert not (history / f"{CONTOSO}.txt").exists()
    assert (history / f"{CONTOSO}.txt.migrated").read_text().count("Get-User -ResultSize 3") == 1
    assert Controller(None, None, password_source=lambda upn: None, history_dir=history).load_history(CONTOSO) == [
        "Get-User -ResultSize 3", "Get-Recipient -ResultSize 4", "Get-Mailbox -ResultSize 1 | Select-Object Alias"]
    data = json.loads((history / f"{CONTOSO}.json").read_text())
    assert data["version"] == 1


def test_toolbar_shows_the_tenant_in_its_colour_the_account_and_the_state(shell) -> None:   # type: ignore[no-untyped-def]
    sh = shell()
    bar = sh.expect(r"● ready · \d+ commands")
    assert "Contoso Ltd" in bar and CONTOSO in bar and "as admin@fabrikampartner.onmicrosoft.com" in bar
    count = int(re.search(r"ready · (\d+) commands", bar).group(1))   # type: ignore[union-attr]
    assert count > 500                                       # the tenant's catalog, not the local cmdlets
    r, g, b = (int(accent_color(CONTOSO)[i:i + 2], 16) for i in (1, 3, 5))
    coloured = sh.expect(rf"48;2;{r};{g};{b}(;1)?m Contoso Ltd ", raw=True)   # the name on its accent colour
    assert coloured
    assert sh.leave() == 0


def test_tenant_switches_in_place_and_tenants_lists_them(shell) -> None:   # type: ignore[no-untyped-def]
    sh = shell()
    sh.expect(r"● ready")
    listing = sh.run(":tenants", r"this shell's tenant")
    assert re.search(r"\* Contoso Ltd\s+contoso\.onmicrosoft\.com", listing)
    assert re.search(r"Fabrikam, Inc\.\s+fabrikam\.onmicrosoft\.com", listing)

    unknown = sh.run(":tenant fabrikm", r"Did you mean")
    assert "no tenant matches 'fabrikm'. Did you mean Fabrikam, Inc. (fabrikam.onmicrosoft.com)?" in unknown

    sh.run(":tenant fabrikam", r"Now in Fabrikam, Inc\. \(fabrikam\.onmicrosoft\.com\)")
    sh.expect(r"\[Fabrikam, Inc\.\] PS>")
    out = sh.run("Get-OrganizationConfig | Select-Object Name", r"Name\s*\r?\n-+\r?\n\S+")
    assert "fabrikam" in out.lower()
    listing = sh.run(":tenants", r"this shell's tenant")
    assert re.search(r"● Contoso Ltd", listing) and re.search(r"\* Fabrikam, Inc\.", listing)   # kept warm

    switched = sh.run(":tenant contoso", r"Now in Contoso Ltd[^\r\n]*\.")
    assert "connecting" not in switched                      # the warm session: no new connect
    sh.expect(r"\[Contoso Ltd\] PS>")
    out = sh.run("Get-OrganizationConfig | Select-Object Name", r"Name\s*\r?\n-+\r?\n\S+")
    assert "contoso" in out.lower()
    assert sh.leave() == 0
