"""A virtual scrollback: rendered lines that never change (frozen) plus a live tail that can be redrawn.

RichLog cannot replace what it has written, and a running command needs exactly that: its table
grows, its progress bar moves. Here a run's output is rendered into the live tail while it streams;
finished parts are frozen (appended once, never rendered again). Only visible lines are painted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import RenderableType
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tui.console.textual_compat import set_virtual_size

DEFAULT_MAX_LINES = 50_000


class ScrollbackLog(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    /* A one-column scrollbar: in an 80-column terminal a result gets 79 cells, as PowerShell's. */
    ScrollbackLog { background: $surface; scrollbar-gutter: stable; overflow-x: auto;
        scrollbar-size-vertical: 1; }
    ScrollbackLog:focus { background-tint: $foreground 3%; }
    """

    def __init__(self, *, max_lines: int = DEFAULT_MAX_LINES, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines
        self._frozen: list[Strip] = []
        self._live: list[Strip] = []
        self._width = 0  # widest line, for horizontal scrolling
        self._known_width = 0  # last visible width, used while the console is hidden
        self._trimmed = 0  # frozen lines dropped from the top (max_lines)
        self._line_cache: LRUCache[tuple[int, int, int], tuple[Strip, Strip]] = LRUCache(2048)

    # -- rendering -----------------------------------------------------------------------------

    @property
    def render_width(self) -> int:
        """The width new content is rendered at (the visible width; at least 40 columns)."""
        width = self.scrollable_content_region.width
        if width:
            self._known_width = width
        else:  # hidden (another tenant's console is in front) or not laid out yet
            width = self._known_width or self._width_from_ancestors()
        return max(40, width)

    def _width_from_ancestors(self) -> int:
        """The width the content will get: the nearest laid-out ancestor's content width less this
        widget's own gutter (padding, border, the scrollbar's stable gutter). The screen's width
        would be too wide beside a sidebar, and would ignore the scrollbar column(s)."""
        if not self.is_attached:
            return 0
        own = self.styles.gutter.width + self.scrollbar_gutter.width
        for ancestor in self.ancestors:
            if isinstance(ancestor, Widget) and ancestor.content_region.width:
                return max(0, ancestor.content_region.width - own)
        return max(0, self.app.size.width - own)

    def render_strips(self, renderable: RenderableType, width: int | None = None) -> list[Strip]:
        """``renderable`` as lines at the log's width (tables wider than that may scroll sideways)."""
        console = self.app.console
        options = console.options.update_width(width or self.render_width)
        if isinstance(renderable, Text):
            options = options.update(overflow="fold", no_wrap=False)
        lines = Segment.split_and_crop_lines(console.render(renderable, options), options.max_width,
                                             pad=False, include_new_lines=False)
        return [Strip(line) for line in lines]

    # -- content -------------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._frozen) + len(self._live)

    @property
    def frozen_lines(self) -> Sequence[Strip]:
        return self._frozen

    @property
    def live_lines(self) -> Sequence[Strip]:
        return self._live

    def plain_lines(self) -> list[str]:
        """Every line as plain text (tests and the "copy scrollback" action read this)."""
        return [s.text for s in (*self._frozen, *self._live)]

    def write(self, renderable: RenderableType) -> None:
        """Append ``renderable`` to the frozen part (above the live tail)."""
        self.append_strips(self.render_strips(renderable))

    def append_strips(self, strips: Iterable[Strip]) -> None:
        at_end = self._at_end()
        new = list(strips)
        self._width = max(self._width, max((s.cell_length for s in new), default=0))
        self._frozen.extend(new)
        if len(self._frozen) > self.max_lines:
            drop = len(self._frozen) - self.max_lines
            del self._frozen[:drop]
            self._trimmed += drop
        self._changed(at_end)

    @property
    def next_line_number(self) -> int:
        """The absolute number the next frozen line will get (stable while old lines are trimmed)."""
        return self._trimmed + len(self._frozen)

    class LineClicked(Message):
        def __init__(self, line_number: int) -> None:
            super().__init__()
            self.line_number = line_number  # absolute, as next_line_number counts

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self._frozen):
            self.post_message(self.LineClicked(self._trimmed + index))

    def set_live(self, strips: list[Strip]) -> None:
        """Replace the live tail."""
        at_end = self._at_end()
        self._live = strips
        self._changed(at_end)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()  # the background style is baked into cached lines

    def clear(self) -> None:
        self._line_cache.clear()
        self._trimmed += len(self._frozen)
        self._frozen = []
        self._live = []
        self._width = 0
        self._changed(True)

    def _at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y - 1

    def _changed(self, follow: bool) -> None:
        self._width = max(self._width, max((s.cell_length for s in self._live), default=0))
        relayout = set_virtual_size(self, Size(self._width, self.line_count))  # no screen layout
        self.refresh()
        if follow:  # after a layout the visible height may differ: scroll once it is done
            self.scroll_end(animate=False, immediate=not relayout, x_axis=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        frozen = len(self._frozen)
        if index < frozen:
            strip = self._frozen[index]
        elif index - frozen < len(self._live):
            strip = self._live[index - frozen]
        else:
            return Strip.blank(width, self.rich_style)
        # Lines never change once rendered, so their cropped, styled form is cached (repaints and
        # scrolling then cost a dict lookup per line). The source strip is kept to rule out id reuse.
        key = (id(strip), scroll_x, width)
        cached = self._line_cache.get(key)
        if cached is not None and cached[0] is strip:
            return cached[1]
        line = strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(self.rich_style)
        self._line_cache[key] = (strip, line)
        return line
