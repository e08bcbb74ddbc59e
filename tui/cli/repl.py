"""``exohop shell``: a line-mode REPL in one tenant (prompt_toolkit), with the console's completion."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import Any

from tui.cli.audit import Audit, now
from tui.cli.environment import INTERRUPTED_CLOSE_S, close_pool, load_environment, print_error
from tui.cli.exit_codes import EXIT_CONNECTION, EXIT_OK
from tui.cli.printer import Printer, import_progress_line, show_invalid
from tui.cli.read_only import read_only_of
from tui.cli.signals import Terminated, termination_signals
from tui.remoting.errors import RemotingError
from tui.remoting.events import Event, RecordEvent, RunSummary
from tui.shell.safe_text import visible
from tui.shell.safety import needs_confirmation
from tui.tenant_ids import remember_tenant_id
from tui.tenants import Tenant


def cmd_shell(args: argparse.Namespace) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    from tui.remoting.pool import SessionPool
    from tui.remoting.transcript import Transcript
    from tui.shell.completion import CmdletCompleter, CompletionData

    env = load_environment(bool(getattr(args, "demo", False)), getattr(args, "demo_transport", "rest"))
    pool: SessionPool | None = None
    code = EXIT_OK
    try:
        tenant = env.tenants.find(args.tenant)
        account = env.account_for(tenant, getattr(args, "account", None))
        transcript = Transcript(env.folders.transcripts)
        audit = Audit(transcript, sys.stderr)
        pool = SessionPool(env.config.settings.max_sessions_per_account, cache_dir=env.folders.cache,
                           rest_concurrency=env.config.settings.rest_concurrency_per_tenant,
                           transcript=transcript, journal=env.journal())
        with termination_signals():
            printer = Printer(None, sys.stdout, sys.stderr)

            try:
                session = pool.acquire(tenant, account, env.credential_for(account),
                                       on_progress=import_progress_line(tenant, sys.stderr), on_event=printer)
            except RemotingError as exc:
                print_error(exc.message)
                return EXIT_CONNECTION
            if env.demo is None:
                remember_tenant_id(tenant, session)
            session.set_read_only(*read_only_of(args, account))   # the engine refuses state changes
            for notice in session.take_notices():
                print_error(notice)
            history_path = env.folders.history / f"{tenant.domain}.txt"
            history_path.parent.mkdir(parents=True, exist_ok=True)
            prompt: PromptSession[str] = PromptSession(history=FileHistory(str(history_path)))
            print(f"Connected to {visible(tenant.display_name)} ({tenant.domain}) as {account.upn}; "
                  f"{len(session.catalog)} commands. Ctrl+C stops a command, Ctrl+D or `exit` leaves.")
            counts: dict[str, int] = {}
            seen = _Seen()
            while True:
                data = CompletionData(history_counts=counts, properties=dict(seen.properties),
                                      identities=list(seen.identities), variables=sorted(session.variables))
                try:
                    line = prompt.prompt(f"[{tenant.display_name}] PS> ",
                                         completer=CmdletCompleter(session.catalog, data),
                                         complete_while_typing=True)
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if not line.strip():
                    continue
                if line.strip().lower() in ("exit", "quit", "exit-pssession"):
                    break
                first = line.strip().split()[0]
                counts[first] = counts.get(first, 0) + 1
                if needs_confirmation(line, env.config.settings.confirm, session.catalog,
                                      read_only=session.read_only) and not _confirmed(tenant):
                    print("Not run.", file=sys.stderr)
                    audit.record(account, tenant, line, "declined")
                    continue
                printer = Printer(None, sys.stdout, sys.stderr)
                started, since = now()
                try:
                    summary = _run_interruptible(session, line, seen.wrap(first, printer))
                except Terminated:
                    audit.interrupted(account, tenant, line, started, since)   # it may have partly run
                    raise
                printer.finish()
                if summary is None:
                    continue
                show_invalid(line, summary, sys.stderr)
                if summary.outcome == "stopped":
                    print("(stopped)", file=sys.stderr)
    except Terminated as exc:
        code = 128 + exc.signum
    finally:
        if pool is not None:
            close_pool(pool, INTERRUPTED_CLOSE_S if code >= 128 else None)   # a signal: leave within 2 s
        env.close()
    return code


def _confirmed(tenant: Tenant) -> bool:
    """y/N naming the tenant (the console's dialog, as a prompt); anything but yes, Ctrl+C or Ctrl+D is no."""
    from prompt_toolkit import PromptSession

    question = f"This line changes {visible(tenant.display_name)} ({tenant.domain}). Run it? [y/N] "
    try:
        answer = PromptSession[str]().prompt(question)   # its own session: the answer stays out of the history
    except (KeyboardInterrupt, EOFError):
        return False
    return answer.strip().lower() in ("y", "yes")


class _Seen:
    """Property names per cmdlet and identities seen in results: what the completer offers next."""

    IDENTITY_KEYS = ("Identity", "Name", "Alias", "PrimarySmtpAddress", "UserPrincipalName")
    MAX_IDENTITIES = 2000

    def __init__(self) -> None:
        self.properties: dict[str, list[str]] = {}
        self.identities: dict[str, None] = {}     # ordered set

    def wrap(self, cmdlet: str, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        def on_event(event: Event) -> None:
            if isinstance(event, RecordEvent):
                record = event.record
                if cmdlet not in self.properties:
                    self.properties[cmdlet] = list(record.properties)
                for key in self.IDENTITY_KEYS:
                    value = record.get(key)
                    if isinstance(value, str) and value and len(self.identities) < self.MAX_IDENTITIES:
                        self.identities[value] = None
            sink(event)

        return on_event


def _run_interruptible(session: Any, line: str, printer: Callable[[Event], None]) -> RunSummary | None:
    """Run on a worker thread so Ctrl+C in the main thread can send the PSRP stop."""
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
