"""`exohop run` across tenants over REST, as an engineer runs it: `exohop login` (the real msal, the
simulator's Entra over verified HTTPS, the sign-in in the real Secret Service), then one batch over five
tenants in a real subprocess: three answer, one the account has no GDAP relationship with, one whose
output the service cuts mid-command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tui.sim import Simulator

from .test_rest_cli import ROOT, env, exohop, sign_in  # noqa: F401  (env: the fixture)

LINE = "Get-Mailbox -ResultSize 2 | Select-Object Name,PrimarySmtpAddress"


def _tenants_file(dirs: dict[str, Path], domains: list[str]) -> None:
    (dirs["config"] / "tenants.toml").write_text("".join(
        f'[[tenants]]\ndomain = "{d}"\nname = "{d.split(".")[0].title()}"\ntags = ["{"eu" if i % 2 else "us"}"]\n'
        for i, d in enumerate(domains)))


def test_a_rest_batch_merges_records_reports_each_failure_and_exits_3(
        make_sim: Any, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:   # noqa: F811
    sim: Simulator = make_sim(mailboxes=5)
    a = sim.accounts[0]
    ok = list(a.tenants[:3])
    cut = a.tenants[3]
    denied = next(t.domain for t in sim.tenants if t.domain not in a.tenants)
    chosen = [ok[0], cut, ok[1], denied, ok[2]]
    _tenants_file(exohop_dirs, chosen)
    sign_in(sim, env)
    sim.faults.drop_tenant_output(cut, count=100)
    shells = sim.stats()["shells_created"]

    done = exohop(["run", "-t", "all", LINE, "--format", "jsonl"], env)
    assert done.returncode == 3, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["TenantDomain"] for r in rows] == [d for d in ok for _ in range(2)]
    assert all(list(r)[:2] == ["Tenant", "TenantDomain"] for r in rows)
    assert "3 of 5 tenants succeeded, 2 failed" in done.stderr
    assert any(f"({denied})" in line for line in done.stderr.splitlines())
    assert any(f"({cut})" in line for line in done.stderr.splitlines())
    assert "Traceback" not in done.stderr and "eyJ" not in done.stdout + done.stderr   # no token shown
    assert sim.stats()["shells_created"] == shells          # REST: no shell anywhere

    transcripts = exohop_dirs["data"] / "transcripts"
    last = {d: json.loads((transcripts / f"{d}.jsonl").read_text().splitlines()[-1]) for d in chosen}
    assert len({e["batch"] for e in last.values()}) == 1
    assert last[denied]["outcome"] == "connect_failed" and last[cut]["outcome"] == "failed"


def test_tags_and_except_choose_the_tenants_and_a_state_change_needs_yes(
        make_sim: Any, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:   # noqa: F811
    sim: Simulator = make_sim(mailboxes=3)
    a = sim.accounts[0]
    chosen = list(a.tenants[:4])
    _tenants_file(exohop_dirs, chosen)
    sign_in(sim, env)

    refused = exohop(["run", "-t", "all", "Set-Mailbox -Identity LeeG -DisplayName 'Lee G'"], env)
    assert refused.returncode == 2
    assert "changes 4 tenants (Set-Mailbox)" in refused.stderr and "--yes" in refused.stderr
    assert "Set-Mailbox" not in sim.stats()["rest"]["by_cmdlet"]      # nothing was sent

    preview = exohop(["run", "-t", "all", "Set-Mailbox -Identity LeeG -DisplayName 'Lee G' -WhatIf"], env)
    assert "--yes" not in preview.stderr and "4 tenants" in preview.stderr

    # --tag eu reaches the 2nd and 4th tenant (tags alternate us/eu); --except drops the 4th.
    tagged = exohop(["run", "--tag", "EU", "--except", chosen[3], "Get-Mailbox -ResultSize 1", "--format", "jsonl"], env)
    assert tagged.returncode == 0, tagged.stderr
    assert [json.loads(line)["TenantDomain"] for line in tagged.stdout.splitlines()] == [chosen[1]]


def test_sigint_mid_batch_over_rest_stops_and_exits_130(
        make_sim: Any, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:   # noqa: F811
    sim: Simulator = make_sim(mailboxes=50)
    a = sim.accounts[0]
    _tenants_file(exohop_dirs, list(a.tenants[:6]))
    sign_in(sim, env)
    hold = sim.faults.hold_rest()          # every InvokeCommand waits in the server until released
    proc = subprocess.Popen([sys.executable, "-m", "tui", "run", "-t", "all", "Get-Mailbox -ResultSize 5"],
                            env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while sum(sim.stats()["rest"]["in_flight"].values()) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the batch never got going"
            time.sleep(0.05)
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        hold.set()
        sim.faults.clear()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert took < 5
