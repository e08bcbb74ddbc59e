"""The app's thread workers: every blocking call (keyring, network) runs here, never on the UI thread.

Workers never touch a widget: they call the Controller and post typed messages (``tui.console.messages``),
which the app handles on its own thread. Workers are grouped per tenant (``open:<domain>``,
``run:<domain>``) so that one tenant's slow connect never holds up another's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.message import Message

from tui.console import messages as m
from tui.console.controller import Controller, RunHandle

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05
UNEXPECTED = "an unexpected error (the details are in exohop.log)"


def message_of(exc: BaseException) -> str:
    """What the engineer reads: exohop's own sentence (``.message``), never a library's text or class name."""
    text = getattr(exc, "message", None)
    if isinstance(text, str) and text:
        return text
    if isinstance(exc, LookupError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]   # the controller's own sentences (no account, quitting)
    return UNEXPECTED


def logged(what: str, exc: BaseException) -> BaseException:
    """Log a worker's failure with its traceback before it becomes a message (the log filter redacts it).

    exohop's own errors (they carry ``kind`` or ``message``) are conditions, logged as warnings; anything
    else is a bug and logged as an error."""
    known = hasattr(exc, "kind") or isinstance(getattr(exc, "message", None), str)
    log.log(logging.WARNING if known else logging.ERROR, "%s failed", what, exc_info=exc)
    return exc


def _domain_of(evicted: Any) -> str:
    """The pool's on_evict passes a session, a tenant or a domain: take the domain from any of them."""
    if isinstance(evicted, str):
        return evicted
    tenant = getattr(evicted, "tenant", evicted)
    return str(getattr(tenant, "domain", tenant))


