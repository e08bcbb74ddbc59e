"""Issue 8 (diagnosability) and issue 9 §5, §6, §8 through the CLI faces, against the simulator.

The log: ``--log FILE`` at DEBUG, every registered password kept out of it; messages: no Python class
name on stderr for the known failure paths; the audit: transcript lines for interrupted, failed,
declined and skipped commands; the safety rules of ``exohop run`` and ``exohop shell``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui import accounts, logs
from tui.cli.main import main

from .conftest import Pty, keyring_env, seed_cache, spawn_shell, write_sim_config

CLASS_NAME = re.compile(r"[A-Z][a-zA-Z]+(Error|Exception)\b")


@pytest.fixture(autouse=True)
def _no_leftover_log_handler() -> Iterator[None]:
    yield
    logs.uninstall()   # main() installs exohop's handler on the root logger of this process


def _transcript(dirs: dict[str, Path], domain: str) -> list[dict[str, Any]]:
    path = dirs["data"] / "transcripts" / f"{domain}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _rest(fd: int) -> bytes:
    """What the child wrote that nobody read yet (for a failure's message)."""
    import select

    out = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def _secrets_of(upn: str, password: str) -> list[str]:
    return [password, base64.b64encode(f"{upn}:{password}".encode()).decode()]


# -- (a) the log ---------------------------------------------------------------------------------------------


def test_redact_filter_masks_registered_secrets_in_message_args_and_traceback(tmp_path: Path) -> None:
    logs.register_secret("Hunter2-unit", user="u@p.com")
    path = logs.setup(tmp_path / "unit.log")
    assert path == tmp_path / "unit.log" and oct(path.stat().st_mode & 0o777) == "0o600"
    log = logging.getLogger("pypsrp.unit")
    log.debug("sending %s", "Authorization: Basic " + base64.b64encode(b"u@p.com:Hunter2-unit").decode())
    try:
        raise RuntimeError("boom Hunter2-unit")
    except RuntimeError:
        logging.getLogger("tui.unit").exception("failed with %s", "Hunter2-unit")
    text = path.read_text()
    assert "Hunter2-unit" not in text and "dUBwLmNvbTpIdW50ZXIyLXVuaXQ=" not in text
    assert text.count(logs.REDACTED) == 4 and "RuntimeError" in text and "sending Authorization" in text


def test_default_log_takes_warnings_only_and_quiets_third_party(exohop_dirs: dict[str, Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXOHOP_LOG", raising=False)
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", logging.WARNING)   # as in a real run (pytest may have lowered it)
    path = logs.setup()
    assert path == exohop_dirs["data"] / "exohop.log"
    logging.getLogger("tui.x").info("not kept")
    logging.getLogger("tui.x").warning("kept")
    assert logging.getLogger("pypsrp").level == logging.INFO and logging.getLogger("urllib3").level == logging.INFO
    assert path.read_text().count("kept") == 1 and "not kept" not in path.read_text()
    handler = root.handlers[-1]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.maxBytes == 1_000_000 and handler.backupCount == 3


def test_version_names_the_libraries_without_importing_textual() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", "--version"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == ["exohop", "textual", "pypsrp", "psrpcore"]
    assert not re.search(r"\|\s+textual$", out.stderr, re.M), "--version imported Textual"


def test_debug_log_of_a_demo_run_holds_no_password(exohop_dirs: dict[str, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys) -> None:   # type: ignore[no-untyped-def]
    import tui.cli.demo as demo_module

    started: list[Any] = []
    real = demo_module.start_demo

    def spy(*args: Any, **kwargs: Any) -> Any:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(demo_module, "start_demo", spy)
    log_file = tmp_path / "debug.log"
    assert main(["--log", str(log_file), "run", "--demo", "-t", "contoso", "Get-Mailbox -ResultSize 2"]) == 0
    assert "LeeG" in capsys.readouterr().out
    text = log_file.read_text()
    assert " DEBUG " in text and "urllib3" in text       # the libraries' debug output is there …
    for account in started[0].sim.accounts:              # … and no demo password, plain or as Basic auth
        for secret in _secrets_of(account.upn, account.password):
            assert secret not in text


# -- (a) + (d): a wrong password, -t all ---------------------------------------------------------------------


@pytest.mark.keyring
def test_wrong_password_run_all_signs_in_once_logs_no_password_and_audits(
        make_sim, secret_service, exohop_dirs, seeded_catalog, tmp_path: Path, capsys) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    tenants = list(a.tenants[:4])
    write_sim_config(exohop_dirs, server, tenants)
    wrong = "Wr0ng-pass-" + a.password[:4]
    accounts.set_password(a.upn, wrong)
    log_file = tmp_path / "wrong.log"
    try:
        code = main(["--log", str(log_file), "run", "-t", "all", "Get-Mailbox -ResultSize 1"])
    finally:
        accounts.delete_password(a.upn)
    err = capsys.readouterr().err
    assert code == 3
    # One sign-in attempt, not one per tenant: one tenant is refused (said as it happens and in the summary) …
    refused = {d for d in tenants for line in err.splitlines() if "was refused" in line and f"({d})" in line}
    assert len(refused) == 1, err
    # … and the others are skipped with the reason, listed in the summary.
    assert f"{len(tenants) - 1} skipped" in err and "already failed for another tenant" in err
    assert not CLASS_NAME.search(err), err
    text = log_file.read_text()
    assert "AuthenticationError" in text or "401" in text   # the cause is in the log …
    for secret in _secrets_of(a.upn, wrong) + _secrets_of(a.upn, a.password):
        assert secret not in text                           # … the password is not
    outcomes = [_transcript(exohop_dirs, d)[-1]["outcome"] for d in tenants]
    assert outcomes == ["connect_failed"] + ["skipped"] * (len(tenants) - 1)


# -- (b) no Python on stderr ---------------------------------------------------------------------------------


@pytest.mark.keyring
def test_known_failure_paths_show_no_exception_class_name(make_sim, secret_service, exohop_dirs,
                                                          seeded_catalog, tmp_path: Path) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=3)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    env = keyring_env(secret_service)
    other_ca = tmp_path / "other-ca.pem"
    from tui.sim.certs import generate

    other_ca.write_bytes(Path(generate(tmp_path / "other").ca_file).read_bytes())
    line = ["run", "-t", "contoso", "Get-Mailbox -ResultSize 1"]

    def run(**config: Any) -> subprocess.CompletedProcess[str]:
        write_sim_config(exohop_dirs, server, [a.tenants[0]], **config)
        return subprocess.run([sys.executable, "-m", "tui", *line], env=env, capture_output=True, text=True,
                              timeout=60)

    results: dict[str, subprocess.CompletedProcess[str]] = {}
    accounts.set_password(a.upn, "not-the-password")
    try:
        results["wrong password"] = run()
        accounts.set_password(a.upn, a.password)
        results["unreachable port"] = run(url="https://127.0.0.1:9/powershell-liveid")
        results["wrong CA"] = run(ca_file=str(other_ca))
        results["missing CA file"] = run(ca_file=str(tmp_path / "gone.pem"))
        (exohop_dirs["config"] / "config.toml").write_text("[settings\nconfirm = ")
        results["malformed config"] = subprocess.run([sys.executable, "-m", "tui", *line], env=env,
                                                     capture_output=True, text=True, timeout=60)
    finally:
        accounts.delete_password(a.upn)
    for name, result in results.items():
        assert result.returncode in (2, 3), (name, result.stderr)
        assert result.stderr.strip(), name
        assert not CLASS_NAME.search(result.stderr), (name, result.stderr)
        assert "Traceback" not in result.stderr, (name, result.stderr)
    missing = results["missing CA file"].stderr
    assert f"the CA file {tmp_path / 'gone.pem'} for account {a.upn} is missing" in missing


def test_deep_nesting_is_a_parse_error_with_its_column(capsys) -> None:   # type: ignore[no-untyped-def]
    from tui.shell import ParseError, parse
    from tui.shell.expressions import ExpressionError, compile_expression

    pipes = "Get-Mailbox" + " | Select-Object Name" * 5000
    with pytest.raises(ParseError) as info:
        parse(pipes)
    assert "nested too deeply" in info.value.message and 0 < info.value.column < len(pipes)
    parens = "Get-Mailbox -Identity " + "(" * 3000 + "x" + ")" * 3000
    with pytest.raises(ParseError) as info:
        parse(parens)
    assert "nested too deeply" in info.value.message and info.value.column > len("Get-Mailbox -Identity ")
    with pytest.raises(ExpressionError) as expr:
        compile_expression("{" + "(" * 3000 + "$_.Name" + ")" * 3000 + "}")
    assert "nested too deeply" in expr.value.message
    with pytest.raises(ExpressionError):
        compile_expression("{" + "-not " * 3000 + "$_.Name}")
    chain = compile_expression("{" + "1+" * 5000 + "1}")
    with pytest.raises(ExpressionError) as expr:
        chain.evaluate()
    assert "nested too deeply" in expr.value.message
    assert main(["run", "-t", "contoso", pipes]) == 2      # rejected before any connect or config
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "^" in err and not CLASS_NAME.search(err)


# -- (d) the safety rules and the audit ----------------------------------------------------------------------


def test_run_requires_yes_for_a_state_changing_line(exohop_dirs: dict[str, Path], capsys) -> None:   # type: ignore[no-untyped-def]
    code = main(["run", "--demo", "-t", "contoso", "Remove-MailboxPermission -Identity LeeG -User AdeleV"])
    err = capsys.readouterr().err
    assert code == 2 and "--yes" in err and 'confirm = "always"' in err
    assert main(["run", "--demo", "-t", "contoso", "Set-Mailbox -Identity LeeG -WhatIf"]) != 2   # previews pass


@pytest.mark.keyring
def test_shell_asks_naming_the_tenant_and_audits_a_decline(make_sim, secret_service, exohop_dirs,
                                                           seeded_catalog) -> None:   # type: ignore[no-untyped-def]

    server = make_sim(mailboxes=3)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    write_sim_config(exohop_dirs, server, [a.tenants[0]])
    accounts.set_password(a.upn, a.password)
    term = Pty(*spawn_shell(secret_service, "contoso"))

    def read_until(pattern: bytes) -> None:   # each wait looks only at what came after the last one
        term.read_until(pattern)
        term.clear()

    line = "Remove-MailboxPermission -Identity LeeG -User AdeleV -AccessRights FullAccess"
    try:
        read_until(rb"PS>")
        term.type(line + "\r")
        read_until(rb"changes Contoso \(contoso\.onmicrosoft\.com\)\. Run it\? \[y/N\]")
        term.type("n\r")
        read_until(rb"Not run\.")
        read_until(rb"PS>")
        term.type("exit\r")
        assert term.exit_status() == 0, _rest(term.fd)
    finally:
        term.close()
        accounts.delete_password(a.upn)
    entries = _transcript(exohop_dirs, a.tenants[0])     # the session writes a line for whatever it ran
    assert [(e["line"], e["outcome"]) for e in entries] == [(line, "declined")]
