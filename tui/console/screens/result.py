"""The result viewer full screen over the console (F6, or a click on "N more rows")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from tui.console.widgets.console import TenantConsole
from tui.console.widgets.result_view import ResultViewer
from tui.shell.records import Record
from tui.shell.safe_text import visible

CLOSE_TIP = "close the viewer"


class ResultScreen(ModalScreen[None]):
    """The viewer full screen over the console; Escape (from the table) or q closes it."""

    DEFAULT_CSS = """
    ResultScreen { align: center middle; }
    ResultScreen > Vertical { width: 100%; height: 1fr; background: $surface; border: round $accent; }
    ResultScreen #viewer-title { height: 1; padding: 0 1; text-style: bold; }
    """

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", "Close viewer", id="viewer_close", tooltip=CLOSE_TIP),
        Binding("q", "close", "Close", show=False, id="viewer_quit", tooltip=CLOSE_TIP),
    ]

    def __init__(self, records: Sequence[Record], *, title: str = "", hint: Any = None,
                 export_stem: str = "result") -> None:
        super().__init__()
        self.records = records
        self.export_stem = export_stem
        self.title_text = title
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            # Text, not markup: the title holds the command line, and so values pasted into it.
            yield Label(Text(visible(self.title_text or "Result")), id="viewer-title")
            yield ResultViewer(self.records, hint=self.hint, export_stem=self.export_stem, id="result-viewer")
        yield Footer()  # the viewer's keys (s, /, e, j, c, a, Esc)

    @classmethod
    def open(cls, request: TenantConsole.ViewerRequested) -> ResultScreen:
        """The screen a console's ``ViewerRequested`` asks for (the app pushes it)."""
        return cls(request.records, title=request.title, hint=request.hint, export_stem=request.export_stem)

    @property
    def viewer(self) -> ResultViewer:
        return self.query_one(ResultViewer)

    def action_close(self) -> None:
        if self.viewer.back():
            return
        self.dismiss(None)
