"""The command palette (Ctrl+P): entries read ``category: action``, as in the app's menus elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, NamedTuple

from rich.markup import escape
from rich.text import Text
from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider


class PaletteEntry(NamedTuple):
    title: str  # "tenant: Connect"
    help: str
    callback: Callable[[], Any]
    discover: bool = True  # listed before the user types anything


class ExohopCommands(Provider):
    """Asks the app for its entries (``palette_entries()``) each time the palette opens."""

    def _entries(self) -> list[PaletteEntry]:
        entries = getattr(self.app, "palette_entries", None)
        return list(entries()) if callable(entries) else []

    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.discover:
                # Text / escaped: titles name tenants, and Textual reads a str (and highlight()'s input)
                # as markup.
                yield DiscoveryHit(Text(entry.title), partial(entry.callback), text=entry.title,
                                   help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(entry.title)), partial(entry.callback),
                          text=entry.title, help=entry.help)


def app_commands(stock: Iterable[SystemCommand], entries: Sequence[PaletteEntry]) -> Iterator[SystemCommand]:
    """Textual's own commands (Theme, Screenshot, …) titled ``app: Theme`` like the rest; one the app has
    an entry of its own for (``app: Quit``, ``app: Keys``) is left out, so each is listed once."""
    own = {entry.title for entry in entries}
    for command in stock:
        title = f"app: {command.title}"
        if title not in own:
            yield command._replace(title=title)
