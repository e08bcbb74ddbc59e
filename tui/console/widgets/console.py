"""``TenantConsole``: one tenant's console — scrollback, input line, import progress, streaming results.

The app mounts one per tenant and keeps it when switching. It calls ``begin_run`` / ``append_event`` /
``end_run`` from its message handlers (never from a worker thread). Records are buffered and drawn
every ~50 ms; the table being built is re-rendered (bounded by ``INLINE_ROWS``) in the scrollback's
live tail, everything finished is frozen. A large result shows its first rows and the rest goes to
the ResultViewer (F6).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import io
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.progress_bar import ProgressBar as RichProgressBar
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, ProgressBar

from tui.catalog import Catalog
from tui.console.widgets.command_input import CommandInput, CommandLine, ScrollRequested
from tui.console.widgets.scrollback import ScrollbackLog
from tui.remoting.events import (
    ErrorEvent,
    FileEvent,
    FormatEvent,
    ProgressEvent,
    RecordEvent,
    RedirectEvent,
    RunSummary,
    SilenceEvent,
    TextEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.shell.formatting import RichFormatter
from tui.shell.history import History
from tui.shell.memory import CompletionMemory
from tui.shell.records import Record
from tui.shell.safe_text import visible, visible_lines
from tui.tenants import Tenant

INLINE_ROWS = 200  # rows drawn in the scrollback; beyond that the ResultViewer holds the rest
KEPT_RESULTS = 5  # large results reachable by clicking their "more rows" line…
KEPT_RECORDS = 100_000  # …as long as together they hold no more records than this (memory)
INLINE_LIST_OBJECTS = 20  # the same for list views (Format-List, wide objects): each takes many lines
FLUSH_S = 0.05  # records are drawn in batches at most this often
MAX_FLUSH_S = 0.5  # …and the interval grows with the cost of redrawing a big table
WIDE_NOTE = "(too wide for a table here; F6 shows the table)"


def prompt_for(tenant: Tenant) -> str:
    """``contoso`` for contoso.onmicrosoft.com: short enough for the prompt, unambiguous in practice."""
    return tenant.domain.split(".", 1)[0]


class _Run:
    """What one command line has produced so far."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.started = time.monotonic()
        self.records: list[Record] = []
        self.errors = 0
        self.warnings = 0
        self.failed_in_stream = False  # a terminating ErrorEvent was drawn: the run's failure is on screen
        self.hint: Any = None
        self.block: list[Record] = []  # records of the table being drawn in the live tail
        self.block_type = ""
        self.shown = 0  # records drawn inline so far (capped by INLINE_ROWS)
        self.cap: int | None = None  # INLINE_ROWS, or INLINE_LIST_OBJECTS when the first record is a list
        self.unit = "rows"
        self.progress: dict[int, ProgressEvent] = {}
        self.pending: list[Any] = []
        self.stopping = False  # Ctrl+C sent a stop; the summary will say "stopped"
        self.gc_deferred = False  # holds a defer_full_gc() until the run ends
        # Tables of one run share a formatter: a table continued after a warning (or after the
        # frozen part) keeps its columns and widths and has no second header.
        self.formatter: RichFormatter | None = None

    def base_formatter(self, width: int) -> RichFormatter:
        """The formatter as the frozen output left it (a new one, for ``width``, when the format hint
        changed). A table too wide for the console is drawn as a list: every value stays whole in the
        scrollback, where sideways scrolling would move the whole history and hide the first column."""
        if self.formatter is None or self.formatter.hint is not self.hint:
            self.formatter = RichFormatter(self.hint, width, wide_as_list=True, wide_note=WIDE_NOTE)
        return self.formatter


