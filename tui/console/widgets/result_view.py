"""``ResultViewer``: a large result in a DataTable — sort, filter, export CSV/JSON, copy a cell.

Rows are added in chunks between frames, so opening 50,000 records never freezes the input.
Sorting uses the shell's natural order (sizes by bytes, dates as dates); the filter matches any
cell, case-insensitive. Exports are written atomically (``tui.files.atomic_write_text``). A result
still arriving (a batch's merged table) grows with ``append``: new rows join the filter and the sort.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label

from tui.console.textual_compat import TypingInput
from tui.files import atomic_write_text
from tui.shell.formatting import choose_view, format_value, to_csv, to_json
from tui.shell.operators import sort_key
from tui.shell.records import Record
from tui.shell.safe_text import visible

FIRST_CHUNK = 100  # the first rows show at once…
CHUNK_ROWS = 500  # …then this many per frame: DataTable measures each new cell (~15 µs); keep frames short
FILTER_DELAY_S = 0.12  # the filter applies once typing pauses
MAX_COLUMNS = 60  # a viewer with more columns than that is unusable anyway, and slow to measure


def viewer_columns(records: Sequence[Any], hint: Any = None, all_properties: bool = False,
                   leading: Sequence[str] = ()) -> list[str]:
    """The columns to show: Format-Table's properties when given, else the type's view (as in the
    console), or with ``all_properties`` every property in first-seen order. ``leading`` columns come
    first whatever the view says (a batch's ``Tenant``)."""
    return _with_leading(_columns(records, hint, all_properties), leading)


def _columns(records: Sequence[Any], hint: Any, all_properties: bool) -> list[str]:
    props = getattr(hint, "properties", None)
    if props and not all_properties:
        return [str(p) for p in props][:MAX_COLUMNS]
    if not records:
        return []
    if not any(isinstance(r, Record) for r in records[:1]):
        return ["Value"]  # scalars (Select-Object -ExpandProperty …)
    if not all_properties:
        view = choose_view(records[:1], hint)
        if view.columns:
            return view.columns[:MAX_COLUMNS]
    seen: dict[str, None] = {}
    for rec in records[:200]:  # the shape of a result shows in its first records
        if isinstance(rec, Record):
            for name in rec.properties:
                seen.setdefault(name, None)
    return list(seen)[:MAX_COLUMNS]


def _with_leading(columns: list[str], leading: Sequence[str]) -> list[str]:
    if not leading or not columns:
        return columns
    lead = [c.lower() for c in leading]
    return [*leading, *(c for c in columns if c.lower() not in lead)][:MAX_COLUMNS]


def value_of(item: Any, column: str) -> Any:
    if isinstance(item, Record):
        return item.get(column)
    return item if column == "Value" else None


def cell_text(value: Any) -> str:
    """A cell as one line of text, formatted as the console shows values (whole lists, not cut at four),
    control characters made visible (``safe_text``): DataTable would paint them raw."""
    text = format_value(value)
    if "\n" in text:
        text = text.replace("\r\n", " ").replace("\n", " ")
    return visible(text)


class ResultViewer(Widget):
    """A result as a table. Keys: s sort, / filter, e/j export CSV/JSON, c copy cell, a all properties."""

    DEFAULT_CSS = """
    ResultViewer { layout: vertical; height: 1fr; }
    ResultViewer #viewer-bar { height: 1; }
    ResultViewer #viewer-filter { width: 1fr; border: none; height: 1; padding: 0 1; }
    ResultViewer #viewer-status { width: auto; padding: 0 1; color: $text-muted; }
    ResultViewer DataTable { height: 1fr; }
    ResultViewer #export-row { height: 1; display: none; }
    ResultViewer #export-row.active { display: block; }
    ResultViewer #export-label { width: auto; padding: 0 1; }
    ResultViewer #export-path { width: 1fr; border: none; height: 1; padding: 0; }
    """

    BINDINGS = [  # noqa: RUF012 - Textual's declaration style
        Binding("s", "sort", "Sort", id="viewer_sort",
                tooltip="sort by the column under the cursor (again: descending; or click a header)"),
        Binding("slash,ctrl+f", "filter", "Filter", id="viewer_filter", tooltip="filter the rows"),
        Binding("e", "export('csv')", "Export CSV", id="viewer_csv", tooltip="export CSV (written atomically)"),
        Binding("j", "export('json')", "Export JSON", id="viewer_json", tooltip="export JSON (written atomically)"),
        Binding("c", "copy_cell", "Copy cell", id="viewer_copy", tooltip="copy the cell"),
        Binding("a", "toggle_all", "All properties", id="viewer_all",
                tooltip="every property instead of the type's usual columns"),
    ]

    class Exported(Message):
        def __init__(self, path: Path, rows: int) -> None:
            super().__init__()
            self.path = path
            self.rows = rows

    def __init__(self, records: Sequence[Record], *, hint: Any = None, export_stem: str = "result",
                 leading_columns: Sequence[str] = (), max_rows: int | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.records = list(records)
        self.export_stem = export_stem  # default file name for exports, e.g. "contoso-Get-Mailbox"
        self._overwrite_ok: Path | None = None  # the existing file the user agreed to replace
        self.hint = hint
        self.all_properties = False
        self.leading_columns = tuple(leading_columns)
        # At most this many rows of the view go into the DataTable (it measures every cell and walks all its
        # rows on each growth); the filter, the sort and the exports still take every record.
        self.max_rows = max_rows
        self.columns = viewer_columns(self.records, hint, leading=self.leading_columns)
        self._texts: list[tuple[str, ...] | None] | None = None  # cell texts per record, built lazily
        self._search: list[str] | None = None
        self._cells: list[tuple[Text, ...] | None] | None = None  # the DataTable's cell objects per record
        self._filter_timer: Timer | None = None
        self.view: list[int] = list(range(len(self.records)))  # record indices in display order
        self.sorted_by: tuple[str, bool] | None = None  # (column, descending)
        self.filter_text = ""
        self._loaded = 0
        self._generation = 0  # bumps on every reload; stale chunks stop
        self._export_format = "csv"

    def compose(self) -> ComposeResult:
        with Horizontal(id="viewer-bar"):
            yield TypingInput(placeholder="/ filter rows (any cell contains…)", id="viewer-filter")
            yield Label("", id="viewer-status")
        table: DataTable[Text] = DataTable(id="viewer-table", zebra_stripes=True, cursor_type="cell")
        yield table
        with Horizontal(id="export-row"):
            yield Label("Export CSV to:", id="export-label")
            yield Input(id="export-path")

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#viewer-table", DataTable)

    def on_mount(self) -> None:
        self._add_columns()
        self.reload()
        self.table.focus()

    def _add_columns(self) -> None:
        for name in self.columns:
            self.table.add_column(Text(visible(name)), key=name)

    def show_all_properties(self, on: bool) -> None:
        """Switch between the view's columns and every property of the objects."""
        self.all_properties = on
        self.columns = viewer_columns(self.records, self.hint, all_properties=on, leading=self.leading_columns)
        self._texts = self._search = self._cells = None
        if self.sorted_by is not None and self.sorted_by[0] not in self.columns:
            self.sorted_by = None
            self.view = sorted(self.view)
        self.table.clear(columns=True)
        self._add_columns()
        self.reload()

    # -- data ----------------------------------------------------------------------------------

    def texts(self) -> list[tuple[str, ...]]:
        """Every row's cell texts (filtering needs them all)."""
        return [self.row_text(i) for i in range(len(self.records))]

    def row_text(self, i: int) -> tuple[str, ...]:
        if self._texts is None:
            self._texts = [None] * len(self.records)
        row = self._texts[i]
        if row is None:
            row = self._texts[i] = tuple(cell_text(value_of(self.records[i], c)) for c in self.columns)
        return row

    def row_cells(self, i: int) -> tuple[Text, ...]:
        """Row ``i`` as the DataTable holds it, made when first shown (so opening the viewer is quick).

        Text, not str: DataTable would parse a str as console markup ("[x]" in a display name).
        """
        if self._cells is None:
            self._cells = [None] * len(self.records)
        row = self._cells[i]
        if row is None:
            row = self._cells[i] = tuple(Text(t, no_wrap=True) for t in self.row_text(i))
        return row

    @property
    def loaded(self) -> int:
        """Rows of the current view already in the DataTable."""
        return self._loaded

    @property
    def limit(self) -> int:
        """Rows of the view the table holds once loaded: all of them, or ``max_rows``."""
        return len(self.view) if self.max_rows is None else min(len(self.view), self.max_rows)

    @property
    def capped(self) -> bool:
        return self.limit < len(self.view)

    @property
    def complete(self) -> bool:
        return self._loaded >= self.limit

    def reload(self) -> None:
        """Refill the table with ``view`` in chunks (one per frame)."""
        self._generation += 1
        self._loaded = 0
        self.table.clear()
        self._add_chunk(self._generation)

    def append(self, records: Sequence[Record], hint: Any = None) -> None:
        """Add records that arrived since (a result still streaming): they are matched against the
        filter and, while a sort is on, put in their place; otherwise they join the end of the table.
        ``hint`` (a Format-Table's) is taken while the viewer has no columns yet."""
        if not records:
            return
        first = len(self.records)
        self.records.extend(records)
        added = len(records)
        if not self.is_mounted:   # on_mount lays out whatever is there by then
            if hint is not None and not self.columns:
                self.hint = hint
            self.columns = self.columns or viewer_columns(self.records, self.hint, self.all_properties,
                                                          self.leading_columns)
            self.view.extend(range(first, first + added))
            return
        for cache in (self._texts, self._cells):
            if cache is not None:
                cache.extend([None] * added)
        if not self.columns:   # opened before any record arrived: the first ones decide the columns
            if hint is not None:
                self.hint = hint
            self.columns = viewer_columns(self.records, self.hint, self.all_properties, self.leading_columns)
            self._texts = self._search = self._cells = None
            self._add_columns()
        new = list(range(first, first + added))
        if self._search is not None:   # the filter's text of every row: the new rows' too
            self._search.extend("\t".join(self.row_text(i)).casefold() for i in new)
        needle = self.filter_text.strip().casefold()
        if needle:
            search = self._search
            new = [i for i in new if needle in (search[i] if search is not None
                                                 else "\t".join(self.row_text(i)).casefold())]
        if not new:
            self._update_status()
            return
        was_complete = self.complete
        if self.sorted_by is not None:
            self.view = self._ordered(self.view + new)
            if was_complete and not self.capped:
                # Every row was in the table: add the new ones and reorder in place (no re-measuring).
                self.table.add_rows(self.row_cells(i) for i in new)
                self._loaded += len(new)
                rank = {id(self.row_cells(i)[0]): pos for pos, i in enumerate(self.view)}
                self.table.sort(self.columns[0], key=lambda cell: rank[id(cell)])
                self._update_status()
                return
            self.reload()
            return
        self.view.extend(new)
        if was_complete:
            self._add_chunk(self._generation)   # the chunked load picks up where it stopped
        else:
            self._update_status()   # a load in progress reaches the new rows by itself

    def _add_chunk(self, generation: int) -> None:
        if generation != self._generation:
            return
        size = FIRST_CHUNK if self._loaded == 0 else CHUNK_ROWS
        chunk = self.view[self._loaded:min(self._loaded + size, self.limit)]
        if chunk:
            self.table.add_rows(self.row_cells(i) for i in chunk)
            self._loaded += len(chunk)
        self._update_status()
        if self._loaded < self.limit:
            self.call_after_refresh(self._add_chunk, generation)

    def _update_status(self) -> None:
        total = len(self.records)
        shown = len(self.view)
        parts = [f"{shown:,} of {total:,} rows" if shown != total else f"{total:,} rows"]
        if self.capped:
            parts.append(f"the first {self.limit:,} listed (filter to narrow; exports write all {shown:,})")
        if self._loaded < self.limit:
            parts.append(f"loading {self._loaded:,}…")
        if self.sorted_by:
            parts.append(f"sorted by {self.sorted_by[0]}{' ↓' if self.sorted_by[1] else ' ↑'}")
        self.query_one("#viewer-status", Label).update(" · ".join(parts))

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        needle = text.strip().casefold()
        if needle:
            if self._search is None:
                self._search = ["\t".join(row).casefold() for row in self.texts()]
            search = self._search
            matching = [i for i in range(len(self.records)) if needle in search[i]]
        else:
            matching = list(range(len(self.records)))
        self.view = self._ordered(matching)
        self.reload()

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        if descending is None:
            descending = self.sorted_by is not None and self.sorted_by[0] == column and not self.sorted_by[1]
        self.sorted_by = (column, descending)
        self.view = self._ordered(self.view)
        if not self.complete or not self.view or self.capped:   # capped: other rows come first now
            self.reload()
            return
        # Every row is in the table: reorder it in place instead of re-adding (and re-measuring) rows.
        rank = {id(self.row_cells(i)[0]): pos for pos, i in enumerate(self.view)}
        first = self.columns[0]
        self.table.sort(first, key=lambda cell: rank[id(cell)])
        self._update_status()

    def _ordered(self, indices: list[int]) -> list[int]:
        if self.sorted_by is None:
            return sorted(indices)
        column, descending = self.sorted_by
        records = self.records

        def key(i: int) -> Any:
            k = sort_key(value_of(records[i], column))
            return (k[0], k[1]) if k[0] != 3 else (3, k[1][0])

        try:
            return sorted(indices, key=key, reverse=descending)
        except TypeError:  # values of kinds that do not compare (a column mixing types): sort as text
            texts = self.texts()
            col = self.columns.index(column) if column in self.columns else 0
            return sorted(indices, key=lambda i: texts[i][col].casefold(), reverse=descending)

    def visible_records(self) -> list[Record]:
        return [self.records[i] for i in self.view]

    def export(self, path: Path, fmt: str) -> int:
        """Write the rows in view (filtered, sorted) as CSV or JSON; returns the row count."""
        rows = self.visible_records()
        text = to_json(rows, as_array=True) if fmt == "json" else to_csv(rows)
        atomic_write_text(path, text)
        return len(rows)

    # -- actions -------------------------------------------------------------------------------

    def action_sort(self) -> None:
        if not self.columns:
            return
        col = self.columns[min(self.table.cursor_coordinate.column, len(self.columns) - 1)]
        self.sort_by(col)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def action_toggle_all(self) -> None:
        self.show_all_properties(not self.all_properties)

    def action_filter(self) -> None:
        self.query_one("#viewer-filter", Input).focus()

    @on(Input.Changed, "#viewer-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value
        self._filter_timer = self.set_timer(FILTER_DELAY_S, lambda: self.apply_filter(value))

    @on(Input.Submitted, "#viewer-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        if event.value != self.filter_text:
            self.apply_filter(event.value)
        self.table.focus()

    def action_copy_cell(self) -> None:
        coord: Coordinate = self.table.cursor_coordinate
        if not self.view or not self.table.is_valid_coordinate(coord):
            return
        value = str(self.table.get_cell_at(coord))
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied {value[:60]!r}" if value else "Copied an empty cell", timeout=2, markup=False)

    def action_export(self, fmt: str) -> None:
        self._export_format = fmt
        row = self.query_one("#export-row")
        row.add_class("active")
        self.query_one("#export-label", Label).update(f"Export {fmt.upper()} to:")
        box = self.query_one("#export-path", Input)
        box.value = str(Path.cwd() / f"{self.export_stem}.{fmt}")
        self._overwrite_ok = None
        box.focus()

    @on(Input.Submitted, "#export-path")
    def _export_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        raw = event.value.strip()
        if not raw:
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            path = path / f"{self.export_stem}.{self._export_format}"
        if path.exists() and self._overwrite_ok != path:
            # Never replace an earlier export silently: a second Enter confirms.
            self._overwrite_ok = path
            self.query_one("#export-label", Label).update(f"{path.name} exists — Enter again to replace it:")
            return
        try:
            rows = self.export(path, self._export_format)
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror or exc}. Choose another path.",
                        severity="error", title="Export failed")
            return
        self.query_one("#export-row").remove_class("active")
        self.table.focus()
        self.notify(f"Exported {rows:,} rows to {path}", title="Export")
        self.post_message(self.Exported(path, rows))

    def back(self) -> bool:
        """Escape inside the export or filter box goes back to the table (handled here, not the screen)."""
        row = self.query_one("#export-row")
        if row.has_class("active"):
            row.remove_class("active")
            self.table.focus()
            return True
        if self.query_one("#viewer-filter", Input).has_focus:
            self.table.focus()
            return True
        return False
