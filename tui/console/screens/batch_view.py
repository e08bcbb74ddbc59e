"""The batch view: one row per tenant (state, records, errors, time) over the merged result table.

The merged table is the result viewer (sort, filter, export) with the batch's ``Tenant`` column
first. It grows while the batch runs up to ``LIVE_ROWS`` rows and takes the rest when the batch ends,
listing at most ``LISTED_ROWS`` of them (a DataTable measures every cell it is given and walks all its
rows on each growth: 30 tenants × thousands of rows fed in live would take the UI thread); the filter,
the sort and the exports work on every record. The view reads the batch it shows from a
``BatchSource`` (the app's ``BatchFlow``), which calls ``update`` once per tick (every 100 ms) and
``finished`` at the end;
closing the view leaves the batch running (Ctrl+G or the palette shows it again). Enter on a row opens
that tenant's console, where the batch's output is in the scrollback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Label
from textual.widgets.data_table import CellDoesNotExist

from tui.console.tenant_filter import display_name
from tui.console.widgets.result_view import ResultViewer
from tui.shell.records import Record
from tui.shell.safe_text import visible, visible_lines

TENANT_COLUMN = "Tenant"
LIVE_ROWS = 1_000   # merged rows shown while the batch runs; the rest when it ends…
LISTED_ROWS = 10_000   # …up to this many in the table (filter, sort and export take every record)
ROWS_EVERY_S = 0.5    # while it runs, the rows' counts and times are redrawn this often (a DataTable redraws whole)
MERGE_EVERY_S = 1.0   # while it runs, new merged rows join the table at most this often (each growth re-lays it out)
MERGED_KEYS = "s sort · / filter · e / j export · a all properties"

# The engine's states (tui.remoting.batch) as the table says them, with their colour.
STATE_LABELS = {
    "queued": ("waiting", "grey50"), "connecting": ("connecting", "yellow"), "running": ("running", "magenta"),
    "ok": ("ok", "green"), "errors": ("errors", "red"), "connect_failed": ("connect failed", "red"),
    "skipped": ("skipped", "yellow"), "refused": ("refused", "yellow"), "stopped": ("stopped", "yellow"),
}
COLUMNS = (("tenant", "Tenant", None), ("domain", "Domain", None), ("state", "State", 14),
           ("records", "Records", 9), ("errors", "Errors", 6), ("time", "Time", 8), ("note", "Note", None))


class BatchSource(Protocol):
    """What the view reads and asks of the batch it shows."""

    @property
    def batch(self) -> Any: ...        # tui.remoting.batch.Batch: runs, batch_id, line, stopping

    @property
    def records(self) -> list[Record]: ...   # the merged records so far (each with its Tenant first)

    @property
    def hint(self) -> Any: ...

    @property
    def running(self) -> bool: ...

    @property
    def summary(self) -> Any: ...      # BatchSummary once finished, else None

    def stop(self) -> None: ...

    def open_tenant(self, tenant: Any) -> None: ...

    def view_closed(self, view: BatchScreen) -> None: ...


def run_note(run: Any) -> str:
    """Why a tenant did not simply succeed, in a few words ('' when the state and counts say it all)."""
    from tui.remoting.batch import describe

    label, _ = STATE_LABELS.get(run.state, (run.state, ""))
    said = describe(run)
    counted = f"{run.errors} error{'s' if run.errors != 1 else ''}"
    if said in (label, counted, "ok", "waiting", "connecting", "running"):
        return ""
    return visible_lines(said).replace("\n", " ")


def run_cells(run: Any) -> dict[str, Text]:
    """One tenant's row, as Text (names and messages are made visible, never read as markup)."""
    label, colour = STATE_LABELS.get(run.state, (run.state, ""))
    note = run_note(run)
    started = run.started is not None
    return {
        "tenant": Text(visible(display_name(run.tenant))),
        "domain": Text(visible(run.tenant.domain), style="dim"),
        "state": Text(label, style=f"bold {colour}".strip()),
        "records": Text(f"{run.records:,}", justify="right"),
        "errors": Text(f"{run.errors:,}" if run.errors else "", style="red", justify="right"),
        "time": Text(f"{run.duration_s:.1f} s" if started else "", justify="right"),
        "note": Text(note, no_wrap=True, overflow="ellipsis"),
    }


