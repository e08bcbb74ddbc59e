"""The OAuth sign-in dialog: the device-code flow for an account that has no usable token.

The flow (``TokenProvider.sign_in_with_device_code`` or the demo's ``Demo.sign_in``) blocks, so it runs
in a thread worker; its prompt (the URL and the code the engineer types in a browser) and its outcome
come back to the app's thread through ``call_from_thread``. Each attempt has its own cancel Event and
number: Esc sets the Event (the flow gives up within about a second) and the dialog closes at once; a
prompt or result of an older attempt, or one that arrives after the dialog closed, is dropped.

Everything the service or the configuration chose (the UPN, the tenant's name, the URL, the code,
msal's message, an error) is shown through ``visible`` as ``Text``, never as markup.
"""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Label, Static

from tui.remoting import abandon
from tui.remoting.auth.errors import SignInError
from tui.remoting.auth.provider import DeviceCodePrompt, SignedInUser, clock
from tui.shell.safe_text import visible

log = logging.getLogger(__name__)

Prompted = Callable[[DeviceCodePrompt], None]
StartSignIn = Callable[[Prompted, threading.Event], SignedInUser]

ASKING = "asking"      # waiting for Entra ID's code
PROMPT = "prompt"      # the code is shown; waiting for the person to enter it
FAILED = "failed"      # an error is shown; Enter/r tries again
CLOSED = "closed"      # dismissed: anything the worker still reports is ignored

