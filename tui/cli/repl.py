"""``exohop shell``: a line-mode REPL (prompt_toolkit) with the console's completion, memory and history.

The prompt shows at once and the tenant's session opens behind it (``tui.cli.shell_link``): the
toolbar tells the state, the import progress and the number of commands; a line typed before the
session is open waits for it. ``:tenant NAME`` switches tenant in place (the pool keeps the one left
warm, so switching back costs nothing), ``:tenants`` lists the directory.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.cli.environment import INTERRUPTED_CLOSE_S, Environment, close_pool, load_environment, print_error
from tui.cli.exit_codes import EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui.cli.read_only import read_only_of
from tui.cli.shell_link import EXIT_WORDS, FAILED, Link
from tui.cli.signals import Terminated, termination_signals
from tui.config import SETUP_GUIDANCE, ConfigError
from tui.shell.memory import MAX_IDENTITIES
from tui.shell.safe_text import visible
from tui.shell.safety import needs_confirmation
from tui.tenants import Tenant, TenantDirectory, TenantLookupError

if TYPE_CHECKING:   # the session layer loads on the connect thread, after the prompt is on the screen
    from tui.cli.audit import Audit
    from tui.remoting.events import Event, RunSummary
    from tui.remoting.pool import SessionPool
    from tui.shell.records import Record

HELP = "Ctrl+C stops a command, Ctrl+D or `exit` leaves; :tenant NAME switches tenant, :tenants lists them."


def cmd_shell(args: argparse.Namespace) -> int:
    env = load_environment(bool(getattr(args, "demo", False)), getattr(args, "demo_transport", "rest"))
    shell: _Shell | None = None
    code = EXIT_OK
    try:
        if not env.config.accounts or not len(env.tenants):
            print(SETUP_GUIDANCE, file=sys.stderr, flush=True)   # as `exohop run`: nothing to connect to
            return EXIT_USAGE
        try:
            tenant = env.tenants.find(args.tenant)
        except TenantLookupError as exc:   # as :tenant does: the closest names offered
            print_error(_did_you_mean(exc, args.tenant, env.tenants))
            return EXIT_USAGE
        shell = _Shell(env, args)
        with termination_signals():
            code = shell.run(tenant)
    except Terminated as exc:
        code = 128 + exc.signum
    finally:
        pool = shell.pool if shell is not None else None
        if pool is not None:
            close_pool(pool, INTERRUPTED_CLOSE_S if code >= 128 else None)   # a signal: leave within 2 s
        env.close()
    return code


class _Interrupted(Exception):
    """The connect thread ended the prompt: a connection failed and the face must say so now."""


class _Shell:
    def __init__(self, env: Environment, args: argparse.Namespace) -> None:
        self.env = env
        self.args = args
        self.account_override: str | None = getattr(args, "account", None)
        self.out, self.err = sys.stdout, sys.stderr   # the terminal's (the prompt patches sys.stdout/err)
        self.pool: SessionPool | None = None          # made by the first connect (tui.remoting loads then)
        self.audit: Audit | None = None
        self._pool_lock = threading.Lock()
        self.links: dict[str, Link] = {}
        self.current: Link | None = None
        self.previous: Link | None = None
        self.ever_ready = False
        self.exit_code: int | None = None
        self._prompts: dict[str, Any] = {}   # domain -> PromptSession (each has the tenant's history)
        self._pending = ""                    # what was typed when a failure ended the prompt
        self._stand_in_started = False

    @property
    def link(self) -> Link:
        assert self.current is not None
        return self.current

    # -- tenants ------------------------------------------------------------------------------------

    def open(self, tenant: Tenant) -> Link:
        """The tenant's link, connecting in the background when new (a warm one is reused)."""
        key = tenant.domain.lower()
        link = self.links.get(key)
        if link is not None:
            return link
        link = Link(tenant, self.env.account_for(tenant, self.account_override), self.env.folders.history)
        self.links[key] = link
        return link

    def _services(self) -> tuple[SessionPool, Audit]:
        """The pool and the audit, made once, on the first connect thread."""
        with self._pool_lock:
            if self.pool is None or self.audit is None:
                from tui.cli.audit import Audit
                from tui.remoting.pool import SessionPool
                from tui.remoting.transcript import Transcript

                settings = self.env.config.settings
                transcript = Transcript(self.env.folders.transcripts)
                self.audit = Audit(transcript, self.err)
                self.pool = SessionPool(settings.max_sessions_per_account, cache_dir=self.env.folders.cache,
                                        rest_concurrency=settings.rest_concurrency_per_tenant,
                                        transcript=transcript, journal=self.env.journal())
            return self.pool, self.audit

    def _acquire(self, link: Link, **callbacks: Any) -> Any:
        """On the connect thread: sign in (the demo's sign-in prints above the prompt) and open the session."""
        pool, _ = self._services()
        from tui.cli.redirects_seen import RedirectsSeen

        credential = self.env.credential_for(link.account)
        said = callbacks.pop("on_event")
        session = pool.acquire(link.tenant, link.account, credential,   # a redirect told once per account
                               on_event=RedirectsSeen(self.env.folders.data).filter(link.account, said), **callbacks)
        session.set_read_only(*read_only_of(self.args, link.account))    # the engine refuses state changes
        return session

    def _start(self) -> None:
        """Connect every tenant not connecting yet (called each time a prompt is on the screen)."""
        if not self._stand_in_started:   # the shipped catalog parsed before the first Tab needs it
            from tui.cli.shell_prompt import stand_in

            self._stand_in_started = True
            threading.Thread(target=stand_in, name="exohop-stand-in", daemon=True).start()
        for link in list(self.links.values()):
            link.connect(self._acquire, self._changed)

    def _changed(self, link: Link) -> None:
        """On the connect thread: redraw the toolbar; a failure of the tenant shown ends the prompt."""
        prompt = self._prompts.get(self.link.tenant.domain.lower())
        if prompt is None:
            return
        app = prompt.app
        if not app.is_running:
            return
        if link.state == FAILED and link is self.current:
            def stop() -> None:
                if app.is_running and not app.is_done:
                    self._pending = app.current_buffer.text
                    app.exit(exception=_Interrupted())
            app.loop.call_soon_threadsafe(stop)
        else:
            app.invalidate()

    def switch(self, query: str) -> None:
        try:
            tenant = self.env.tenants.find(query)
        except TenantLookupError as exc:
            print_error(_did_you_mean(exc, query, self.env.tenants))
            return
        if tenant.domain.lower() == self.link.tenant.domain.lower():
            print(f"Already in {visible(tenant.display_name)} ({tenant.domain}).")
            return
        try:
            link = self.open(tenant)
        except ConfigError as exc:   # the tenant names an account that is not configured
            print_error(exc.message)
            return
        self.previous, self.current = self.current, link
        state = "" if link.ready else "; connecting"
        print(f"Now in {visible(tenant.display_name)} ({tenant.domain}) as {link.account.upn}{state}.")

    def list_tenants(self) -> None:
        tenants = list(self.env.tenants)
        if not tenants:
            print("The tenant directory is empty: add one with `exohop tenants add DOMAIN`.")
            return
        width = min(40, max(len(visible(t.display_name)) for t in tenants))
        for t in tenants:
            session = self.pool.get(t.domain) if self.pool is not None else None
            mark = "*" if t.domain.lower() == self.link.tenant.domain.lower() else (
                "●" if session is not None and session.is_open else " ")
            print(f"{mark} {visible(t.display_name):<{width}}  {t.domain}")
        print("* this shell's tenant   ● a session open (switching to it is instant)")

    def _settle(self) -> None:
        """Show what finished connecting said; a failed tenant is dropped (the previous one comes back)."""
        for key, link in list(self.links.items()):
            if not link.done.is_set() or link.settled:
                continue
            link.settled = True
            from tui.cli.printer import Printer

            printer = Printer(None, self.out, self.err)
            for event in link.take_said():
                printer(event)
            printer.finish()
            if link.session is not None:
                self.ever_ready = True
                if self.env.demo is None:
                    from tui.tenant_ids import remember_tenant_id

                    remember_tenant_id(link.tenant, link.session)
                for notice in link.session.take_notices():
                    print_error(notice)
                continue
            assert link.error is not None
            print_error(link.error.message)
            del self.links[key]
            if link is not self.current:
                continue
            back = self.previous if self.previous is not None and self.previous in self.links.values() else None
            if back is None:
                self.exit_code = EXIT_CONNECTION
                return
            self.current, self.previous = back, None
            print(f"Still in {visible(back.tenant.display_name)} ({back.tenant.domain}).", file=sys.stderr)

    # -- the loop -----------------------------------------------------------------------------------

    def _prompt(self) -> str:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.patch_stdout import patch_stdout
        from prompt_toolkit.styles import Style

        from tui.cli.shell_prompt import TOOLBAR_STYLE, LiveCompleter, SharedHistory, toolbar

        link = self.link
        key = link.tenant.domain.lower()
        prompt = self._prompts.get(key)
        if prompt is None:
            prompt = self._prompts[key] = PromptSession(
                history=SharedHistory(link), completer=LiveCompleter(lambda: self.link),
                complete_while_typing=True, bottom_toolbar=lambda: toolbar(self.link),
                style=Style.from_dict(TOOLBAR_STYLE), refresh_interval=0.5)
        default, self._pending = self._pending, ""

        app = prompt.app

        def rendered(_app: Any) -> None:
            app.after_render.remove_handler(rendered)
            self._start()                  # connect behind the prompt, now that it is on the screen
            if self.link.state == FAILED:   # a failure between two prompts could not end a prompt
                self._changed(self.link)

        app.after_render.add_handler(rendered)
        # Text a connect thread prints (the demo's sign-in) goes above the prompt, not through it.
        with patch_stdout(raw=True):
            return str(prompt.prompt(f"[{visible(link.tenant.display_name)}] PS> ", default=default))

    def run(self, tenant: Tenant) -> int:
        link = self.current = self.open(tenant)
        print(f"exohop shell: {visible(tenant.display_name)} ({tenant.domain}) as {link.account.upn}. {HELP}")
        while True:
            self._settle()
            if self.exit_code is not None:
                return self.exit_code
            try:
                line = self._prompt()
            except _Interrupted:
                continue
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                break
            if text.startswith(":"):
                self._meta(text)
                continue
            self._run(line)
        return EXIT_OK

    def _meta(self, text: str) -> None:
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word == ":tenants":
            self.list_tenants()
        elif word == ":tenant" and rest.strip():
            self.switch(rest.strip())
        elif word == ":tenant":
            print(f"In {visible(self.link.tenant.display_name)} ({self.link.tenant.domain}); "
                  ":tenant NAME switches (a domain, a display name or the start of either).")
        else:
            print_error(f"{visible(word)} is not a shell command: :tenant NAME switches tenant, :tenants lists them.")

    def _wait(self, link: Link) -> bool:
        """Wait until the link's session is open (Ctrl+C gives up); False when it is not."""
        link.connect(self._acquire, self._changed)   # started by the prompt already, unless it never showed
        if not link.done.is_set():
            print(f"Waiting for the connection to {visible(link.tenant.display_name)}… (Ctrl+C gives up)",
                  file=sys.stderr, flush=True)
            while not link.done.is_set():
                try:
                    link.done.wait(0.1)
                except KeyboardInterrupt:
                    print("Not run.", file=sys.stderr)
                    return False
        self._settle()
        return link.session is not None and link is self.current

    def _run(self, line: str) -> None:
        from tui.cli.audit import now
        from tui.cli.printer import Printer, show_invalid
        from tui.remoting.events import RecordEvent

        link = self.link
        link.memory.count_line(line)
        if not self._wait(link):
            return
        _, audit = self._services()
        tenant, account = link.tenant, link.account
        session = link.session
        if needs_confirmation(line, self.env.config.settings.confirm, session.catalog,
                              read_only=session.read_only) and not _confirmed(tenant):
            print("Not run.", file=sys.stderr)
            audit.record(account, tenant, line, "declined")
            return
        printer = Printer(None, sys.stdout, sys.stderr)
        records: list[Record] = []

        def sink(event: Event) -> None:
            if isinstance(event, RecordEvent) and len(records) < MAX_IDENTITIES:
                records.append(event.record)
            printer(event)

        started, since = now()
        try:
            summary = _run_interruptible(link.session, line, sink)
        except Terminated:
            audit.interrupted(account, tenant, line, started, since)   # it may have partly run
            raise
        printer.finish()
        if records:   # what completion offers next: the console's memory, fed as the console feeds it
            link.memory.saw_result(line, records[0], records, summary.assigned_to if summary is not None else None)
        if summary is None:
            return
        show_invalid(line, summary, sys.stderr)
        if summary.outcome == "stopped":
            print("(stopped)", file=sys.stderr)


