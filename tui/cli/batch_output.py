"""The merged output of ``exohop run`` across tenants: one table, list, JSON, CSV or JSON Lines stream.

Records go to stdout with their leading ``Tenant`` property (``TenantDomain`` too in json, csv and
jsonl, whose readers want the key). By default the output is ordered by tenant (the order they were
chosen in), each tenant's records in the order the server sent them: the first tenant's records print
as they arrive and the others' wait in memory until their turn, as ``parallel --keep-order`` does.
``--order arrival`` prints every record as it comes. Messages (warnings, errors) go to stderr at once,
each naming its tenant.

Workers call ``event`` from their threads: one lock serialises the writers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TextIO

from tui.cli.printer import Printer
from tui.remoting.batch import FINAL, TenantRun
from tui.remoting.events import (
    ErrorEvent,
    Event,
    FileEvent,
    FormatEvent,
    RecordEvent,
    RedirectEvent,
    SilenceEvent,
    TextEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.shell.safe_text import visible, visible_lines

TABLE_HOLD = 2000

# What goes to stdout through the merged printer (in order); the rest is a message on stderr.
_OUTPUT = (RecordEvent, TextEvent, FormatEvent)


def tenant_label(run: TenantRun) -> str:
    return visible(run.tenant.display_name)


class MergedOutput:
    """Takes ``(run, event)`` from the batch's workers; writes the merged output and the messages."""

    def __init__(self, fmt: str | None, order: str, runs: list[TenantRun], out: TextIO, err: TextIO, *,
                 message: Callable[[str], None] | None = None) -> None:
        self.fmt = fmt
        self.ordered = order != "arrival"
        self.runs = runs
        self.err = err
        self._say = message or (lambda text: print(text, file=err, flush=True))
        longest = max((len(tenant_label(r)) for r in runs), default=0)
        self._printer = Printer(fmt, out, err, floors={"Tenant": longest})
        # A table's column widths come from its first batch: across tenants the first few records are one
        # tenant's, and every later tenant's longer values would be cut. The table waits for the whole
        # batch (the progress line shows it working), up to TABLE_HOLD records, then streams.
        if fmt in (None, "table"):
            self._printer.BATCH = TABLE_HOLD
            self._printer.FIRST_BATCH_S = float("inf")
        self._lock = threading.Lock()
        self._held: dict[int, list[Event]] = {}   # id(run) → its output while another tenant has the turn
        self._turn = 0                              # index in runs of the tenant whose output prints live

    def event(self, run: TenantRun, event: Event) -> None:
        with self._lock:
            if isinstance(event, _OUTPUT):
                if not self.ordered or self._has_turn(run):
                    self._printer(event)
                else:
                    self._held.setdefault(id(run), []).append(event)
                return
            text = self._message(run, event)
            if text is not None:
                self._say(text)

    def tenant_done(self, run: TenantRun) -> None:
        """A tenant finished: if it had the turn, give the turn on, printing what each next one holds."""
        if not self.ordered or run.state not in FINAL:
            return
        with self._lock:
            while self._turn < len(self.runs) and self.runs[self._turn].done:
                self._turn += 1
                if self._turn < len(self.runs):
                    for held in self._held.pop(id(self.runs[self._turn]), []):
                        self._printer(held)

    def finish(self) -> None:
        """The end (or a stop): whatever is still held, in tenant order, then the format's closing."""
        with self._lock:
            for run in self.runs[self._turn:]:
                for held in self._held.pop(id(run), []):
                    self._printer(held)
            self._printer.finish()

    def _has_turn(self, run: TenantRun) -> bool:
        return self._turn < len(self.runs) and self.runs[self._turn] is run

    def _message(self, run: TenantRun, event: Event) -> str | None:
        who = tenant_label(run)
        if isinstance(event, ErrorEvent):
            extra = f" ({visible(event.error_id)})" if event.error_id else ""
            return f"ERROR: {who}: {visible_lines(event.message)}{extra}"
        if isinstance(event, WarningEvent | RedirectEvent):
            return f"WARNING: {who}: {visible_lines(event.message)}"
        if isinstance(event, VerboseEvent):
            return f"VERBOSE: {who}: {visible_lines(event.message)}"
        if isinstance(event, SilenceEvent):
            return f"exohop: {who}: {visible_lines(event.message)}"
        if isinstance(event, FileEvent):
            path = visible(str(event.path))
            return f"exohop: {who}: {'appended to' if event.append else 'wrote'} {path} ({event.bytes_written} bytes)"
        return None   # progress: the batch's own display says how far each tenant is
