"""Deleting shells by id: the ones the journal lists that nobody else will Delete.

pypsrp's public ``WSMan.delete`` with a ``ShellId`` selector is exactly the Delete a RunspacePool's
``close()`` sends, without needing the pool (which died with its process). Each Delete gets a fresh
WSMan with short timeouts, runs in its own daemon thread, and the whole sweep is bounded, so a dead
endpoint costs a few seconds of a background thread, never a connect.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, cast

from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.wsman import SelectorSet, WSMan

from tui.config import Account
from tui.remoting.endpoints import split_uri
from tui.remoting.errors import EXPIRED_FAULT_CODE
from tui.remoting.journal import ShellEntry, ShellJournal

log = logging.getLogger(__name__)

CONFIGURATION_NAME = "Microsoft.Exchange"
RESOURCE_URI = f"http://schemas.microsoft.com/powershell/{CONFIGURATION_NAME}"
DELETE_CONNECT_TIMEOUT_S = 5
DELETE_READ_TIMEOUT_S = 10
SWEEP_DEADLINE_S = 15.0


def basic_wsman(uri: str, account: Account, password: str, **timeouts: Any) -> WSMan:
    """A WSMan to ``uri`` as ``account`` (Basic auth, the account's TLS verification); ``timeouts``: WSMan's."""
    target = split_uri(uri)
    return WSMan(target.server, port=target.port, path=target.path, ssl=target.ssl, auth="basic",
                 username=account.upn, password=password,
                 # pypsrp types this as bool but passes it to requests' verify: a CA bundle path works.
                 cert_validation=cast(bool, account.cert_validation),
                 encryption="auto" if target.ssl else "never", **timeouts)


def delete_shell(endpoint: str, shell_id: str, account: Account, password: str) -> bool:
    """Send one WS-Management Delete for ``shell_id``; True when the shell is gone (deleted now, or the
    server no longer knows it), False when the Delete could not be sent or was refused."""
    wsman = basic_wsman(endpoint, account, password, connection_timeout=DELETE_CONNECT_TIMEOUT_S,
                        read_timeout=DELETE_READ_TIMEOUT_S)
    selectors = SelectorSet()
    selectors.add_option("ShellId", shell_id)
    try:
        wsman.delete(RESOURCE_URI, selector_set=selectors)
        return True
    except WSManFaultError as exc:
        if exc.code == EXPIRED_FAULT_CODE:
            return True
        log.info("Delete of shell %s refused: fault %s", shell_id, exc.code)
        return False
    except AuthenticationError:
        log.info("Delete of shell %s refused: the credential of %s is not accepted", shell_id, account.upn)
        return False
    except Exception as exc:   # unreachable, timed out, TLS: the entry stays for the next attempt
        log.info("Delete of shell %s not sent: %s", shell_id, type(exc).__name__, exc_info=exc)
        return False
    finally:
        wsman.close()


def delete_entries(journal: ShellJournal, entries: list[ShellEntry], account: Account, password: str) -> int:
    """Delete ``entries`` in parallel, removing each from the journal once gone; returns how many went."""
    gone: list[str] = []
    lock = threading.Lock()

    def one(entry: ShellEntry) -> None:
        if delete_shell(entry.endpoint, entry.shell_id, account, password):
            journal.remove(entry.shell_id)
            with lock:
                gone.append(entry.shell_id)

    threads = [threading.Thread(target=one, args=(e,), name=f"exohop-delete-{e.shell_id[:8]}", daemon=True)
               for e in entries]
    for t in threads:
        t.start()
    end = time.monotonic() + SWEEP_DEADLINE_S
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    with lock:
        return len(gone)


def clean_orphans(journal: ShellJournal, account: Account, password: str) -> int:
    """Delete every shell of ``account`` the journal lists and no live exohop will Delete."""
    orphans = journal.orphans(account.upn)
    if not orphans:
        return 0
    count = delete_entries(journal, orphans, account, password)
    log.info("deleted %d of %d abandoned shells of %s", count, len(orphans), account.upn)
    return count
