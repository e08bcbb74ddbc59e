"""The key bindings, on one screen (`?` or F1): the table of ``tui.console.keys``, with the keys in effect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.console.controller import TenantStatus
from tui.console.keys import KeyRow, key_label


def marks_legend() -> Text:
    """What the sidebar's marks mean, from TenantStatus (the glyph is its value)."""
    marks = "  ".join(f"{status.value} {status.label}" for status in TenantStatus)
    return Text(f"Marks: {marks}  ♥ favorite\n(an error's message shows below the list)", style="dim")


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close", id="help_close",
                                                          tooltip="close this help")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 110; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, rows: Sequence[KeyRow]) -> None:
        super().__init__()
        self.rows = list(rows)   # the app's key table, with the keys in effect (config.toml's [keys])

    def table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(ratio=5)
        table.add_column(style="dim", ratio=2)
        previous = ""
        for row in self.rows:
            table.add_row(row.area if row.area != previous else "", ", ".join(key_label(k) for k in row.keys),
                          row.does, " ".join(row.ids))
            previous = row.area
        return table

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("exohop — keys", style="bold"))
            yield Static(Text("The last column is the id to remap a key in config.toml, e.g. "
                              '[keys] filter = "ctrl+f".', style="dim"))
            yield Static(self.table())
            yield Static(marks_legend())
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
