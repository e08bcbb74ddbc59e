"""Read-only mode over PSRP against the simulator: `exohop run --read-only`, an account's ``read_only = true``,
the session engine's refusal, and `exohop shell --read-only` on a pseudo-terminal. A refused line sends
nothing (the simulator's request counters do not move); -WhatIf still runs."""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui import accounts
from tui.cli.main import main
from tui.remoting.events import ErrorEvent, Event, RecordEvent, WarningEvent

from .conftest import Pty, keyring_env, seed_cache, write_sim_config

pytestmark = pytest.mark.keyring



def set_line(alias: str) -> str:
    return f"Set-Mailbox -Identity {alias} -CustomAttribute1 readonly-test"


def first_alias(capsys: Any) -> str:
    """The alias of the tenant's first mailbox, read with `exohop run` (reads run in read-only mode too)."""
    assert main(["run", "--read-only", "-t", "contoso", "Get-Mailbox -ResultSize 1 | Select-Object Alias",
                 "--format", "json"]) == 0
    return str(json.loads(capsys.readouterr().out)[0]["Alias"])


def _configure(server: Any, dirs: dict[str, Path], catalog: Any, *, read_only_account: bool = False) -> Any:
    a = server.accounts[0]
    seed_cache(dirs["cache"], server, catalog)
    write_sim_config(dirs, server, [a.tenants[0]])
    if read_only_account:
        path = dirs["config"] / "config.toml"
        data = tomllib.loads(path.read_text())
        data["accounts"][0]["read_only"] = True
        path.write_text(tomli_w.dumps(data))
    accounts.set_password(a.upn, a.password)
    return a


def _outcomes(dirs: dict[str, Path], domain: str) -> list[tuple[str, str]]:
    transcript = dirs["data"] / "transcripts" / f"{domain}.jsonl"
    return [(e["line"], e["outcome"]) for e in map(json.loads, transcript.read_text().splitlines())]


