"""The console's input line: prompt, completion dropdown, history (Up/Down, Ctrl+R) and ghost suggestions.

Completion runs on the catalog held in memory (``tui.shell.completion.complete``), on the UI thread,
so it never waits on the network; it must stay well under a frame (see tests/bench/bench_console.py).
The dropdown is a small OptionList drawn over the screen at the cursor (upward on the bottom rows),
rather than textual-autocomplete, because PSReadLine's keys need full control: Tab completes in place
(one candidate whole, several their common beginning) and opens the dropdown only when that adds
nothing (Complete); Ctrl+Space opens it at once (MenuComplete); Up/Down are history when it is
closed; Enter runs unless the dropdown offers something better.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Offset
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label

from tui.catalog import Catalog
from tui.console.textual_compat import QuietInput
from tui.shell import safe_text
from tui.shell.history import History

log = logging.getLogger(__name__)

MENU_ROWS = 10  # visible rows of the dropdown
MENU_MAIN_WIDTH = 40  # columns for the completion itself…
MENU_META_WIDTH = 56  # …and for its synopsis / type
MENU_LIMIT = 100  # entries in the dropdown: the completer ranks best first, so the tail never matters


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion as the dropdown shows and applies it (from a prompt_toolkit Completion)."""

    text: str  # what replaces the word before the cursor
    start: int  # start_position: <= 0, relative to the cursor
    display: str
    meta: str


def completions_for(text: str, cursor: int, catalog: Catalog, data: object | None) -> list[Candidate]:
    """Candidates for ``text`` with the cursor at ``cursor`` (the shell completer, adapted)."""
    from tui.shell.completion import complete  # the shell package is pure and cheap to import

    found = complete(text, cursor, catalog, data, limit=MENU_LIMIT)  # type: ignore[arg-type]
    out: list[Candidate] = []
    for c in found:
        out.append(Candidate(text=c.text, start=c.start_position,
                             display=c.display_text or c.text, meta=c.display_meta_text or ""))
    return out


_TOKEN_END = set(" \t|;,(){}'\"=:")


def common_completion(found: Sequence[Candidate], typed: str) -> Candidate | None:
    """The candidates' common beginning as one candidate, when it is longer than ``typed``, the word
    before the cursor (PSReadLine's Complete: ``Get-Mai`` with Get-Mailbox, Get-MailboxStatistics…
    gives ``Get-Mailbox``); None when it adds nothing, or the candidates replace different spans.

    Case is ignored when comparing and the first candidate's spelling is kept.
    """
    if not found or any(c.start != found[0].start for c in found):
        return None
    first = found[0].text
    lowered = [c.text.lower() for c in found]
    n = 0
    for letters in zip(*lowered, strict=False):
        if any(ch != letters[0] for ch in letters):
            break
        n += 1
    # A lower-cased name may change length ('İ'): then the spans no longer line up, so give up.
    if n <= len(typed) or first[:n].lower() != lowered[0][:n] or not lowered[0].startswith(typed.lower()):
        return None
    return Candidate(text=first[:n], start=found[0].start, display=first[:n], meta="")


def apply_candidate(value: str, cursor: int, cand: Candidate) -> tuple[str, int]:
    """The line and cursor after replacing the word at the cursor with ``cand``.

    As in PSReadLine the whole token is replaced, including its part after the cursor
    (``Get-Mai|lbx`` completed to Get-Mailbox gives ``Get-Mailbox``, not ``Get-Mailboxlbx``).
    """
    start = max(0, cursor + cand.start)
    end = cursor
    while end < len(value) and value[end] not in _TOKEN_END:
        end += 1
    new_value = value[:start] + cand.text + value[end:]
    return new_value, start + len(cand.text)


class HistorySuggester(Suggester):
    """Ghost text from this console's history (PSReadLine's history prediction); Right accepts it."""

    def __init__(self, history: History) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.history = history

    async def get_suggestion(self, value: str) -> str | None:
        if len(value) < 2:
            return None
        needle = value.casefold()
        for line in reversed(self.history.entries):
            if line.casefold().startswith(needle) and len(line) > len(value):
                return line
        return None


