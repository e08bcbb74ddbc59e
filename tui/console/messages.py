"""Typed messages that thread workers post to the app (workers never touch widgets).

Each names its tenant by domain; the app owns every piece of state and routes them to widgets.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class TenantSelected(Message):
    """The user picked a tenant in the sidebar (Enter or click)."""

    def __init__(self, tenant: Any) -> None:
        super().__init__()
        self.tenant = tenant


class PasswordNeeded(Message):
    """The keyring has no password for ``upn``: ask, then open ``tenant``."""

    def __init__(self, tenant: Any, upn: str, reason: str = "") -> None:
        super().__init__()
        self.tenant = tenant
        self.upn = upn
        self.reason = reason


class SignInNeeded(Message):
    """``upn`` (an OAuth account) has no usable sign-in: show the device-code dialog, then open ``tenant``."""

    def __init__(self, tenant: Any, upn: str, reason: str = "") -> None:
        super().__init__()
        self.tenant = tenant
        self.upn = upn
        self.reason = reason


class ImportProgressed(Message):
    def __init__(self, domain: str, done: int, total: int) -> None:
        super().__init__()
        self.domain = domain
        self.done = done
        self.total = total


class SessionOpened(Message):
    def __init__(self, domain: str, session: Any, refreshed: bool = False) -> None:
        super().__init__()
        self.domain = domain
        self.session = session
        self.refreshed = refreshed  # opened again by "tenant: Refresh commands"


class SessionFailed(Message):
    """Opening, running or closing failed; ``message`` says what happened and what to do."""

    def __init__(self, domain: str, message: str, title: str = "Connection failed") -> None:
        super().__init__()
        self.domain = domain
        self.message = message
        self.title = title


class SessionEvicted(Message):
    """The pool closed ``domain``'s idle session to make room for another tenant of the account."""

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain


class SessionClosed(Message):
    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain


class RunEventsPending(Message):
    """Events of ``domain``'s running command wait in its buffer (one message per batch)."""

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain


class RunFinished(Message):
    def __init__(self, domain: str, summary: Any = None, error: str | None = None,
                 column: int | None = None) -> None:
        super().__init__()
        self.domain = domain
        self.summary = summary
        self.error = error
        self.column = column


class CatalogRefreshed(Message):
    """The background refresh after a cached open found a different catalog (``quiet``: no notice)."""

    def __init__(self, domain: str, catalog: Any, quiet: bool = False) -> None:
        super().__init__()
        self.domain = domain
        self.catalog = catalog
        self.quiet = quiet


class StandInCatalog(Message):
    """A provisional catalog to complete from while ``domain``'s own is imported (None: none found)."""

    def __init__(self, domain: str, catalog: Any, source: str) -> None:
        super().__init__()
        self.domain = domain
        self.catalog = catalog
        self.source = source


class Disconnected(Message):
    """Every session is closed (``failures`` lists those that could not be)."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__()
        self.failures = failures


class ControllerReady(Message):
    """Setup (``exohop --demo`` starting its simulator) finished after the first frame."""

    def __init__(self, controller: Any) -> None:
        super().__init__()
        self.controller = controller


class SetupFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class Notice(Message):
    """A worker wants the user told something (``severity``: information | warning | error)."""

    def __init__(self, message: str, title: str = "", severity: str = "information") -> None:
        super().__init__()
        self.message = message
        self.title = title
        self.severity = severity
