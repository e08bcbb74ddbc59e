"""The key bindings, on one screen (`?` or F1)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, str, str]] = [
    ("Tenants", "/", "filter the tenant list (name, domain, tag; fuzzy)"),
    ("Tenants", "↑ ↓ Enter", "move in the list, open the tenant"),
    ("Tenants", "Ctrl+T", "back to the tenant list"),
    ("Tenants", "Ctrl+O", "focus the console of the active tenant"),
    ("Console", "Tab / Ctrl+Space", "complete (cmdlet, parameter, value)"),
    ("Console", "Enter", "run the line (asks first when it changes the tenant)"),
    ("Console", "↑ ↓ / Ctrl+R", "history of this tenant / search it"),
    ("Console", "Ctrl+C", "stop the running command (clear the line when idle)"),
    ("Console", "F6", "open the last result in the viewer (sort, filter, copy, export CSV/JSON)"),
    ("Console", "Ctrl+L", "clear this tenant's scrollback"),
    ("App", "Ctrl+P", "command palette (tenant: Connect, Disconnect, Refresh commands, …)"),
    ("App", "F1 or ?", "this help"),
    ("App", "Ctrl+Q", "disconnect every session and quit"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="dim")
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        previous = ""
        for group, keys, what in KEYS:
            table.add_row(group if group != previous else "", keys, what)
            previous = group
        with VerticalScroll():
            yield Static(Text("exohop — keys", style="bold"))
            yield Static(table)
            yield Static(Text("Marks: ○ not connected  … connecting  ◐ importing  ● ready\n"
                              "       ▶ busy  × error (its message below the list)  ♥ favorite", style="dim"))
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
