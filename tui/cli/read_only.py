"""Read-only mode for ``exohop shell`` and ``exohop run``: ``--read-only``, or the account's ``read_only = true``.

The refusal itself is the session engine's (tui.remoting.session_core, with tui.shell.safety's rule);
``exohop run`` also checks a line before it connects, against the shipped catalog, so a refused line
never reaches the server, not even to sign in.
"""

from __future__ import annotations

import argparse

from tui.config import Account
from tui.shell.safety import leave_account_read_only, read_only_refusal


def read_only_of(args: argparse.Namespace, account: Account) -> tuple[bool, str]:
    """(read-only?, how to leave it) for ``account`` under these arguments."""
    flag = bool(getattr(args, "read_only", False))
    ways = (["run it without --read-only"] if flag else []) + (
        [leave_account_read_only(account.upn)] if account.read_only else [])
    return flag or account.read_only, " and ".join(ways)


def refusal_before_connecting(line: str, args: argparse.Namespace, account: Account) -> str | None:
    """The read-only refusal of ``line`` for ``account``, judged on the shipped catalog; None: go on."""
    on, leave = read_only_of(args, account)
    if not on:
        return None
    from tui.remoting.shipped_catalog import shipped_cmdlet

    return read_only_refusal(line, shipped_cmdlet, leave=leave)