def live_summary(runs: Sequence[Any], stopping: bool) -> str:
    """The line over the table while the batch runs: how far it is."""
    done = sum(1 for r in runs if r.done)
    running = sum(1 for r in runs if r.state in ("connecting", "running"))
    records = sum(r.records for r in runs)
    errors = sum(r.errors for r in runs)
    parts = [f"{done} of {len(runs)} tenants done", f"{running} running", f"{records:,} records"]
    if errors:
        parts.append(f"{errors:,} errors")
    text = " · ".join(parts)
    return text + (" · stopping…" if stopping else " · Ctrl+C / Esc stops every tenant")


class LiveLine(Widget):
    """One line of text redrawn in place: no layout of the screen for each change (a Label's update has one,
    and the screen under the view's tables is far from free to lay out ten times a second)."""

    DEFAULT_CSS = "LiveLine { height: 1; }"

    def __init__(self, text: str = "", *, wrap: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self.wrap = wrap   # onto the lines its CSS height gives it

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text(visible(self.text), no_wrap=not self.wrap, overflow="ellipsis")


class BatchRows(DataTable[Text]):
    """The tenants' rows; Enter opens the tenant's console."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open tenant", id="batch_open",
                tooltip="open the tenant's console (the batch's output is in its scrollback)"),
    ]


class BatchScreen(ModalScreen[None]):
    """The batch's rows and merged result; stays a view: closing it does not stop the batch."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "stop", "Stop all", id="batch_stop", tooltip="stop every running pipeline of the batch"),
        Binding("escape", "back", "Stop / close", id="batch_back",
                tooltip="stop the batch while it runs, else close the view (Ctrl+G or the palette shows it again)"),
    ]
    DEFAULT_CSS = """
    BatchScreen { align: center middle; background: $background; }   /* opaque: nothing under it shows */
    BatchScreen > Vertical { width: 100%; height: 1fr; background: $surface; border: round $accent; }
    BatchScreen #batch-title { height: 1; padding: 0 1; text-style: bold; }
    BatchScreen #batch-summary { padding: 0 1; color: $text-muted; }
    BatchScreen BatchRows { height: auto; max-height: 40%; }
    BatchScreen #batch-detail { height: 2; padding: 0 1; color: $warning; }
    BatchScreen #batch-merged { height: 1; padding: 0 1; margin-top: 1; color: $text-muted; }
    BatchScreen ResultViewer { height: 1fr; }
    """

    def __init__(self, source: BatchSource) -> None:
        super().__init__()
        self.source = source
        self._shown: dict[str, dict[str, str]] = {}   # domain -> the cells' text as last drawn
        batch = source.batch
        words = batch.line.split()
        command = re.sub(r"[^\w.-]", "", words[0]) if words else ""
        first = source.records if not source.running else source.records[:LIVE_ROWS]
        self._taken = len(first)   # of source.records, in the viewer
        self.viewer = ResultViewer(first, hint=source.hint, leading_columns=(TENANT_COLUMN,), max_rows=LISTED_ROWS,
                                   export_stem=f"batch-{command}" if command else "batch", id="batch-viewer")
        # Kept, not queried: a tick may come while the screen is being taken down.
        self.rows = BatchRows(id="batch-rows", cursor_type="row", zebra_stripes=True)
        self._summary = LiveLine(id="batch-summary")
        self._detail = LiveLine(wrap=True, id="batch-detail")   # the highlighted tenant's note, whole
        self._merged = LiveLine(f"Merged result (Tenant first): {MERGED_KEYS}", id="batch-merged")
        self._merged_at = 0.0   # monotonic, when rows last joined the table
        self._updated_at = 0.0  # …and when the rows were last redrawn

    def compose(self) -> ComposeResult:
        batch = self.source.batch
        with Vertical():
            count = len(batch.runs)
            yield Label(Text(visible(f"Batch {batch.batch_id} · {count} tenant{'s' if count != 1 else ''} › "
                                     f"{batch.line}")), id="batch-title")
            yield self._summary
            yield self.rows
            yield self._detail
            yield self._merged
            yield self.viewer
        yield Footer()

    def on_mount(self) -> None:
        table = self.rows
        for key, title, width in COLUMNS:
            table.add_column(Text(title), key=key, width=width or self._width_of(key, title))
        for run in self.source.batch.runs:
            cells = run_cells(run)
            table.add_row(*(cells[key] for key, _, _ in COLUMNS), key=run.tenant.domain.lower())
            self._shown[run.tenant.domain.lower()] = {k: v.plain for k, v in cells.items()}
        self._show_summary()
        self._show_detail()
        table.focus()

    def _width_of(self, key: str, title: str) -> int:
        """The names' and domains' longest (at most 40); the note gets what is left of the screen's width,
        so the table never scrolls sideways (a note cut short is whole on the line under the table)."""
        runs = self.source.batch.runs
        if key == "tenant":
            return min(40, max([len(title), *(len(visible(display_name(r.tenant))) for r in runs)]))
        if key == "domain":
            return min(40, max([len(title), *(len(visible(r.tenant.domain)) for r in runs)]))
        used = sum(w or self._width_of(k, t) for k, t, w in COLUMNS if k != key) + 2 * len(COLUMNS)
        return max(12, self.app.size.width - 4 - used)   # the border, the scrollbar

    # -- what the flow calls ---------------------------------------------------------------------

    def update(self, *, now: bool = False) -> None:
        """Each tick (while running, at most every ROWS_EVERY_S; ``now``: at once): the rows whose cells
        changed (a running tenant's time always does), the summary, and the merged records that arrived
        (while running, up to LIVE_ROWS)."""
        at = time.monotonic()
        if not now and self.source.running and at - self._updated_at < ROWS_EVERY_S:
            return
        self._updated_at = at
        table = self.rows
        for run in self.source.batch.runs:
            key = run.tenant.domain.lower()
            shown = self._shown.get(key)
            if shown is None:
                continue
            for column, cell in run_cells(run).items():
                if shown.get(column) != cell.plain:
                    table.update_cell(key, column, cell)
                    shown[column] = cell.plain
        self._show_detail()
        self._show_summary()
        self._take_records()

    def _take_records(self) -> None:
        records = self.source.records
        running = self.source.running
        end = len(records) if not running else max(self._taken, min(len(records), LIVE_ROWS))
        now = time.monotonic()
        if end > self._taken and (not running or now - self._merged_at >= MERGE_EVERY_S):
            self.viewer.append(records[self._taken:end], self.source.hint)
            self._taken = end
            self._merged_at = now
        if running and len(records) > LIVE_ROWS:
            self._merged.show(f"Merged result (Tenant first): the first {self._taken:,} of {len(records):,} rows so "
                              f"far; the rest join when the batch ends · {MERGED_KEYS}")
        else:
            self._merged.show(f"Merged result (Tenant first): {MERGED_KEYS}")

    def finished(self) -> None:
        self.update(now=True)
        self.refresh_bindings()   # nothing to stop any more: the footer stops offering it

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.source.running
        return True

    def _show_summary(self) -> None:
        summary = self.source.summary
        batch = self.source.batch
        if summary is not None:
            lines = summary.lines()
            text = lines[0]
        else:
            text = live_summary(batch.runs, batch.stopping)
        self._summary.show(text)

    # -- keys --------------------------------------------------------------------------------------

    def _highlighted_run(self) -> Any:
        table = self.rows
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:   # the cursor off the rows (none yet): nothing highlighted
            return None
        return next((r for r in self.source.batch.runs if r.tenant.domain.lower() == key), None)

    def _show_detail(self) -> None:
        run = self._highlighted_run()
        note = run_note(run) if run is not None else ""
        self._detail.show(f"{display_name(run.tenant)}: {note}" if note else "")

    @on(DataTable.RowHighlighted, "#batch-rows")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    @on(DataTable.RowSelected, "#batch-rows")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        domain = str(event.row_key.value)
        run = next((r for r in self.source.batch.runs if r.tenant.domain.lower() == domain), None)
        if run is not None:
            self.source.open_tenant(run.tenant)

    def action_stop(self) -> None:
        if self.source.running:
            self.source.stop()
            self.update(now=True)

    def action_back(self) -> None:
        if self.viewer.back():
            return
        if self.source.running and not self.source.batch.stopping:
            self.action_stop()
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        self.source.view_closed(self)