class CompletionMenu(Widget):
    """The dropdown: drawn over the screen at the input's cursor; never takes focus.

    A plain widget that renders only its visible rows (not an OptionList, which lays out every
    entry on each rebuild: ~10 ms for 50 entries with synopses, most of a frame).
    """

    DEFAULT_CSS = """
    CompletionMenu {
        overlay: screen;
        display: none;
        width: 40;
        height: 1;
        padding: 0;
        margin: 0;
        background: $panel;
        color: $foreground;
    }
    CompletionMenu > .completion-menu--highlight { background: $accent 60%; text-style: bold; }
    CompletionMenu > .completion-menu--meta { color: $text-muted; }
    CompletionMenu > .completion-menu--more { color: $text-muted; }
    CompletionMenu > .completion-menu--note { color: $text-warning; text-style: italic; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "completion-menu--highlight", "completion-menu--meta", "completion-menu--more", "completion-menu--note",
    }

    class Picked(Message):
        """A click on an entry."""

        def __init__(self, candidate: Candidate) -> None:
            super().__init__()
            self.candidate = candidate

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.can_focus = False
        self.candidates: list[Candidate] = []
        self.highlighted = 0
        self._top = 0  # first visible entry
        self._main_width = 0
        self.note = ""  # a last row under the entries (where they come from, when provisional)

    @property
    def is_open(self) -> bool:
        return bool(self.display) and bool(self.candidates)

    def show(self, candidates: Sequence[Candidate], note: str = "") -> None:
        new = list(candidates)
        if new != self.candidates or note != self.note:
            self.candidates = new
            self.note = note
            self.highlighted = 0
            self._top = 0
            self._main_width = min(MENU_MAIN_WIDTH, max((len(c.display) for c in new), default=0))
            meta = min(MENU_META_WIDTH, max((len(c.meta) for c in new), default=0))
            width = max(20, self._main_width + (2 + meta if meta else 0) + 1)
            self.styles.width = max(width, min(len(note) + 1, MENU_MAIN_WIDTH + MENU_META_WIDTH + 3))
            self.styles.height = self.rows
            self.refresh()
        self.display = bool(self.candidates)

    @property
    def rows(self) -> int:
        """Rows on screen: the visible entries, and the note's."""
        return min(len(self.candidates), MENU_ROWS) + (1 if self.note and self.candidates else 0)

    def hide(self) -> None:
        self.display = False
        self.candidates = []
        self.note = ""

    @property
    def current(self) -> Candidate | None:
        if not self.is_open or not 0 <= self.highlighted < len(self.candidates):
            return None
        return self.candidates[self.highlighted]

    def move(self, delta: int) -> None:
        if not self.candidates:
            return
        self.highlighted = max(0, min(len(self.candidates) - 1, self.highlighted + delta))
        if self.highlighted < self._top:
            self._top = self.highlighted
        elif self.highlighted >= self._top + MENU_ROWS:
            self._top = self.highlighted - MENU_ROWS + 1
        self.refresh()

    def place(self, anchor: Offset, screen_height: int, screen_width: int) -> None:
        """Under the anchor, or above it when there is no room below (the input sits on the bottom row)."""
        rows = self.rows
        width = self.styles.width.cells if self.styles.width is not None and self.styles.width.cells else 40
        x = max(0, min(anchor.x, screen_width - width))
        y = anchor.y + 1
        if y + rows > screen_height:
            y = max(0, anchor.y - rows)
        self.absolute_offset = Offset(x, y)

    def render(self) -> Text:
        width = self.size.width or 40
        main = self._main_width
        high = self.get_component_rich_style("completion-menu--highlight")
        meta_style = self.get_component_rich_style("completion-menu--meta")
        out = Text(no_wrap=True, overflow="crop", end="")
        visible = self.candidates[self._top:self._top + MENU_ROWS]
        for row, cand in enumerate(visible):
            index = self._top + row
            line = Text(no_wrap=True, end="")
            # Visible forms (``safe_text``): a synopsis or a value comes from the tenant's service.
            line.append(_cut(safe_text.visible(cand.display), main).ljust(main), style="bold")
            if cand.meta:
                line.append("  ")
                line.append(_cut(safe_text.visible(cand.meta), max(1, width - main - 3)), style=meta_style)
            if row == len(visible) - 1 and len(self.candidates) > MENU_ROWS:
                # Where the list stands: "12/50" in the last row's corner.
                mark = f" {self.highlighted + 1}/{len(self.candidates)}"
                line.truncate(max(0, width - len(mark)), pad=True)
                line.append(mark, style=self.get_component_rich_style("completion-menu--more"))
            line.truncate(width, pad=True)
            if index == self.highlighted:
                line.stylize(high)
            if row:
                out.append("\n")
            out.append_text(line)
        if self.note and visible:
            note = Text(_cut(safe_text.visible(self.note), width), no_wrap=True, end="",
                        style=self.get_component_rich_style("completion-menu--note"))
            note.truncate(width, pad=True)
            out.append("\n")
            out.append_text(note)
        return out

    def on_click(self, event: events.Click) -> None:
        index = self._top + event.y
        if event.y < min(len(self.candidates), MENU_ROWS) and 0 <= index < len(self.candidates):
            event.stop()
            self.post_message(self.Picked(self.candidates[index]))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_COMPLETE = "complete in place (several: what they share; again: the dropdown, or take its pick)"