ASKING_TEXT = "Asking Entra ID for a sign-in code…"
UNEXPECTED_TEXT = "The sign-in failed unexpectedly (the details are in exohop.log)."
NO_BROWSER_TEXT = "Could not open a browser: open the URL yourself."


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser; False when there is none or it failed.

    A text-mode browser (lynx, w3m, www-browser: what ``webbrowser`` picks without a display) would run
    in this very terminal, on top of the app, and ``webbrowser`` waits for it: it is never started.
    """
    try:
        browser = webbrowser.get()
        if type(browser) is webbrowser.GenericBrowser:  # console browsers; graphical ones run in the background
            return False
        return bool(browser.open(url))
    except Exception as exc:  # no browser, a broken one: the engineer opens the URL by hand
        log.debug("opening a browser failed", exc_info=exc)
        return False


class SignInScreen(ModalScreen[SignedInUser | None]):
    """Signs ``upn`` in with a device code. Dismisses with the SignedInUser, or None (cancelled, closed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="sign_in_cancel", tooltip="cancel the sign-in"),
        Binding("c", "copy_code", "Copy code", id="sign_in_copy", tooltip="copy the code to the clipboard"),
        Binding("o", "open_url", "Open URL", id="sign_in_open", tooltip="open the sign-in page in a browser"),
        Binding("enter,r", "retry", "Try again", id="sign_in_retry", tooltip="try again after a failed sign-in"),
    ]
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen > VerticalScroll { width: 78; max-width: 96%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 2; }
    SignInScreen #sign-in-title { text-style: bold; }
    SignInScreen #sign-in-reason { color: $error; }
    SignInScreen #sign-in-status { margin-top: 1; }
    SignInScreen #sign-in-status.-error { color: $error; }
    SignInScreen #sign-in-prompt { height: auto; margin-top: 1; }
    SignInScreen #sign-in-prompt.-hidden { display: none; }
    SignInScreen #sign-in-url { margin-left: 2; color: $accent; text-style: bold; }
    SignInScreen #sign-in-code { width: auto; height: 3; margin-left: 2; padding: 1 4;
        background: $foreground; color: $background; text-style: bold; }
    SignInScreen #sign-in-expiry.-soon { color: $warning; text-style: bold; }
    SignInScreen #sign-in-message { color: $text-muted; margin-top: 1; }
    SignInScreen #sign-in-keys { color: $text-muted; margin-top: 1; }
    SignInScreen #sign-in-note { color: $success; }
    SignInScreen #sign-in-note.-warning { color: $warning; }
    """

    def __init__(self, start: StartSignIn, *, upn: str, label: str, reason: str = "") -> None:
        super().__init__()
        self.start = start
        self.upn = upn
        self.label = label
        self.reason = reason
        self.phase = ASKING
        self.prompt: DeviceCodePrompt | None = None
        self.attempt = 0
        self.cancel_event = threading.Event()
        self._timer: Timer | None = None

    # -- layout --------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(f"Sign in as {visible(self.upn)}"), id="sign-in-title")
            if self.label:
                yield Static(Text(f"to open {visible(self.label)}"), id="sign-in-label")
            if self.reason:
                yield Static(Text(visible(self.reason)), id="sign-in-reason")
            yield Static(Text(ASKING_TEXT), id="sign-in-status")
            with Vertical(id="sign-in-prompt", classes="-hidden"):
                yield Static(Text("In a browser, open"))
                yield Static(id="sign-in-url")
                yield Static(Text("and enter the code"))
                yield Static(id="sign-in-code")
                yield Static(id="sign-in-expiry")
                yield Static(id="sign-in-message")
            yield Static(id="sign-in-keys")
            yield Static(id="sign-in-note")
        yield Footer()

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0, self._tick, pause=True)
        self._begin()

    def on_unmount(self) -> None:
        self.phase = CLOSED
        self.cancel_event.set()  # whatever closed the dialog (the app quitting too): the flow stops polling

    # -- the flow, in a thread -----------------------------------------------------------------------------

    def _begin(self) -> None:
        self.attempt += 1
        self.cancel_event = threading.Event()
        self.prompt = None
        self.phase = ASKING
        self._status(Text(ASKING_TEXT))
        self.query_one("#sign-in-prompt").add_class("-hidden")
        self._note("")
        self._keys()
        self.refresh_bindings()
        attempt, cancel, app = self.attempt, self.cancel_event, self.app
        self.run_worker(lambda: self._run(app, attempt, cancel), name="sign-in", group="sign-in",
                        thread=True, exclusive=True, exit_on_error=False)

    def _run(self, app: App[Any], attempt: int, cancel: threading.Event) -> None:
        """The worker's thread: the blocking flow, then its outcome to the app's thread."""

        def on_prompt(prompt: DeviceCodePrompt) -> None:
            if not self._report(app, cancel, self._prompted, attempt, prompt):
                cancel.set()  # nobody can see the code: stop waiting for it

        outcome: SignedInUser | SignInError | Exception
        try:
            # Walked away from once cancelled (Esc, quit): a login host that stopped answering must not hold
            # the worker thread, which the app joins on its way out.
            outcome = abandon.call(lambda: self.start(on_prompt, cancel), what="sign-in", give_up=cancel.is_set)
        except abandon.Abandoned:
            return
        except SignInError as exc:
            outcome = exc
        except Exception as exc:  # shown as a fixed sentence; the log keeps the details
            log.error("The device-code sign-in of %s failed unexpectedly", self.upn, exc_info=exc)
            outcome = exc
        self._report(app, cancel, self._finished, attempt, outcome)

    def _report(self, app: App[Any], cancel: threading.Event, callback: Callable[..., None], *args: Any) -> bool:
        """Run ``callback`` on the app's thread; False when the dialog is gone (nothing was shown)."""
        if cancel.is_set() or self.phase == CLOSED:
            return False
        try:
            app.call_from_thread(callback, *args)
        except RuntimeError:  # the app has stopped
            return False
        return True

    def _current(self, attempt: int) -> bool:
        return attempt == self.attempt and self.phase != CLOSED and self.is_attached

    def _prompted(self, attempt: int, prompt: DeviceCodePrompt) -> None:
        if not self._current(attempt) or self.phase != ASKING:
            return
        self.prompt = prompt
        self.phase = PROMPT
        self.query_one("#sign-in-status").display = False  # the prompt says it all
        self.query_one("#sign-in-url", Static).update(Text(visible(prompt.verification_uri), overflow="fold"))
        self.query_one("#sign-in-code", Static).update(Text(visible(prompt.user_code), no_wrap=True))
        self.query_one("#sign-in-message", Static).update(Text(visible(prompt.message)))
        self.query_one("#sign-in-prompt").remove_class("-hidden")
        self._keys()
        self._tick()
        if self._timer is not None:
            self._timer.resume()
        self.refresh_bindings()

    def _finished(self, attempt: int, outcome: SignedInUser | Exception) -> None:
        if not self._current(attempt):
            return  # an older attempt, or the dialog was closed meanwhile
        if self._timer is not None:
            self._timer.pause()
        if isinstance(outcome, SignedInUser):
            self._close(outcome)
            return
        if self.cancel_event.is_set():
            self._close(None)
            return
        text = visible(outcome.message) if isinstance(outcome, SignInError) else UNEXPECTED_TEXT
        self.phase = FAILED
        self.prompt = None
        self.query_one("#sign-in-prompt").add_class("-hidden")
        self._status(Text(text), error=True)
        self._note("")
        self._keys()
        self.refresh_bindings()

    def _close(self, result: SignedInUser | None) -> None:
        if self.phase == CLOSED:
            return
        self.phase = CLOSED
        self.cancel_event.set()
        self.dismiss(result)

    # -- what the dialog says ------------------------------------------------------------------------------

    def _status(self, text: Text, *, error: bool = False) -> None:
        status = self.query_one("#sign-in-status", Static)
        status.update(text)
        status.set_class(error, "-error")
        status.display = True

    def _note(self, text: str, *, warning: bool = False) -> None:
        note = self.query_one("#sign-in-note", Static)
        note.update(Text(text))
        note.set_class(warning, "-warning")
        note.display = bool(text)

    def _keys(self) -> None:
        keys = {ASKING: [("Esc", "cancel")],
                PROMPT: [("c", "copy the code"), ("o", "open the URL"), ("Esc", "cancel")],
                FAILED: [("Enter/r", "try again with a new code"), ("Esc", "close")]}.get(self.phase, [])
        line = Text()
        for i, (key, what) in enumerate(keys):
            if i:
                line.append("   ")
            line.append(key, style="bold")
            line.append(f" {what}")
        self.query_one("#sign-in-keys", Static).update(line)

    def _tick(self) -> None:
        if self.phase != PROMPT or self.prompt is None:
            return
        left = self.prompt.expires_at - time.time()
        expiry = self.query_one("#sign-in-expiry", Static)
        if left <= 0:
            expiry.update(Text("The code has expired."))
        else:
            expiry.update(Text(f"The code expires in {clock(left)}."))
        expiry.set_class(left < 60, "-soon")

    # -- actions -------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_code", "open_url"):
            return self.phase == PROMPT
        if action == "retry":
            return self.phase == FAILED
        return True

    def action_cancel(self) -> None:
        self.cancel_event.set()
        self._close(None)

    def action_copy_code(self) -> None:
        if self.phase != PROMPT or self.prompt is None:
            return
        self.app.copy_to_clipboard(self.prompt.user_code)
        self._note("Copied the code to the clipboard.")

    def action_open_url(self) -> None:
        if self.phase != PROMPT or self.prompt is None:
            return
        url, attempt, cancel, app = self.prompt.verification_uri, self.attempt, self.cancel_event, self.app
        self._note("Opening the browser…")
        self.run_worker(lambda: self._report(app, cancel, self._opened, attempt, open_in_browser(url)),
                        name="open-url", group="sign-in-browser", thread=True, exit_on_error=False)

    def _opened(self, attempt: int, opened: bool) -> None:
        if self._current(attempt) and self.phase == PROMPT:
            self._note("Opened the URL in the browser." if opened else NO_BROWSER_TEXT, warning=not opened)

    def action_retry(self) -> None:
        if self.phase == FAILED:
            self._begin()
