"""What ``exohop shell``'s prompt shows: the bottom toolbar, the live completer, the shared history.

* The toolbar: the tenant's name in its accent colour (the console's, ``tui.shell.accent``), its
  domain, the account, the session's state with the import progress, and the number of commands.
* The completer: the console's (``tui.shell.completion.complete``) over the session's catalog as it is
  now (a background refresh swaps in synopses and commands without a new prompt) and the tenant's
  ``CompletionMemory``; text from the service is shown made visible, as in the console's menu.
* The history: the tenant's shared JSON file (``tui.shell.history_file``), so Up recalls what was
  typed in the console too, and what is typed here reaches the console.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import History

from tui.catalog import Catalog
from tui.cli.shell_link import EXIT_WORDS, FAILED, IMPORTING, READY, Link
from tui.shell.accent import accent_color
from tui.shell.completion import complete
from tui.shell.safe_text import visible

log = logging.getLogger(__name__)

TOOLBAR_STYLE = {"bottom-toolbar": "noreverse bg:#262626 #bcbcbc", "bottom-toolbar.text": ""}
_STATE_STYLE = {READY: "#5fd75f bold", IMPORTING: "#5fd7d7 bold", FAILED: "#ff5f5f bold"}
_STATE_MARK = {READY: "●", IMPORTING: "◐", FAILED: "×"}


def toolbar(link: Link) -> StyleAndTextTuples:
    """The toolbar's fragments for ``link`` (read on every redraw: the connect thread changes it)."""
    colour = accent_color(link.tenant.domain)
    state = link.state
    status = state
    if state == IMPORTING and link.progress is not None:
        done, total = link.progress
        status = f"{state} {done} of {total or '?'}"
    elif state == READY:
        status = f"{state} · {link.commands} commands"
    elif state == FAILED:
        status = "could not connect (press Enter for the reason)"
    return [
        (f"fg:{colour}", "▌"),
        (f"bg:{colour} fg:#000000 bold", f" {visible(link.tenant.display_name)} "),
        (f"fg:{colour}", f" {visible(link.tenant.domain)}"),
        ("", f"  as {visible(link.account.upn)}  "),
        (_STATE_STYLE.get(state, "#d7d75f bold"), f"{_STATE_MARK.get(state, '…')} {status}"),
        ("", "   :tenant NAME switches · :tenants lists"),
    ]


class LiveCompleter(Completer):
    """The console's completion for the link ``current()`` returns, read afresh on every keystroke."""

    def __init__(self, current: Callable[[], Link]) -> None:
        self.current = current

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        link = self.current()
        provisional = link.session is None
        # Until the tenant's own catalog is there (connecting, a cold import), the shipped one stands in,
        # marked as such: what the console does (tui.remoting.stand_in_catalog).
        catalog = stand_in() if provisional else link.session.catalog
        for c in complete(document.text, document.cursor_position, catalog, link.memory.data()):
            # Names and synopses come from the service: shown as text, never as terminal controls.
            meta = visible(c.display_meta_text)
            if provisional:
                meta = f"{meta} · {PROVISIONAL}" if meta else PROVISIONAL
            yield Completion(c.text, c.start_position, visible(c.display_text), meta or None)


PROVISIONAL = "provisional: from the shipped catalog"


def stand_in() -> Catalog:
    """The shipped catalog (parsed once, on first use: the shell warms it behind its first prompt)."""
    from tui.remoting.shipped_catalog import shipped_catalog

    return shipped_catalog()


def is_meta(line: str) -> bool:
    """A line for the shell itself (``:tenant``, ``exit``), not a command: kept out of the history."""
    text = line.strip().lower()
    return text.startswith(":") or text in EXIT_WORDS


class SharedHistory(History):
    """prompt_toolkit's history over the tenant's shared file; each line run is appended under its lock."""

    def __init__(self, link: Link) -> None:
        super().__init__()
        self.link = link

    def load_history_strings(self) -> Iterable[str]:
        return reversed(self.link.entries)   # newest first, as prompt_toolkit wants them

    def store_string(self, string: str) -> None:
        if is_meta(string):
            return
        try:
            self.link.history.append(string)
        except OSError as exc:   # FileBusy included: the line still runs, and stays in this prompt's history
            log.warning("could not save the history of %s: %s", self.link.tenant.domain,
                        exc.strerror or type(exc).__name__)

    def append_string(self, string: str) -> None:
        if not is_meta(string):
            super().append_string(string)
