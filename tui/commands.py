"""The command-line faces: ``exohop run | shell | tenants | login | logout`` (argparse lives in tui.cli).

Exit codes: 0 success, 1 the command reported errors, 2 usage or parse error, 3 connection or
authentication failure. Every face that opens sessions closes them all on the way out: normal end,
an exception, Ctrl+C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from tui.accounts import KeyringUnavailable, PasswordInputError
from tui.cli import EXIT_COMMAND_ERRORS, EXIT_CONNECTION, EXIT_OK, EXIT_USAGE
from tui.config import Account, Config, ConfigError, cache_dir, data_dir, load_config
from tui.remoting.errors import RemotingError
from tui.remoting.events import (
    ErrorEvent,
    Event,
    FileEvent,
    FormatEvent,
    ProgressEvent,
    RecordEvent,
    RedirectEvent,
    RunSummary,
    TextEvent,
    VerboseEvent,
    WarningEvent,
)
from tui.tenants import InvalidDomain, Tenant, TenantDirectory, TenantLookupError

CLOSE_DEADLINE_S = 10.0


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM/SIGHUP so that ``finally`` blocks close the sessions."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _err(text: str, stream: TextIO | None = None) -> None:
    print(f"exohop: {text}", file=stream or sys.stderr, flush=True)


# -- environment: config, tenants, passwords (real or demo) ------------------------------------------

@dataclass
class Environment:
    config: Config
    tenants: TenantDirectory
    password_source: Callable[[str], str | None]
    demo: Any = None
    passwords: dict[str, str] = field(default_factory=dict, repr=False)

    def account_for(self, tenant: Tenant, override: str | None) -> Account:
        return self.config.resolve_account(override or tenant.account)

    def password_for(self, account: Account) -> str:
        key = account.upn.lower()
        if key not in self.passwords:
            password = self.password_source(account.upn)
            if not password:
                raise RemotingError(f"No password is stored for {account.upn}: run `exohop login {account.upn}`.",
                                    "auth", account=account.upn)
            self.passwords[key] = password
        return self.passwords[key]

    def close(self) -> None:
        if self.demo is not None:
            self.demo.stop()


def load_environment(demo: bool) -> Environment:
    if demo:
        from tui.demo import start_demo

        d = start_demo()
        return Environment(d.config, d.tenants, d.password_for, demo=d)
    from tui.accounts import get_password

    return Environment(load_config(), TenantDirectory.load(), get_password)


@contextlib.contextmanager
def _on_termination(handler: Callable[[int, FrameType | None], Any] | signal.Handlers) -> Iterator[None]:
    """``handler`` for SIGTERM/SIGHUP inside the block, the previous handlers restored after it.

    Only the main thread may set signal handlers: elsewhere the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def termination_signals() -> contextlib.AbstractContextManager[None]:
    """SIGTERM/SIGHUP raise Terminated in the main thread while inside the block (so finally runs)."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    return _on_termination(handler)


def _close_pool(pool: Any) -> None:
    # A second SIGTERM while closing must not cut the Deletes short.
    with _on_termination(signal.SIG_IGN):
        failures = pool.close_all(CLOSE_DEADLINE_S)
    for message in failures:
        _err(f"could not close a session: {message}")


def show_line_error(line: str, message: str, column: int | None, stream: TextIO | None = None) -> None:
    """The line, a caret under the column, then the message (what PowerShell's parser errors look like)."""
    out = stream or sys.stderr
    if column is not None and 0 <= column <= len(line):
        print(f"  {line}", file=out)
        print("  " + " " * column + "^", file=out)
    print(message, file=out, flush=True)


# -- output ------------------------------------------------------------------------------------------

class Printer:
    """Writes events as a terminal expects: records on stdout (batched for tables), the rest on stderr."""

    FIRST_BATCH_S = 0.3      # the table's column widths come from the first batch
    BATCH = 200

    def __init__(self, fmt: str | None, out: TextIO, err: TextIO, *, tenant_label: str | None = None,
                 verbose_progress: bool = False) -> None:
        from tui.shell.formatting import FormatHint, TextFormatter

        self.fmt = fmt
        self.out = out
        self.err = err
        self.tenant_label = tenant_label
        self.verbose_progress = verbose_progress
        hint = FormatHint(view="table" if fmt == "table" else "list") if fmt in ("table", "list") else None
        self.hint = hint
        self._formatter_cls = TextFormatter
        self.formatter = TextFormatter(hint, width=shutil.get_terminal_size((120, 24)).columns)
        self.pending: list[Any] = []
        self.all_records: list[Any] = []
        self.first_at: float | None = None
        self.flushed = False
        self.csv_header_done = False
        self.csv_columns: list[str] | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RecordEvent):
            self._record(event.record)
        elif isinstance(event, WarningEvent):
            self._flush()
            print(f"WARNING: {event.message}", file=self.err, flush=True)
        elif isinstance(event, VerboseEvent):
            print(f"VERBOSE: {event.message}", file=self.err, flush=True)
        elif isinstance(event, ErrorEvent):
            self._flush()
            extra = f" ({event.error_id})" if event.error_id else ""
            print(f"ERROR: {event.message}{extra}", file=self.err, flush=True)
        elif isinstance(event, ProgressEvent):
            if self.verbose_progress and not event.completed:
                pct = f" {event.percent}%" if event.percent >= 0 else ""
                print(f"{event.activity}: {event.status}{pct}", file=self.err, flush=True)
        elif isinstance(event, FormatEvent):
            if self.fmt is None and self.formatter.hint is None:
                self._flush()
                self.formatter = self._formatter_cls(event.hint, width=self.formatter.width)
        elif isinstance(event, TextEvent):
            self._flush()
            print(event.text, file=self.out, flush=True)
        elif isinstance(event, FileEvent):
            print(f"{'appended to' if event.append else 'wrote'} {event.path} ({event.bytes_written} bytes)",
                  file=self.err, flush=True)
        elif isinstance(event, RedirectEvent):
            print(f"WARNING: {event.message}", file=self.err, flush=True)

    def _record(self, record: Any) -> None:
        if self.fmt == "json":
            self.all_records.append(record)
            return
        if self.fmt == "csv":
            from tui.shell.formatting import csv_lines

            lines = list(csv_lines([record], self.csv_columns, header=not self.csv_header_done))
            if self.csv_columns is None:
                self.csv_columns = list(getattr(record, "properties", {}) or ["Value"])
            self.csv_header_done = True
            self.out.write("".join(line + "\n" for line in lines))
            return
        if self.first_at is None:
            self.first_at = time.monotonic()
        self.pending.append(record)
        waited = time.monotonic() - self.first_at
        # The first batch decides the table's column widths: wait a moment for it; then print in small batches.
        if (len(self.pending) >= self.BATCH or (self.flushed and len(self.pending) >= 20)
                or waited >= self.FIRST_BATCH_S):
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            text = self.formatter.feed(self.pending)
            self.pending = []
            self.flushed = True
            self.first_at = None
            self.out.write(text)
            self.out.flush()

    def finish(self) -> None:
        self._flush()
        if self.fmt == "json":
            from tui.shell.formatting import to_json

            self.out.write(to_json(self.all_records, depth=3, as_array=True) + "\n")
        self.out.flush()


