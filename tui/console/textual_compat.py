"""Every use of a private Textual attribute, in one place, for the version it was written against.

One measured need (issue 5: typing while 10,000 records stream in) reaches below Textual's public
API: changing a scrollable widget's ``virtual_size`` without a full-screen layout when nothing else
moves. Textual's ``virtual_size`` is a layout reactive: assigning it reflows the whole screen (10-75 ms
with the app's widgets). The scrollback grows on every flush of a streaming result and an ``Input``
sets it on every keystroke, so both paid that while 10,000 records streamed in (issue 5). A scroll
view's place on screen does not depend on its content: only its scrollbars need updating, unless
one appears or disappears (then ``show_*_scrollbar`` changes and that requests the layout itself).

``QuietInput`` applies that to ``Input``, whose value watcher assigns ``virtual_size`` on every
keystroke. If Textual changes, this import fails with a message naming this module (the pin in
pyproject.toml keeps Textual on the minor version verified here).

``key_name`` is Textual's own character → key name mapping (private). ``key_character`` /
``TypingInput`` work around ``textual.keys.key_to_character``, which finds no
character for some named keys (``slash``: its Unicode name is SOLIDUS): an ``Input`` then does not
claim ``/``, so the footer offers the app's ``/`` binding over a box where ``/`` types a slash.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from rich.segment import Segments
from textual import keys as textual_keys
from textual.app import App
from textual.geometry import Size
from textual.keys import KEY_DISPLAY_ALIASES, format_key, key_to_character
from textual.widget import Widget
from textual.widgets import Input

SUPPORTED = "8.2."
_found = version("textual")
if not _found.startswith(SUPPORTED):
    raise ImportError(f"tui/console/textual_compat.py was written for Textual {SUPPORTED}x and found {_found}: "
                      "check Widget._scroll_update and Input._watch_value, then the pin in pyproject.toml")
for _owner, _name in ((Widget, "_scroll_update"), (Input, "_watch_value"), (App, "_fatal_error"),
                      (App, "_close_messages_no_wait"), (textual_keys, "_character_to_key")):
    if not callable(getattr(_owner, _name, None)):
        raise ImportError(f"Textual's {getattr(_owner, '__name__', _owner)}.{_name} is gone: tui/console/textual_compat.py needs updating")


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


def key_character(key: str) -> str | None:
    """The character a key types (``slash`` → ``/``, ``a`` → ``a``), or None (``ctrl+t``, ``up``)."""
    if "+" in key[:-1]:
        return None   # a modifier: not typed
    found = key_to_character(key)
    if found is not None:
        return found if found.isprintable() else None   # escape, tab: keys, not text
    shown = format_key(key)   # the display form: "/" for slash, "↑" for up (an alias, not a character)
    if len(shown) == 1 and shown.isprintable() and (key not in KEY_DISPLAY_ALIASES or shown.isascii()):
        return shown
    return None


def key_name(character: str) -> str:
    """Textual's key name for a typed character (``/`` → ``slash``, ``?`` → ``question_mark``)."""
    return textual_keys._character_to_key(character)


class TypingInput(Input):
    """An Input that claims every key that types a character, ``/`` included (see the module doc)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return super().check_consume_key(key, character or key_character(key))


class QuietInput(TypingInput):
    """An Input whose typing does not lay out the whole screen."""

    def _watch_value(self, value: str) -> None:
        # Input assigns virtual_size on every change, and that reflows the whole screen (~10 ms,
        # far more while a result streams in). Set it first without a layout: Input's own
        # assignment is then a no-op.
        set_virtual_size(self, Size(self.content_width, 1))
        super()._watch_value(value)


def render_crash_without_locals(app: App[Any]) -> None:
    """What ``App._fatal_error`` does on a crash, without the frames' local variables.

    Textual prints a traceback with ``show_locals=True``: a frame holding a password (the sign-in
    path, a session) would show it on the terminal. Call from an ``_fatal_error`` override, inside
    the ``except`` that handles the crash (the traceback is read from ``sys.exc_info()``).
    """
    import rich
    from rich.traceback import Traceback

    app.bell()
    traceback = Traceback(show_locals=False, width=None, suppress=[rich])
    app._exit_renderables.append(Segments(app.console.render(traceback, app.console.options)))
    app._close_messages_no_wait()