class TenantConsole(Widget):
    """One tenant's console. The API is fixed by contracts.md ("UI split")."""

    DEFAULT_CSS = """
    TenantConsole { layout: vertical; height: 1fr; }
    TenantConsole ScrollbackLog { height: 1fr; }
    TenantConsole #import-row { height: 1; display: none; padding: 0 1; }
    TenantConsole #import-row.active { display: block; }
    TenantConsole #import-label { width: auto; padding-right: 1; color: $text-muted; }
    TenantConsole #import-bar { width: 1fr; }
    TenantConsole CommandLine { dock: bottom; }
    """

    BINDINGS = [  # noqa: RUF012 - Textual's declaration style
        Binding("f6", "open_viewer", "Result viewer", id="open_viewer",
                tooltip='open the last result in the result viewer (or click an "N more rows" line)'),
        Binding("ctrl+l", "clear_scrollback", "Clear", show=False, id="clear_console",
                tooltip="clear this tenant's scrollback"),
    ]

    class Submitted(Message):
        """Enter on a non-empty line (the line is already in the history)."""

        def __init__(self, console: TenantConsole, line: str) -> None:
            super().__init__()
            self.console = console
            self.line = line

    class Opened(Message):
        """The console is mounted (the app then gives it what arrived for it before it existed)."""

        def __init__(self, console: TenantConsole) -> None:
            super().__init__()
            self.console = console

    class StopRequested(Message):
        """Ctrl+C while a command runs."""

        def __init__(self, console: TenantConsole) -> None:
            super().__init__()
            self.console = console

    class ViewerRequested(Message):
        """F6 or a click on "N more rows": the app opens the result viewer over these records."""

        def __init__(self, records: list[Record], *, title: str, hint: Any, export_stem: str) -> None:
            super().__init__()
            self.records = records
            self.title = title
            self.hint = hint
            self.export_stem = export_stem

    def __init__(self, tenant: Tenant, *, history: Sequence[str] = (), id: str | None = None) -> None:
        super().__init__(id=id)
        self.tenant = tenant
        self.prompt = prompt_for(tenant)
        self._history = History(history)
        self._memory = CompletionMemory(self._history.entries)
        self._explicit_data = False  # set_completion_data() called: the app's data wins over the console's
        self._stand_in = ""  # where the completer's provisional catalog comes from ('' : none)
        self._stand_in_asked = False
        self._import_counts: tuple[int, int] | None = None  # (done, total) the import row shows
        self.scrollback = ScrollbackLog(id="scrollback")
        self.command_line = CommandLine(self.prompt, self._history, id="command-line")
        self._run: _Run | None = None
        self._last_records: list[Record] = []
        self._last_hint: Any = None
        self._last_line = ""
        self._last_result_line = ""
        self._result_lines: dict[int, tuple[list[Record], Any, str]] = {}
        self._echo_is_last = False  # nothing written since the echo of _last_line (caret goes under it)
        self._flush_timer: Timer | None = None
        self._flush_interval = FLUSH_S
        self._error_shown = False
        self._live_table: list[Strip] = []  # the table being built, as last rendered…
        self._live_rows = 0  # …with this many rows…
        self._live_formatter: RichFormatter | None = None  # …by this formatter (its state after them)
        self._block_gen = 0
        self._render_inflight = False
        self._render_again = False
        self._render_timer: Timer | None = None
        self._next_render_at = 0.0
        self._render_console: Console | None = None

    def compose(self) -> ComposeResult:
        yield self.scrollback
        with Horizontal(id="import-row"):
            yield Label("Importing commands…", id="import-label")
            yield ProgressBar(id="import-bar", show_eta=False, show_percentage=False)
        yield self.command_line

    def on_mount(self) -> None:
        self._update_completion_data()
        self.input.focus()
        self.post_message(self.Opened(self))
        # Made now, not in the middle of a first result.
        self.call_after_refresh(self._thread_console)
        self.call_after_refresh(_render_pool().submit, time.sleep, 0)  # starts the render thread

    def focus(self, scroll_visible: bool = True) -> TenantConsole:
        """Focusing the console focuses its input line (the app calls this when switching tenants)."""
        self.input.focus(scroll_visible)
        return self

    # -- public API (contracts.md) -------------------------------------------------------------

    @property
    def input(self) -> CommandInput:
        return self.command_line.input

    @property
    def history(self) -> list[str]:
        return self._history.entries

    @property
    def busy(self) -> bool:
        return self._run is not None

    @property
    def last_result(self) -> list[Record]:
        """Every record of the last finished (or running) command, for the viewer and exports."""
        return self._run.records if self._run is not None and self._run.records else self._last_records

    def set_catalog(self, catalog: Catalog, stand_in: str = "") -> None:
        """Swap the completer's catalog whole; its index is built in a thread, not on the next keystroke.

        ``stand_in`` names where a provisional catalog comes from ("the shipped catalog") while the
        tenant's own is imported: the dropdown and the import row say so until the real one is set.
        """
        self.input.catalog = catalog
        self._stand_in = stand_in
        self.input.catalog_note = f"provisional: from {stand_in} while this tenant's commands import" \
            if stand_in else ""
        if self._import_counts is not None:   # the import row says it too
            self.show_import_progress(*self._import_counts)
        self.input.refresh_menu()   # an open dropdown: the new catalog's candidates (and note)
        if self.is_attached:
            self.run_worker(partial(_warm_completion_index, catalog, freeze=not stand_in), thread=True, exclusive=True,
                            group="completion-index", exit_on_error=False)

    def wants_stand_in_catalog(self) -> bool:
        """True once per import when the completer has no catalog at all (a first import): the app then
        fetches a provisional one (``set_catalog(..., stand_in=...)``)."""
        if len(self.input.catalog) or self._stand_in_asked:
            return False
        self._stand_in_asked = True
        return True

    def drop_stand_in_catalog(self) -> None:
        """The open failed: a provisional catalog goes (the next open asks for one again)."""
        self._stand_in_asked = False
        if self._stand_in:
            self.set_catalog(Catalog())

    def set_completion_data(self, data: Any) -> None:
        """Completion data from the app; without it the console uses what it has seen itself."""
        self._explicit_data = data is not None
        self.input.completion_data = data if data is not None else self._memory.data()

    def _update_completion_data(self) -> None:
        if not self._explicit_data:
            self.input.completion_data = self._memory.data()

    def show_import_progress(self, done: int, total: int) -> None:
        self._import_counts = (done, total)
        row = self.query_one("#import-row")
        row.add_class("active")
        label = self.query_one("#import-label", Label)
        bar = self.query_one("#import-bar", ProgressBar)
        if total > 0:
            meanwhile = f" · completing from {self._stand_in} meanwhile" if self._stand_in else ""
            label.update(f"Importing commands… {done:,} / {total:,}{meanwhile}")
            bar.update(total=total, progress=min(done, total))
        else:
            label.update("Importing commands…")
            bar.update(total=None)

    def hide_import_progress(self) -> None:
        self._import_counts = None
        self.query_one("#import-row").remove_class("active")

    @property
    def import_progress_text(self) -> str:
        """What the import row says ('' when hidden)."""
        if not self.query_one("#import-row").has_class("active"):
            return ""
        return str(self.query_one("#import-label", Label).render())

    def begin_run(self, line: str, note: str = "") -> None:
        """A command starts: its echo (with ``note``, dim, after it: "from batch …"), then its output."""
        if self._run is not None:
            self._finish_run()
            self._release_gc(self._run)
        self.scrollback.scroll_end(animate=False, immediate=True)  # a new command: follow its output
        self._write_echo(line, note)
        self._run = _Run(line)
        self._run.gc_deferred = True
        defer_full_gc()
        self._error_shown = False
        self._flush_interval = FLUSH_S

    def append_event(self, event: Any) -> None:
        run = self._run
        if run is None:  # an event after end_run (a late progress record): start an implicit run
            run = self._run = _Run(self._last_line)
        run.pending.append(event)
        if isinstance(event, RecordEvent):
            run.records.append(event.record)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(self._flush_interval, self._flush)

    def end_run(self, summary: RunSummary | None) -> None:
        run = self._run
        if run is None:
            run = _Run(summary.line if summary is not None else self._last_line)
            self._run = run
        self._flush()
        self._finish_run()
        # A session-layer failure (the connection lost mid-command) already came through the stream as a
        # terminating ErrorEvent: showing ``summary.error`` too printed it twice.
        if summary is not None and summary.error is not None and not self._error_shown \
                and not run.failed_in_stream:
            self._render_failure(summary.error, run.line)  # right under the echo: the caret lines up
        if summary is None or summary.outcome != "invalid":  # "invalid": a parse/bind error, nothing ran
            self._write(self._summary_text(run, summary))
        if run.records:
            self._memory.saw_result(run.line, run.records[0], run.records,
                                    summary.assigned_to if summary is not None else None)
            self._update_completion_data()
        self._release_gc(run)
        self._run = None

    def abandon_run(self, message: str) -> None:
        """End the current run (one ``begin_run`` started) with ``message`` in place of its summary: the
        line never ran here, or its run ended without one (a batch's tenant that could not connect)."""
        run = self._run
        if run is None:
            return
        self._flush()
        self._finish_run()
        self._write(Text(visible_lines(message), style="yellow"))
        self._release_gc(run)
        self._run = None

    def on_unmount(self) -> None:
        if self._run is not None:
            self._release_gc(self._run)

    @staticmethod
    def _release_gc(run: _Run) -> None:
        if run.gc_deferred:
            run.gc_deferred = False
            resume_full_gc()

    def show_error(self, message: str, column: int | None = None, line: str | None = None) -> None:
        """An error for the line: with ``column`` (0-based) a caret is drawn under that character.

        ``line`` defaults to the line echoed by ``begin_run``.
        """
        message = visible_lines(str(message))
        if line is None and column is not None:
            line = self._last_line
        self._error_shown = True
        if self._run is not None:
            self._flush()
        out = Text()
        if column is not None and line is not None:
            indent = len(self.prompt) + 2  # "contoso> "
            if not (self._echo_is_last and line == self._last_line):
                out.append(" " * indent + visible(line) + "\n", style="dim")
            out.append(" " * (indent + max(0, min(column, len(line)))) + "^\n", style="bold red")
        out.append(message, style="red")
        self._write(out)

    # -- the run -------------------------------------------------------------------------------

    def _write_echo(self, line: str, note: str = "") -> None:
        echo = Text()
        echo.append(f"{self.prompt}> ", style="bold")
        echo.append(visible(line))
        if note:
            echo.append(f"   ({visible(note)})", style="dim italic")
        self.scrollback.write(echo)
        self._last_line = line
        self._echo_is_last = True

    def _write(self, renderable: RenderableType) -> None:
        self.scrollback.write(renderable)
        self._echo_is_last = False

    def _flush(self) -> None:
        """Draw what arrived since the last flush (called by the timer, and before anything else is drawn)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        run = self._run
        if run is None or not run.pending:
            return
        t0 = time.perf_counter()
        pending, run.pending = run.pending, []
        table_dirty = False
        for event in pending:
            if isinstance(event, RecordEvent):
                table_dirty |= self._add_record(run, event.record)
            elif isinstance(event, ProgressEvent):
                if event.completed:
                    run.progress.pop(event.record_id, None)
                else:
                    run.progress[event.record_id] = event
            elif isinstance(event, FormatEvent):
                self._freeze_block(run)
                run.hint = event.hint
            else:
                self._freeze_block(run)
                self._write(self._render_message(run, event))
        self._draw_live(run, table_dirty)
        # Redrawing a growing table costs more each time: keep it to a fraction of the UI thread.
        spent = time.perf_counter() - t0
        self._flush_interval = min(MAX_FLUSH_S, max(FLUSH_S, spent * 4))

    def _add_record(self, run: _Run, record: Record) -> bool:
        if run.cap is None:
            formatter = run.base_formatter(self.scrollback.render_width)
            is_list = isinstance(record, Record) and formatter.fitted_view([record]).kind == "list"
            run.cap = INLINE_LIST_OBJECTS if is_list else INLINE_ROWS
            run.unit = "objects" if is_list else "rows"
        if run.shown >= run.cap:
            return False  # counted in run.records; offered in the viewer
        type_name = getattr(record, "type_name", "")  # scalars (-ExpandProperty) have none
        if run.block and type_name != run.block_type:
            self._freeze_block(run)
        if not run.block:
            run.block_type = type_name
        run.block.append(record)
        run.shown += 1
        return True

    def _freeze_block(self, run: _Run) -> None:
        """The table being built is finished: freeze it — its last rendering, plus the rows that came
        after that rendering (continued by its formatter: same columns, no header; cheap on the UI
        thread). The run's formatter is then the one that drew it, so the next block continues it."""
        if run.block:
            self.scrollback.set_live([])
            live = self._live_formatter
            if live is not None and self._live_table and 0 < self._live_rows <= len(run.block):
                strips, formatter, rest = list(self._live_table), live, run.block[self._live_rows:]
            else:
                base = run.base_formatter(self.scrollback.render_width)
                strips, formatter, rest = [], copy.copy(base), run.block
            if rest:
                strips += self.scrollback.render_strips(formatter.feed(rest))
            self.scrollback.append_strips(strips)
            self._echo_is_last = False
            run.formatter = formatter
            run.block = []
        self._live_table = []
        self._live_rows = 0
        self._live_formatter = None
        self._block_gen += 1  # a rendering still in flight belongs to the old block: dropped

    def _draw_live(self, run: _Run, table_dirty: bool) -> None:
        if table_dirty and run.block:
            self._render_table_offthread(run)
        self._set_tail(run)

    def _set_tail(self, run: _Run) -> None:
        tail: list[Strip] = list(self._live_table)
        # Records not drawn yet: beyond the inline cap, or still being rendered.
        extra = len(run.records) - (run.shown - len(run.block)) - self._live_rows
        if extra > 0:
            tail += self.scrollback.render_strips(Text(f"… {extra:,} more {run.unit} arriving", style="dim italic"))
        if run.progress:
            tail += self.scrollback.render_strips(self._render_progress(run.progress.values()))
        if run.stopping:
            tail += self.scrollback.render_strips(Text("stopping… (Ctrl+C sent a stop to the service)",
                                                       style="yellow"))
        self.scrollback.set_live(tail)
        if tail:
            self._echo_is_last = False

    def _render_table_offthread(self, run: _Run) -> None:
        """Render the growing table in a thread (a 200-row Rich table takes ~50 ms: not on the UI thread)."""
        if self._render_inflight or self._render_timer is not None:
            self._render_again = True
            return
        # A trickling result would otherwise re-render a growing table on every flush: keep the
        # render thread busy at most a third of the time (it shares the GIL with the UI thread).
        wait = self._next_render_at - time.monotonic()
        if wait > 0:
            def later() -> None:
                self._render_timer = None
                if run is self._run and run.block:
                    self._render_table_offthread(run)

            self._render_timer = self.set_timer(wait, later)
            return
        self._render_inflight = True
        self._render_again = False
        rows = list(run.block)
        started = time.monotonic()
        gen = self._block_gen
        width = self.scrollback.render_width
        formatter = copy.copy(run.base_formatter(width))  # the copy learns this block's widths
        future = asyncio.get_running_loop().run_in_executor(
            _render_pool(), _render_to_strips, self._thread_console(), formatter, rows, width)

        def done(fut: asyncio.Future[list[Strip]]) -> None:
            self._render_inflight = False
            self._next_render_at = time.monotonic() + 2 * (time.monotonic() - started)
            if fut.cancelled() or fut.exception() is not None:
                if not fut.cancelled():
                    self.log.error(f"rendering a result failed: {fut.exception()!r}")
                return
            if run is not self._run or gen != self._block_gen:
                return  # the block was frozen (or the run ended) meanwhile
            self._live_table = fut.result()
            self._live_rows = len(rows)
            self._live_formatter = formatter
            self._set_tail(run)
            if self._render_again or len(run.block) > len(rows):
                self._render_table_offthread(run)

        future.add_done_callback(done)

    def _thread_console(self) -> Console:
        """A Rich console like the app's, used only by the render thread."""
        if self._render_console is None:
            app_console = self.app.console
            self._render_console = Console(
                file=io.StringIO(), force_terminal=True, color_system="truecolor",
                legacy_windows=False, markup=False, emoji=False, highlight=False, width=app_console.width)
        return self._render_console

    def _finish_run(self) -> None:
        run = self._run
        if run is None:
            return
        self._freeze_block(run)
        self.scrollback.set_live([])
        extra = len(run.records) - run.shown
        if extra > 0:
            # Clicking this line opens this result, even after later commands (the last few are kept).
            self._result_lines[self.scrollback.next_line_number] = (run.records, run.hint, run.line)
            while len(self._result_lines) > 1 and (
                    len(self._result_lines) > KEPT_RESULTS
                    or sum(len(r[0]) for r in self._result_lines.values()) > KEPT_RECORDS):
                self._result_lines.pop(next(iter(self._result_lines)))
            self._write(Text(f"{extra:,} more {run.unit} — press F6 (or click here) to open all "
                             f"{len(run.records):,} in the viewer", style="bold cyan"))
        if run.records:  # a command with no output (Set-…) keeps the previous result viewable
            self._last_records = run.records
            self._last_hint = run.hint
            self._last_result_line = run.line

    def _summary_text(self, run: _Run, summary: RunSummary | None) -> Text:
        records = summary.records if summary is not None else len(run.records)
        errors = summary.errors if summary is not None else run.errors
        warnings = summary.warnings if summary is not None else run.warnings
        duration = summary.duration_s if summary is not None else time.monotonic() - run.started
        outcome = summary.outcome if summary is not None else "ok"
        parts = [f"{records:,} record{'s' if records != 1 else ''}"]
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        parts.append(f"{duration:.2f} s")
        if summary is not None and summary.retries:
            parts.append(f"{summary.retries} retr{'ies' if summary.retries != 1 else 'y'} after throttling")
        if summary is not None and summary.assigned_to:
            parts.append(f"saved in ${summary.assigned_to}")
        text = Text()
        if outcome == "stopped":
            text.append("stopped", style="bold yellow")
            text.append(" · ")
        elif outcome == "failed":
            text.append("failed", style="bold red")
            text.append(" · ")
        elif outcome == "refused":   # read-only: nothing was sent
            text.append("refused (read-only)", style="bold red")
            text.append(" · ")
        text.append(" · ".join(parts), style="dim")
        return text

    def _render_failure(self, error: BaseException, line: str) -> None:
        column = getattr(error, "column", None)
        message = getattr(error, "message", None) or str(error)
        suggestions = getattr(error, "suggestions", None) or ()
        # The shell's errors already name their suggestions ("… Did you mean: Get-Mailbox?",
        # "Possible matches include: …"): add them only when the message does not.
        if suggestions and not all(str(s) in message for s in suggestions):
            message += "\nDid you mean: " + ", ".join(map(str, suggestions)) + "?"
        self.show_error(message, column if isinstance(column, int) else None, line)

    # -- rendering -----------------------------------------------------------------------------

    def _render_message(self, run: _Run, event: Any) -> RenderableType:
        if isinstance(event, ErrorEvent):
            run.errors += 1
            run.failed_in_stream |= event.terminating
            return render_error(event)
        # Messages carry server and tenant text: made visible (Text, never markup).
        if isinstance(event, WarningEvent):
            run.warnings += 1
            return Text(f"WARNING: {visible_lines(event.message)}", style="yellow")
        if isinstance(event, VerboseEvent):
            return Text(f"VERBOSE: {visible_lines(event.message)}", style="dim")
        if isinstance(event, TextEvent):
            return Text(visible_lines(event.text))
        if isinstance(event, FileEvent):
            verb = "Appended" if event.append else "Wrote"
            return Text(f"{verb} {event.bytes_written:,} bytes to {visible(str(event.path))}", style="green")
        if isinstance(event, RedirectEvent):
            return Text(visible_lines(event.message), style="dim")
        if isinstance(event, SilenceEvent):
            return Text(visible_lines(event.message), style="yellow")
        return Text(visible_lines(str(event)), style="dim")

    @staticmethod
    def _render_progress(items: Any) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(width=30)
        grid.add_column(no_wrap=True)
        for p in items:
            known = 0 <= p.percent <= 100
            bar = RichProgressBar(total=100, completed=p.percent if known else 0, width=30,
                                  pulse=not known)
            grid.add_row(Text(visible(p.activity), style="bold"), bar,
                         Text(visible(f"{p.status}") + (f" {p.percent}%" if known else ""), style="dim"))
        return grid

    # -- input ---------------------------------------------------------------------------------

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        if not line:
            return
        if self.busy:
            self.notify(f"A command is still running in {self.prompt}: wait for it, or press Ctrl+C to stop it.",
                        severity="warning", timeout=3)
            return
        self._history.add(line)
        self._memory.count_line(line)
        self._update_completion_data()
        self.input.value = ""
        self.post_message(self.Submitted(self, line))

    @on(CommandInput.Interrupt)
    def _interrupt(self, event: CommandInput.Interrupt) -> None:
        event.stop()
        if self._run is not None:
            self.post_message(self.StopRequested(self))
            self._run.stopping = True
            self._set_tail(self._run)
        else:
            self.input.value = ""
            self._history.reset()

    @on(CommandInput.SearchRequested)
    def _search(self, event: CommandInput.SearchRequested) -> None:
        event.stop()
        self.command_line.start_search()

    @on(ScrollRequested)
    def _scroll(self, event: ScrollRequested) -> None:
        event.stop()
        if event.direction < 0:
            self.scrollback.scroll_page_up(animate=False)
        else:
            self.scrollback.scroll_page_down(animate=False)

    @on(ScrollbackLog.LineClicked)
    def _line_clicked(self, event: ScrollbackLog.LineClicked) -> None:
        event.stop()
        found = self._result_lines.get(event.line_number)
        if found is not None:
            records, hint, line = found
            self._push_viewer(records, hint, line, running=False)

    def action_clear_scrollback(self) -> None:
        self.scrollback.clear()
        self._echo_is_last = False

    def action_open_viewer(self) -> None:
        self.open_viewer()

    def open_viewer(self) -> None:
        """Push the ResultViewer with every record of the last result."""
        records = self.last_result
        if not records:
            self.notify("No result to show yet: run a command first.", severity="information", timeout=3)
            return
        running = self._run is not None and bool(self._run.records)
        line = self._run.line if running and self._run is not None else self._last_result_line
        hint = self._run.hint if running and self._run is not None else self._last_hint
        self._push_viewer(records, hint, line, running)

    def _push_viewer(self, records: Sequence[Record], hint: Any, line: str, running: bool) -> None:
        title = f"{self.prompt}> {line}" + (" (still running: the rows so far)" if running else "")
        words = line.split()
        command = re.sub(r"[^\w.-]", "", words[0]) if words else ""
        stem = f"{self.prompt}-{command}" if command else self.prompt
        self.post_message(self.ViewerRequested(list(records), title=title, hint=hint, export_stem=stem))


