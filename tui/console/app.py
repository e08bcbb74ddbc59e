"""ExohopApp: layout, bindings and message routing. Blocking work lives in ``tui.console.workers``.

``make_app`` is shared by ``tui.console.startup`` (what ``exohop`` / ``exohop --demo`` run) and the tests.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer

from tui.config import KeyEntry
from tui.console import messages as m
from tui.console.batch_flow import BatchFlow
from tui.console.controller import Controller, TenantStatus
from tui.console.keys import (
    APP_AREA,
    Areas,
    character_keys,
    check_keymap,
    key_rows,
    keys_for,
    markdown_table,
    own_bindings,
)
from tui.console.sidebar import SidebarRule
from tui.console.textual_compat import render_crash_without_locals
from tui.console.widgets.header import TenantHeader
from tui.console.widgets.palette import ExohopCommands, PaletteEntry, app_commands
from tui.console.widgets.tenant_list import TenantList, TenantRows, display_name
from tui.console.widgets.welcome import Welcome
from tui.console.workers import Workers
from tui.shell.safe_text import visible, visible_lines

WELCOME = """Pick a customer tenant on the left.

  /        filter by name, domain or tag
  ↑ ↓      move       Enter  open it
  Ctrl+P   command palette
  Ctrl+G   run in many tenants at once
  F1       keys
  Ctrl+Q   disconnect every session and quit