class Workers:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._history_seq = 0  # orders history saves (they run on threads)

    @property
    def ctl(self) -> Controller:
        ctl: Controller = self.app.ctl
        return ctl

    def _post(self, message: Any) -> None:
        self.app.post_message(message)  # thread-safe in Textual

    def _start(self, fn: Callable[[], None], group: str, name: str) -> None:
        self.app.run_worker(fn, thread=True, group=group, name=name, exclusive=False, exit_on_error=False)

    def _guarded(self, what: str, call: Callable[[], Any], failed: Callable[[BaseException], Message],
                 done: Callable[[Any], Message] | None = None, *, group: str, name: str) -> None:
        """``call()`` in a thread; its result is posted as ``done(result)``, a failure is logged and posted as
        ``failed(exc)``: any failure becomes a message, never a traceback."""

        def work() -> None:
            try:
                result = call()
            except Exception as exc:
                self._post(failed(logged(what, exc)))
                return
            if done is not None:
                self._post(done(result))

        self._start(work, group, name)

    # -- setup (exohop --demo) -----------------------------------------------------------------

    def setup(self, factory: Callable[[], Controller]) -> None:
        self._guarded("starting the demo", factory,
                      lambda exc: m.SetupFailed(f"exohop: could not start: {message_of(exc)}"),
                      m.ControllerReady, group="setup", name="setup")

    # -- sessions ----------------------------------------------------------------------------------

    def open(self, tenant: Any, password: str | None = None, *, fresh_sign_in: bool = False) -> None:
        self._open_work(tenant, password, refresh=False, fresh_sign_in=fresh_sign_in)

    def _open_work(self, tenant: Any, password: str | None, refresh: bool, fresh_sign_in: bool = False) -> None:
        ctl = self.ctl
        domain = tenant.domain.lower()

        def work() -> None:
            try:
                account = ctl.account_for(tenant)
            except LookupError as exc:
                self._post(m.SessionFailed(domain, message_of(exc), "No partner account"))
                return
            pw: Any = password
            if not ctl.uses_password(account):      # OAuth or an app: a token source, not a password
                try:
                    pw = ctl.token_source(account)
                    if not fresh_sign_in and ctl.needs_sign_in(account):
                        self._post(m.SignInNeeded(tenant, account.upn))
                        return
                except Exception as exc:  # the keyring, a certificate, the config: a message, never a traceback
                    logged(f"preparing the sign-in of {account.upn}", exc)
                    self._post(m.SessionFailed(domain, message_of(exc), "Sign-in"))
                    return
            elif pw is None:
                reason = ""
                try:
                    pw = ctl.password(account.upn)
                except Exception as exc:  # KeyringUnavailable: ask instead, saying why
                    reason = message_of(logged(f"reading the password of {account.upn}", exc))
                    pw = None
                if not pw:
                    self._post(m.PasswordNeeded(tenant, account.upn, reason))
                    return

            last_post = [0.0]

            def on_progress(progress: Any) -> None:
                # At most ~20 updates a second reach the UI (an import reports every command).
                done, total = int(getattr(progress, "done", 0)), int(getattr(progress, "total", 0))
                now = time.monotonic()
                if done < total and now - last_post[0] < PROGRESS_INTERVAL_S:
                    return
                last_post[0] = now
                self._post(m.ImportProgressed(domain, done, total))

            def on_evict(evicted: Any) -> None:
                self._post(m.SessionEvicted(_domain_of(evicted).lower()))

            try:
                if refresh:
                    session = ctl.refresh_catalog(tenant, pw, on_progress, on_evict)
                else:
                    session = ctl.open_session(tenant, pw, on_progress, on_evict)
            except Exception as exc:  # any failure becomes a message, never a traceback
                logged(f"{'refreshing' if refresh else 'opening'} {domain}", exc)
                kind = getattr(exc, "kind", "")
                if refresh and kind == "busy":   # the session is fine: say why, change nothing
                    self._post(m.Notice(message_of(exc), "Refresh commands", "warning"))
                    current = ctl.session(domain)
                    if current is not None:
                        self._post(m.SessionOpened(domain, current))   # back from "connecting" to connected
                    return
                if kind == "sign_in" and not fresh_sign_in and not refresh and ctl.can_sign_in(account):
                    # expired, MFA, logged out: a sign-in fixes it
                    self._post(m.SignInNeeded(tenant, account.upn, message_of(exc)))
                    return
                if kind == "auth":
                    ctl.forget_password(account.upn)
                    self._post(m.PasswordNeeded(tenant, account.upn, message_of(exc)))
                    return
                self._post(m.SessionFailed(domain, message_of(exc), "Connection failed"))
                return
            if not ctl.uses_password(account):
                ctl.mark_signed_in(account.upn)
                if ctl.demo is None:
                    from tui.tenant_ids import remember_tenant_id

                    remember_tenant_id(tenant, session)
            for notice in session.take_notices():
                self._post(m.Notice(notice, "Command cache", "warning"))
            # A catalog served from the cache is refreshed in the background; swap in the new one.
            session.on_catalog_changed = lambda catalog: self._post(m.CatalogRefreshed(domain, catalog, quiet=True))
            self._post(m.SessionOpened(domain, session, refreshed=refresh))

        self._start(work, f"open:{domain}", f"{'refresh' if refresh else 'open'} {domain}")

    def remember_password(self, upn: str, password: str, persist: bool) -> None:
        ctl = self.ctl
        ctl.remember_password(upn, password, persist=False)  # in memory at once, for the connect
        if persist:
            self._guarded(f"storing the password of {upn}",
                          partial(ctl.remember_password, upn, password, persist=True),
                          lambda exc: m.Notice(f"The password is kept for this run only: {message_of(exc)}",
                                               "Keyring", "warning"),
                          group="keyring", name="keyring")

    def close(self, domain: str) -> None:
        self._guarded(f"closing {domain}", partial(self.ctl.close, domain),
                      lambda exc: m.SessionFailed(domain, message_of(exc), "Disconnect failed"),
                      lambda _: m.SessionClosed(domain), group=f"open:{domain}", name=f"close {domain}")

    def refresh_catalog(self, tenant: Any) -> None:
        self._open_work(tenant, None, refresh=True)

    def stand_in_catalog(self, tenant: Any) -> None:
        domain = tenant.domain.lower()
        self._guarded(f"finding a catalog to complete from while {domain} imports",
                      partial(self.ctl.stand_in_catalog, tenant), lambda exc: m.StandInCatalog(domain, None, ""),
                      lambda found: m.StandInCatalog(domain, found.catalog, found.source),
                      group=f"stand-in:{domain}", name=f"stand-in catalog {domain}")

    def save_history(self, domain: str, entries: list[str]) -> None:
        ctl = self.ctl
        self._history_seq += 1
        seq = self._history_seq

        def work() -> None:
            try:
                ctl.save_history(domain, entries, seq)
            except OSError as exc:
                log.warning("saving the history of %s failed", domain, exc_info=exc)
                self._post(m.Notice(f"Could not save the history of {domain}: {exc.strerror or exc}",
                                    "History", "warning"))

        self._start(work, f"history:{domain}", f"history {domain}")

    def record_outcome(self, tenant: Any, line: str, outcome: str) -> None:
        ctl = self.ctl

        def work() -> None:
            try:
                ctl.record_outcome(tenant, line, outcome)
            except OSError as exc:
                log.warning("writing the transcript of %s failed", tenant.domain, exc_info=exc)
                self._post(m.Notice(f"Could not write the transcript of {tenant.domain}: "
                                    f"{exc.strerror or 'unwritable'}", "Transcript", "warning"))

        self._start(work, f"transcript:{tenant.domain.lower()}", f"transcript {tenant.domain}")

    def save_recent(self) -> None:
        ctl = self.ctl

        def work() -> None:
            try:
                ctl.save_recent()
            except OSError:
                return  # only the sidebar order is lost; not worth a notification

        self._start(work, "recent", "recent tenants")

    # -- commands ----------------------------------------------------------------------------------

    def run(self, domain: str, session: Any, handle: RunHandle) -> None:
        def on_event(event: Any) -> None:
            # One message per batch: the UI drains whatever accumulated when it gets to it.
            if handle.buffer.push(event):
                self._post(m.RunEventsPending(domain))

        self._guarded(f"running a command in {domain}", lambda: session.run(handle.line, on_event),
                      lambda exc: m.RunFinished(domain, None, message_of(exc), getattr(exc, "column", None)),
                      partial(m.RunFinished, domain), group=f"run:{domain}", name=f"run {domain}")

    def stop(self, domain: str) -> None:
        self._guarded(f"stopping the command in {domain}", partial(self.ctl.stop, domain),
                      lambda exc: m.Notice(f"Could not stop the command: {message_of(exc)}", "Stop", "error"),
                      group=f"stop:{domain}", name=f"stop {domain}")

    def close_all(self, deadline_s: float) -> None:
        self._guarded("disconnecting every session", partial(self.ctl.close_all, deadline_s),
                      lambda exc: m.Disconnected([message_of(exc)]), m.Disconnected, group="quit",
                      name="disconnect all")
