""""Run in tenants…": pick the tenants (filter, ``tag:X``, favorites; Space marks), then type the line.

The list is the sidebar's virtual list with a mark in front of each tenant; the filter is the sidebar's
ranking (``tui.console.tenant_filter``) after the exact selectors of ``tui.console.batch_selection``.
The line completes from the union of the marked tenants' catalogs (every tenant's while none is
marked), built in a thread after the marks settle. Enter on the line dismisses the screen with a
``BatchRequest``; the app confirms, asks for what the accounts need, and starts the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static

from tui.catalog import Catalog
from tui.console.batch_selection import narrow, parse_query
from tui.console.controller import TenantState, TenantStatus
from tui.console.tenant_filter import TenantMatcher, display_name
from tui.console.textual_compat import TypingInput
from tui.console.widgets.command_input import CommandInput, CommandLine, ScrollRequested
from tui.console.widgets.tenant_list import (
    MARK_STYLES,
    RANK_IN_BACKGROUND_AT,
    ROW_HEIGHT,
    TenantRows,
    cursor_keys_from_filter,
)
from tui.shell.accent import accent_color
from tui.shell.history import History
from tui.shell.safe_text import visible

log = logging.getLogger(__name__)

CATALOG_DELAY_S = 0.25   # the union of the marked tenants' catalogs is built once the marks settle
SHOWN_NAMES = 4          # marked tenants named in the status line before "and N more"

CatalogFor = Callable[[Sequence[Any]], tuple[Catalog, str]]


@dataclass(frozen=True)
class BatchRequest:
    """What the picker hands back: the marked tenants (in the order marked) and the line."""

    tenants: list[Any]
    line: str


class MarkRows(TenantRows):
    """The tenant list with a mark box in front of each tenant; Space marks, Ctrl+A every one shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark", id="pick_mark", tooltip="mark the tenant for the batch (again: unmark)"),
        Binding("ctrl+a", "mark_shown", "Mark all shown", id="pick_mark_shown",
                tooltip="mark every tenant the filter shows (again: unmark them)"),
    ]

    class MarksChanged(Message):
        pass

    def __init__(self, marked: dict[str, Any], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.marked = marked   # lower-case domain -> tenant, in the order marked (the screen's dict)

    def is_marked(self, tenant: Any) -> bool:
        return tenant.domain.lower() in self.marked

    def toggle(self, tenant: Any) -> None:
        key = tenant.domain.lower()
        if key in self.marked:
            del self.marked[key]
        else:
            self.marked[key] = tenant
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_toggle_mark(self) -> None:
        if self.current is not None:
            self.toggle(self.current)
            self.cursor = self.cursor + 1   # on to the next, as a file manager's Space does

    def action_mark_shown(self) -> None:
        if not self.rows:
            return
        if all(self.is_marked(t) for t in self.rows):
            for t in self.rows:
                self.marked.pop(t.domain.lower(), None)
        else:
            for t in self.rows:
                self.marked.setdefault(t.domain.lower(), t)
        self.refresh()
        self.post_message(self.MarksChanged())

    async def on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_y)) // ROW_HEIGHT
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.toggle(self.rows[index])

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        index, part = divmod(y + int(self.scroll_y), ROW_HEIGHT)
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        tenant = self.rows[index]
        style = base + self.get_component_rich_style("tenant-rows--cursor") if index == self.cursor else base
        bar = Segment("▌", style + Style(color=accent_color(tenant.domain)))
        if part == 0:
            marked = self.is_marked(tenant)
            state = self.states.get(tenant.domain.lower())
            status = state.status if state else TenantStatus.IDLE
            segments = [bar, Segment("☑ " if marked else "☐ ", style + Style(bold=marked, color="green" if marked
                                                                             else None)),
                        Segment(status.value, style + MARK_STYLES[status]), Segment(" "),
                        Segment(visible(display_name(tenant)), style + Style(bold=marked))]
            if getattr(tenant, "favorite", False):
                segments += [Segment(" "), Segment("♥", style + Style(color="yellow"))]
        else:
            tags = ", ".join(getattr(tenant, "tags", ()) or ())
            segments = [bar, Segment("    "), Segment(visible(tenant.domain), style + Style(dim=True))]
            if tags:
                segments.append(Segment(visible(f"  {tags}"), style + Style(dim=True, italic=True)))
        return Strip(segments).adjust_cell_length(width, style)