Each tenant keeps its own console, scrollback and history."""


def console_id(domain: str) -> str:
    return "console-" + re.sub(r"[^a-zA-Z0-9_-]", "_", domain)


log = logging.getLogger(__name__)


class ExohopApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere find it too
    TITLE = "exohop"
    COMMANDS = App.COMMANDS | {ExohopCommands}
    # Each id can be remapped in config.toml's [keys]; each tooltip is the F1 / README text (tui.console.keys).
    # The character keys (/ and ?) also work from the console when its line is empty.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="filter", tooltip="filter the tenant list"),
        Binding("ctrl+t", "focus_tenants", "Tenants", id="tenants", tooltip="focus the tenant list"),
        Binding("ctrl+o", "focus_console", "Console", show=False, id="console",
                tooltip="focus the console of the active tenant"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="sidebar",
                tooltip="show or hide the tenant list (it hides by itself below 100 columns)"),
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, id="palette",
                tooltip="command palette: every action by name (tenant: Connect, result: Export CSV, …)"),
        Binding("ctrl+g", "run_in_tenants", "Batch", id="run_in_tenants",
                tooltip="run one line in many tenants: mark them, type the line, see every tenant's result "
                        "(while a batch runs: its view)"),
        Binding("f1,question_mark", "help", "Keys", id="help", tooltip="key bindings"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit", tooltip="disconnect every session and quit"),
    ]

    def __init__(self, controller: Controller | None = None, *,
                 setup: Callable[[], Controller] | None = None, handle_signals: bool = False) -> None:
        super().__init__()
        self.controller: Controller | None = controller
        self._setup = setup
        self._handle_signals = handle_signals
        self.active: str | None = None
        self.consoles: dict[str, Widget] = {}
        self.pending: dict[str, str] = {}  # domain -> line to run once the session is open
        self._signing_in: dict[str, list[Any]] = {}  # upn -> tenants waiting on its sign-in dialog
        self._to_remember: dict[str, str] = {}  # upn -> password to store once it has been accepted
        self.quitting = False
        self.workers_ = Workers(self)
        self.batches = BatchFlow(self)   # "Run in tenants…" (Ctrl+G)
        self.keys_in_use: dict[str, str] = {}   # the [keys] remappings in effect (binding id -> keys)
        self.character_keys = character_keys(Binding.make_bindings(self.BINDINGS), {})
        self.sidebar_rule = SidebarRule()
        self._sidebar: TenantList | None = None  # kept from compose: modal screens hide it from query_one

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TenantHeader(id="header")
        with Horizontal(id="main"):
            tenants = self.controller.tenants if self.controller else []
            self._sidebar = TenantList(tenants, id="sidebar")
            yield self._sidebar
            with ContentSwitcher(initial="welcome", id="consoles"):
                yield Welcome(WELCOME, id="welcome")
        yield Footer()

    def on_mount(self) -> None:
        # Workers decode results (pypsrp XML) on threads; a shorter GIL switch interval gives the UI
        # thread the interpreter back sooner, so typing stays responsive while a large result streams.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, 0.001))
        if self.controller is not None:
            self._apply_controller()
        elif self._setup is not None:
            self.header.status = "starting the demo simulator…"
            # After the first frame: starting the simulator competes for the interpreter.
            self.call_after_refresh(self.workers_.setup, self._setup)
        if self._handle_signals:
            self._install_signal_handlers()
        self.sync_sidebar()

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    def _fatal_error(self) -> None:
        # Textual's own crash report shows every frame's locals (a password among them): the log gets
        # the traceback (redacted), the terminal gets it without locals.
        log.critical("the console crashed", exc_info=True)
        render_crash_without_locals(self)

    def _apply_controller(self) -> None:
        ctl = self.controller
        assert ctl is not None
        ctl.load_recent()
        self.apply_keys(ctl.config.keys)
        self.header.status = ""
        account = ctl.active_account()
        self.header.account = account.upn if account else ""
        self.header.max_sessions = ctl.per_account
        self.sidebar.set_tenants(ctl.tenants)
        self.refresh_marks()
        self.query_one(TenantRows).focus()

    def apply_keys(self, entries: Sequence[KeyEntry]) -> None:
        """Use the [keys] remappings of config.toml; a bad entry is said, and its default kept."""
        keymap, problems = check_keymap(key_areas(), entries)
        if keymap != self.keys_in_use:   # set_keymap redraws the footer: only for a change
            self.keys_in_use = keymap
            self.character_keys = character_keys(Binding.make_bindings(self.BINDINGS), keymap)
            self.set_keymap(keymap)
        if problems:
            log.warning("config.toml [keys]: %s", " ".join(problems))
            self.notify("\n".join(problems), title="Key bindings", severity="warning", timeout=20)

    @on(m.ControllerReady)
    def _controller_ready(self, event: m.ControllerReady) -> None:
        self.controller = event.controller
        self._apply_controller()
        if event.controller.demo is not None:   # in the welcome pane: a toast would cover the console
            self.query_one(Welcome).set_notice(
                f"{len(event.controller.tenants)} customer tenants on the built-in Exchange Online "
                "simulator (HTTPS on loopback); nothing leaves this machine.")

    @on(m.SetupFailed)
    def _setup_failed(self, event: m.SetupFailed) -> None:
        self.exit(2, message=event.message)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification as text: messages name tenants and quote the service, so markup is never
        read from them (``markup`` is ignored: Widget.notify always passes True) and control
        characters are made visible (``safe_text``)."""
        del markup
        super().notify(visible_lines(message), title=visible(title), severity=severity, timeout=timeout,
                       markup=False)

    # -- accessors --------------------------------------------------------------------------------

    @property
    def header(self) -> TenantHeader:
        return self.query_one(TenantHeader)

    @property
    def sidebar(self) -> TenantList:
        return self.query_one(TenantList)

    @property
    def ctl(self) -> Controller:
        if self.controller is None:
            raise RuntimeError("the app is still starting")
        return self.controller

    def tenant(self, domain: str) -> Any | None:
        return self.controller.tenant(domain) if self.controller is not None else None

    def tenant_name(self, domain: str) -> str:
        """The display name of ``domain``'s tenant, or the domain itself when it is not in the directory."""
        tenant = self.tenant(domain)
        return display_name(tenant) if tenant is not None else domain

    def console_for(self, domain: str) -> Any | None:
        return self.consoles.get(domain.lower())

    @property
    def active_console(self) -> Any | None:
        return self.console_for(self.active) if self.active else None

    def refresh_marks(self) -> None:
        ctl, sidebar, header = self.ctl, self.sidebar, self.header
        sidebar.set_states(ctl.states, ctl.recent())
        sidebar.set_active(self.active)
        tenant = self.tenant(self.active) if self.active else None
        account = ctl.account_for(tenant) if tenant is not None else ctl.active_account()
        if account is not None:
            header.account = account.upn
            header.open_sessions = ctl.open_count(account.upn)
            header.sign_in, header.transport = ctl.sign_in_label(account)
            header.read_only = ctl.read_only_for(account)

    # -- selecting a tenant ----------------------------------------------------------------------

    @on(TenantRows.Picked)
    def _picked(self, event: TenantRows.Picked) -> None:
        event.stop()
        self.sidebar.clear_filter()  # the list shows every tenant (and its mark) again
        self.post_message(m.TenantSelected(event.tenant))

    @on(m.TenantSelected)
    def _tenant_selected(self, event: m.TenantSelected) -> None:
        self.show_tenant(event.tenant)
        self.connect(event.tenant)

    def show_tenant(self, tenant: Any) -> None:
        """Bring ``tenant``'s console to the front (creating it the first time); never a round trip."""
        domain = tenant.domain.lower()
        console = self.consoles.get(domain)
        switcher = self.query_one(ContentSwitcher)
        made = console is None
        if console is None:
            from tui.console.widgets.console import TenantConsole

            console = TenantConsole(tenant, history=self.ctl.load_history(domain), id=console_id(domain))
            self.consoles[domain] = console
            switcher.mount(console)
        switcher.current = console.id
        self.active = domain
        if not made:   # a new one takes it once mounted (on_tenant_console_opened)
            self.batches.console_shown(console)   # a batch's output that waited for it to come to the front
        self.header.tenant = tenant
        self.ctl.touch(domain)
        self.workers_.save_recent()
        self.refresh_marks()
        self.sync_sidebar(leaving=True)   # collapsed now if it will be: the console lays out once, at its width
        self.call_after_refresh(console.focus)

    def on_tenant_console_opened(self, event: Any) -> None:
        """A new console is mounted: a session a batch opened gives it its catalog, and the batches' output
        that waited for it goes into its scrollback."""
        event.stop()
        console = event.console
        session = self.ctl.session(console.tenant.domain)
        if session is not None and len(session.catalog) and not len(console.input.catalog):
            console.set_catalog(session.catalog)
        self.batches.console_shown(console)

    def connect(self, tenant: Any, password: str | None = None, *, fresh_sign_in: bool = False) -> None:
        """Open ``tenant``'s session in a worker unless it is open or opening."""
        ctl = self.ctl
        state = ctl.state(tenant.domain)
        if state.status in (TenantStatus.CONNECTING, TenantStatus.IMPORTING):
            return
        if ctl.session(tenant.domain) is not None and state.status is not TenantStatus.ERROR:
            return
        ctl.set_status(tenant.domain, TenantStatus.CONNECTING)
        self.refresh_marks()
        self.workers_.open(tenant, password, fresh_sign_in=fresh_sign_in)

    @on(m.SignInNeeded)
    def _sign_in_needed(self, event: m.SignInNeeded) -> None:
        from tui.console.screens.sign_in import SignInScreen

        tenant, ctl = event.tenant, self.ctl
        upn = event.upn.lower()
        open_already = ctl.session(tenant.domain) is not None   # a sign-in that expired mid-session
        if not open_already:
            ctl.set_status(tenant.domain, TenantStatus.IDLE)
        self.refresh_marks()
        waiting = self._signing_in.get(upn)
        if waiting is not None:   # one dialog per account: this tenant connects when that one succeeds
            if tenant not in waiting:
                waiting.append(tenant)
            return
        try:
            flow = ctl.sign_in_flow(ctl.account_for(tenant))
        except Exception as exc:   # an account that vanished from the config meanwhile
            log.warning("the sign-in of %s could not start", event.upn, exc_info=exc)
            self.notify(getattr(exc, "message", None) or "The sign-in could not start.", severity="error")
            return
        self._signing_in[upn] = [tenant]

        def done(user: Any) -> None:
            tenants = self._signing_in.pop(upn, [tenant])
            if user is None:
                self._not_connected(tenants, "the sign-in was cancelled")
                return
            ctl.mark_signed_in(event.upn)
            demo = " (the demo entered the code for you)" if ctl.demo is not None else ""
            self.notify(visible(f"Signed in as {getattr(user, 'upn', event.upn)}{demo}."), title="Sign-in")
            for t in tenants:
                if ctl.session(t.domain) is not None:   # still open: its next command gets a fresh token
                    ctl.set_status(t.domain, TenantStatus.READY)
                    self.notify(f"{display_name(t)}: run the command again.", title="Sign-in")
                else:
                    self.connect(t, fresh_sign_in=True)
            self.refresh_marks()

        self.push_screen(SignInScreen(flow, upn=event.upn, label=_dialog_label(tenant), reason=event.reason),
                         done)

    @on(m.PasswordNeeded)
    def _password_needed(self, event: m.PasswordNeeded) -> None:
        from tui.console.screens.login import LoginResult, LoginScreen

        tenant = event.tenant
        ctl = self.ctl
        ctl.set_status(tenant.domain, TenantStatus.IDLE)
        self._to_remember.pop(event.upn.lower(), None)  # refused: never store that one
        self.refresh_marks()

        def done(result: LoginResult | None) -> None:
            if result is None:
                self._not_connected([tenant], "no password given")
                return
            self.workers_.remember_password(event.upn, result.password, persist=False)
            if result.remember:  # stored in the keyring once the service has accepted it
                self._to_remember[event.upn.lower()] = result.password
            self.connect(tenant, result.password)

        self.push_screen(LoginScreen(event.upn, _dialog_label(tenant), event.reason,
                                     can_remember=ctl.demo is None), done)

    def _not_connected(self, tenants: list[Any], why: str) -> None:
        """A sign-in or password dialog was cancelled: the lines queued for the open never run later."""
        for t in tenants:
            self.pending.pop(t.domain.lower(), None)
        self.notify(f"Not connected to {display_name(tenants[0])}: {why}.", severity="warning")

    @on(m.ImportProgressed)
    def _import_progressed(self, event: m.ImportProgressed) -> None:
        ctl = self.ctl
        if ctl.state(event.domain).status is TenantStatus.CONNECTING:
            ctl.set_status(event.domain, TenantStatus.IMPORTING)
            self.refresh_marks()
        console = self.console_for(event.domain)
        if console is not None and event.total:
            console.show_import_progress(event.done, event.total)
            tenant = self.tenant(event.domain)
            if event.done < event.total and tenant is not None and console.wants_stand_in_catalog():
                self.workers_.stand_in_catalog(tenant)   # a first import: complete from a stand-in meanwhile

    @on(m.StandInCatalog)
    def _stand_in_catalog(self, event: m.StandInCatalog) -> None:
        console = self.console_for(event.domain)
        status = self.ctl.state(event.domain).status
        if console is not None and event.catalog is not None and status in (TenantStatus.CONNECTING,
                                                                           TenantStatus.IMPORTING):
            console.set_catalog(event.catalog, stand_in=event.source)

    @on(m.SessionOpened)
    def _session_opened(self, event: m.SessionOpened) -> None:
        ctl = self.ctl
        ctl.set_status(event.domain, TenantStatus.READY)
        upn = getattr(getattr(event.session, "account", None), "upn", "")
        if upn and (password := self._to_remember.pop(upn.lower(), None)) is not None:
            self.workers_.remember_password(upn, password, persist=True)
        console = self.console_for(event.domain)
        if console is not None:
            console.hide_import_progress()
            catalog = getattr(event.session, "catalog", None)
            if catalog is not None:
                console.set_catalog(catalog)
        self.refresh_marks()
        if event.refreshed:
            count = len(getattr(event.session, "catalog", ()) or ())
            self.notify(f"{count} commands imported.", title="Commands refreshed")
        line = self.pending.pop(event.domain.lower(), None)
        if line is not None:
            self.start_run(event.domain, line)

    @on(m.SessionFailed)
    def _session_failed(self, event: m.SessionFailed) -> None:
        ctl = self.ctl
        ctl.set_status(event.domain, TenantStatus.ERROR, event.message)
        self.pending.pop(event.domain.lower(), None)
        name = self.tenant_name(event.domain)
        self.notify(event.message, title=f"{event.title}: {name}", severity="error", timeout=12)
        console = self.console_for(event.domain)
        if console is not None:
            console.hide_import_progress()
            console.drop_stand_in_catalog()
        self.refresh_marks()

    @on(m.SessionEvicted)
    def _session_evicted(self, event: m.SessionEvicted) -> None:
        ctl = self.ctl
        ctl.set_status(event.domain, TenantStatus.IDLE)
        name, kept = self.tenant_name(event.domain), ctl.kept_per_account(self.tenant(event.domain))
        self.notify(f"Closed the idle session to {name} ({event.domain}) to stay within "
                    f"{kept} per account; selecting it again reconnects.",
                    title="Session closed", severity="information")
        self.refresh_marks()

    @on(m.SessionClosed)
    def _session_closed(self, event: m.SessionClosed) -> None:
        self.ctl.set_status(event.domain, TenantStatus.IDLE)
        self.refresh_marks()

    @on(m.CatalogRefreshed)
    def _catalog_refreshed(self, event: m.CatalogRefreshed) -> None:
        console = self.console_for(event.domain)
        if console is not None:
            console.set_catalog(event.catalog)
        if not event.quiet:
            self.notify(f"{len(event.catalog)} commands available.", title="Commands refreshed")

    # -- running a command -------------------------------------------------------------------------

    def on_tenant_console_submitted(self, event: Any) -> None:
        """TenantConsole.Submitted: confirm when the line changes the tenant, then run it in a worker."""
        event.stop()
        tenant = event.console.tenant
        line = event.line
        domain = tenant.domain.lower()
        self.workers_.save_history(domain, list(event.console.history))
        if domain in self.ctl.runs:
            self.notify(f"A command is still running in {display_name(tenant)}; Ctrl+C stops it.",
                        severity="warning")
            return
        if self.ctl.confirmation_needed(tenant, line):
            from tui.console.screens.confirm import ConfirmScreen

            body = Text.assemble("This command changes ", (visible(display_name(tenant)), "bold"),
                                 f" ({visible(tenant.domain)}):\n\n", (visible(line), "bold yellow"))

            def answered(ok: bool | None) -> None:
                if ok:
                    self.start_run(domain, line)
                else:
                    self.notify("Not run.", severity="information")
                    self.workers_.record_outcome(tenant, line, "declined")   # the audit keeps declines too

            self.push_screen(ConfirmScreen(f"Run in {visible(display_name(tenant))}?", body), answered)
            return
        self.start_run(domain, line)

    def on_tenant_console_viewer_requested(self, event: Any) -> None:
        from tui.console.screens.result import ResultScreen

        event.stop()
        self.push_screen(ResultScreen.open(event))

    def on_tenant_console_stop_requested(self, event: Any) -> None:
        event.stop()
        domain = event.console.tenant.domain.lower()
        if domain in self.ctl.runs or self.batches.running_in(domain):   # the batch's line there, too
            self.workers_.stop(domain)

    def start_run(self, domain: str, line: str) -> None:
        ctl = self.ctl
        tenant = self.tenant(domain)
        session = ctl.session(domain)
        console = self.console_for(domain)
        if tenant is None or console is None:
            return
        if session is None or ctl.state(domain).status in (TenantStatus.CONNECTING, TenantStatus.IMPORTING):
            # Not open (never opened, evicted, failed): run it as soon as the session is ready.
            self.pending[domain] = line
            self.notify(f"Connecting to {display_name(tenant)}; the command runs once the session is open.")
            self.connect(tenant)
            return
        console.begin_run(line)
        ctl.set_status(domain, TenantStatus.BUSY)
        handle = ctl.start_run(domain, line)
        self.refresh_marks()
        self.workers_.run(domain, session, handle)

    @on(m.RunEventsPending)
    def _run_events(self, event: m.RunEventsPending) -> None:
        self._drain(event.domain)

    def _drain(self, domain: str) -> None:
        handle = self.ctl.runs.get(domain)
        console = self.console_for(domain)
        if handle is None or console is None:
            return
        for item in handle.buffer.drain():
            console.append_event(item)

    @on(m.RunFinished)
    def _run_finished(self, event: m.RunFinished) -> None:
        ctl = self.ctl
        self._drain(event.domain)
        ctl.finish_run(event.domain)
        console = self.console_for(event.domain)
        if console is not None:
            if event.error is not None and event.summary is None:
                console.show_error(event.error, event.column)
            console.end_run(event.summary)
        status = ctl.state(event.domain).status
        failure = getattr(event.summary, "error", None)
        kind = getattr(failure, "kind", None)
        tenant = self.tenant(event.domain)
        if kind == "sign_in" and tenant is not None and ctl.can_sign_in(ctl.account_for(tenant)):
            # The sign-in expired mid-session (sign-in frequency, revoked): renew it here, keep the session.
            self.post_message(m.SignInNeeded(tenant, ctl.account_for(tenant).upn, getattr(failure, "message", "")))
        elif kind is not None and kind != "busy":
            # A session-layer failure (connection lost, expired, throttled): say it with the remedy.
            name = self.tenant_name(event.domain)
            self.notify(getattr(failure, "message", str(failure)), title=f"Command failed: {name}",
                        severity="error", timeout=12)
            if ctl.session_gone(event.domain, kind):
                ctl.set_status(event.domain, TenantStatus.ERROR, getattr(failure, "message", str(failure)))
                status = TenantStatus.ERROR
        if status is TenantStatus.BUSY:
            ctl.set_status(event.domain, TenantStatus.READY)
        self.refresh_marks()

    # -- command palette ----------------------------------------------------------------------------

    def palette_entries(self) -> list[PaletteEntry]:
        key = partial(keys_for, key_areas(), self.keys_in_use)   # as remapped in config.toml's [keys]
        active = self.tenant(self.active) if self.active else None
        here = f" ({display_name(active)})" if active is not None else ""
        entries = [
            PaletteEntry("tenant: Connect", f"open the session of the active tenant{here}",
                         self.action_connect_active),
            PaletteEntry("tenant: Disconnect", f"close the session of the active tenant{here}",
                         self.action_disconnect_active),
            PaletteEntry("tenant: Refresh commands", f"import the tenant's commands again{here}",
                         self.action_refresh_commands),
            PaletteEntry("tenant: Filter the list", f"focus the tenant filter ({key('filter')})",
                         self.action_focus_filter),
            PaletteEntry("batch: Run in tenants…", f"mark tenants, type one line, run it in all of them "
                         f"({key('run_in_tenants')})", self.action_run_in_tenants),
        ]
        if self.batches.batch is not None:
            entries.append(PaletteEntry("batch: Show the last batch",
                                        "its tenants' states and the merged result (running: stop it there)",
                                        self.batches.show_view))
        if self.active_console is not None:
            entries += [
                PaletteEntry("result: Export CSV", "save the last result as CSV (from the result viewer)",
                             partial(self.action_export_result, "csv")),
                PaletteEntry("result: Export JSON", "save the last result as JSON",
                             partial(self.action_export_result, "json")),
                PaletteEntry("result: Open viewer", f"sort, filter, copy the last result ({key('open_viewer')})",
                             self.action_open_viewer),
                PaletteEntry("console: Clear", f"clear this tenant's scrollback ({key('clear_console')})",
                             self.action_clear_console),
            ]
        entries += [
            PaletteEntry("app: Keys", f"every key binding ({key('help')})", self.action_help),
            PaletteEntry("app: Toggle read-only", "refuse (or allow again) commands that change the tenant",
                         self.action_toggle_read_only),
            PaletteEntry("app: Quit", f"disconnect every session and quit ({key('quit')})", self.action_quit),
        ]
        if self.controller is not None:
            for t in self.controller.tenants:
                entries.append(PaletteEntry(f"tenant: Open {visible(display_name(t))}", visible(t.domain),
                                            partial(self.post_message, m.TenantSelected(t)), discover=False))
        return entries

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, as ``app: Theme``; Quit and Keys are the app's own entries."""
        return app_commands(super().get_system_commands(screen), self.palette_entries())

    @on(m.Notice)
    def _notice(self, event: m.Notice) -> None:
        severity = event.severity if event.severity in ("information", "warning", "error") else "information"
        self.notify(event.message, title=event.title, severity=severity)  # type: ignore[arg-type]

    # -- the sidebar (tui.console.sidebar has the rule) --------------------------------------------

    def sync_sidebar(self, *, leaving: bool = False, width: int | None = None) -> None:
        """Show or collapse the sidebar as the rule says; ``leaving``: the focus is on its way out."""
        sidebar = self._sidebar
        if sidebar is None or not sidebar.is_attached:   # a resize before the first compose
            return
        inside = not leaving and self._focus_in_sidebar()
        sidebar.display = self.sidebar_rule.shown(width=width or self.size.width, focus_inside=inside,
                                                  tenant_open=self.active is not None)

    def _focus_in_sidebar(self) -> bool:
        sidebar = self._sidebar
        focused = sidebar.screen.focused if sidebar is not None and sidebar.is_attached else None
        return focused is not None and sidebar in focused.ancestors_with_self

    def on_resize(self, event: events.Resize) -> None:
        self.sync_sidebar(width=event.size.width)   # self.size is still the old one here

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.sync_sidebar()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.sync_sidebar()

    def action_toggle_sidebar(self) -> None:
        if self._sidebar is None or self.sidebar_rule.toggle(bool(self._sidebar.display)):
            self.sync_sidebar()
            return
        # Collapsed: the focus must not stay in it (keys would go to a hidden list).
        leaving = self._focus_in_sidebar()
        if leaving:
            if (console := self.active_console) is not None:
                console.focus()
            else:
                self._sidebar.screen.set_focus(None)
        self.sync_sidebar(leaving=leaving)

    # -- actions -------------------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.sidebar.filter_input.focus()

    def action_focus_tenants(self) -> None:
        self.query_one(TenantRows).focus()

    def action_focus_console(self) -> None:
        if (console := self.active_console) is not None:
            console.focus()

    def action_open_viewer(self) -> None:
        if (console := self.active_console) is not None:
            console.open_viewer()

    def action_export_result(self, fmt: str) -> None:
        """Open the result viewer with its export box ready (the path is asked there)."""
        if (console := self.active_console) is None:
            return
        if not console.last_result:
            self.notify("No result to export yet: run a command first.", severity="information")
            return
        console.open_viewer()

        def ask_path() -> None:
            viewer = getattr(self.screen, "viewer", None)
            if viewer is not None:
                viewer.action_export(fmt)

        self.call_after_refresh(ask_path)

    def action_clear_console(self) -> None:
        if (console := self.active_console) is not None:
            console.action_clear_scrollback()

    def action_help(self) -> None:
        from tui.console.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(key_rows(key_areas(), self.keys_in_use)))

    def action_run_in_tenants(self) -> None:
        self.batches.open()

    def action_toggle_read_only(self) -> None:
        if self.controller is None:
            return
        tenant = self.tenant(self.active) if self.active else None
        account = self.ctl.account_for(tenant) if tenant is not None else self.ctl.active_account()
        if account is None:
            self.notify("No partner account is configured.", severity="warning")
            return
        on = self.ctl.toggle_read_only(account)
        self.refresh_marks()
        self.notify(self.ctl.read_only_notice(account, on), title="Read-only" if on else "Read-only off")

    def action_connect_active(self) -> None:
        tenant = self.tenant(self.active) if self.active else None
        if tenant is None:
            self.notify("Pick a tenant first.", severity="warning")
            return
        self.connect(tenant)

    def action_disconnect_active(self) -> None:
        if not self.active or self.ctl.session(self.active) is None:
            self.notify("No open session to disconnect.", severity="warning")
            return
        self.workers_.close(self.active)

    def action_refresh_commands(self) -> None:
        if not self.active or self.ctl.session(self.active) is None:
            self.notify("Connect to the tenant first.", severity="warning")
            return
        tenant = self.tenant(self.active)
        if tenant is None or self.active in self.ctl.runs:
            self.notify("Wait for the running command to finish first.", severity="warning")
            return
        self.ctl.set_status(self.active, TenantStatus.CONNECTING)
        self.refresh_marks()
        self.workers_.refresh_catalog(tenant)

    async def action_quit(self) -> None:
        """Confirm when commands run, then stop them, close every session and exit."""
        if self.quitting:
            return
        if self.controller is None:
            self.exit(0)
            return
        running = self.ctl.running()
        if running or self.batches.running:
            from tui.console.screens.confirm import ConfirmScreen

            names = ", ".join(visible(display_name(t)) for d in running if (t := self.tenant(d)) is not None)
            said = [f"{len(running)} command(s) still running ({names})"] if running else []
            if self.batches.running:
                said.append(f"a batch still running in {len(self.batches.batch.runs)} tenants")
            body = Text(f"{' and '.join(said)}. Stop {'them' if len(said) > 1 or running else 'it'}, "
                        "disconnect and quit?")

            def answered(ok: bool | None) -> None:
                if ok:
                    self.disconnect_and_exit()

            self.push_screen(ConfirmScreen("Quit exohop?", body, confirm_label="Quit"), answered)
            return
        self.disconnect_and_exit()

    def disconnect_and_exit(self) -> None:
        if self.quitting:
            return
        self.quitting = True
        ctl = self.controller
        if ctl is None:
            self.exit(0)
            return
        self.batches.stop()   # no tenant of a batch starts after this
        count = sum(1 for d in ctl.states if ctl.session(d) is not None) + ctl.opening
        if count == 0 and not ctl.running() and not self.batches.running:
            self.exit(0)
            return
        text = f"Disconnecting {count} session{'s' if count != 1 else ''}…"
        self.header.status = text
        self.notify(text, title="Quit", timeout=5)
        self.workers_.close_all(deadline_s=2.0)
        # Never hang on a dead network: leave after the deadline whatever the worker says.
        self.set_timer(3.0, lambda: self.exit(0))

    @on(m.Disconnected)
    def _disconnected(self, event: m.Disconnected) -> None:
        message = None
        if event.failures:
            message = "exohop: some sessions may be left open on the server:\n  " + "\n  ".join(event.failures)
        self.exit(0, message=message)

    # -- signals ----------------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self.disconnect_and_exit)
            except (NotImplementedError, RuntimeError, ValueError):
                continue