def _did_you_mean(exc: TenantLookupError, query: str, tenants: TenantDirectory) -> str:
    """The lookup's message; when nothing matched, with the closest names or domains offered."""
    if exc.candidates:
        return exc.message
    by_key: dict[str, Tenant] = {}
    for t in tenants:
        by_key.setdefault(t.display_name.lower(), t)
        by_key.setdefault(t.domain.split(".")[0], t)
        by_key.setdefault(t.domain, t)
    close: list[Tenant] = []
    for key in difflib.get_close_matches(query.strip().lower(), list(by_key), n=6, cutoff=0.6):
        if by_key[key] not in close:
            close.append(by_key[key])
    if not close:
        return exc.message
    names = ", ".join(f"{visible(t.display_name)} ({t.domain})" for t in close[:3])
    return f"no tenant matches {query!r}. Did you mean {names}?"


def _confirmed(tenant: Tenant) -> bool:
    """y/N naming the tenant (the console's dialog, as a prompt); anything but yes, Ctrl+C or Ctrl+D is no."""
    from prompt_toolkit import PromptSession

    question = f"This line changes {visible(tenant.display_name)} ({tenant.domain}). Run it? [y/N] "
    try:
        answer = PromptSession[str]().prompt(question)   # its own session: the answer stays out of the history
    except (KeyboardInterrupt, EOFError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _run_interruptible(session: Any, line: str, printer: Callable[[Event], None]) -> RunSummary | None:
    """Run on a worker thread so Ctrl+C in the main thread can send the PSRP stop."""
    from tui.remoting.errors import RemotingError

    result: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            result["summary"] = session.run(line, printer)
        except RemotingError as exc:
            result["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name="exohop-run", daemon=True)
    worker.start()
    # An Event, not Thread.join(): a join interrupted by Ctrl+C can report a live thread as finished.
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            session.stop()
    if "error" in result:
        print_error(result["error"].message)
        return None
    return result.get("summary")
