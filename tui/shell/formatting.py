"""Records → what the engineer sees: PowerShell-looking tables and lists (plain text and Rich), JSON, CSV.

The rules are PowerShell's: a type with a known view gets its columns (``views.py``); an object with at
most four properties is a table of all of them, a larger one a list; a Format-Table/Format-List hint
wins. Rendering works on a batch at a time: ``TextFormatter`` keeps the columns and widths of the first
batch so later batches of a stream line up under the same header.
"""

from __future__ import annotations

import json
import math
import textwrap
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from tui.shell.operators import is_number, iso_datetime, property_value, to_text
from tui.shell.records import Record
from tui.shell.safe_text import json_safe, visible, visible_lines
from tui.shell.sizes import ByteSize
from tui.shell.views import view_for

ENUMERATION_LIMIT = 4  # PowerShell's $FormatEnumerationLimit
ELLIPSIS = "…"
PSCUSTOMOBJECT = "System.Management.Automation.PSCustomObject"


@dataclass(frozen=True, slots=True)
class FormatHint:
    """What Format-Table / Format-List asked for; ``properties`` None means the type's default columns."""

    view: Literal["table", "list"]
    properties: list[str] | None = None
    auto_size: bool = False
    wrap: bool = False
    hide_table_headers: bool = False
    group_by: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    kind: Literal["table", "list", "scalar"]
    columns: list[str] = field(default_factory=list)
    hide_headers: bool = False
    wrap: bool = False


# -- values ----------------------------------------------------------------------------------------


def format_datetime(d: datetime | date) -> str:
    """en-US as PowerShell shows it: ``11/28/2026 5:35:07 PM`` (dates alone: ``11/28/2026``).

    A time-zone-aware value shows in local time, as a deserialized DateTime does in PowerShell."""
    if not isinstance(d, datetime):
        return f"{d.month}/{d.day}/{d.year}"
    if d.tzinfo is not None:
        d = d.astimezone()
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


