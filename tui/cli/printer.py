"""Terminal output of the CLI faces: records on stdout, the rest on stderr, parse errors with a caret."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from tui.remoting.events import (
    ErrorEvent,
    Event,
    FileEvent,
    FormatEvent,
    RecordEvent,
    RedirectEvent,
    RunSummary,
    SilenceEvent,
    TextEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.shell.safe_text import visible, visible_lines
from tui.tenants import Tenant


def show_line_error(line: str, message: str, column: int | None, stream: TextIO | None = None) -> None:
    """The line, a caret under the column, then the message (what PowerShell's parser errors look like)."""
    out = stream or sys.stderr
    if column is not None and 0 <= column <= len(line):
        # Made visible one character for one (C1/bidi escapes are longer: the caret then counts them).
        shown = visible(line)
        caret = len(visible(line[:column]))
        print(f"  {shown}", file=out)
        print("  " + " " * caret + "^", file=out)
    print(visible_lines(message), file=out, flush=True)


def show_invalid(line: str, summary: RunSummary, stream: TextIO) -> None:
    """A parse/bind error of the line (outcome "invalid"), shown under it with a caret."""
    if summary.outcome == "invalid" and summary.error is not None:
        show_line_error(line, str(getattr(summary.error, "message", summary.error)),
                        getattr(summary.error, "column", None), stream)


# An import over by then was quick enough not to need a progress line (`exohop run`'s one-command import
# is over at its first report): the line would only say "1 of 1" after the fact.
PROGRESS_AFTER_S = 0.5


def import_progress_line(tenant: Tenant, err: TextIO, *, after_s: float = PROGRESS_AFTER_S,
                         clock: Callable[[], float] = time.monotonic) -> Callable[[Any], None] | None:
    """Import progress on one terminal line ("… 312 of 742 commands"); nothing when stderr is not a TTY.

    Shown only for an import still under way ``after_s`` after this was made (just before the connect):
    a quick import, or one whose first report is already its last, prints nothing."""
    if not err.isatty():
        return None
    started = clock()
    shown = False

    def show(p: Any) -> None:
        nonlocal shown
        if p.from_cache:
            return
        finished = bool(p.total) and p.done >= p.total
        if not shown and (finished or clock() - started < after_s):
            return
        shown = True
        print(f"\rImporting commands from {visible(tenant.display_name)}: {p.done} of {p.total or '?'}",
              end="\n" if finished else "", file=err, flush=True)

    return show


class Printer:
    """Writes events as a terminal expects: records on stdout (batched for tables), the rest on stderr.

    Nothing from the service reaches the terminal raw: records go through the formatters (which make
    control characters visible, JSON escapes them), messages through ``visible_lines``. Write-Progress
    events are not printed."""

    FIRST_BATCH_S = 0.3      # the table's column widths come from the first batch
    BATCH = 200

    def __init__(self, fmt: str | None, out: TextIO, err: TextIO, *, floors: dict[str, int] | None = None) -> None:
        from tui.shell.formatting import FormatHint, TextFormatter

        self.fmt = fmt
        self.out = out
        self.err = err
        hint = FormatHint(view="table" if fmt == "table" else "list") if fmt in ("table", "list") else None
        self._formatter_cls = TextFormatter
        self.floors = floors
        self.formatter = TextFormatter(hint, width=shutil.get_terminal_size((120, 24)).columns, floors=floors)
        self.pending: list[Any] = []
        self.all_records: list[Any] = []
        self.first_at: float | None = None
        self.flushed = False
        self.csv_header_done = False
        self.csv_columns: list[str] | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RecordEvent):
            self._record(event.record)
        elif isinstance(event, WarningEvent):
            self._flush()
            print(f"WARNING: {visible_lines(event.message)}", file=self.err, flush=True)
        elif isinstance(event, VerboseEvent):
            print(f"VERBOSE: {visible_lines(event.message)}", file=self.err, flush=True)
        elif isinstance(event, ErrorEvent):
            self._flush()
            extra = f" ({visible(event.error_id)})" if event.error_id else ""
            print(f"ERROR: {visible_lines(event.message)}{extra}", file=self.err, flush=True)
        elif isinstance(event, FormatEvent):
            if self.fmt is None and self.formatter.hint is None:
                self._flush()
                self.formatter = self._formatter_cls(event.hint, width=self.formatter.width, floors=self.floors)
        elif isinstance(event, TextEvent):
            self._flush()
            if self.fmt == "jsonl":   # a local Format-/Out-String's text: a JSON string per line keeps the stream valid
                from tui.shell.formatting import to_json

                self.out.write("".join(to_json([t], compress=True) + "\n" for t in event.text.splitlines()))
                self.out.flush()
            else:
                print(visible_lines(event.text), file=self.out, flush=True)
        elif isinstance(event, FileEvent):
            path = visible(str(event.path))
            print(f"{'appended to' if event.append else 'wrote'} {path} ({event.bytes_written} bytes)",
                  file=self.err, flush=True)
        elif isinstance(event, RedirectEvent):
            print(f"WARNING: {visible_lines(event.message)}", file=self.err, flush=True)
        elif isinstance(event, SilenceEvent):
            self._flush()
            print(f"exohop: {visible_lines(event.message)}", file=self.err, flush=True)

    def _record(self, record: Any) -> None:
        if self.fmt == "jsonl":   # JSON Lines: one compact object per record, flushed as it comes
            from tui.shell.formatting import to_json

            self.out.write(to_json([record], depth=3, compress=True) + "\n")
            self.out.flush()
            return
        if self.fmt == "json":
            self.all_records.append(record)
            return
        if self.fmt == "csv":
            from tui.shell.formatting import csv_lines

            lines = list(csv_lines([record], self.csv_columns, header=not self.csv_header_done))
            if self.csv_columns is None:
                self.csv_columns = list(getattr(record, "properties", {}) or ["Value"])
            self.csv_header_done = True
            self.out.write("".join(line + "\n" for line in lines))
            return
        if self.first_at is None:
            self.first_at = time.monotonic()
        self.pending.append(record)
        waited = time.monotonic() - self.first_at
        # The first batch decides the table's column widths: wait a moment for it; then print in small batches.
        if (len(self.pending) >= self.BATCH or (self.flushed and len(self.pending) >= 20)
                or waited >= self.FIRST_BATCH_S):
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            text = self.formatter.feed(self.pending)
            self.pending = []
            self.flushed = True
            self.first_at = None
            self.out.write(text)
            self.out.flush()

    def finish(self) -> None:
        self._flush()
        if self.fmt == "json":
            from tui.shell.formatting import to_json

            self.out.write(to_json(self.all_records, depth=3, as_array=True) + "\n")
        self.out.flush()
