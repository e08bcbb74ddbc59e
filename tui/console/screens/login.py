"""The password dialog for a partner account the keyring knows no password for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static


@dataclass(frozen=True)
class LoginResult:
    password: str
    remember: bool

    def __repr__(self) -> str:  # never print the password, even in a debug log
        return f"LoginResult(password=<hidden>, remember={self.remember})"


class LoginScreen(ModalScreen[LoginResult | None]):
    """Asks for ``upn``'s password (masked). Dismisses with a LoginResult, or None on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="login_cancel",
                                                           tooltip="cancel the password dialog")]
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical { width: 70; max-width: 90%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    LoginScreen #login-title { text-style: bold; margin-bottom: 1; }
    LoginScreen #login-reason { color: $error; margin-bottom: 1; }
    LoginScreen Input { margin-bottom: 1; }
    LoginScreen Horizontal { height: auto; align-horizontal: right; }
    LoginScreen Button { margin-left: 2; }
    """

    def __init__(self, upn: str, tenant_label: str = "", reason: str = "", can_remember: bool = True) -> None:
        super().__init__()
        self.upn = upn
        self.tenant_label = tenant_label
        self.reason = reason
        self.can_remember = can_remember

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Password for {self.upn}"), id="login-title")
            if self.tenant_label:
                yield Static(Text(f"to open {self.tenant_label}"))
            if self.reason:
                yield Static(Text(self.reason), id="login-reason")
            yield Input(password=True, placeholder="password", id="login-password")
            yield Checkbox("Remember in keyring", value=self.can_remember, id="login-remember",
                           disabled=not self.can_remember)
            with Horizontal():
                yield Button("Cancel", id="login-cancel")
                yield Button("Sign in", id="login-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#login-password", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        password = self.query_one("#login-password", Input).value
        if not password:
            self.notify("Type the account's password, or press Escape to cancel.", severity="warning")
            return
        remember = self.query_one("#login-remember", Checkbox).value and self.can_remember
        self.dismiss(LoginResult(password, remember))

    @on(Input.Submitted, "#login-password")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "login-ok":
            self._submit()
        else:
            self.dismiss(None)
