"""A simulator whose first account manages N customer tenants (``customer_tenants`` / ``--tenants``): the
generated tenants are served by both doors like the fixed ones, the same on every start, the default
set is untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msal
import pytest
import requests
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell

from tui.sim import Simulator
from tui.sim.data import ACCOUNTS, TENANTS
from tui.sim.directory import EXO_PUBLIC_CLIENT_ID
from tui.sim.wsman import FAULT_ACCESS_DENIED

SCOPE = "https://outlook.office365.com/.default"
ROOT = Path(__file__).resolve().parents[3]


def test_the_default_set_is_the_fixed_one(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(mailboxes=5)
    assert [t.domain for t in sim.tenants] == [t.domain for t in TENANTS]
    assert [(a.upn, a.tenants) for a in sim.accounts] == [(a.upn, a.tenants) for a in ACCOUNTS]


def test_thirty_tenants_for_the_first_account_on_both_doors(make_sim: Callable[..., Simulator],
                                                            connect: Callable[..., Any]) -> None:
    sim = make_sim(mailboxes=5, customer_tenants=30)
    first, *others = sim.accounts
    assert len(first.tenants) == len(set(first.tenants)) == 30
    assert first.tenants[:11] == ACCOUNTS[0].tenants          # its own fixed tenants first, in order
    assert [(a.upn, a.tenants) for a in others] == [(a.upn, a.tenants) for a in ACCOUNTS[1:]]
    generated = [t for t in sim.tenants if t.domain not in {f.domain for f in TENANTS}]
    assert len(generated) == 19 and {t.domain for t in generated} <= set(first.tenants)
    assert len({t.name for t in sim.tenants}) == len(sim.tenants), "every tenant has a name of its own"
    assert all(t.domain.endswith(".onmicrosoft.com") and t.vanity_domain and t.tags for t in generated)
    last = generated[-1]

    # PSRP: the real pypsrp client opens the generated tenant and reads its mailboxes.
    conn = connect(sim, tenant=last.domain)
    ps = PowerShell(conn.pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("ResultSize", "Unlimited")
    boxes = ps.invoke()
    assert len(boxes) == 5 and not ps.had_errors
    assert all(str(b.adapted_properties["PrimarySmtpAddress"]).endswith("@" + last.vanity_domain) for b in boxes)
    assert sim.stats()["open_shells"] == {first.upn: 1}
    # …and the second account has no delegation there.
    with pytest.raises(WSManFaultError) as refused:
        connect(sim, account=others[0], tenant=last.domain)
    assert refused.value.code == FAULT_ACCESS_DENIED

    # Entra + REST: real msal signs the first account in and gets a token for the generated tenant.
    http = requests.Session()
    http.verify, http.trust_env = sim.ca_file, False
    cache = msal.TokenCache()

    def app(tenant: str) -> msal.PublicClientApplication:
        return msal.PublicClientApplication(EXO_PUBLIC_CLIENT_ID, authority=f"{sim.authority}/{tenant}",
                                            instance_discovery=False, http_client=http, token_cache=cache)

    home = app(sim.home_tenant_of(first.upn))
    flow = home.initiate_device_flow(scopes=[SCOPE])
    sim.approve_device_code(flow["user_code"], first.upn)
    assert "access_token" in home.acquire_token_by_device_flow(flow)
    customer = app(last.domain)
    token = customer.acquire_token_silent([SCOPE], account=customer.get_accounts(username=first.upn)[0])
    assert token and "access_token" in token, token
    url = f"{sim.rest_url}/{sim.tenant_ids[last.domain]}/InvokeCommand"
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": 2}}}
    for _ in range(3):   # the account's first contact is redirected to its pod once
        answer = http.post(url, json=body, headers={"Authorization": f"Bearer {token['access_token']}"},
                           allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            break
        url = answer.headers["Location"]
    assert answer.status_code == 200, answer.text
    assert [m["PrimarySmtpAddress"].split("@")[1] for m in answer.json()["value"]] == [last.vanity_domain] * 2


def test_simulate_tenants_is_the_same_in_another_process(tmp_path: Path,
                                                         make_sim: Callable[..., Simulator]) -> None:
    in_process = make_sim(mailboxes=5, customer_tenants=30)
    config_dir = tmp_path / "cfg"
    proc = subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--port", "0", "--mailboxes", "5",
                             "--tenants", "30", "--write-config", str(config_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert info["accounts"][0]["tenants"] == list(in_process.accounts[0].tenants)
    assert info["tenants"] == in_process.tenant_ids
    written = tomllib.loads((config_dir / "tenants.toml").read_text())["tenants"]
    assert [(t["domain"], t["name"], t["tenant_id"]) for t in written] == [
        (t.domain, t.name, t.tenant_id) for t in in_process.tenants]


def test_fewer_tenants_than_the_fixed_set_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tui", "simulate", "--port", "0", "--tenants", "5"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stdout == ""
    assert "--tenants 5" in done.stderr and "11 or more" in done.stderr and "Traceback" not in done.stderr