def _warm_completion_index(catalog: Catalog, freeze: bool = True) -> None:
    from tui.shell.completion import index_for

    index_for(catalog)
    global _FROZEN
    if freeze and not _FROZEN:   # not for a stand-in catalog: the tenant's own follows in seconds
        # Modules, the widget tree, the first catalog and its index live as long as the app. Freezing
        # them takes them out of the cyclic GC's full collections, which otherwise walk every one of
        # them and stall all threads: while 10,000 records stream in, the UI's worst wait drops from
        # ~66 ms to ~12 ms (tests/bench/bench_console.py). Collected first so no garbage is frozen;
        # once per process (this thread pays the one collection, not the UI's keystrokes).
        _FROZEN = True
        gc.collect()
        gc.freeze()


_FROZEN = False

# While a result streams in, every record it keeps makes the heap older and bigger, and CPython
# then runs a full collection each time the old generation grows by a quarter: 9 full passes of up
# to ~150 ms each during a 10,000-record result, each one stalling the UI thread (and typing).
# They are put off while any console runs a command (records are plain data, not cycles) and
# allowed again when the last run ends: one pass afterwards instead of one every ~1,000 records.
_DEFERRED_RUNS = 0
_SAVED_THRESHOLD: tuple[int, int, int] | None = None
FULL_GC_DEFERRED_THRESHOLD = 1_000_000  # young collections before a full one (default 10)


