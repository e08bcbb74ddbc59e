"""The console's "Run in tenants…" (Ctrl+G): picker → confirmation → what the accounts need → the batch →
its view, and its output in each tenant's own scrollback.

The batch (``tui.remoting.batch``) calls back on its worker threads; those callbacks only append to one
queue, events and state changes in the order they happened. A timer on the UI thread drains it every
``TICK_S``: the view's rows and merged table, the sidebar's marks and the tenants' consoles are updated
once per tick however fast records arrive, so 30 tenants × thousands of records cost a few updates a
second, not one per record.

A password or a sign-in an account needs is asked once per account before the batch starts (the
console's own dialogs), never once per tenant; an account whose dialog is cancelled has its tenants
left out, each saying why. Each tenant's part is written into its console as if the line had been run
there ("from batch <id>" after the echo): live for the console on screen, and for the others when they
are next shown (30 hidden consoles each drawing its part at once would take the UI thread; the last
``KEPT_BATCHES`` batches are kept so).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from tui.console import messages as m
from tui.console.batch_run import (
    NEEDS_PASSWORD,
    SIGN_IN,
    BatchPlan,
    CredentialNeed,
    completion_catalog,
    credential_needs,
    make_batch,
    plan_batch,
    record_declined,
    without_tenant,
)
from tui.console.controller import Controller, EventBuffer, TenantStatus
from tui.console.tenant_filter import display_name
from tui.console.widgets.console import defer_full_gc, resume_full_gc
from tui.console.workers import logged, message_of
from tui.remoting.events import FormatEvent, RecordEvent
from tui.shell.history import History
from tui.shell.records import Record
from tui.shell.safe_text import visible

log = logging.getLogger(__name__)

TICK_S = 0.1          # the UI takes the batch's progress this often
KEPT_BATCHES = 5      # batches whose output still waits for a tenant's console to open
NAMED_IN_DIALOG = 6   # tenants named in the confirmation before "and N more"


@dataclass
class TenantOutput:
    """One tenant's part of a batch on its way to the tenant's console."""

    tenant: Any
    line: str
    note: str
    pending: list[Any] = field(default_factory=list)   # the batch's events (records with their Tenant)
    run: Any = None          # the TenantRun once it is final
    begun: bool = False      # its echo is in the console
    closed: bool = False     # and its end

    def ready_for(self, console: Any) -> bool:
        """Something to write, and the console free for it (its own command first)."""
        return not self.closed and (bool(self.pending) or self.run is not None) and (self.begun or not console.busy)

    def deliver(self, console: Any) -> None:
        from tui.remoting.batch import describe

        if not self.begun:
            console.begin_run(self.line, self.note)
            self.begun = True
        for event in self.pending:   # records as the tenant's own command gives them: without the Tenant
            console.append_event(RecordEvent(without_tenant(event.record)) if isinstance(event, RecordEvent)
                                 else event)
        self.pending = []
        if self.run is not None:
            if self.run.summary is not None:
                console.end_run(self.run.summary)
            else:   # it never ran there: connect failed, refused, skipped, stopped before its turn
                console.abandon_run(describe(self.run))
            self.closed = True


class BatchFlow:
    """Owns the running (or last) batch for the app; the app's bindings and palette call in here."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.history = History()
        self.batch: Any = None
        self.plan: BatchPlan | None = None
        self.records: list[Record] = []       # merged, each with its Tenant first
        self.hint: Any = None
        self.summary: Any = None
        self.view: Any = None                 # the BatchScreen while it is shown
        self._result: Any = None              # set by the thread that waits for the batch
        self._inbox = EventBuffer()   # what the batch's threads report, in order, until the UI tick takes it
        self._outputs: list[dict[str, TenantOutput]] = []   # per batch, oldest first
        self._touched: set[str] = set()        # domains whose sidebar mark the batch changed
        self._evicted: list[str] = []
        self._to_store: dict[str, str] = {}   # upn -> a password to keep in the keyring once accepted
        self._stand_ins: dict[str, Any] = {}
        self._timer: Any = None
        self._marks_stale = False

    @property
    def ctl(self) -> Controller:
        ctl: Controller = self.app.ctl
        return ctl

    @property
    def running(self) -> bool:
        return self.batch is not None and self.summary is None

    def running_in(self, domain: str) -> bool:
        """The batch is running its line in ``domain`` now (Ctrl+C in that console stops it there)."""
        return self.running and any(r.tenant.domain.lower() == domain.lower() and r.state == "running"
                                    for r in self.batch.runs)

    # -- starting --------------------------------------------------------------------------------

    def open(self) -> None:
        """Ctrl+G: the picker, or the running batch's view (one batch at a time: they share the shells)."""
        if self.app.controller is None:
            return
        if self.running:
            self.show_view()
            self.app.notify("A batch is running: Ctrl+C in its view stops it before another starts.",
                            severity="information", timeout=4)
            return
        from tui.console.screens.batch_pick import BatchPickScreen

        ctl = self.ctl
        self.app.push_screen(BatchPickScreen(ctl.tenants, states=ctl.states, recent=ctl.recent(),
                                             history=self.history, catalog_for=self._catalog_for,
                                             group_members=self._group_members), self._picked)

    def _group_members(self, name: str) -> list[str]:
        """The domains of group ``name`` of tenants.toml (none when it has no such group or it is broken)."""
        from tui.tenant_selection import group_members
        from tui.tenants import TenantDirectory, TenantLookupError

        directory = self.ctl.directory
        if not isinstance(directory, TenantDirectory):
            return []
        try:
            return [t.domain for t in group_members(directory, name)]
        except TenantLookupError:
            return []

    def _catalog_for(self, tenants: Any) -> Any:
        return completion_catalog(self.ctl, tenants, self._stand_ins)

    def _picked(self, request: Any) -> None:
        if request is None:
            return
        try:
            plan = plan_batch(self.ctl, request.tenants, request.line)
        except LookupError as exc:
            self.app.notify(message_of(exc), severity="warning")
            return
        if not plan.confirm:
            self._prepare(plan)
            return
        from tui.console.screens.confirm import ConfirmScreen

        def answered(ok: bool | None) -> None:
            if ok:
                self._prepare(plan)
                return
            self.app.notify("Not run.", severity="information")
            self._in_thread(f"recording the declined batch {plan.batch_id}", lambda: record_declined(self.ctl, plan),
                            "Transcript")

        count = len(plan.changing)
        self.app.push_screen(ConfirmScreen(f"Run in {count} tenant{'s' if count != 1 else ''}?",
                                           confirmation_text(plan), confirm_label=f"Run in {count}"), answered)

    def _prepare(self, plan: BatchPlan) -> None:
        """Read what the accounts need (the keyring: a thread), then ask once per account and start."""
        ctl = self.ctl

        def work() -> None:
            needs = credential_needs(ctl, plan.accounts)
            self.app.call_from_thread(self._ask, plan, needs, {})

        self._in_thread("preparing the batch's sign-ins", work, "Run in tenants")

    def _ask(self, plan: BatchPlan, needs: list[CredentialNeed], left_out: dict[str, str]) -> None:
        """The next account's dialog, then the rest; with none left, the batch starts."""
        if not needs:
            self._start(plan, left_out)
            return
        need, rest = needs[0], needs[1:]
        upn = need.account.upn
        count = sum(1 for _, a in plan.targets if a.upn.lower() == upn.lower())
        label = f"{count} tenant{'s' if count != 1 else ''} of a batch"

        def leave_out(why: str) -> None:
            left_out[upn.lower()] = f"not run: {why}"
            self._ask(plan, rest, left_out)

        if need.kind == NEEDS_PASSWORD:
            from tui.console.screens.login import LoginResult, LoginScreen

            def entered(result: LoginResult | None) -> None:
                if result is None:
                    leave_out(f"no password was given for {upn}")
                    return
                self.ctl.remember_password(upn, result.password, persist=False)   # memory only, at once
                if result.remember:   # stored in the keyring once the service has accepted it
                    self._to_store[upn.lower()] = result.password
                self._ask(plan, rest, left_out)

            self.app.push_screen(LoginScreen(upn, label, need.reason, can_remember=self.ctl.demo is None), entered)
            return
        if need.kind == SIGN_IN:
            from tui.console.screens.sign_in import SignInScreen

            try:
                flow = self.ctl.sign_in_flow(need.account)
            except Exception as exc:   # an account that cannot sign in after all
                leave_out(message_of(logged(f"the sign-in of {upn}", exc)))
                return

            def signed_in(user: Any) -> None:
                if user is None:
                    leave_out(f"the sign-in of {upn} was cancelled")
                    return
                self.ctl.mark_signed_in(upn)
                self._ask(plan, rest, left_out)

            self.app.push_screen(SignInScreen(flow, upn=upn, label=label), signed_in)
            return
        leave_out(need.reason or f"{upn} cannot sign in here")

    def _start(self, plan: BatchPlan, left_out: dict[str, str]) -> None:
        inbox = self._inbox = EventBuffer()

        def report(*item: Any) -> None:
            inbox.push(item)
        try:
            batch = make_batch(self.ctl, plan, on_event=lambda run, event: report("event", run, event),
                               on_change=lambda run: report("change", run),
                               on_evict=lambda domain: report("evicted", domain), left_out=left_out)
        except Exception as exc:   # the pool could not be made (a broken journal folder): said, not raised
            self.app.notify(message_of(logged("starting the batch", exc)), title="Run in tenants", severity="error")
            return
        self.begin(batch, plan)

        def work() -> None:
            try:
                self._result = batch.run()
            except Exception as exc:   # the engine's own threads keep each tenant's failure to itself
                logged(f"the batch {plan.batch_id}", exc)
                self._result = batch.summary()

        self.app.run_worker(work, thread=True, group="batch", name=f"batch {plan.batch_id}", exit_on_error=False)

    def begin(self, batch: Any, plan: BatchPlan) -> None:
        """``batch`` (reporting into this flow's queue) is about to start: its view, outputs and tick."""
        self.batch, self.plan = batch, plan
        self.records, self.hint, self.summary, self._result = [], None, None, None
        self._evicted = []
        note = f"from batch {plan.batch_id}"
        self._outputs.append({t.domain.lower(): TenantOutput(t, plan.line, note) for t in plan.tenants})
        del self._outputs[:-KEPT_BATCHES]
        # Thousands of records a tenant make the heap old and big: CPython's full collections would stall
        # every thread again and again meanwhile (as for a console's own large result; widgets.console).
        defer_full_gc()
        self._ensure_timer()
        self.show_view()

    def _in_thread(self, what: str, call: Callable[[], None], title: str) -> None:
        def work() -> None:
            try:
                call()
            except Exception as exc:
                self.app.post_message(m.Notice(message_of(logged(what, exc)), title, "warning"))

        self.app.run_worker(work, thread=True, group="batch-prepare", name=what, exit_on_error=False)

    # -- the view --------------------------------------------------------------------------------

    def show_view(self) -> None:
        if self.batch is None:
            self.app.notify("No batch has run yet: Ctrl+G picks the tenants.", severity="information")
            return
        if self.view is not None and self.view.is_attached:
            return
        from tui.console.screens.batch_view import BatchScreen

        self.view = BatchScreen(self)
        self.app.push_screen(self.view)

    def view_closed(self, view: Any) -> None:
        if self.view is view:
            self.view = None
        self._marks_stale = True   # the marks and the console on screen catch up at the next tick
        self._ensure_timer()

    def open_tenant(self, tenant: Any) -> None:
        """A row of the view: that tenant's console, the batch's output in its scrollback."""
        if self.view is not None and self.app.screen is self.view:
            self.app.pop_screen()
        self.app.show_tenant(tenant)
        if not self.running:
            self.app.connect(tenant)   # as selecting it in the list does (nothing when it is open)

    def stop(self) -> None:
        """Ctrl+C / Esc in the view: stop every running pipeline and start no more tenants."""
        batch = self.batch
        if batch is None or not self.running or batch.stopping:
            return
        batch.stop()   # returns at once: each session's stop signal is sent from a thread of its own
        if self.view is not None and self.view.is_attached:
            self.view.update(now=True)

    # -- the tick (UI thread) --------------------------------------------------------------------

    def _ensure_timer(self) -> None:
        if self._timer is None:
            self._timer = self.app.set_interval(TICK_S, self.tick)

    def tick(self) -> None:
        """Take what the batch reported since the last tick, and show it."""
        outputs = self._outputs[-1] if self._outputs else {}
        result = self._result   # read before the queue: whatever the batch reported before its end is in it
        new_records: list[Record] = []
        changed = False
        for item in self._inbox.drain():
            kind, rest = item[0], item[1:]
            if kind == "event":
                run, event = rest
                output = outputs.get(run.tenant.domain.lower())
                if isinstance(event, RecordEvent):
                    new_records.append(event.record)
                elif isinstance(event, FormatEvent) and self.hint is None:
                    self.hint = event.hint
                if output is not None:
                    output.pending.append(event)   # as it came: made the console's own when delivered
            elif kind == "change":
                (run,) = rest
                changed = True
                self._mark(run)
                if run.done and (output := outputs.get(run.tenant.domain.lower())) is not None:
                    output.run = run
            elif kind == "evicted":
                (domain,) = rest
                self._evicted_session(domain)
                changed = True
        self.records.extend(new_records)
        self._marks_stale |= changed
        if self._marks_stale and self._console_screen_in_front():
            # Not under the view: a screen under another is still drawn when it changes, for nothing.
            self._marks_stale = False
            self.app.refresh_marks()
        finishing = result is not None and self.summary is None
        if finishing:
            self.summary = result
            for run in self.batch.runs:   # a run the engine could not finish still ends in its console
                output = outputs.get(run.tenant.domain.lower())
                if output is not None and output.run is None:
                    output.run = run
        if self.view is not None and self.view.is_attached and (self.running or finishing):
            self.view.update()
        self._deliver()
        if finishing:
            self._finished()
        # Done ticking once the batch is over, unless the marks or the console on screen still wait (while
        # the view is up, closing it starts the tick again).
        catching_up = self._marks_stale and self.view is None
        if self.summary is not None and self._timer is not None and not catching_up \
                and not self._waiting_for_shown_console():
            self._timer.stop()
            self._timer = None

    def _mark(self, run: Any) -> None:
        """The sidebar's mark follows the batch in that tenant (its own command, if any, owns it)."""
        ctl = self.ctl
        domain = run.tenant.domain.lower()
        if domain in ctl.runs:
            return
        status = ctl.state(domain).status
        if run.state == "connecting":
            if status in (TenantStatus.IDLE, TenantStatus.ERROR):
                ctl.set_status(domain, TenantStatus.CONNECTING)
                self._touched.add(domain)
        elif run.state == "running":
            ctl.set_status(domain, TenantStatus.BUSY)
            self._touched.add(domain)
        elif run.done and domain in self._touched:
            self._touched.discard(domain)
            session = ctl.session(domain)
            if session is not None:
                self._store_password(run)
                if self.app.console_for(domain) is not None or domain in self.app.pending:
                    # As a connect from the console ends: ready, the console's catalog, a line waiting to run.
                    self.app.post_message(m.SessionOpened(domain, session))
                else:   # no console yet: it takes the catalog when it is made (app.on_tenant_console_opened)
                    ctl.set_status(domain, TenantStatus.READY)
            elif run.state == "connect_failed":
                ctl.set_status(domain, TenantStatus.ERROR, run.message or "")
            else:
                ctl.set_status(domain, TenantStatus.IDLE)
            if session is None and domain in self.app.pending:   # selected meanwhile: connect it now
                self.app.connect(run.tenant)

    def _store_password(self, run: Any) -> None:
        password = self._to_store.pop(run.account.upn.lower(), None)
        if password is not None:
            self.app.workers_.remember_password(run.account.upn, password, persist=True)

    def _evicted_session(self, domain: str) -> None:
        ctl = self.ctl
        if domain.lower() in ctl.runs or self.running_in(domain):
            return
        ctl.set_status(domain, TenantStatus.IDLE)
        self._evicted.append(self.app.tenant_name(domain))

    def _finished(self) -> None:
        resume_full_gc()
        summary = self.summary
        if self._evicted:
            self.app.notify(visible(f"To make room for the batch, the idle sessions of {', '.join(self._evicted)} "
                                    "were closed; selecting a tenant again reconnects."), title="Sessions closed")
        if self.view is not None and self.view.is_attached:
            self.view.finished()
        else:
            self.app.notify(visible(summary.lines()[0] + " · Ctrl+G shows the batch"), title="Batch finished",
                            severity="information" if not summary.failed else "warning", timeout=10)

    def _deliver(self) -> None:
        """The tenant on screen gets its part as it arrives; the others when they are next shown (30 hidden
        consoles drawing 30 results at once would take the UI thread from the engineer)."""
        console = self._shown_console()
        if console is not None:
            self.console_shown(console)

    def _console_screen_in_front(self) -> bool:
        stack = self.app.screen_stack
        return bool(stack) and self.app.screen is stack[0]

    def _shown_console(self) -> Any:
        if not self._console_screen_in_front():
            return None
        active = self.app.active
        console = self.app.console_for(active) if active else None
        return console if console is not None and console.is_attached else None

    def _waiting_for_shown_console(self) -> bool:
        """Output waits for the console on screen while it runs a command of its own (the tick goes on)."""
        console = self._shown_console()
        if console is None:
            return False
        domain = console.tenant.domain.lower()
        return any((output := outputs.get(domain)) is not None and not output.closed
                   and (output.pending or output.run is not None) for outputs in self._outputs)

    def console_shown(self, console: Any) -> None:
        """A tenant's console came to the front (or was just made): the batches' output that waited for it
        goes in, oldest batch first."""
        domain = console.tenant.domain.lower()
        for outputs in self._outputs:
            output = outputs.get(domain)
            if output is not None and output.ready_for(console):
                output.deliver(console)
        if self._waiting_for_shown_console():
            self._ensure_timer()


def confirmation_text(plan: BatchPlan) -> Text:
    """The dialog's body: how many tenants the line would change, which, and the line."""
    count = len(plan.changing)
    names = [visible(display_name(t)) for t in plan.changing[:NAMED_IN_DIALOG]]
    more = f" and {count - NAMED_IN_DIALOG} more" if count > NAMED_IN_DIALOG else ""
    body = Text.assemble("This command changes ", (f"{count} tenant{'s' if count != 1 else ''}", "bold"),
                         f": {', '.join(names)}{more}.\n\n", (visible(plan.line), "bold yellow"))
    others = len(plan.targets) - count
    if plan.refusals:
        body.append(f"\n\n{len(plan.refusals)} read-only tenant{'s' if len(plan.refusals) != 1 else ''} "
                    "refuse it (nothing is sent there).", style="dim")
    elif others:
        body.append(f"\n\nIt changes nothing in the other {others}.", style="dim")
    return body
