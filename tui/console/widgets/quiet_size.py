"""Change a scrollable widget's ``virtual_size`` without a full-screen layout when nothing else moves.

Textual's ``virtual_size`` is a layout reactive: assigning it reflows the whole screen (10-75 ms
with the app's widgets). The scrollback grows on every flush of a streaming result and an ``Input``
sets it on every keystroke, so both paid that while 10,000 records streamed in (issue 5). A scroll
view's place on screen does not depend on its content: only its scrollbars need updating, unless
one appears or disappears (then ``show_*_scrollbar`` changes and that requests the layout itself).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size(widget: Widget, size: Size) -> bool:
    """Set ``widget.virtual_size``; returns whether a layout is pending (the size on screen may change)."""
    if size == widget.virtual_size:
        return False
    if not widget.is_attached or not widget.container_size or widget.styles.auto_dimensions:
        widget.virtual_size = size  # not laid out yet, or sized by its content: a layout it is
        return True
    bars = (widget.show_vertical_scrollbar, widget.show_horizontal_scrollbar)
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)  # scrollbar thumbs; clamps scroll_x / scroll_y to the new size
    return bars != (widget.show_vertical_scrollbar, widget.show_horizontal_scrollbar)
