"""`exohop run` across tenants over remote PowerShell: the real pypsrp against the simulator over verified
HTTPS, the password in the real Secret Service. A batch of five tenants: three answer, one the account
is not delegated to, one whose output the server cuts mid-command."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tui import accounts
from tui.cli.main import main

from .conftest import keyring_env, seed_cache, write_sim_config

pytestmark = pytest.mark.keyring

LINE = "Get-Mailbox -ResultSize 2 | Select-Object Name,PrimarySmtpAddress"


def _transcript(dirs: dict[str, Path], domain: str) -> list[dict[str, Any]]:
    path = dirs["data"] / "transcripts" / f"{domain}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def batch_setup(make_sim, secret_service, exohop_dirs, seeded_catalog):   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=5)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    ok = list(a.tenants[:3])
    cut = a.tenants[3]
    denied = next(t.domain for t in server.tenants if t.domain not in a.tenants)
    chosen = [ok[0], cut, ok[1], denied, ok[2]]
    write_sim_config(exohop_dirs, server, chosen)
    accounts.set_password(a.upn, a.password)
    yield server, chosen, ok, cut, denied
    accounts.delete_password(a.upn)


def _name(domain: str) -> str:
    return domain.split(".")[0].title()   # write_config's display names


@pytest.mark.parametrize("fmt", ["json", "csv", "jsonl", "table"])
def test_a_batch_merges_every_tenants_records_names_each_failure_and_exits_3(
        batch_setup, exohop_dirs, capsys, fmt: str) -> None:   # type: ignore[no-untyped-def]
    server, chosen, ok, cut, denied = batch_setup
    server.faults.drop_tenant_output(cut, count=100)   # every answer carrying its output is cut
    code = main(["run", "-t", "all", LINE, "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 3, err                       # one tenant could not connect (not delegated)

    if fmt == "json":
        rows = json.loads(out)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
    if fmt != "table":
        # A leading Tenant (and TenantDomain) on every record; ordered by tenant as chosen, 2 each.
        assert all(list(r)[:2] == ["Tenant", "TenantDomain"] for r in rows)
        got = [r["TenantDomain"] for r in rows]
        assert got == [d for d in ok for _ in range(2)], f"{got} {chosen} {err}"
        assert [r["Tenant"] for r in rows] == [_name(d) for d in ok for _ in range(2)]
        assert all(r["PrimarySmtpAddress"] for r in rows)
    else:
        header = out.splitlines()[0].split()
        assert header[:3] == ["Tenant", "Name", "PrimarySmtpAddress"]
        for d in ok:
            assert out.count(_name(d)) == 2

    # stderr names each failed tenant and why; the summary counts and lists them.
    assert "3 of 5 tenants succeeded, 2 failed" in err
    failures = [line for line in err.splitlines() if f"({denied})" in line]
    assert failures and all("delegat" in line.lower() or "denied" in line.lower() for line in failures), err
    assert any(f"({cut})" in line for line in err.splitlines())
    assert "Traceback" not in err

    stats = server.stats()
    assert max(stats["peak_open_shells"].values()) <= 3     # the service's limit held …
    assert stats["peak_open_shells"][server.accounts[0].upn] >= 2   # … and tenants ran side by side
    assert stats["open_shells"] == {}                        # every shell deleted at the end

    # One transcript line per tenant, all with the same batch id.
    batches = {_transcript(exohop_dirs, d)[-1].get("batch") for d in chosen}
    assert len(batches) == 1 and None not in batches
    outcomes = {d: _transcript(exohop_dirs, d)[-1]["outcome"] for d in chosen}
    assert outcomes[denied] == "connect_failed" and outcomes[cut] == "failed"
    assert all(outcomes[d] == "ok" for d in ok)


def test_arrival_order_prints_the_same_records(batch_setup, capsys) -> None:   # type: ignore[no-untyped-def]
    ok = batch_setup[2]
    assert main(["run", "-t", ok[0], "-t", ok[1], "-t", ok[2], LINE, "--format", "jsonl", "--order", "arrival"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["TenantDomain"] for r in rows) == sorted(d for d in ok for _ in range(2))
    assert "3 of 3 tenants succeeded" in err


def test_a_state_change_across_tenants_needs_yes_and_whatif_does_not(batch_setup, capsys) -> None:   # type: ignore[no-untyped-def]
    server, _, ok, _, _ = batch_setup
    targets = ["-t", ok[0], "-t", ok[1]]
    before = server.stats()["shells_created"]
    assert main(["run", *targets, "Set-Mailbox -Identity LeeG -DisplayName 'Lee G'"]) == 2
    err = capsys.readouterr().err
    assert "changes 2 tenants (Set-Mailbox)" in err and "--yes" in err and "-WhatIf" in err
    assert server.stats()["shells_created"] == before              # nothing was sent

    assert main(["run", *targets, "Set-Mailbox -Identity LeeG -DisplayName 'Lee G' -WhatIf"]) in (0, 1)
    assert "--yes" not in capsys.readouterr().err
    assert server.stats()["shells_created"] > before

    assert main(["run", "--read-only", *targets, "Set-Mailbox -Identity LeeG -DisplayName 'Lee G'"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err.lower()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_batch_stops_every_pipeline_and_leaves_no_shell_open(
        make_sim, secret_service, exohop_dirs, seeded_catalog, sig: signal.Signals) -> None:   # type: ignore[no-untyped-def]
    server = make_sim(mailboxes=4000)
    a = server.accounts[0]
    seed_cache(exohop_dirs["cache"], server, seeded_catalog)
    write_sim_config(exohop_dirs, server, list(a.tenants[:6]))
    accounts.set_password(a.upn, a.password)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "tui", "run", "-t", "all", "Get-Mailbox -ResultSize Unlimited",
                                 "--format", "jsonl"], env=keyring_env(secret_service),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while server.stats()["pipelines_running"] < 2:   # several tenants' pipelines under way
            assert proc.poll() is None and time.monotonic() < deadline, "the batch never got going"
            time.sleep(0.05)
        t0 = time.monotonic()
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        accounts.delete_password(a.upn)
    print(f"\n{sig.name} mid-batch: exited in {took:.2f} s")
    assert proc.returncode == 128 + sig
    assert server.stats()["open_shells"] == {}, err
    assert "closed the sessions" in err and "Traceback" not in err
    assert took < 10