def remote_command_names(line: str) -> list[str]:
    """The command names of a line that are not local cmdlets (what the service must know)."""
    from tui.shell import parse
    from tui.shell.local_catalog import is_local

    names: list[str] = []
    for statement in parse(line).statements:
        for command in statement.commands:
            name = command.name
            if is_local(name) or name.lower() in (n.lower() for n in names):
                continue
            names.append(name)
    return names


def _one_shot_factory(names: list[str]) -> Callable[..., Any]:
    """Sessions for `exohop run`: the cached catalog as is (no background refresh, the process ends
    soon); with no cache, only the line's own commands are imported (like Import-PSSession
    -CommandName) and that narrow catalog is not cached, so a full import still happens later."""
    from tui.remoting.importer import CatalogCache
    from tui.remoting.session import DelegatedSession

    def factory(account: Account, tenant: Tenant, password: str, **kwargs: Any) -> Any:
        cache = kwargs.get("cache_dir")
        cached = cache is not None and CatalogCache(cache).path_for(account.endpoint, account.upn,
                                                                      tenant.domain).is_file()
        if cached or not names:
            return DelegatedSession(account, tenant, password, refresh_in_background=False, **kwargs)
        return DelegatedSession(account, tenant, password, refresh_in_background=False, import_patterns=names,
                                save_cache=False, **kwargs)

    return factory


def _progress_line(tenant: Tenant, err: TextIO) -> Callable[[Any], None] | None:
    """Import progress on one terminal line ("… 312 of 742 commands"); nothing when stderr is not a TTY."""
    if not err.isatty():
        return None

    def show(p: Any) -> None:
        if p.from_cache:
            return
        end = "\n" if p.total and p.done >= p.total else ""
        print(f"\rImporting commands from {tenant.display_name}: {p.done} of {p.total or '?'}", end=end,
              file=err, flush=True)

    return show


