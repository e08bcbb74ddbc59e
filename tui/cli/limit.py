"""`exohop run` meeting the service's session limit: wait (bounded, with a message) for a session to free up.

Shells a dead exohop left are deleted by the session layer itself (the journal); what is left when
the limit is still met belongs to a live client — another exohop, a PowerShell window — that will
close it soon. Polling with backoff for a bounded time turns "run it again in a minute" into a wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tui.config import Account
from tui.remoting import errors as E
from tui.remoting.errors import RemotingError
from tui.tenants import Tenant

LIMIT_WAIT_S = 60.0
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 8.0


def acquire_waiting(pool: Any, tenant: Tenant, account: Account, password: str, *, wait_s: float,
                    on_wait: Callable[[str], None], sleep: Callable[[float], None] = time.sleep,
                    **kwargs: Any) -> Any:
    """``pool.acquire(...)``, retried with backoff for up to ``wait_s`` while the session limit is met
    (``wait_s`` 0: fail at once). ``on_wait`` gets one message when the wait starts."""
    deadline = time.monotonic() + wait_s
    delay = FIRST_DELAY_S
    told = False
    while True:
        try:
            return pool.acquire(tenant, account, password, **kwargs)
        except RemotingError as exc:
            left = deadline - time.monotonic()
            if exc.kind != E.SESSION_LIMIT or left <= 0:
                raise
            if not told:
                on_wait(f"{account.upn} already has the service's maximum of sessions open elsewhere (another "
                        f"exohop or PowerShell window); waiting up to {wait_s:.0f} s for one to close "
                        "(--no-wait fails at once, Ctrl+C gives up)")
                told = True
            sleep(min(delay, left))
            delay = min(delay * 2, MAX_DELAY_S)
