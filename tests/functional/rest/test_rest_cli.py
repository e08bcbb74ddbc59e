"""`exohop login` then `exohop run` over REST, as an engineer does it: real subprocesses, the real msal, the
simulator's Entra and REST doors over verified HTTPS, the sign-in kept in the real Secret Service."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import requests

from tui.sim import Simulator

ROOT = Path(__file__).resolve().parents[3]
CODE = re.compile(r"enter the code (\w+)")
CONTOSO = "contoso.onmicrosoft.com"


@pytest.fixture
def env(secret_service: Any, exohop_dirs: dict[str, Path]) -> dict[str, str]:
    return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": secret_service.address,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}


def exohop(args: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], env=env, cwd=ROOT, text=True, capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def sign_in(sim: Simulator, env: dict[str, str]) -> str:
    """`exohop login` with the device code approved through /devicelogin; returns the account's UPN."""
    account = sim.accounts[0]
    assert sim.ca_file
    proc = subprocess.Popen([sys.executable, "-m", "tui", "login", account.upn, "--endpoint", sim.url,
                             "--authority", sim.authority, "--ca-file", sim.ca_file], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stderr is not None
    seen = ""
    while (found := CODE.search(seen)) is None:
        line = proc.stderr.readline()
        assert line, f"exohop login ended without a code: {seen!r}"
        seen += line
    answer = requests.post(f"{sim.authority}/devicelogin", verify=sim.ca_file, timeout=10,
                           data={"code": found.group(1), "username": account.upn, "password": account.password})
    assert answer.status_code == 200
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return account.upn


def test_run_over_rest_after_login_prints_records_and_stores_the_tenant_id(
        make_sim: Any, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:
    sim: Simulator = make_sim()
    tenants = exohop_dirs["config"] / "tenants.toml"
    tenants.write_text(f'[[tenants]]\ndomain = "{CONTOSO}"\nname = "Contoso Ltd"\n')
    upn = sign_in(sim, env)
    # login resolved and stored the id already; take it out again to see `run` store what it resolves
    tenants.write_text(f'# my customers\n[[tenants]]\ndomain = "{CONTOSO}"\nname = "Contoso Ltd"\n')
    config = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())
    assert config["accounts"][0]["auth"] == "oauth" and config["accounts"][0]["upn"] == upn
    shells = sim.stats()["shells_created"]

    done = exohop(["run", "-t", "contoso", "Get-Mailbox -ResultSize 3 | Select-Object DisplayName, PrimarySmtpAddress",
                   "--format", "json"], env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 3 and set(rows[0]) == {"DisplayName", "PrimarySmtpAddress"}
    stats = sim.stats()
    assert stats["rest"]["by_cmdlet"]["Get-Mailbox"] and stats["shells_created"] == shells
    text = tenants.read_text()
    assert text.startswith("# my customers") and f'tenant_id = "{sim.tenant_ids[CONTOSO]}"' in text
    assert "eyJ" not in done.stdout + done.stderr


def test_run_without_a_sign_in_says_how_to_sign_in(make_sim: Any, env: dict[str, str],
                                                   exohop_dirs: dict[str, Path]) -> None:
    sim: Simulator = make_sim()
    account = sim.accounts[0]
    (exohop_dirs["config"] / "config.toml").write_text(
        f'[[accounts]]\nupn = "{account.upn}"\nendpoint = "{sim.url}"\nca_file = "{sim.ca_file}"\n'
        f'auth = "oauth"\nauthority = "{sim.authority}"\ndefault = true\n')
    (exohop_dirs["config"] / "tenants.toml").write_text(f'[[tenants]]\ndomain = "{CONTOSO}"\n')
    done = exohop(["run", "-t", "contoso", "Get-AcceptedDomain"], env)
    assert done.returncode == 3
    assert f"exohop login {account.upn}" in done.stderr
    assert "Traceback" not in done.stderr
