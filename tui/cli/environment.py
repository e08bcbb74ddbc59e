"""What a CLI face runs against: config, tenants and passwords (the user's, or the demo's), and the
closing of every session on the way out."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from tui.config import Account, Config, Folders, demo_folders, load_config, user_folders
from tui.logs import register_secret
from tui.shell.safe_text import visible_lines
from tui.tenants import Tenant, TenantDirectory
from tui.termination import on_termination

if TYPE_CHECKING:   # the remoting layer (requests, pypsrp) is imported when a session needs it, not at start
    from tui.remoting.journal import ShellJournal

CLOSE_DEADLINE_S = 10.0
# After Ctrl+C or a termination signal: the process must be gone within 2 s whatever the server does.
INTERRUPTED_CLOSE_S = 1.0


def print_error(text: str, stream: TextIO | None = None) -> None:
    # Messages quote tenant names and the service's words: control characters made visible.
    print(f"exohop: {visible_lines(text)}", file=stream or sys.stderr, flush=True)


@dataclass
class Environment:
    config: Config
    tenants: TenantDirectory
    password_source: Callable[[str], str | None]
    folders: Folders                 # the user's, or the demo's own (its transcripts and cache stay apart)
    demo: Any = None
    passwords: dict[str, str] = field(default_factory=dict, repr=False)
    token_sources: dict[str, Any] = field(default_factory=dict, repr=False)
    # The shell connects on threads (one per tenant): two tenants of one account must share one sign-in.
    _credentials_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def account_for(self, tenant: Tenant, override: str | None) -> Account:
        return self.config.resolve_account(override or tenant.account)

    def password_for(self, account: Account) -> str:
        key = account.upn.lower()
        if key not in self.passwords:
            password = self.password_source(account.upn)
            if not password:
                from tui.remoting.errors import RemotingError

                raise RemotingError(f"No password is stored for {account.upn}: run `exohop login {account.upn}`.",
                                    "auth", account=account.upn)
            register_secret(password, user=account.upn)   # the log's filter masks it from here on
            self.passwords[key] = password
        return self.passwords[key]

    def credential_for(self, account: Account) -> Any:
        """What ``account`` connects with: its password (Basic, PSRP) or its token source (OAuth/app, REST).

        The demo signs its user in here, once, with the device-code flow it approves by itself (the
        prompt is shown on stderr as a real sign-in's would be)."""
        from tui.remoting.auth.account import BASIC, auth_of

        with self._credentials_lock:
            if auth_of(account) == BASIC:
                return self.password_for(account)
            key = account.upn.lower()
            if key not in self.token_sources:
                self.token_sources[key] = self._token_source(account)
            return self.token_sources[key]

    def _token_source(self, account: Account) -> Any:
        if self.demo is not None:
            source = self.demo.token_source(account)
            if source.signed_in_user() is None:
                self.demo.sign_in(account, lambda prompt: print_error(f"demo: {prompt.message} (the demo enters "
                                                                      "the code by itself)"))
            return source
        from tui.remoting.auth.account import token_source_for

        return token_source_for(account)

    def journal(self) -> ShellJournal | None:
        """The shell journal in the data folder; none for the demo, whose in-process simulator dies with us."""
        if self.demo is not None:
            return None
        from tui.remoting.journal import ShellJournal

        return ShellJournal(self.folders.data)

    def close(self) -> None:
        if self.demo is not None:
            self.demo.stop()


def load_environment(demo: bool, demo_transport: str = "rest") -> Environment:
    if demo:
        from tui.cli.demo import start_demo

        d = start_demo(transport=demo_transport)
        return Environment(d.config, d.tenants, d.password_for, demo_folders(), demo=d)
    from tui.accounts import get_password

    return Environment(load_config(), TenantDirectory.load(), get_password, user_folders())


def close_pool(pool: Any, deadline_s: float | None = None) -> None:
    # A second SIGTERM while closing must not cut the Deletes short.
    with on_termination(signal.SIG_IGN):
        failures = pool.close_all(CLOSE_DEADLINE_S if deadline_s is None else deadline_s)
    for message in failures:
        print_error(f"could not close a session: {message}")
