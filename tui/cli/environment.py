"""What a CLI face runs against: config, tenants and passwords (the user's, or the demo's), and the
closing of every session on the way out."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from tui.config import Account, Config, data_dir, load_config
from tui.logs import register_secret
from tui.remoting.errors import RemotingError
from tui.remoting.journal import ShellJournal
from tui.shell.safe_text import visible_lines
from tui.tenants import Tenant, TenantDirectory
from tui.termination import on_termination

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
            register_secret(password, user=account.upn)   # the log's filter masks it from here on
            self.passwords[key] = password
        return self.passwords[key]

    def journal(self) -> ShellJournal | None:
        """The shell journal in the data folder; none for the demo, whose in-process simulator dies with us."""
        return None if self.demo is not None else ShellJournal(data_dir())

    def close(self) -> None:
        if self.demo is not None:
            self.demo.stop()


def load_environment(demo: bool) -> Environment:
    if demo:
        from tui.cli.demo import start_demo

        d = start_demo()
        return Environment(d.config, d.tenants, d.password_for, demo=d)
    from tui.accounts import get_password

    return Environment(load_config(), TenantDirectory.load(), get_password)


def close_pool(pool: Any, deadline_s: float | None = None) -> None:
    # A second SIGTERM while closing must not cut the Deletes short.
    with on_termination(signal.SIG_IGN):
        failures = pool.close_all(CLOSE_DEADLINE_S if deadline_s is None else deadline_s)
    for message in failures:
        print_error(f"could not close a session: {message}")