class BatchPickScreen(ModalScreen[BatchRequest | None]):
    """Dismisses with a BatchRequest (Enter on the line), or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Cancel", id="pick_cancel",
                tooltip="clear the filter, else close the picker: nothing is run"),
        Binding("ctrl+f", "favorites", "Favorites", id="pick_favorites",
                tooltip="list only the favorite tenants (again: every tenant)"),
        Binding("slash", "filter", "Filter", id="pick_filter",
                tooltip="filter the tenants by name, domain or tag; tag:X keeps those tagged X"),
    ]
    DEFAULT_CSS = """
    BatchPickScreen { align: center middle; }
    BatchPickScreen > Vertical { width: 100; max-width: 100%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1; }
    BatchPickScreen #pick-title { text-style: bold; height: 1; }
    BatchPickScreen #pick-bar { height: 1; margin-top: 1; }
    BatchPickScreen #pick-filter { width: 1fr; border: none; height: 1; padding: 0 1; }
    BatchPickScreen #pick-favorites { width: auto; padding: 0 1; color: $warning; }
    BatchPickScreen MarkRows { height: 1fr; }
    BatchPickScreen #pick-marked { height: auto; max-height: 3; color: $text-muted; padding: 0 1; }
    BatchPickScreen #pick-marked.-none { color: $warning; }
    BatchPickScreen CommandLine { margin-top: 1; }
    """

    def __init__(self, tenants: Sequence[Any], *, states: Mapping[str, TenantState], recent: Mapping[str, float],
                 history: History, catalog_for: CatalogFor,
                 group_members: Callable[[str], Iterable[str]] | None = None) -> None:
        super().__init__()
        self.tenants = list(tenants)
        self.group_members = group_members   # "@retail" in the filter: the domains of tenants.toml's group
        self.states = dict(states)
        self.recent = dict(recent)
        self.catalog_for = catalog_for   # blocking: run in a thread
        self.marked: dict[str, Any] = {}
        self.favorites_only = False
        self._query = ""
        self._matcher: TenantMatcher | None = None
        self._matcher_key: tuple[tuple[str, ...], bool] | None = None
        self._ranking = 0
        self._catalog_timer: Timer | None = None
        self._catalog_generation = 0
        self.rows = MarkRows(self.marked, id="pick-rows")
        self.command_line = CommandLine("no tenants", history, id="pick-line")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Run in tenants…  mark the tenants, then type the line"), id="pick-title")
            with Horizontal(id="pick-bar"):
                yield TypingInput(placeholder="/ filter: name, domain, tag (tag:X: tagged X)", id="pick-filter",
                                  select_on_focus=False)
                yield Label("", id="pick-favorites")
            yield self.rows
            yield Static("", id="pick-marked")
            yield self.command_line
        yield Footer()

    def on_mount(self) -> None:
        self.rows.states = self.states
        self._refilter()
        self._show_marked()
        self._schedule_catalog(at_once=True)
        self.rows.focus()

    @property
    def filter_input(self) -> Input:
        return self.query_one("#pick-filter", Input)

    @property
    def input(self) -> CommandInput:
        return self.command_line.input

    @property
    def shown(self) -> list[Any]:
        return self.rows.rows

    # -- the list ------------------------------------------------------------------------------

    def _refilter(self) -> None:
        query = parse_query(self._query)
        key = (query.selectors, self.favorites_only)
        if self._matcher is None or key != self._matcher_key:
            self._matcher = TenantMatcher(narrow(self.tenants, query, favorites_only=self.favorites_only,
                                                 members=self.group_members),
                                          self.recent)
            self._matcher_key = key
        matcher = self._matcher
        if self._ranking or matcher.cost(query.text) >= RANK_IN_BACKGROUND_AT:
            self._ranking += 1   # a large directory is ranked in a thread: typing never waits on it
            self.run_worker(lambda: self._rank_in_thread(matcher, query.text), thread=True,
                            group="pick-filter", exit_on_error=False)
            return
        self.rows.set_rows(matcher.rank(query.text), keep_cursor=False)

    def _rank_in_thread(self, matcher: TenantMatcher, text: str) -> None:
        ordered: list[Any] | None = None
        try:
            ordered = matcher.rank(text)
        except Exception:   # a bug in ranking must not leave the list waiting: logged, rows kept
            log.exception("ranking the batch picker's list failed")
        finally:
            self.app.call_from_thread(self._ranked, matcher, ordered)

    def _ranked(self, matcher: TenantMatcher, ordered: list[Any] | None) -> None:
        self._ranking -= 1
        if ordered is not None and matcher is self._matcher:
            self.rows.set_rows(ordered, keep_cursor=False)

    @on(Input.Changed, "#pick-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value
        self._refilter()

    @on(Input.Submitted, "#pick-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.rows.focus()   # Space marks there, Ctrl+A marks every tenant shown

    def on_key(self, event: events.Key) -> None:
        # Typing on the list filters it (as in the sidebar); Space stays the list's (it marks).
        if self.rows.has_focus and event.is_printable and event.character and not event.character.isspace() \
                and event.key != "slash":
            event.stop()
            event.prevent_default()
            box = self.filter_input
            box.value += event.character
            box.cursor_position = len(box.value)
            box.focus()
            return
        cursor_keys_from_filter(event, self.filter_input, self.rows)

    @on(TenantRows.Picked)
    def _picked(self, event: TenantRows.Picked) -> None:
        """Enter on the list: on to the line (nothing marked yet: the highlighted tenant is)."""
        event.stop()
        if not self.marked and event.tenant is not None:
            self.rows.toggle(event.tenant)
        self.input.focus()

    @on(MarkRows.MarksChanged)
    def _marks_changed(self, event: MarkRows.MarksChanged) -> None:
        event.stop()
        self._show_marked()
        self._schedule_catalog()

    def _show_marked(self) -> None:
        count = len(self.marked)
        status = self.query_one("#pick-marked", Static)
        if not count:
            status.update(Text("Nothing marked: Space marks the highlighted tenant, Ctrl+A every tenant shown."))
        else:
            names = [display_name(t) for t in list(self.marked.values())[:SHOWN_NAMES]]
            more = f" and {count - SHOWN_NAMES} more" if count > SHOWN_NAMES else ""
            status.update(Text(visible(f"{count} marked: {', '.join(names)}{more}")))
        status.set_class(not count, "-none")
        self.query_one("#prompt", Label).update(Text(f"{count} tenant{'s' if count != 1 else ''}>"))

    # -- completion from the union of the marked tenants' catalogs -------------------------------

    def _schedule_catalog(self, at_once: bool = False) -> None:
        if self._catalog_timer is not None:
            self._catalog_timer.stop()
        self._catalog_timer = self.set_timer(0 if at_once else CATALOG_DELAY_S, self._build_catalog)

    def _build_catalog(self) -> None:
        self._catalog_timer = None
        self._catalog_generation += 1
        generation = self._catalog_generation
        tenants = list(self.marked.values()) or list(self.tenants)
        catalog_for = self.catalog_for

        def work() -> None:
            from tui.shell.completion import index_for

            try:
                catalog, note = catalog_for(tenants)
                index_for(catalog)   # built here, not on the first keystroke
            except Exception:   # completion is a help: without it the line is still typed and run
                log.exception("building the batch's completion catalog failed")
                return
            self.app.call_from_thread(self._set_catalog, generation, catalog, note)

        self.run_worker(work, thread=True, group="pick-catalog", exit_on_error=False)

    def _set_catalog(self, generation: int, catalog: Catalog, note: str) -> None:
        if generation != self._catalog_generation or not self.is_attached:
            return   # the marks changed meanwhile: a newer union is on its way
        self.input.catalog = catalog
        self.input.catalog_note = note
        self.input.refresh_menu()

    # -- the line --------------------------------------------------------------------------------

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        if not line:
            return
        if not self.marked:
            self.notify("Mark at least one tenant first (Space on the list).", severity="warning", timeout=4)
            self.rows.focus()
            return
        self.command_line.history.add(line)
        self.dismiss(BatchRequest(list(self.marked.values()), line))

    @on(CommandInput.Interrupt)
    def _interrupt(self, event: CommandInput.Interrupt) -> None:
        event.stop()
        self.input.value = ""
        self.command_line.history.reset()

    @on(CommandInput.SearchRequested)
    def _search(self, event: CommandInput.SearchRequested) -> None:
        event.stop()
        self.command_line.start_search()

    @on(ScrollRequested)
    def _scroll(self, event: ScrollRequested) -> None:
        event.stop()
        self.rows.action_page(event.direction)

    # -- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.filter_input.value:
            self.filter_input.value = ""
            if not self.input.has_focus:
                self.rows.focus()
            return
        self.dismiss(None)

    def action_favorites(self) -> None:
        self.favorites_only = not self.favorites_only
        self.query_one("#pick-favorites", Label).update("♥ favorites only" if self.favorites_only else "")
        self._refilter()

    def action_filter(self) -> None:
        self.filter_input.focus()