def test_run_read_only_refuses_set_mailbox_with_exit_code_2_and_no_request_then_whatif_runs(
        make_sim, secret_service, exohop_dirs, seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3)
    a = _configure(server, exohop_dirs, seeded_catalog)
    try:
        alias = first_alias(capsys)
        SET_LINE = set_line(alias)
        before = server.stats()
        assert main(["run", "--read-only", "-t", "contoso", SET_LINE]) == 2
        err = capsys.readouterr().err
        assert "Read-only: Set-Mailbox changes the tenant, so exohop did not send this line" in err
        assert "-WhatIf" in err and "run it without --read-only" in err
        assert "--yes" not in err                                  # read-only refuses; it does not ask
        assert server.stats() == before                            # not even a sign-in reached the server

        # The flag before the face's name works the same; a cmdlet the catalog marks (-WhatIf) is refused too
        assert main(["--read-only", "run", "-t", "contoso", "Undo-SoftDeletedMailbox -SoftDeletedObject x"]) == 2
        assert "Read-only: Undo-SoftDeletedMailbox changes the tenant" in capsys.readouterr().err
        assert server.stats() == before

        assert main(["run", "--read-only", "-t", "contoso", SET_LINE + " -WhatIf"]) == 0
        _, err = capsys.readouterr()
        assert "What if" in err
        assert server.stats()["requests"]["Command"] > before["requests"]["Command"]
        assert main(["run", "--read-only", "-t", "contoso",
                     f"Get-Mailbox -Identity {alias} | Select-Object CustomAttribute1", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["CustomAttribute1"] != "readonly-test"   # -WhatIf: nothing
    finally:
        accounts.delete_password(a.upn)
    outcomes = _outcomes(exohop_dirs, a.tenants[0])
    assert outcomes[1] == (SET_LINE, "refused") and outcomes[3] == (SET_LINE + " -WhatIf", "ok")


def test_an_account_with_read_only_true_is_refused_in_run_without_asking_for_yes_and_says_how_to_leave(
        make_sim, secret_service, exohop_dirs, seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3)
    a = _configure(server, exohop_dirs, seeded_catalog, read_only_account=True)
    try:
        before = server.stats()
        # no --yes asked for: the account is read-only, so the refusal is what the engineer needs to read
        assert main(["run", "-t", "contoso", set_line("anyone")]) == 2
        err = capsys.readouterr().err
        assert "Read-only: Set-Mailbox" in err and f"set read_only = false for {a.upn} in config.toml" in err
        assert "--read-only" not in err                            # the flag was not given: not the way out
        assert server.stats() == before
        assert main(["run", "-t", "contoso", "Get-Mailbox -ResultSize 1"]) == 0   # reads run as usual
        assert "ProhibitSendQuota" in capsys.readouterr().out
    finally:
        accounts.delete_password(a.upn)


def test_the_session_engine_refuses_before_binding_and_sends_nothing(sim, open_session) -> None:   # type: ignore[no-untyped-def]
    session = open_session(sim)
    seen: list[Event] = []
    session.run("Get-Mailbox -ResultSize 1", seen.append)
    first = next(e.record for e in seen if isinstance(e, RecordEvent))
    alias, attribute = first["Alias"], first["CustomAttribute1"]
    SET_LINE = set_line(alias)
    assert not session.read_only                                   # an account without read_only = true
    session.set_read_only(True, "leave it the test's way")
    seen.clear()
    commands = sim.stats()["requests"]["Command"]
    summary = session.run("$m = Get-Mailbox -ResultSize 1; " + SET_LINE, seen.append)
    assert summary.outcome == "refused" and summary.records == 0
    errors = [e for e in seen if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and errors[0].terminating
    assert "Set-Mailbox changes the tenant" in errors[0].message and "leave it the test's way" in errors[0].message
    assert sim.stats()["requests"]["Command"] == commands          # not even the Get-Mailbox before it ran
    assert "m" not in session.variables

    seen.clear()
    summary = session.run(SET_LINE + " -WhatIf", seen.append)
    assert summary.outcome == "ok"
    assert any(isinstance(e, WarningEvent) and "What if" in e.message for e in seen)

    session.set_read_only(False)   # off again: the same Set- goes out (setting the value it has: the shared
    seen.clear()                   # simulator stays as it was)
    assert session.run(f"Set-Mailbox -Identity {alias} -CustomAttribute1 '{attribute}'", seen.append).outcome == "ok"
    assert sim.stats()["requests"]["Command"] > commands


def test_shell_read_only_refuses_a_set_line_without_asking_and_runs_whatif(
        make_sim, secret_service, exohop_dirs, seeded_catalog, capsys) -> None:   # type: ignore[no-untyped-def]
    import pty

    server = make_sim(mailboxes=3)
    a = _configure(server, exohop_dirs, seeded_catalog)
    alias = first_alias(capsys)
    SET_LINE = set_line(alias)
    pid, fd = pty.fork()
    if pid == 0:   # the child: exohop shell --read-only on a terminal
        env = keyring_env(secret_service, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="160")
        os.execve(sys.executable, [sys.executable, "-m", "tui", "shell", "--read-only", "-t", "contoso"], env)
    term = Pty(pid, fd)
    try:
        term.read_until(rb"PS>")
        term.clear()
        term.type(SET_LINE + "\r")
        shown = term.read_until(rb"run it without\s+--read-only")
        assert re.search(rb"Read-only: Set-Mailbox\s+changes\s+the\s+tenant", shown)
        assert b"Run it?" not in shown                             # refused, not asked
        term.clear()
        term.type(SET_LINE + " -WhatIf\r")
        term.read_until(rb"What if")
        term.type("exit\r")
        assert term.exit_status() == 0
    finally:
        term.close()
    try:   # the session's background catalog refresh also sends commands: the data tells what ran
        assert main(["run", "-t", "contoso", f"Get-Mailbox -Identity {alias} | Select-Object CustomAttribute1",
                     "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["CustomAttribute1"] != "readonly-test"
    finally:
        accounts.delete_password(a.upn)
    assert (SET_LINE, "refused") in _outcomes(exohop_dirs, a.tenants[0])
