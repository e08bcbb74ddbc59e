"""The tenant sidebar: a filter box over a virtual list of thousands of tenants.

The list is a Line-API ``ScrollView``: it renders only the rows on screen, so filtering 10,000
tenants costs one ranking pass and no widget work (OptionList measures every option on each
rebuild, which takes about 0.3 s for 5,000 entries).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from tui.console.controller import TenantState, TenantStatus
from tui.console.tenant_filter import TenantMatcher, display_name
from tui.console.textual_compat import TypingInput
from tui.shell.accent import accent_color
from tui.shell.safe_text import visible, visible_lines

log = logging.getLogger(__name__)

ROW_HEIGHT = 2  # name line + domain line
# Scoring this many tenants takes a few ms on a slow machine: a query that scores more is
# ranked in a thread, and the list keeps its rows until the ranking lands (typing never waits).
RANK_IN_BACKGROUND_AT = 2_000

MARK_STYLES = {
    TenantStatus.IDLE: Style(color="grey50"),
    TenantStatus.CONNECTING: Style(color="yellow", bold=True),
    TenantStatus.IMPORTING: Style(color="cyan", bold=True),
    TenantStatus.READY: Style(color="green", bold=True),
    TenantStatus.BUSY: Style(color="magenta", bold=True),
    TenantStatus.ERROR: Style(color="red", bold=True),
}


# -- ranking (pure) --------------------------------------------------------------------------------


def fuzzy_score(query: str, tenant: Any) -> int:
    """0 when ``tenant`` does not match ``query``; otherwise higher is better (tui.console.tenant_filter).

    Every whitespace-separated term must match the name, the domain or a tag. The suffix every
    tenant shares (``.onmicrosoft.com``) is left out, or one letter would match them all.
    """
    scored = TenantMatcher([tenant]).scored(query)
    return scored[0][1] if scored else 0


def order_tenants(tenants: Sequence[Any], query: str = "",
                  recent: Mapping[str, float] | None = None) -> list[Any]:
    """Favorites first, then recently used (newest first), then by name; a query ranks by score first."""
    return TenantMatcher(tenants, recent).rank(query)


# -- widgets ---------------------------------------------------------------------------------------


def cursor_keys_from_filter(event: events.Key, filter_input: Input, rows: TenantRows) -> bool:
    """Arrow and page keys typed in a list's filter box move the list's cursor, so the user never has
    to leave the box (the sidebar's and the batch picker's); True when ``event`` was one of them."""
    if not filter_input.has_focus or event.key not in ("down", "up", "pagedown", "pageup"):
        return False
    event.stop()
    event.prevent_default()
    if event.key in ("down", "up"):
        rows.action_cursor(1 if event.key == "down" else -1)
    else:
        rows.action_page(1 if event.key == "pagedown" else -1)
    return True


@dataclass(frozen=True, slots=True)
class _Row:
    tenant: Any


class TenantRows(ScrollView, can_focus=True):
    """Virtual list of tenants: two lines each (mark + name, then the domain)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", show=False, id="list_open", tooltip="open the tenant (or click it)"),
        Binding("up", "cursor(-1)", "Up", show=False, id="list_up", tooltip="move in the list"),
        Binding("down", "cursor(1)", "Down", show=False, id="list_down", tooltip="move in the list"),
        Binding("pageup", "page(-1)", show=False, id="list_page_up", tooltip="a page up / down"),
        Binding("pagedown", "page(1)", show=False, id="list_page_down", tooltip="a page up / down"),
        Binding("home", "jump(0)", show=False, id="list_first", tooltip="the first / last tenant"),
        Binding("end", "jump(-1)", show=False, id="list_last", tooltip="the first / last tenant"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tenant-rows--cursor"}
    DEFAULT_CSS = """
    TenantRows { height: 1fr; }
    TenantRows > .tenant-rows--cursor { background: $block-cursor-background; }
    TenantRows:blur > .tenant-rows--cursor { background: $block-cursor-blurred-background; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Picked(Message):
        def __init__(self, tenant: Any) -> None:
            super().__init__()
            self.tenant = tenant

    class Highlighted(Message):
        def __init__(self, tenant: Any | None) -> None:
            super().__init__()
            self.tenant = tenant

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Any] = []
        self.states: Mapping[str, TenantState] = {}
        self.active: str | None = None

    # -- data --------------------------------------------------------------------------------

    def set_rows(self, tenants: list[Any], keep_cursor: bool = True) -> None:
        current = self.current if keep_cursor else None
        self.rows = tenants
        self.virtual_size = Size(self.size.width, len(tenants) * ROW_HEIGHT)
        index = 0
        if current is not None:
            for i, t in enumerate(tenants):
                if t.domain == current.domain:
                    index = i
                    break
        self.cursor = index
        self.refresh()

    @property
    def current(self) -> Any | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.scroll_to_region_of(new)
        self.post_message(self.Highlighted(self.current))

    def scroll_to_region_of(self, index: int) -> None:
        top = index * ROW_HEIGHT
        height = self.scrollable_content_region.height or self.size.height
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False)
        elif top + ROW_HEIGHT > self.scroll_y + height:
            self.scroll_to(y=top + ROW_HEIGHT - height, animate=False)

    # -- actions -----------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_page(self, direction: int) -> None:
        per_page = max(1, (self.scrollable_content_region.height or 2) // ROW_HEIGHT)
        self.cursor = self.cursor + direction * per_page

    def action_jump(self, index: int) -> None:
        self.cursor = index if index >= 0 else len(self.rows) - 1

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Picked(self.current))

    async def on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_y)) // ROW_HEIGHT
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.action_select()

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        line = y + int(self.scroll_y)
        index, part = divmod(line, ROW_HEIGHT)
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        tenant = self.rows[index]
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("tenant-rows--cursor")
        accent = Style(color=accent_color(tenant.domain))
        bar = Segment("▌" if tenant.domain == self.active else " ", style + accent)
        if part == 0:
            state = self.states.get(tenant.domain.lower())
            status = state.status if state else TenantStatus.IDLE
            name_style = style + Style(bold=tenant.domain == self.active)
            segments = [bar, Segment(status.value, style + MARK_STYLES[status]), Segment(" "),
                        Segment(visible(display_name(tenant)), name_style)]  # a CSV's name: text only
            if getattr(tenant, "favorite", False):
                segments += [Segment(" "), Segment("♥", style + Style(color="yellow"))]
        else:
            domain_style = style + Style(dim=True)
            segments = [bar, Segment("  "), Segment(visible(tenant.domain), domain_style)]
        return Strip(segments).adjust_cell_length(width, style)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows) * ROW_HEIGHT)


class TenantList(Vertical):
    """Filter box + tenant rows + a detail line (tags, or the error of the highlighted tenant)."""

    DEFAULT_CSS = """
    TenantList { width: 36; }
    TenantList > #tenant-filter { margin: 0 0 0 0; }
    TenantList > #tenant-detail { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    TenantList > #tenant-detail.-error { color: $error; }
    """

    def __init__(self, tenants: Sequence[Any], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tenants: list[Any] = list(tenants)
        self.states: dict[str, TenantState] = {}
        self.recent: dict[str, float] = {}
        self._query = ""
        self._matcher: TenantMatcher | None = None   # rebuilt when the tenants or the recent order change
        self._ranking = 0                             # rankings running in a thread
        self._typing_ahead = False
        self._detail_shown: tuple[str, bool, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield TypingInput(placeholder="/ filter: name, domain, tag", id="tenant-filter")
        yield TenantRows(id="tenant-rows")
        yield Static("", id="tenant-detail")

    def on_mount(self) -> None:
        self.refilter()

    @property
    def rows(self) -> TenantRows:
        return self.query_one(TenantRows)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#tenant-filter", Input)

    @property
    def shown(self) -> list[Any]:
        """The tenants the list shows now (filtered and ordered)."""
        return self.rows.rows

    def set_tenants(self, tenants: Sequence[Any]) -> None:
        self.tenants = list(tenants)
        self._matcher = None
        self.refilter()

    def set_states(self, states: Mapping[str, TenantState], recent: Mapping[str, float]) -> None:
        """Show new marks; re-order only when the recently-used order changed."""
        self.states = dict(states)
        rows = self.rows
        rows.states = self.states
        if dict(recent) != self.recent:
            self.recent = dict(recent)
            self._matcher = self._matcher.reordered(self.recent) if self._matcher is not None else None
            self.refilter()
        else:
            rows.refresh()
        self._show_detail(rows.current)

    def set_active(self, domain: str | None) -> None:
        self.rows.active = domain
        self.rows.refresh()

    def clear_filter(self) -> None:
        """Show every tenant again, the cursor staying on the current one (after a tenant is opened)."""
        if not self._query and not self.filter_input.value:
            return
        self._query = ""
        with self.filter_input.prevent(Input.Changed):
            self.filter_input.value = ""
        self.refilter(keep_cursor=True)

    def refilter(self, keep_cursor: bool = True) -> None:
        if self._matcher is None:
            self._matcher = TenantMatcher(self.tenants, self.recent)
        matcher, query = self._matcher, self._query
        # While a thread ranks, the matcher is locked: later queries go there too (in order).
        if self._ranking or matcher.cost(query) >= RANK_IN_BACKGROUND_AT:
            self._ranking += 1
            self.run_worker(lambda: self._rank_in_thread(matcher, query, keep_cursor), thread=True,
                            group="tenant-filter", exit_on_error=False)
            return
        self._show(matcher.rank(query), keep_cursor)   # narrows the previous matches as the query grows

    def _rank_in_thread(self, matcher: TenantMatcher, query: str, keep_cursor: bool) -> None:
        ordered: list[Any] | None = None
        try:
            ordered = matcher.rank(query)
        except Exception:   # a bug in ranking must not leave the list waiting: logged, rows kept
            log.exception("ranking the tenant list for a filter failed")
        finally:
            self.app.call_from_thread(self._ranked, matcher, query, ordered, keep_cursor)

    def _ranked(self, matcher: TenantMatcher, query: str, ordered: list[Any] | None, keep_cursor: bool) -> None:
        self._ranking -= 1
        # A ranking for a query typed over, or for tenants replaced meanwhile, is not shown.
        if ordered is not None and matcher is self._matcher and query == self._query:
            self._show(ordered, keep_cursor)

    def _show(self, ordered: list[Any], keep_cursor: bool) -> None:
        self.rows.states = self.states
        self.rows.set_rows(ordered, keep_cursor=keep_cursor)

    @on(Input.Changed, "#tenant-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value.lstrip("/")   # "/cont" typed out of habit filters by "cont"
        self.refilter(keep_cursor=False)  # the best match goes under the cursor

    @on(Input.Submitted, "#tenant-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # Posted from here (not through the rows): a message whose sender is the receiver's parent
        # stops bubbling at that parent, and the app must see it.
        if self.rows.current is not None:
            self.post_message(TenantRows.Picked(self.rows.current))

    def on_key(self, event: events.Key) -> None:
        # Typing on the list starts filtering (type-ahead), so Ctrl+T then a few letters finds a tenant;
        # the app's character keys (/ and ?) stay the app's.
        if self.rows.has_focus and event.is_printable and event.character and not event.character.isspace() \
                and event.key not in getattr(self.app, "character_keys", ()):
            event.stop()
            event.prevent_default()
            box = self.filter_input
            # Keys typed quickly still arrive here until the focus has moved: append them.
            box.value = (box.value if self._typing_ahead else "") + event.character
            box.cursor_position = len(box.value)
            self._typing_ahead = True
            box.select_on_focus = False  # keep the typed letters; "/" still selects the old filter
            box.focus()
            return
        if cursor_keys_from_filter(event, self.filter_input, self.rows):
            return
        if self.filter_input.has_focus and event.key == "escape" and self.filter_input.value:
            event.stop()
            self.filter_input.value = ""

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.rows:
            self._typing_ahead = False
            self.filter_input.select_on_focus = True

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget is self.filter_input:
            self.filter_input.select_on_focus = True

    @on(TenantRows.Highlighted)
    def _highlighted(self, event: TenantRows.Highlighted) -> None:
        event.stop()
        self._show_detail(event.tenant)

    def _show_detail(self, tenant: Any | None) -> None:
        detail = self.query_one("#tenant-detail", Static)
        text, error, tip = self._detail_of(tenant)
        if (text, error, tip) == self._detail_shown:
            return  # an update re-lays out the screen (the line has auto height): skip when unchanged
        self._detail_shown = (text, error, tip)
        detail.update(Text(visible_lines(text)))
        detail.set_class(error, "-error")
        # Text, not str: a str tooltip is read as markup, and the error quotes the service.
        self.rows.tooltip = Text(visible_lines(tip)) if tip is not None else None

    def _detail_of(self, tenant: Any | None) -> tuple[str, bool, str | None]:
        """(text, is an error, tooltip) for the detail line under the list."""
        if tenant is None:
            return ("no tenant matches" if self.tenants else "no tenants configured"), False, None
        state = self.states.get(tenant.domain.lower())
        if state is not None and state.status is TenantStatus.ERROR and state.message:
            return f"× {state.message}", True, state.message
        status = state.status.label if state else TenantStatus.IDLE.label
        tags = ", ".join(getattr(tenant, "tags", ()) or ())
        return status + (f" · {tags}" if tags else ""), False, None
