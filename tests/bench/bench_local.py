"""Local pipeline throughput on 50,000 records, beside plain-Python baselines doing the same work.

Run: ``python tests/bench/bench_local.py`` (optionally ``--records N --repeat R``). Prints JSON.

Measured:
- ``where_sort_first``: ``Where-Object { $_.ProhibitSendQuota -gt 50GB -and $_.Name -like 'user*5*' } |
  Sort-Object ItemCount -Descending | Select-Object -First 100`` through parse + bind + run_local, against
  a list comprehension that parses the quota's byte count, matches the name with fnmatch, sorts and slices.
- ``where_switch_form``: ``Where-Object ProhibitSendQuota -gt 50GB`` (no script block) against the same
  filter as a comprehension.
- ``format_table_text``: rendering every record as the default Mailbox table, against an f-string
  table with the widths computed the same way (max of header and values).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import platform
import re
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tui.catalog import Catalog
from tui.shell import parse
from tui.shell.binder import bind
from tui.shell.formatting import render_text
from tui.shell.local import run_local
from tui.shell.records import Record

MAILBOX = ("Microsoft.Exchange.Data.Directory.Management.Mailbox", "System.Object")
GB = 1 << 30
BYTES = re.compile(r"\(([\d,]+) bytes\)")


def make_records(n: int) -> list[Record]:
    start = datetime(2020, 1, 1)
    out = []
    for i in range(n):
        quota = (99 * GB, 100 * GB, 49 * GB, 2 * GB)[i % 4]  # tenants use a handful of quota values
        out.append(Record({
            "Name": f"user{i:05d}",
            "Alias": f"u{i}",
            "Database": f"EURPR01DG{i % 97:03d}-db{i % 13:03d}",
            "ProhibitSendQuota": "Unlimited" if i % 50 == 0 else f"{quota / GB:.3g} GB ({quota:,} bytes)",
            "ExternalDirectoryObjectId": f"{i:08x}-0000-4000-8000-{i:012x}",
            "ItemCount": (i * 7919) % 100_003,
            "WhenCreated": start + timedelta(minutes=i),
            "EmailAddresses": [f"SMTP:user{i}@contoso.com", f"smtp:u{i}@contoso.onmicrosoft.com"],
        }, MAILBOX))
    return out


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def local_pipeline(line: str) -> Callable[[list[Record]], list[Any]]:
    def run(records: list[Record]) -> list[Any]:
        cmds = [bind(c, Catalog()) for c in parse(line).statements[0].commands]
        return list(run_local(cmds, records))
    return run


def quota_bytes(text: str) -> float:
    if text == "Unlimited":
        return float("inf")
    m = BYTES.search(text)
    return float(m.group(1).replace(",", "")) if m else 0.0


def baseline_where_sort_first(records: list[Record]) -> list[Any]:
    hits = [r for r in records
            if quota_bytes(r.properties["ProhibitSendQuota"]) > 50 * GB
            and fnmatch.fnmatchcase(r.properties["Name"].lower(), "user*5*")]
    hits.sort(key=lambda r: r.properties["ItemCount"], reverse=True)
    return hits[:100]


def baseline_switch(records: list[Record]) -> list[Any]:
    return [r for r in records if quota_bytes(r.properties["ProhibitSendQuota"]) > 50 * GB]


def baseline_table(records: list[Record]) -> str:
    cols = ["Name", "Alias", "Database", "ProhibitSendQuota", "ExternalDirectoryObjectId"]
    rows = [[str(r.properties[c]) for c in cols] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    lines = [" ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
             " ".join(("-" * len(c)).ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.extend(" ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    records = make_records(args.records)
    n = len(records)

    cases: list[tuple[str, str, Callable[[list[Record]], Any], Callable[[list[Record]], Any]]] = [
        ("where_sort_first",
         "Where-Object { $_.ProhibitSendQuota -gt 50GB -and $_.Name -like 'user*5*' } | "
         "Sort-Object ItemCount -Descending | Select-Object -First 100",
         local_pipeline("Where-Object { $_.ProhibitSendQuota -gt 50GB -and $_.Name -like 'user*5*' } | "
                        "Sort-Object ItemCount -Descending | Select-Object -First 100"),
         baseline_where_sort_first),
        ("where_switch_form", "Where-Object ProhibitSendQuota -gt 50GB",
         local_pipeline("Where-Object ProhibitSendQuota -gt 50GB"), baseline_switch),
        ("format_table_text", "render_text(records) (default Mailbox table, width 200)",
         lambda rs: render_text(rs, width=200), baseline_table),
    ]
    results: dict[str, Any] = {}
    for name, what, exohop_fn, baseline_fn in cases:
        t_ex, out_ex = timed(lambda f=exohop_fn: f(records), args.repeat)
        t_base, out_base = timed(lambda f=baseline_fn: f(records), args.repeat)
        same = (len(out_ex) == len(out_base)) if isinstance(out_ex, list) else (
            out_ex.count("\n") == out_base.count("\n"))
        if name == "where_sort_first":
            same = [r["Name"] for r in out_ex] == [r["Name"] for r in out_base]
        results[name] = {
            "what": what,
            "exohop_s": round(t_ex, 4),
            "baseline_s": round(t_base, 4),
            "exohop_records_per_s": round(n / t_ex),
            "baseline_records_per_s": round(n / t_base),
            "slowdown_vs_baseline": round(t_ex / t_base, 2),
            "same_result": same,
        }

    pulled = 0

    def counting() -> Any:
        nonlocal pulled
        for r in records:
            pulled += 1
            yield r

    t0 = time.perf_counter()
    first = list(run_local([bind(c, Catalog()) for c in parse("Select-Object -First 5").statements[0].commands],
                           counting()))
    results["first_5_laziness"] = {"records_pulled": pulled, "returned": len(first),
                                   "seconds": round(time.perf_counter() - t0, 6)}
    print(json.dumps({"records": n, "repeat": args.repeat, "median_of_repeats": True,
                      "python": platform.python_version(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