_HISTORY = "history when the dropdown is closed; move in the dropdown when open"
_PAGE = "scroll the console; a page in the dropdown when open"


class CommandInput(QuietInput):
    """The line editor. Posts ``Input.Submitted`` (Enter), ``Interrupt`` (Ctrl+C) and ``SearchRequested``."""

    BINDINGS = [  # noqa: RUF012 - Textual's declaration style
        Binding("tab", "complete", "Complete", id="complete", tooltip=_COMPLETE),
        Binding("ctrl+space,ctrl+@,ctrl+at", "menu_complete", "Completion menu", show=False, id="completion_menu",
                key_display="ctrl+space", tooltip="open the completion dropdown at once"),   # one key, three names
        Binding("shift+tab", "menu_back", "Previous completion", show=False, id="completion_back",
                tooltip="the previous entry in the dropdown"),
        Binding("up", "up", "History back", show=False, id="history_back", tooltip=_HISTORY),
        Binding("down", "down", "History forward", show=False, id="history_forward", tooltip=_HISTORY),
        Binding("pageup", "page(-1)", show=False, id="page_up", tooltip=_PAGE),
        Binding("pagedown", "page(1)", show=False, id="page_down", tooltip=_PAGE),
        Binding("escape", "close_menu", "Close", show=False, id="close_menu", tooltip="close the dropdown"),
        Binding("enter", "submit", "Run", show=False, id="run",
                tooltip="run the line (or take the dropdown's pick when it offers something other than what is typed)"),
        Binding("right", "cursor_right", "Accept suggestion", show=False, id="accept_suggestion",
                tooltip="accept the grey suggestion from history (else: cursor right)"),
        Binding("ctrl+c", "interrupt", "Stop / clear", id="interrupt",
                tooltip="stop the running command, or clear the line; with text selected, copy"),
        Binding("ctrl+r", "search_history", "History search", id="history_search",
                tooltip="search history (again for an older match; Enter puts it on the line)"),
    ]

    class Interrupt(Message):
        """Ctrl+C with no selection to copy: the console stops a run or clears the line."""

    class SearchRequested(Message):
        """Ctrl+R: the console opens the reverse history search."""

    def __init__(self, history: History, *, id: str | None = None) -> None:
        super().__init__(id=id, suggester=HistorySuggester(history), select_on_focus=False)
        self.history = history
        self.catalog = Catalog()
        # Said under the dropdown while ``catalog`` stands in for the tenant's own (being imported).
        self.catalog_note = ""
        self.completion_data: object | None = None
        self._menu: CompletionMenu | None = None
        self._applying = False
        self._refresh_pending = False
        self.last_completion_ms = 0.0  # time the last completer call took (the bench and tests read it)
        self._was_empty = True

    # -- the app's character keys (``/``, ``?``) on an empty line ------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # On an empty line the app's character keys are the app's (``/`` focuses the filter); once
        # something is typed they are text. The footer asks this too, so it shows what works.
        if not self.value and key in getattr(self.app, "character_keys", ()):
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and not self.check_consume_key(event.key, event.character):
            event.prevent_default()   # not typed: the key bubbles on to the app's binding
        # else Input's own handler types it (Textual runs each class's handler down the MRO)

    @on(Input.Changed)
    def _emptied_or_started(self, event: Input.Changed) -> None:
        if (not event.value) != self._was_empty:
            self._was_empty = not event.value
            self.refresh_bindings()   # the footer shows, or stops showing, the app's character keys

    def attach_menu(self, menu: CompletionMenu) -> None:
        self._menu = menu

    @property
    def menu(self) -> CompletionMenu:
        assert self._menu is not None, "CommandInput needs attach_menu() before use"
        return self._menu

    # -- completion ----------------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        import time

        t0 = time.perf_counter()
        try:
            found = completions_for(self.value, self.cursor_position, self.catalog, self.completion_data)
        except Exception:  # a completer bug must never break typing
            log.exception("completion failed")
            found = []
        self.last_completion_ms = (time.perf_counter() - t0) * 1000
        return found

    def _word_before_cursor(self, cand: Candidate) -> str:
        start = max(0, self.cursor_position + cand.start)
        return self.value[start:self.cursor_position]

    def _useful(self, found: list[Candidate]) -> list[Candidate]:
        """Hide the dropdown when its only candidate is what is already typed."""
        if len(found) == 1 and found[0].text == self._word_before_cursor(found[0]):
            return []
        return found

    def open_menu(self, found: list[Candidate]) -> None:
        menu = self.menu
        menu.show(found, self.catalog_note)
        scr = self.screen
        # Align the dropdown with the start of the word being completed, not the cursor.
        anchor = self.cursor_screen_offset
        word_start = min((c.start for c in found), default=0)
        menu.place(Offset(max(0, anchor.x + word_start), anchor.y), scr.size.height, scr.size.width)

    def refresh_menu(self) -> None:
        """Re-run the completer while the dropdown is open (it filters as you type)."""
        if self._menu is None or not self.menu.display:
            return
        found = self._useful(self.candidates())
        if found:
            self.open_menu(found)
        else:
            self.menu.hide()

    def apply(self, cand: Candidate) -> None:
        value, cursor = apply_candidate(self.value, self.cursor_position, cand)
        self._applying = True
        try:
            self.value = value
            self.cursor_position = cursor
        finally:
            self._applying = False
        self.menu.hide()

    def action_complete(self) -> None:
        """Tab: one candidate completes in place, several their common beginning; the dropdown opens
        when that adds nothing (so a second Tab opens it). With the dropdown open: take the pick."""
        self._complete(menu_at_once=False)

    def action_menu_complete(self) -> None:
        """Ctrl+Space: the dropdown at once (one candidate still completes in place)."""
        self._complete(menu_at_once=True)

    def _complete(self, menu_at_once: bool) -> None:
        menu = self.menu
        if menu.is_open:
            current = menu.current
            if current is not None:
                self.apply(current)
            return
        found = self._useful(self.candidates())
        if not found:
            self.app.bell()
            return
        if len(found) == 1:
            self.apply(found[0])
            return
        common = None if menu_at_once else common_completion(found, self._word_before_cursor(found[0]))
        if common is not None:
            self.apply(common)
            return
        self.open_menu(found)

    def action_menu_back(self) -> None:
        self.menu.move(-1)

    def action_close_menu(self) -> None:
        self.menu.hide()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape only matters with the dropdown open; otherwise it bubbles to the app.
        if action in ("close_menu", "menu_back"):
            return self._menu is not None and self.menu.is_open
        return True

    def _schedule_refresh(self) -> None:
        # Typing changes the value and then the cursor: refilter once, after both.
        if self._applying or self._refresh_pending or self._menu is None or not self.menu.display:
            return
        self._refresh_pending = True

        def run() -> None:
            self._refresh_pending = False
            self.refresh_menu()

        self.call_next(run)

    def watch_selection(self) -> None:
        self._schedule_refresh()

    def watch_value(self) -> None:
        self._schedule_refresh()

    def on_blur(self, event: events.Blur) -> None:
        # Input's own blur handler runs too (Textual dispatches each class's handler in the MRO).
        if self._menu is not None:
            self.menu.hide()

    # -- history and run -----------------------------------------------------------------------

    def _set_line(self, text: str) -> None:
        self._applying = True
        try:
            self.value = text
            self.cursor_position = len(text)
        finally:
            self._applying = False

    def action_up(self) -> None:
        if self.menu.is_open:
            self.menu.move(-1)
            return
        older = self.history.older(self.value)
        if older is not None:
            self._set_line(older)

    def action_down(self) -> None:
        if self.menu.is_open:
            self.menu.move(1)
            return
        newer = self.history.newer()
        if newer is not None:
            self._set_line(newer)

    def action_page(self, direction: int) -> None:
        if self.menu.is_open:
            self.menu.move(direction * (MENU_ROWS - 1))
        else:
            self.post_message(ScrollRequested(direction))

    async def action_submit(self) -> None:
        menu = self.menu
        if menu.is_open:
            current = menu.current
            # Enter accepts the dropdown only when it offers something other than what is typed.
            if current is not None and current.text != self._word_before_cursor(current):
                self.apply(current)
                return
            menu.hide()
        await super().action_submit()

    def action_interrupt(self) -> None:
        if self.selected_text:
            self.app.copy_to_clipboard(self.selected_text)
            return
        self.menu.hide()
        self.post_message(self.Interrupt())

    def action_search_history(self) -> None:
        self.menu.hide()
        self.post_message(self.SearchRequested())


