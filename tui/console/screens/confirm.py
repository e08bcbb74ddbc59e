"""A yes/no dialog: confirming a state-changing command (naming the tenant) or quitting."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (confirm) or False (cancel, Escape). The safe answer has the focus."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "Cancel", id="confirm_no", tooltip="cancel: the command is not run"),
        Binding("y", "answer(True)", "Confirm", id="confirm_yes", tooltip="confirm: run the command"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 72; max-width: 90%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2; }
    ConfirmScreen #confirm-title { text-style: bold; color: $warning; margin-bottom: 1; }
    ConfirmScreen #confirm-body { margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, title: str, body: Text | str, *, confirm_label: str = "Run",
                 cancel_label: str = "Cancel") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="confirm-title")
            yield Static(self.body if isinstance(self.body, Text) else Text(self.body), id="confirm-body")
            with Horizontal():
                # Text, not markup: "[n]" would otherwise be read as a style tag and vanish.
                yield Button(Text(f"{self.cancel_label} [n]"), id="confirm-no")
                yield Button(Text(f"{self.confirm_label} [y]"), id="confirm-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")