def _show_invalid(line: str, summary: RunSummary, stream: TextIO) -> None:
    """A parse/bind error of the line (outcome "invalid"), shown under it with a caret."""
    if summary.outcome == "invalid" and summary.error is not None:
        show_line_error(line, str(getattr(summary.error, "message", summary.error)),
                        getattr(summary.error, "column", None), stream)


def _exit_code_for(summary: RunSummary) -> int:
    if summary.outcome == "invalid":
        return EXIT_USAGE
    if summary.outcome == "failed" and isinstance(summary.error, RemotingError):
        return EXIT_CONNECTION
    if summary.errors or summary.outcome in ("failed", "errors"):
        return EXIT_COMMAND_ERRORS
    return EXIT_OK


# -- run ---------------------------------------------------------------------------------------------

def _resolve_tenants(env: Environment, queries: list[str]) -> list[Tenant]:
    chosen: list[Tenant] = []
    for q in queries:
        found = env.tenants.tenants if q.strip().lower() == "all" else [env.tenants.find(q)]
        for t in found:
            if t not in chosen:
                chosen.append(t)
    if not chosen:
        raise TenantLookupError("the tenant directory is empty: add one with `exohop tenants add DOMAIN`")
    return chosen


def cmd_run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from tui.remoting.pool import SessionPool
    from tui.remoting.transcript import Transcript
    from tui.shell import ParseError, parse

    out = out or sys.stdout
    err = err or sys.stderr
    line: str = args.line
    try:
        parse(line)
    except ParseError as exc:
        show_line_error(line, exc.message, exc.column, err)
        return EXIT_USAGE
    env = load_environment(bool(getattr(args, "demo", False)))
    code = EXIT_OK
    pool: SessionPool | None = None
    try:
        tenants = _resolve_tenants(env, list(args.tenant))
        pool = SessionPool(env.config.settings.max_sessions_per_account, cache_dir=cache_dir(),
                           transcript=Transcript(data_dir() / "transcripts"),
                           factory=_one_shot_factory(remote_command_names(line)))
        with termination_signals():
            for tenant in tenants:
                label = f"{tenant.display_name} ({tenant.domain})"
                if len(tenants) > 1:
                    print(f"== {label}", file=out if args.format in (None, "table", "list") else err, flush=True)
                printer = Printer(args.format, out, err, tenant_label=label)
                try:
                    account = env.account_for(tenant, getattr(args, "account", None))
                    session = pool.acquire(tenant, account, env.password_for(account), on_event=printer,
                                           on_progress=_progress_line(tenant, err))
                    summary = session.run(line, printer)
                except RemotingError as exc:
                    printer.finish()
                    _err(exc.message, err)
                    code = max(code, EXIT_CONNECTION)
                    continue
                printer.finish()
                _show_invalid(line, summary, err)   # a RemotingError was already printed as an ErrorEvent
                if summary.outcome == "stopped":
                    _err("stopped", err)
                code = max(code, _exit_code_for(summary))
                if len(tenants) > pool.per_account:
                    pool.close(tenant.domain)   # many tenants: do not hold sessions we will not reuse
    except Terminated as exc:
        _err(f"terminated by signal {exc.signum}; closing sessions", err)
        code = 128 + exc.signum
    except KeyboardInterrupt:
        _err("interrupted; closing sessions", err)
        code = 130
    finally:
        if pool is not None:
            _close_pool(pool)
        env.close()
    return code


# -- shell -------------------------------------------------------------------------------------------

