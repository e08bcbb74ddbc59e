"""What `exohop run` says on stderr, and where the demo writes: "Did you mean" on a cold cache, the
redirect warning once per account, import progress only for an import slow enough to watch, the demo's
own folder, and the guidance when nothing is configured. Real processes (`python -m tui`), the real
simulator over HTTPS, a pseudo-terminal where the output depends on one."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tui import accounts
from tui.config import demo_folders

from .conftest import Pty, spawn_shell, write_sim_config

ROOT = Path(__file__).resolve().parents[3]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
REDIRECTED = "Your connection has been redirected"
PSRP_DEMO = ["--demo", "--demo-transport", "psrp"]
ONE_NAME = "Get-Mailbox -ResultSize 1 | Select-Object Name"


def exohop(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], env=env or dict(os.environ), cwd=ROOT, text=True,
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL)


def on_terminal(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, str]:
    """`exohop ARGS` with stdout and stderr on a pseudo-terminal: (exit code, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui", *args], env=env or dict(os.environ), cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    shown = b""
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:       # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, ANSI.sub("", shown.decode("utf-8", "replace"))


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


# -- "Did you mean" with only the line's commands imported -------------------------------------------------


@pytest.mark.parametrize("transport", ["psrp", "rest"])
def test_a_mistyped_cmdlet_on_a_cold_cache_gets_did_you_mean(exohop_dirs: dict[str, Path], transport: str) -> None:
    assert not files_under(demo_folders().cache)                       # nothing cached: a cold start
    done = exohop(["--demo", "--demo-transport", transport, "run", "-t", "contoso", "Get-Mailbx -ResultSize 1"])
    assert done.returncode == 2, done.stderr                            # unknown command: a usage error, as before
    lines = done.stderr.splitlines()
    assert "  Get-Mailbx -ResultSize 1" in lines and "  ^" in lines    # the line, the caret under the name
    assert "The term 'Get-Mailbx' is not recognized" in done.stderr
    assert "Did you mean: Get-Mailbox" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# -- the redirect warning -----------------------------------------------------------------------------------


def test_the_redirect_warning_is_shown_on_an_accounts_first_run_only(exohop_dirs: dict[str, Path]) -> None:
    first = exohop([*PSRP_DEMO, "run", "-t", "contoso", ONE_NAME, "--format", "json"])
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(REDIRECTED) == 1
    remembered = json.loads((demo_folders().data / "redirects.json").read_text())
    assert len(remembered) == 1 and "/pod01" in next(iter(remembered.values()))

    again = exohop([*PSRP_DEMO, "run", "-t", "contoso", ONE_NAME, "--format", "json"])
    assert again.returncode == 0, again.stderr
    assert REDIRECTED not in again.stderr                  # the same account and endpoint: told already
    assert json.loads(again.stdout) == json.loads(first.stdout)
    # Another tenant of the same account, on another run: still the same redirect, still not repeated.
    other = exohop([*PSRP_DEMO, "run", "-t", "fabrikam", ONE_NAME, "--format", "json"])
    assert other.returncode == 0 and REDIRECTED not in other.stderr, other.stderr


# -- import progress ----------------------------------------------------------------------------------------


@pytest.mark.keyring
def test_import_progress_is_not_shown_for_an_import_over_at_its_first_report(
        make_sim: Any, secret_service: Any, exohop_dirs: dict[str, Path]) -> None:
    # A slow server (every answer 200 ms late, so the connect alone takes over a second) and a cold
    # cache: `exohop run` imports the line's one command, which arrives whole in one answer.
    server = make_sim(mailboxes=3, latency_ms=200)
    a = server.accounts[0]
    write_sim_config(exohop_dirs, server, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    try:
        code, shown = on_terminal(["run", "-t", "contoso", "Get-Mailbox -ResultSize 1 | Select-Object Name"],
                                  dict(os.environ, DBUS_SESSION_BUS_ADDRESS=secret_service.address,
                                       PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring"))
    finally:
        accounts.delete_password(a.upn)
    assert code == 0, shown
    assert "Name" in shown and "Importing commands" not in shown
    assert server.stats()["requests"]["Command"] >= 2      # it did import (GetCommandMetadata) and run


@pytest.mark.keyring
def test_import_progress_is_shown_for_a_slow_import(make_sim: Any, secret_service: Any,
                                                    exohop_dirs: dict[str, Path]) -> None:
    # `exohop shell` on a cold cache imports every command: many answers, each 100 ms late. Its prompt
    # comes first; the toolbar counts the import up, then says the commands are ready.
    server = make_sim(mailboxes=3, latency_ms=100)
    a = server.accounts[0]
    write_sim_config(exohop_dirs, server, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    term = Pty(*spawn_shell(secret_service, "contoso", cpr=True), cpr=True)
    try:
        shown = term.read_until("ready · \\d+ commands".encode(), timeout=90).decode("utf-8", "replace")
        assert "PS>" in shown, shown[-2000:]
        # The toolbar is redrawn by difference (only the changed cells), so the counts are not read here:
        # that the import showed, and before the commands were ready, is.
        importing = shown.find("importing commands")
        ready_count = re.findall(r"ready · (\d+) commands", shown)
        assert importing != -1 and ready_count, shown[-2000:]
        assert importing < shown.rfind("ready · ") and int(ready_count[-1]) > 100, shown[-2000:]
        term.type("exit\r")
        assert term.exit_status() == 0
    finally:
        term.close()
        accounts.delete_password(a.upn)


# -- the demo's own folder ----------------------------------------------------------------------------------


def test_demo_runs_write_under_the_demo_folder_not_the_users(exohop_dirs: dict[str, Path]) -> None:
    rest = exohop(["run", "--demo", "-t", "contoso", "Get-Mailbox -ResultSize 1"])
    assert rest.returncode == 0, rest.stderr
    psrp = exohop([*PSRP_DEMO, "run", "-t", "contoso", "Get-Mailbox -ResultSize 2", "--format", "json"])
    assert psrp.returncode == 0, psrp.stderr
    demo = demo_folders()
    assert demo.data == exohop_dirs["data"] / "demo"
    transcript = demo.transcripts / "contoso.onmicrosoft.com.jsonl"
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [entry["line"] for entry in lines] == ["Get-Mailbox -ResultSize 1", "Get-Mailbox -ResultSize 2"]
    assert not (exohop_dirs["data"] / "transcripts").exists()       # the user's transcripts: untouched
    assert files_under(exohop_dirs["cache"]) == []                   # the user's cache too


def test_the_shell_demo_keeps_its_history_and_transcript_in_the_demo_folder(exohop_dirs: dict[str, Path]) -> None:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "tui", "shell", "--demo", "-t", "contoso"],
                  dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="120"))
    term = Pty(pid, fd)
    try:
        term.read_until(rb"PS>", timeout=60)
        term.type("Get-Mailbox -ResultSize 1 | Select-Object Name\r")
        term.read_until(rb"LeeG", timeout=60)
        term.type("exit\r")
        assert term.exit_status() == 0
    finally:
        term.close()
    demo = demo_folders()
    assert "Get-Mailbox -ResultSize 1" in (demo.history / "contoso.onmicrosoft.com.json").read_text()   # the shared file
    assert "Get-Mailbox -ResultSize 1" in (demo.transcripts / "contoso.onmicrosoft.com.jsonl").read_text()
    assert not (exohop_dirs["data"] / "history").exists() and not (exohop_dirs["data"] / "transcripts").exists()
    assert files_under(exohop_dirs["cache"]) == []


# -- nothing configured -------------------------------------------------------------------------------------


def test_run_with_no_configuration_says_how_to_add_an_account_and_a_tenant(exohop_dirs: dict[str, Path]) -> None:
    done = exohop(["run", "-t", "contoso", "Get-Mailbox"])
    assert done.returncode == 2          # it could not do what was asked (as for a tenant not found)
    assert "exohop login" in done.stderr and "exohop tenants add" in done.stderr and "--demo" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