def _dialog_label(tenant: Any) -> str:
    """What a sign-in or password dialog says it opens: ``Contoso Ltd (contoso.onmicrosoft.com)``."""
    return visible(f"{display_name(tenant)} ({tenant.domain})")


def key_areas() -> Areas:
    """Every class that declares key bindings, with the area of the UI they work in: what F1, the README's
    key table and the ids of config.toml's [keys] are read from (tui.console.keys)."""
    from tui.console.screens.batch_pick import BatchPickScreen, MarkRows
    from tui.console.screens.batch_view import BatchRows, BatchScreen
    from tui.console.screens.confirm import ConfirmScreen
    from tui.console.screens.help import HelpScreen
    from tui.console.screens.login import LoginScreen
    from tui.console.screens.result import ResultScreen
    from tui.console.screens.sign_in import SignInScreen
    from tui.console.widgets.command_input import CommandInput, HistorySearchInput
    from tui.console.widgets.console import TenantConsole
    from tui.console.widgets.result_view import ResultViewer
    from tui.console.widgets.tenant_list import TenantRows

    classes: list[tuple[str, type]] = [
        (APP_AREA, ExohopApp), ("tenant list", TenantRows), ("input", CommandInput),
        ("history search", HistorySearchInput), ("console", TenantConsole), ("viewer", ResultViewer),
        ("viewer", ResultScreen), ("batch picker", BatchPickScreen), ("batch picker", MarkRows),
        ("batch view", BatchScreen), ("batch view", BatchRows), ("sign-in", SignInScreen), ("dialogs", ConfirmScreen),
        ("dialogs", LoginScreen), ("help", HelpScreen),
    ]
    return [(area, own_bindings(cls)) for area, cls in classes]


def readme_key_table() -> str:
    """The README's key table (markdown) with the default keys:
    ``python -c 'from tui.console.app import readme_key_table as t; print(t(), end="")'``."""
    return markdown_table(key_rows(key_areas()))


def make_app(controller: Controller | None = None, *, setup: Callable[[], Controller] | None = None,
             handle_signals: bool = False) -> ExohopApp:
    """The app over ``controller`` (tests), or over what ``setup()`` returns, run in a worker after
    the first frame (``exohop --demo`` starts its simulator that way)."""
    return ExohopApp(controller, setup=setup, handle_signals=handle_signals)