def cmd_shell(args: argparse.Namespace) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    from tui.remoting.pool import SessionPool
    from tui.remoting.transcript import Transcript
    from tui.shell.completion import CmdletCompleter, CompletionData

    env = load_environment(bool(getattr(args, "demo", False)))
    pool: SessionPool | None = None
    code = EXIT_OK
    try:
        tenant = env.tenants.find(args.tenant)
        account = env.account_for(tenant, getattr(args, "account", None))
        pool = SessionPool(env.config.settings.max_sessions_per_account, cache_dir=cache_dir(),
                           transcript=Transcript(data_dir() / "transcripts"))
        with termination_signals():
            printer = Printer(None, sys.stdout, sys.stderr)

            try:
                session = pool.acquire(tenant, account, env.password_for(account),
                                       on_progress=_progress_line(tenant, sys.stderr), on_event=printer)
            except RemotingError as exc:
                _err(exc.message)
                return EXIT_CONNECTION
            history_path = data_dir() / "history" / f"{tenant.domain}.txt"
            history_path.parent.mkdir(parents=True, exist_ok=True)
            prompt: PromptSession[str] = PromptSession(history=FileHistory(str(history_path)))
            print(f"Connected to {tenant.display_name} ({tenant.domain}) as {account.upn}; "
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
                printer = Printer(None, sys.stdout, sys.stderr)
                summary = _run_interruptible(session, line, seen.wrap(first, printer))
                printer.finish()
                if summary is None:
                    continue
                _show_invalid(line, summary, sys.stderr)
                if summary.outcome == "stopped":
                    print("(stopped)", file=sys.stderr)
    except Terminated as exc:
        code = 128 + exc.signum
    finally:
        if pool is not None:
            _close_pool(pool)
        env.close()
    return code


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
        _err(result["error"].message)
        return None
    return result.get("summary")


# -- tenants -----------------------------------------------------------------------------------------

def cmd_tenants(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    directory = TenantDirectory.load()
    action = args.tenants_command
    if action == "list":
        if not len(directory):
            print("No tenants yet: add one with `exohop tenants add DOMAIN` or import a Partner Center CSV "
                  "with `exohop tenants import FILE.csv`.", file=out)
            return EXIT_OK
        width = max(len(t.display_name) for t in directory)
        for t in sorted(directory, key=lambda t: (not t.favorite, t.display_name.lower())):
            star = "*" if t.favorite else " "
            extra = "  ".join(x for x in (t.account or "", ",".join(t.tags)) if x)
            print(f"{star} {t.display_name.ljust(width)}  {t.domain}  {extra}".rstrip(), file=out)
        return EXIT_OK
    if action == "add":
        if args.account:
            load_config().resolve_account(args.account)   # a typo in the account fails now, not at connect
        tenant = directory.add(Tenant(domain=args.domain, name=args.name or "", account=args.account,
                                      tags=tuple(args.tag), favorite=bool(args.favorite)))
        path = directory.save()
        print(f"added {tenant.display_name} ({tenant.domain}) to {path}", file=out)
        return EXIT_OK
    if action == "remove":
        removed = directory.remove(args.domain)
        path = directory.save()
        print(f"removed {removed.display_name} ({removed.domain}) from {path}", file=out)
        return EXIT_OK
    if action == "import":
        report = directory.import_csv(Path(args.file), account=args.account)
        if report.added:
            directory.save()
        for text in report.lines():
            print(text, file=out)
        return EXIT_OK if not report.rejected else EXIT_COMMAND_ERRORS
    _err(f"unknown tenants action {action!r}")
    return EXIT_USAGE


# -- login / logout ----------------------------------------------------------------------------------

def cmd_login(args: argparse.Namespace) -> int:
    from tui.accounts import read_password, set_password
    from tui.config import resolve_endpoint, validate_upn

    upn = validate_upn(args.upn)
    config = load_config()
    existing = config.account(upn)
    endpoint = args.endpoint or (existing.endpoint if existing else "worldwide")
    resolve_endpoint(endpoint)
    ca_file = args.ca_file if args.ca_file is not None else (existing.ca_file if existing else None)
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise ConfigError(f"the CA file {ca_file} does not exist")
    password = read_password(upn, from_stdin=bool(args.password_stdin))
    set_password(upn, password)
    del password
    account = Account(upn=existing.upn if existing else upn, endpoint=endpoint, ca_file=ca_file,
                      default=existing.default if existing else not config.accounts)
    if account != existing:
        path = config.with_account(account).save()
        print(f"{'updated' if existing else 'added'} account {account.upn} in {path}")
    print(f"password for {account.upn} stored in the OS keyring (service 'exohop')")
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    from tui.accounts import delete_password

    if delete_password(args.upn):
        print(f"password for {args.upn} removed from the OS keyring")
    else:
        print(f"no password was stored for {args.upn}")
    return EXIT_OK


# -- dispatch ----------------------------------------------------------------------------------------

def dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": cmd_run, "shell": cmd_shell, "tenants": cmd_tenants, "login": cmd_login, "logout": cmd_logout}
    try:
        return handlers[args.command](args)
    except (ConfigError, TenantLookupError, InvalidDomain, PasswordInputError) as exc:
        _err(exc.message)
        return EXIT_USAGE
    except (KeyringUnavailable, RemotingError) as exc:
        _err(exc.message)
        return EXIT_CONNECTION
    except ValueError as exc:   # duplicates on add, unreadable CSV
        _err(str(exc))
        return EXIT_USAGE
    except Terminated as exc:
        return 128 + exc.signum
