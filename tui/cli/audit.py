"""The transcript lines the CLI faces write themselves (the session writes those of commands it ran),
and the sign-in failures of ``exohop run -t …`` that must not be repeated.

A command cut short by Ctrl+C, SIGTERM or SIGHUP may have partly run (a Set-/Remove- on some of its
objects), a connect that failed and a command declined at the confirmation are part of the audit too:
each gets its line with its outcome. A transcript that cannot be written is said, never fatal.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TextIO

from tui.cli.environment import print_error
from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.remoting.transcript import Transcript
from tui.tenants import Tenant

log = logging.getLogger(__name__)

# A refused password (or none stored) fails every tenant of the account the same way, and each
# attempt is a failed sign-in that counts toward Entra smart lockout.
SIGN_IN_KINDS = frozenset({E.AUTH, E.SIGN_IN})


class Audit:
    def __init__(self, transcript: Transcript, err: TextIO) -> None:
        self.transcript = transcript
        self.err = err
        self._refused: dict[str, str] = {}   # upn (lower) -> why its sign-in failed

    def record(self, account: Account, tenant: Tenant, line: str, outcome: str, *,
               started: datetime | None = None, since: float | None = None) -> None:
        duration = time.monotonic() - since if since is not None else 0.0
        try:
            self.transcript.record_outcome(account=account.upn, tenant=tenant.domain, line=line, outcome=outcome,
                                           started=started, duration_s=duration)
        except OSError as exc:
            print_error(f"could not write the transcript: {exc.strerror or 'unwritable'}", self.err)

    def connect_failed(self, account: Account, tenant: Tenant, line: str, exc: RemotingError) -> None:
        log.warning("connecting to %s as %s failed (%s)", tenant.domain, account.upn, exc.kind, exc_info=exc)
        if exc.kind in SIGN_IN_KINDS:
            self._refused[account.upn.lower()] = exc.message
        self.record(account, tenant, line, "connect_failed")

    def skip_reason(self, account: Account) -> str | None:
        """Why ``account``'s next tenant is skipped (its sign-in already failed in this run), or None."""
        if account.upn.lower() not in self._refused:
            return None
        return (f"the sign-in of {account.upn} already failed for an earlier tenant; not trying it again "
                "(repeated failed sign-ins can lock the account)")

    def interrupted(self, account: Account, tenant: Tenant, line: str, started: datetime, since: float) -> None:
        self.record(account, tenant, line, "interrupted", started=started, since=since)


def now() -> tuple[datetime, float]:
    """When a command starts, for its transcript line: wall clock (UTC) and a monotonic mark."""
    return datetime.now(UTC), time.monotonic()