def defer_full_gc() -> None:
    global _DEFERRED_RUNS, _SAVED_THRESHOLD
    if _DEFERRED_RUNS == 0:
        _SAVED_THRESHOLD = gc.get_threshold()
        young, middle, _old = _SAVED_THRESHOLD
        gc.set_threshold(young, middle, FULL_GC_DEFERRED_THRESHOLD)
    _DEFERRED_RUNS += 1


def resume_full_gc() -> None:
    global _DEFERRED_RUNS, _SAVED_THRESHOLD
    _DEFERRED_RUNS = max(0, _DEFERRED_RUNS - 1)
    if _DEFERRED_RUNS == 0 and _SAVED_THRESHOLD is not None:
        gc.set_threshold(*_SAVED_THRESHOLD)
        _SAVED_THRESHOLD = None


_POOL: ThreadPoolExecutor | None = None


def _render_pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exohop-render")
    return _POOL


def _render_to_strips(console: Console, formatter: RichFormatter, records: list[Record],
                      width: int) -> list[Strip]:
    """Runs in the render thread: pure Rich rendering (``formatter`` is this render's own copy)."""
    options = console.options.update_width(width)
    segments = console.render(formatter.feed(records), options)
    lines = Segment.split_and_crop_lines(segments, width, pad=False, include_new_lines=False)
    return [Strip(line) for line in lines]


def render_error(event: ErrorEvent) -> RenderableType:
    """An error the way PowerShell prints it: message, then category and FullyQualifiedErrorId."""
    lines: list[RenderableType] = [Text(visible_lines(event.message), style="bold red")]
    category = event.category or "NotSpecified"
    info = f"{category}: ({event.target or ''}:) [{event.exception_type}]" if event.exception_type \
        else f"{category}: ({event.target or ''}:)"
    lines.append(Text(f"    + CategoryInfo          : {visible(info)}", style="red"))
    if event.error_id:
        lines.append(Text(f"    + FullyQualifiedErrorId : {visible(event.error_id)}", style="red"))
    return Group(*lines)
