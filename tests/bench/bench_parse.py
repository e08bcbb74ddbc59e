"""Parse + bind + plan time for typical command lines, against ``shlex.split`` as a baseline.

``shlex.split`` only splits a line into words (quotes honoured): the least any REPL must do. exohop's
parser builds the syntax tree with columns; ``plan_pipeline`` then binds every command against an
Exchange-Online-sized catalog (prefixes, sets, positions, coercion) and splits remote from local.

    python tests/bench/bench_parse.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_completion import load_catalog, percentile

from tui.catalog import Catalog, CmdletInfo, ParameterInfo
from tui.shell import parse, plan_pipeline

LINES = [
    "Get-Mailbox -Identity john.doe@contoso.com",
    "Get-Mailbox -ResultSize 5 | Get-MailboxStatistics | Select-Object DisplayName, ItemCount, TotalItemSize",
    "Set-Mailbox -Identity 'Megan Bowen' -ProhibitSendQuota 50GB -IssueWarningQuota 45GB -Confirm:$false",
    "Add-MailboxPermission -Identity shared@contoso.com -User john.doe@contoso.com -AccessRights FullAccess "
    "-AutoMapping $false",
    "Get-Mailbox -ResultSize Unlimited | Where-Object { $_.ProhibitSendQuota -gt 50GB } | Sort-Object Name "
    "-Descending | Select-Object -First 10 Name, Alias, @{n='Quota'; e={ $_.ProhibitSendQuota }}",
    "Set-Mailbox leaver@contoso.com -EmailAddresses @{Add='smtp:old@contoso.com'; Remove='smtp:x@contoso.com'}",
    "get-mailbox -res 100 -recipienttypedetails sharedmailbox,usermailbox | where Name -like 'A*' | measure",
]

# Used when the shared catalog is absent (a synthetic one does not have these names).
_NEEDED = [
    CmdletInfo("Get-Mailbox", "", ("Identity",), (
        ParameterInfo("Identity", "MailboxIdParameter", position=1, pipeline=True),
        ParameterInfo("ResultSize", "Unlimited"),
        ParameterInfo("RecipientTypeDetails", "RecipientTypeDetails[]"))),
    CmdletInfo("Get-MailboxStatistics", "", (), (ParameterInfo("Identity", position=1, pipeline=True),)),
    CmdletInfo("Set-Mailbox", "", (), (
        ParameterInfo("Identity", "MailboxIdParameter", position=1), ParameterInfo("ProhibitSendQuota", "Unlimited"),
        ParameterInfo("IssueWarningQuota", "Unlimited"), ParameterInfo("EmailAddresses", "ProxyAddressCollection"),
        ParameterInfo("Confirm", "SwitchParameter", switch=True))),
    CmdletInfo("Add-MailboxPermission", "", (), (
        ParameterInfo("Identity", position=1), ParameterInfo("User"), ParameterInfo("AccessRights", "MailboxRights[]"),
        ParameterInfo("AutoMapping", "Boolean"))),
]


def ensure(catalog: Catalog) -> Catalog:
    for c in _NEEDED:
        if c.name not in catalog:
            catalog = catalog.with_cmdlet(c)
    return catalog


def summary(us: list[float]) -> dict[str, float]:
    return {"median_us": round(statistics.median(us), 1), "p99_us": round(percentile(us, 99), 1),
            "mean_us": round(statistics.fmean(us), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    catalog, source = load_catalog()
    catalog = ensure(catalog)
    for line in LINES:  # fail loudly if a line does not plan
        for statement in parse(line).statements:
            plan_pipeline(statement, catalog)
    per_line = []
    all_parse: list[float] = []
    all_plan: list[float] = []
    all_base: list[float] = []
    for line in LINES:
        p_us: list[float] = []
        b_us: list[float] = []
        s_us: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            script = parse(line)
            t1 = time.perf_counter()
            for statement in script.statements:
                plan_pipeline(statement, catalog)
            t2 = time.perf_counter()
            shlex.split(line, posix=True)
            t3 = time.perf_counter()
            p_us.append((t1 - t0) * 1e6)
            b_us.append((t2 - t0) * 1e6)
            s_us.append((t3 - t2) * 1e6)
        all_parse += p_us
        all_plan += b_us
        all_base += s_us
        per_line.append({"line": line[:60] + ("…" if len(line) > 60 else ""), "chars": len(line),
                         "parse": summary(p_us), "parse_bind_plan": summary(b_us),
                         "baseline_shlex_split": summary(s_us)})
    result = {
        "bench": "parse + bind + plan per line",
        "catalog": {"source": source, "cmdlets": len(catalog)},
        "repeat": args.repeat,
        "all_lines": {"parse": summary(all_parse), "parse_bind_plan": summary(all_plan),
                      "baseline_shlex_split": summary(all_base)},
        "parse_faster_than_shlex_median": statistics.median(all_parse) < statistics.median(all_base),
        "per_line": per_line,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
