"""The CLI faces end to end: login into the real Secret Service, tenants, `exohop run` exit codes, SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import keyring
import pytest

from tui import accounts
from tui.cli.main import main

from .conftest import Pty, keyring_env, seed_cache, spawn_shell, write_sim_config

pytestmark = pytest.mark.keyring


def _exohop(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], input=stdin, env=env, capture_output=True,
                          text=True, timeout=60)


def test_login_password_reaches_no_file_and_no_log(sim, secret_service, exohop_dirs, seeded_catalog,
                                                   caplog, capsys) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    seed_cache(exohop_dirs["cache"], sim, seeded_catalog)
    env = keyring_env(secret_service)
    login = _exohop(["login", a.upn, "--password-stdin", "--endpoint", sim.url, "--ca-file", sim.ca_file], env,
                    stdin=a.password + "\n")
    assert login.returncode == 0, login.stderr
    assert keyring.get_password("exohop", a.upn.lower()) == a.password     # in the real Secret Service
    added = _exohop(["tenants", "add", a.tenants[0], "--name", "Contoso Ltd"], env)
    assert added.returncode == 0, added.stderr

    caplog.set_level(logging.DEBUG)
    code = main(["run", "-t", "contoso", "Get-Mailbox -ResultSize 2 | Select-Object Name, Alias", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [sorted(r) for r in json.loads(out)] == [["Alias", "Name"], ["Alias", "Name"]]
    assert caplog.records, "debug logging was on"

    outputs = [login.stdout, login.stderr, added.stdout, added.stderr, out, err, caplog.text]
    assert all(a.password not in text for text in outputs)
    files = [p for d in exohop_dirs.values() for p in d.rglob("*") if p.is_file()]
    assert any(p.name == "config.toml" for p in files) and any(p.suffix == ".jsonl" for p in files)
    for path in files:
        assert a.password.encode() not in path.read_bytes(), f"the password leaked into {path}"

    logout = _exohop(["logout", a.upn], env)
    assert logout.returncode == 0 and "removed" in logout.stdout
    assert keyring.get_password("exohop", a.upn.lower()) is None


def test_run_exit_codes(sim, secret_service, exohop_dirs, seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    seed_cache(exohop_dirs["cache"], sim, seeded_catalog)
    not_delegated = next(t.domain for t in sim.tenants if t.domain not in a.tenants)
    write_sim_config(exohop_dirs, sim, [a.tenants[0], not_delegated])

    assert main(["run", "-t", "contoso", "Get-Mailbox -ResultSize 1"]) == 3      # no password stored yet
    assert f"exohop login {a.upn}" in capsys.readouterr().err
    accounts.set_password(a.upn, a.password)
    try:
        assert main(["run", "-t", "contoso", "Get-Mailbox -ResultSize 1"]) == 0
        out, _ = capsys.readouterr()
        assert "Name" in out

        assert main(["run", "-t", "contoso", "Get-Mailbox -Identity 'unterminated"]) == 2
        err = capsys.readouterr().err
        lines = err.splitlines()
        assert lines[0] == "  Get-Mailbox -Identity 'unterminated" and lines[1].strip() == "^"

        assert main(["run", "-t", "contoso", "Get-Mailbox -Bogus 1"]) == 2
        err = capsys.readouterr().err
        assert err.splitlines()[1] == "  " + " " * len("Get-Mailbox ") + "^" and "Bogus" in err

        assert main(["run", "-t", "contoso", "Get-Mailbox -Identity nosuchuser"]) == 1
        assert "couldn't be found" in capsys.readouterr().err

        assert main(["run", "-t", not_delegated.split(".")[0], "Get-Mailbox -ResultSize 1"]) == 3
        assert "delegated admin rights" in capsys.readouterr().err

        assert main(["run", "-t", "nowhere", "Get-Mailbox"]) == 2
        assert "tenants add" in capsys.readouterr().err

        assert main(["run", "-t", "all", "Get-Mailbox -ResultSize 1", "--format", "csv"]) == 3   # one denied
        out, err = capsys.readouterr()
        assert out.count('"Name"') == 1 and "Access is denied" in err
        assert sim.stats()["open_shells"].get(a.upn, 0) == 0
    finally:
        accounts.delete_password(a.upn)


def test_sigterm_to_a_running_exohop_run_leaves_no_shell_and_an_interrupted_transcript_line(make_sim, secret_service, exohop_dirs,
                                                         seeded_catalog) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3000, latency_ms=20)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    write_sim_config(exohop_dirs, server, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "tui", "run", "-t", a.tenants[0],
                                 "Get-Mailbox -ResultSize Unlimited"], env=keyring_env(secret_service),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            stats = server.stats()
            if stats["requests"]["Command"] >= 2 and stats["requests"]["Receive"] >= 4:
                break                       # Get-Command detail done, the Get-Mailbox output is streaming
            time.sleep(0.02)
        assert proc.poll() is None, "exohop run should still be receiving the 3000 mailboxes"
        assert server.stats()["open_shells"] == {a.upn: 1}
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "closing sessions" in err
        assert server.stats()["open_shells"] == {}
        assert server.stats()["shells_deleted"] == 1
    finally:
        accounts.delete_password(a.upn)
    # The interrupted command (a Set- may have partly run) has its audit line.
    transcript = exohop_dirs["data"] / "transcripts" / f"{a.tenants[0]}.jsonl"
    entry = json.loads(transcript.read_text().splitlines()[-1])
    assert entry["outcome"] == "interrupted" and entry["line"] == "Get-Mailbox -ResultSize Unlimited"
    assert entry["duration_s"] > 0


def test_tenants_commands_and_malformed_file(exohop_dirs, tmp_path, capsys) -> None:   # type: ignore[no-untyped-def]
    assert main(["tenants", "add", "contoso.onmicrosoft.com", "--name", "Contoso", "--tag", "eu"]) == 0
    assert main(["tenants", "add", "contoso.onmicrosoft.com"]) == 2
    assert main(["tenants", "add", "evil.com?DelegatedOrg=x"]) == 2
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text("Customer name,Primary domain\nFabrikam,fabrikam.onmicrosoft.com\nBad,not a domain\n"
                        "Contoso again,contoso.onmicrosoft.com\n")
    assert main(["tenants", "import", str(csv_file)]) == 1              # one row rejected
    out = capsys.readouterr().out
    assert "added 1" in out and "line 3" in out and "skipped 1" in out
    assert main(["tenants", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Contoso" in listing and "fabrikam.onmicrosoft.com" in listing
    assert main(["tenants", "remove", "fabrikam.onmicrosoft.com"]) == 0
    path = exohop_dirs["config"] / "tenants.toml"
    broken = path.read_text() + "\n[[tenants]\ndomain = 'x.com'\n"
    path.write_text(broken)
    capsys.readouterr()
    assert main(["tenants", "add", "litware.onmicrosoft.com"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "line" in err
    assert path.read_text() == broken                                   # never overwritten


def test_login_without_a_keyring_backend_says_how_to_get_one(exohop_dirs, tmp_path) -> None:   # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND",)}
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'no-bus'}"    # no Secret Service anywhere
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")                          # no keyringrc.cfg either
    result = _exohop(["login", "admin@partner.onmicrosoft.com", "--password-stdin"], env, stdin="S3cret-pw\n")
    assert result.returncode == 3
    assert "gnome-keyring" in result.stderr and "S3cret-pw" not in result.stderr + result.stdout
    assert not (exohop_dirs["config"] / "config.toml").exists()


def test_run_with_no_cache_imports_only_the_lines_commands(sim, secret_service, exohop_dirs, capsys) -> None:   # type: ignore[no-untyped-def]
    a = sim.accounts[0]
    write_sim_config(exohop_dirs, sim, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    try:
        t0 = time.monotonic()
        code = main(["run", "-t", "contoso", "Get-Mailbox -ResultSize 2 | Get-MailboxStatistics | Sort-Object ItemCount"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "ItemCount" in out and time.monotonic() - t0 < 20
        # The narrow catalog is not cached (it would hide the other ~700 commands from the next session).
        assert not list((exohop_dirs["cache"]).rglob("*.json"))
    finally:
        accounts.delete_password(a.upn)


def test_shell_without_a_keyring_says_so_and_exits_3(make_sim, exohop_dirs, seeded_catalog) -> None:   # type: ignore[no-untyped-def]
    # The shell signs in on its connect thread: the keyring's own message must still reach the user there,
    # not "an unexpected error".
    import pty

    server = make_sim(mailboxes=3)
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    write_sim_config(exohop_dirs, server, [server.accounts[0].tenants[0]])
    pid, fd = pty.fork()
    if pid == 0:   # the child: exohop shell on a terminal, on a machine with no keyring backend
        env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
               "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "COLUMNS": "120"}
        os.execve(sys.executable, [sys.executable, "-m", "tui", "shell", "-t", "contoso"], env)
    term = Pty(pid, fd)
    try:
        shown = term.read_until(rb"no OS keyring backend is available", timeout=60)
        assert term.exit_status() == 3
        assert b"unexpected" not in shown and b"Traceback" not in shown
    finally:
        term.close()


def test_shell_repl_runs_stops_with_ctrl_c_and_closes(make_sim, secret_service, exohop_dirs,
                                                      seeded_catalog) -> None:   # type: ignore[no-untyped-def]

    server = make_sim(mailboxes=3000, latency_ms=20)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    write_sim_config(exohop_dirs, server, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    term = Pty(*spawn_shell(secret_service, "contoso"))
    try:
        term.read_until(rb"PS>")
        term.type("Get-Mailbox -ResultSize 2 | Select-Object Name\r")
        term.read_until(rb"Name\s*\r?\n-+")
        term.clear()
        term.type("Get-Mailbox -ResultSize Unlimited\r")
        term.read_until(rb"ProhibitSendQuota")        # records are streaming in (the table has begun)
        signals = server.stats()["requests"]["Signal"]
        term.type("\x03")                                         # Ctrl+C: the PSRP stop
        term.read_until(rb"\(stopped\)")
        assert server.stats()["requests"]["Signal"] == signals + 1
        assert server.stats()["open_shells"] == {a.upn: 1}        # the session stays open and usable
        term.type("exit\r")
        assert term.exit_status() == 0
        assert server.stats()["open_shells"] == {}
        # The history file the console shares (tui.shell.history_file).
        history = json.loads((exohop_dirs["data"] / "history" / f"{a.tenants[0]}.json").read_text())["entries"]
        assert "Get-Mailbox -ResultSize Unlimited" in history
    finally:
        term.close()
        accounts.delete_password(a.upn)
