"""The audit transcript: one JSON line per command run, appended per tenant in the data dir.

Each line: UTC time, account, tenant, the line as typed, outcome, counts, duration, and ``batch`` (the
id shared by the lines of one multi-tenant run) when it was part of one. Outcomes:
``ok``, ``errors``, ``failed``, ``stopped``, ``invalid``, ``refused`` (read-only) from the session; ``interrupted``, ``declined``,
``connect_failed`` and ``skipped`` from the faces (``record_outcome``). The line is
flushed (and fsynced) as it is written so an audit survives a crash. Command lines can hold
values but never the account password: the session layer never puts it in a command.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from tui.remoting.events import RunSummary
from tui.shell.safe_text import json_safe


class Transcript:
    """Appends to ``<data_dir>/transcripts/<tenant domain>.jsonl``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def path_for(self, tenant: str) -> Path:
        safe = "".join(c for c in tenant.lower() if c.isalnum() or c in ".-") or "unknown"
        return self.directory / f"{safe}.jsonl"

    def record(self, *, account: str, tenant: str, summary: RunSummary, started: datetime | None = None,
               batch: str | None = None) -> dict:
        entry = {
            "time": (started or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "account": account,
            "tenant": tenant,
            "line": summary.line,
            "outcome": summary.outcome,
            "records": summary.records,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "duration_s": round(summary.duration_s, 3),
        }
        if batch is not None:   # the lines of one multi-tenant run, across the tenants' transcripts
            entry["batch"] = batch
        path = self.path_for(tenant)
        # json.dumps escapes C0 only: DEL, C1 and bidi controls escaped too, so `cat`/`less` of a
        # transcript cannot be driven by a hostile value typed or pasted into the line.
        text = json_safe(json.dumps(entry, ensure_ascii=False)) + "\n"
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def record_outcome(self, *, account: str, tenant: str, line: str, outcome: str,
                       started: datetime | None = None, duration_s: float = 0.0, batch: str | None = None) -> dict:
        """A line for a command that did not run to its summary: ``interrupted`` (a signal or Ctrl+C cut it
        short; it may have partly run), ``declined`` (at the confirmation), ``connect_failed``, ``skipped``."""
        return self.record(account=account, tenant=tenant, started=started,
                           summary=RunSummary(line=line, outcome=outcome, duration_s=duration_s), batch=batch)

    def read(self, tenant: str) -> list[dict]:
        path = self.path_for(tenant)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out