def _format_timespan(t: timedelta) -> str:
    total = int(t.total_seconds())
    sign = "-" if total < 0 else ""
    days, rest = divmod(abs(total), 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{days}.{h:02d}:{m:02d}:{s:02d}" if days else f"{sign}{h:02d}:{m:02d}:{s:02d}"


def format_value(v: Any, limit: int | None = None) -> str:
    """One value as PowerShell displays it: lists ``{a, b}`` (at most ``limit`` items, then ``…``),
    ``True``/``False``, en-US dates, $null as the empty string."""
    if v is None:
        return ""
    if isinstance(v, str):
        when = iso_datetime(v) if v[:1].isdigit() else None
        return v if when is None else format_datetime(when)
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return format(v, ".15g").replace("e+", "E+").replace("e-", "E-")
    if isinstance(v, datetime | date):
        return format_datetime(v)
    if isinstance(v, list | tuple):
        shown = list(v) if limit is None else list(v)[:limit]
        more = ELLIPSIS if limit is not None and len(v) > limit else ""
        return "{" + ", ".join(format_value(x) for x in shown) + more + "}"
    if isinstance(v, dict):
        return "@{" + "; ".join(f"{k}={format_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, timedelta):
        return _format_timespan(v)
    if isinstance(v, ByteSize | uuid.UUID):
        return str(v)
    return str(v)


def _cell(v: Any) -> str:
    """A table cell: one line, control characters made visible (``safe_text``)."""
    if type(v) is str and not v[:1].isdigit() and v.isprintable():
        return v  # the common case, without format_value's checks
    text = format_value(v, ENUMERATION_LIMIT)
    if "\n" in text:
        text = text.replace("\r\n", " ").replace("\n", " ")
    return visible(text)


# -- choosing a view ----------------------------------------------------------------------------


def _shape(item: Any) -> str:
    if isinstance(item, Record):
        return "\x00".join(item.type_names) if item.type_names else "\x01" + "\x00".join(item.properties)
    return "\x02scalar"


def choose_view(records: Sequence[Any], hint: FormatHint | None = None) -> View:
    """The view for a batch of same-shaped objects (the first one decides, as in PowerShell)."""
    first = next((r for r in records if r is not None), None)
    if not isinstance(first, Record):
        if hint is not None and hint.properties:
            return View(hint.view, list(hint.properties), hint.hide_table_headers, hint.wrap)
        return View("scalar")
    known = view_for(first.type_names)
    if hint is not None:
        if hint.properties:
            columns = list(hint.properties)
        elif known is not None and (known.kind == hint.view or hint.view == "table"):
            columns = list(known.columns)
        else:
            columns = list(first.properties)
        return View(hint.view, columns, hint.hide_table_headers, hint.wrap)
    if known is not None:
        return View(known.kind, list(known.columns))
    columns = list(first.properties)
    return View("table" if len(columns) <= 4 else "list", columns)


def _group_label(item: Any, group_by: str | None) -> str | None:
    if group_by is None or not isinstance(item, Record):
        return None
    return visible(format_value(property_value(item, group_by)))


def _runs(items: Iterable[Any], group_by: str | None = None) -> Iterator[list[Any]]:
    """Consecutive items of the same shape (and -GroupBy value), so each run gets one view, as
    PowerShell's out-default does."""
    run: list[Any] = []
    key = None
    for item in items:
        k = _shape(item) if group_by is None else f"{_shape(item)}\x03{_group_label(item, group_by)}"
        if run and k != key:
            yield run
            run = []
        key = k
        run.append(item)
    if run:
        yield run


# -- plain text ----------------------------------------------------------------------------------


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS if width > 0 else ""


def _fit_widths(natural: list[int], minimum: list[int], width: int) -> list[int]:
    """Shrink the widest columns until the row (with one space between columns) fits ``width``."""
    widths = list(natural)
    excess = sum(widths) + len(widths) - 1 - width
    while excess > 0:
        candidates = [i for i, w in enumerate(widths) if w > minimum[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        others = [widths[i] for i in candidates if i != widest]
        step = min(excess, widths[widest] - minimum[widest], max(widths[widest] - max(others, default=0), 1))
        widths[widest] -= step
        excess -= step
    return widths


class TextFormatter:
    """Renders a stream batch by batch; the header and column widths are decided by the first batch."""

    def __init__(self, hint: FormatHint | None = None, width: int = 120, *,
                 floors: dict[str, int] | None = None) -> None:
        self.hint = hint
        self.width = max(width, 20)
        # Column → the width its values are known to need beyond the first batch (a merged table's
        # Tenant column holds every chosen tenant's name, most of which come later).
        self.floors = {k.lower(): v for k, v in (floors or {}).items()}
        self._key: str | None = None
        self._view: View | None = None
        self._widths: list[int] = []
        self._numeric: list[bool] = []
        self._started = False

    def feed(self, items: Iterable[Any]) -> str:
        out: list[str] = []
        group_by = self.hint.group_by if self.hint is not None else None
        for run in _runs(items, group_by):
            key = f"{_shape(run[0])}\x03{_group_label(run[0], group_by)}"
            if self._view is None or key != self._key:
                self._view = choose_view(run, self.hint)
                self._key = key
                self._widths = []
                if self._started:
                    out.append("")
                if group_by is not None:
                    out.extend([f"   {group_by}: {_group_label(run[0], group_by)}", ""])
            self._render(run, self._view, out)
            self._started = True
        return "".join(line.rstrip() + "\n" for line in out)

    def _render(self, run: list[Any], view: View, out: list[str]) -> None:
        if view.kind == "scalar":
            out.extend(visible_lines(format_value(x)) for x in run)
        elif view.kind == "list":
            self._list(run, view, out)
        else:
            self._table(run, view, out)

    def _list(self, run: list[Any], view: View, out: list[str]) -> None:
        for record in run:
            columns = view.columns if isinstance(record, Record) else ["Value"]
            labels = [visible(c) for c in columns]
            label_width = max((len(c) for c in labels), default=0)
            value_width = max(self.width - label_width - 3, 10)
            if out or self._started:
                out.append("")
            for col, label in zip(columns, labels, strict=True):
                value = property_value(record, col) if isinstance(record, Record) else record
                text = visible_lines(format_value(value, ENUMERATION_LIMIT))
                lines = _wrap(text, value_width)
                out.append(f"{label.ljust(label_width)} : {lines[0]}")
                out.extend(" " * (label_width + 3) + more for more in lines[1:])
            self._started = True

    def _table(self, run: list[Any], view: View, out: list[str]) -> None:
        columns = view.columns
        values = [[property_value(r, c) for c in columns] for r in run]
        rows = [[_cell(v) for v in row] for row in values]
        if not self._widths:
            headers = [visible(c) for c in columns]
            natural = [max([len(c), self.floors.get(c.lower(), 0), *(len(row[i]) for row in rows)])
                       for i, c in enumerate(headers)]
            minimum = [min(n, max(len(c), 6)) for n, c in zip(natural, headers, strict=True)]
            if not (self.hint is not None and self.hint.auto_size) or sum(natural) + len(natural) > self.width:
                natural = _fit_widths(natural, minimum, self.width)
            self._widths = natural
            self._numeric = [all(is_number(row[i]) or row[i] is None for row in values)
                             and any(is_number(row[i]) for row in values) for i in range(len(columns))]
            keep = _columns_that_fit(self._widths, self.width)
            self._widths = self._widths[:keep]
            if not view.hide_headers:
                out.append(self._row(headers[:keep]))
                out.append(self._row(["-" * len(c) for c in headers[:keep]]))
        for row in rows:
            if view.wrap:
                out.extend(self._wrapped_row(row))
            else:
                out.append(self._row(row))

    def _row(self, cells: Sequence[str]) -> str:
        parts = []
        for i, w in enumerate(self._widths):
            text = _truncate(cells[i] if i < len(cells) else "", w)
            parts.append(text.rjust(w) if self._numeric[i] else text.ljust(w))
        return " ".join(parts)

    def _wrapped_row(self, cells: Sequence[str]) -> list[str]:
        wrapped = [_wrap(cells[i], w) for i, w in enumerate(self._widths)]
        height = max(len(w) for w in wrapped)
        return [self._row([w[n] if n < len(w) else "" for w in wrapped]) for n in range(height)]


def _columns_that_fit(widths: list[int], width: int) -> int:
    total, keep = -1, 0
    for w in widths:
        if total + 1 + w > width and keep:
            break
        total += 1 + w
        keep += 1
    return keep


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width and "\n" not in text:
        return [text]
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(para, width, break_long_words=True, replace_whitespace=False) or [""])
    return lines


def render_text(records: Iterable[Any], hint: FormatHint | None = None, width: int = 120) -> str:
    """One batch as PowerShell would print it: a table (header, dashes, rows cut with ``…``) or a list."""
    return TextFormatter(hint, width).feed(records)


# -- Rich ------------------------------------------------------------------------------------------


# A table column may shrink to this many cells (or its header, if longer) before the table stops
# being readable: values cut shorter than that hide what tells rows apart (a domain, an address).
READABLE_CELLS = 12


def _natural_widths(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> list[int]:
    return [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]


def _readable_minimum(natural: Sequence[int], headers: Sequence[str]) -> list[int]:
    return [min(n, max(len(h), READABLE_CELLS)) for n, h in zip(natural, headers, strict=True)]


class RichFormatter:
    """Rich renderables for a stream, batch by batch, like ``TextFormatter``: the first batch of a
    table decides its columns and widths (fitted to ``width`` when given), later batches of the same
    shape come without a header so they line up under it. No Textual needed.

    With ``wide_as_list``, a table whose columns cannot all keep a readable width in ``width`` is
    shown as a list (Format-List), preceded by ``wide_note`` when given; a table Format-Table asked
    for stays a table and drops the columns that do not fit, as the line shell does."""

    def __init__(self, hint: FormatHint | None = None, width: int | None = None, *,
                 wide_as_list: bool = False, wide_note: str = "") -> None:
        self.hint = hint
        self.width = width
        self.wide_as_list = wide_as_list
        self.wide_note = wide_note
        self._key: str | None = None
        self._view: View | None = None
        self._widths: list[int] | None = None
        self._numeric: list[bool] = []

    def feed(self, items: Iterable[Any]) -> Any:
        from rich.console import Group
        from rich.text import Text

        parts: list[Any] = []
        group_by = self.hint.group_by if self.hint is not None else None
        for run in _runs(items, group_by):
            key = f"{_shape(run[0])}\x03{_group_label(run[0], group_by)}"
            fresh = self._view is None or key != self._key
            if fresh:
                chosen = choose_view(run, self.hint)
                self._view = self._fitted(run, chosen)
                self._key = key
                self._widths = None
                if group_by is not None:
                    parts.append(Text(f"\n   {group_by}: {_group_label(run[0], group_by)}\n", style="bold"))
                if self._view is not chosen and self.wide_note:
                    parts.append(Text(self.wide_note, style="dim italic"))
            view = self._view
            assert view is not None
            if view.kind == "scalar":
                parts.extend(Text(visible_lines(format_value(x))) for x in run)
            elif view.kind == "table":
                parts.append(self._table(run, view, header=fresh and not view.hide_headers))
            else:
                parts.extend(self._list(run, view))
        return Group(*parts)

    def fitted_view(self, records: Sequence[Any]) -> View:
        """The view a first batch of ``records`` gets: ``choose_view``'s, or a list when too wide."""
        return self._fitted(records, choose_view(records, self.hint))

    def _fitted(self, run: Sequence[Any], view: View) -> View:
        explicit_table = self.hint is not None and self.hint.view == "table"
        if not (self.wide_as_list and self.width and view.kind == "table") or explicit_table:
            return view
        headers = [visible(c) for c in view.columns]
        rows = [[_cell(property_value(r, c)) for c in view.columns] for r in run]
        minimum = _readable_minimum(_natural_widths(rows, headers), headers)
        if sum(minimum) + len(minimum) - 1 <= self.width:
            return view
        return View("list", view.columns)

    def _table(self, run: list[Any], view: View, header: bool) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        rows = [[_cell(property_value(r, c)) for c in view.columns] for r in run]
        headers = [visible(c) for c in view.columns]
        if self._widths is None:
            natural = _natural_widths(rows, headers)
            if self.width:
                if self.wide_as_list and not (self.hint is not None and self.hint.view == "table"):
                    minimum = _readable_minimum(natural, headers)   # fits: _fitted() checked
                else:
                    minimum = [min(n, max(len(c), 6)) for n, c in zip(natural, headers, strict=True)]
                natural = _fit_widths(natural, minimum, self.width)
                if self.wide_as_list:   # still too wide (Format-Table asked): the columns that fit
                    natural = natural[:_columns_that_fit(natural, self.width)]
            self._widths = natural
            self._numeric = [any(is_number(property_value(r, c)) for r in run) for c in view.columns]
        # SIMPLE_HEAD's column divider is one space: columns sit one space apart, as in PowerShell.
        table = Table(box=box.SIMPLE_HEAD, show_header=header, show_edge=False, pad_edge=False,
                      padding=0, header_style="bold", expand=False)
        for col, w, num in zip(headers, self._widths, self._numeric, strict=False):
            table.add_column(Text(col), justify="right" if num else "left", width=w, min_width=min(w, len(col)),
                             overflow="fold" if view.wrap else "ellipsis", no_wrap=not view.wrap)
        keep = len(self._widths)
        # Text, never str: Rich would read a str cell as console markup ("[link=…]" in a DisplayName).
        for row in rows:
            table.add_row(*(Text(cell) for cell in row[:keep]))
        return table

    def _list(self, run: list[Any], view: View) -> list[Any]:
        from rich.table import Table
        from rich.text import Text

        out: list[Any] = []
        for r in run:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(no_wrap=True, width=1)
            grid.add_column(overflow="fold")
            for col in view.columns:
                value = visible_lines(format_value(property_value(r, col), ENUMERATION_LIMIT))
                grid.add_row(Text(visible(col)), Text(":"), Text(value))
            out.extend([grid, Text("")])
        return out


def render_rich(records: Iterable[Any], hint: FormatHint | None = None, width: int | None = None) -> Any:
    """A Rich renderable (a Table for table views, grids for lists) for one batch; no Textual needed."""
    return RichFormatter(hint, width).feed(records)


# -- JSON and CSV ----------------------------------------------------------------------------------


def _json_value(v: Any, level: int, depth: int) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else format_value(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, ByteSize | uuid.UUID | timedelta):
        return format_value(v)
    if isinstance(v, Record | dict):
        if level > depth:
            return str(v) if isinstance(v, Record) else format_value(v)
        items = v.properties if isinstance(v, Record) else v
        return {str(k): _json_value(x, level + 1, depth) for k, x in items.items()}
    if isinstance(v, list | tuple):
        if level > depth:
            return to_text(v)
        return [_json_value(x, level + 1, depth) for x in v]
    return str(v)


def to_json(records: Iterable[Any], depth: int = 2, *, compress: bool = False, as_array: bool = False,
            escape: str = "Default") -> str:
    """ConvertTo-Json: one object alone, several as an array; objects deeper than ``depth`` become text.

    ``escape`` is -EscapeHandling: Default, EscapeNonAscii or EscapeHtml."""
    items = [_json_value(r, 0, depth) for r in records]
    if not items and not as_array:
        return ""
    data: Any = items if (as_array or len(items) != 1) else items[0]
    ascii_only = escape in ("EscapeNonAscii", "EscapeHtml")
    if compress:
        text = json.dumps(data, ensure_ascii=ascii_only, separators=(",", ":"))
    else:
        text = json.dumps(data, ensure_ascii=ascii_only, indent=2)
    if escape == "EscapeHtml":
        for ch, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
            text = text.replace(ch, code)
    # json.dumps escapes C0 but leaves DEL, C1 and the bidi controls raw: escaped too, the value
    # decodes the same and the text is safe to print (exohop run --format json, a cat of the export).
    return json_safe(text)


def _csv_field(v: Any, delimiter: str, quote: str = "Always") -> str:
    if v is None:
        return ""
    text = ";".join(format_value(x) for x in v) if isinstance(v, list | tuple) else format_value(v)
    # CSV has no escapes of its own, and a CSV is as often cat'ed as opened in a spreadsheet: values go
    # out made visible (line breaks and tabs kept; README "Hostile data"). JSON is the lossless export.
    text = visible_lines(text)
    if quote == "Never" or (quote == "AsNeeded" and not any(c in text for c in (delimiter, '"', "\n", "\r"))):
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_lines(records: Iterable[Any], properties: Sequence[str] | None = None, *,
              type_information: bool = False, delimiter: str = ",", header: bool = True,
              use_quotes: str = "Always", quote_fields: Sequence[str] | None = None) -> Iterator[str]:
    """ConvertTo-Csv line by line: the first object's properties decide the columns (PowerShell's rule).

    ``use_quotes`` is -UseQuotes (Always, AsNeeded, Never); ``quote_fields`` (-QuoteFields) quotes only
    those columns. Collections are written as their items joined with ``;``.
    """
    columns: list[str] = list(properties) if properties else []
    quoted = {q.lower() for q in quote_fields} if quote_fields else None
    first = True
    for r in records:
        if first:
            first = False
            if not columns:
                columns = list(r.properties) if isinstance(r, Record) else ["Value"]
            if type_information:
                type_name = r.type_names[0] if isinstance(r, Record) and r.type_names else PSCUSTOMOBJECT
                yield f"#TYPE {type_name}"
            modes = [use_quotes if quoted is None else ("Always" if c.lower() in quoted else "Never")
                     for c in columns]
            if header:
                yield delimiter.join(_csv_field(c, delimiter, m) for c, m in zip(columns, modes, strict=True))
        values = [property_value(r, c) if isinstance(r, Record) else r for c in columns]
        yield delimiter.join(_csv_field(v, delimiter, m) for v, m in zip(values, modes, strict=True))


def to_csv(records: Iterable[Any], properties: Sequence[str] | None = None, type_information: bool = False,
           *, delimiter: str = ",") -> str:
    return "".join(line + "\n" for line in csv_lines(records, properties, type_information=type_information,
                                                      delimiter=delimiter))