class ScrollRequested(Message):
    """PageUp/PageDown in the input scroll the console's scrollback."""

    def __init__(self, direction: int) -> None:
        super().__init__()
        self.direction = direction


class HistorySearchInput(QuietInput):
    """The Ctrl+R query box: Ctrl+R again finds an older match, Enter takes it, Escape cancels."""

    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+r", "older", "Older match", show=False, id="search_older", tooltip="an older match"),
        Binding("escape", "cancel", "Cancel search", show=False, id="search_cancel",
                tooltip="cancel the search (the line as it was)"),
        Binding("enter", "accept", "Use this line", show=False, id="search_accept",
                tooltip="put the match on the line"),
    ]

    class Older(Message):
        pass

    class Done(Message):
        def __init__(self, accepted: bool) -> None:
            super().__init__()
            self.accepted = accepted

    def action_older(self) -> None:
        self.post_message(self.Older())

    def action_cancel(self) -> None:
        self.post_message(self.Done(False))

    def action_accept(self) -> None:
        self.post_message(self.Done(True))


class CommandLine(Widget):
    """Prompt + input (+ the reverse-search row above it, shown on Ctrl+R) + the dropdown overlay."""

    DEFAULT_CSS = """
    CommandLine { height: auto; }
    CommandLine #search-row { height: 1; display: none; }
    CommandLine #search-row.active { display: block; }
    CommandLine #search-label { width: auto; color: $text-muted; }
    CommandLine #search-status { width: auto; color: $text-muted; padding-left: 1; }
    CommandLine HistorySearchInput { border: none; height: 1; padding: 0 0 0 1; width: 1fr; }
    CommandLine HistorySearchInput:focus { border: none; }
    CommandLine #input-row { height: 1; }
    CommandLine #prompt { width: auto; color: $accent; text-style: bold; background: $surface; }
    CommandLine CommandInput { border: none; height: 1; padding: 0 0 0 1; width: 1fr; background: $surface; }
    CommandLine CommandInput:focus { border: none; }
    """

    def __init__(self, prompt: str, history: History, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.prompt = prompt
        self.history = history
        self.input = CommandInput(history, id="command-input")
        self.menu = CompletionMenu(id="completion-menu")
        self.input.attach_menu(self.menu)
        self.search_input = HistorySearchInput(id="history-search", placeholder="type to search history")
        self._search_hit: int | None = None
        self._search_saved = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Label("reverse-i-search:", id="search-label")
            yield self.search_input
            yield Label("", id="search-status")
        with Horizontal(id="input-row"):
            yield Label(f"{self.prompt}>", id="prompt")
            yield self.input
        yield self.menu

    # -- reverse search ------------------------------------------------------------------------

    @property
    def searching(self) -> bool:
        return self.query_one("#search-row").has_class("active")

    def start_search(self) -> None:
        self._search_saved = self.input.value
        self._search_hit = None
        self.query_one("#search-row").add_class("active")
        self.search_input.value = ""
        self.query_one("#search-status", Label).update("")
        self.search_input.focus()

    def _show_search(self, before: int | None) -> None:
        query = self.search_input.value
        status = self.query_one("#search-status", Label)
        if not query:
            self._search_hit = None
            status.update("")
            return
        hit = self.history.search(query, before)
        if hit is None:
            status.update("no match" if before is None else "no older match")
            return
        self._search_hit, line = hit
        self.input._set_line(line)
        status.update(f"{len(self.history) - self._search_hit} of {len(self.history)}")

    @on(Input.Changed, "#history-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_search(None)

    @on(HistorySearchInput.Older)
    def _search_older(self, event: HistorySearchInput.Older) -> None:
        event.stop()
        self._show_search(self._search_hit)

    @on(CompletionMenu.Picked)
    def _picked(self, event: CompletionMenu.Picked) -> None:
        event.stop()
        self.input.apply(event.candidate)
        self.input.focus()

    @on(HistorySearchInput.Done)
    def _search_done(self, event: HistorySearchInput.Done) -> None:
        event.stop()
        if not event.accepted or self._search_hit is None:
            self.input._set_line(self._search_saved)
        self.query_one("#search-row").remove_class("active")
        self.history.reset()
        self.input.focus()
