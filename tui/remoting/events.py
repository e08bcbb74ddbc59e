"""What a running command (and a catalog import) reports to its caller, as plain dataclasses.

``DelegatedSession.run`` calls ``on_event`` with these as they arrive; the CLI prints them, the UI
posts them to the tenant's console. No Textual here: the UI wraps them in its own messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.shell.records import Record


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """One output object of the pipeline (after the local suffix, if any)."""

    record: Record


@dataclass(frozen=True, slots=True)
class WarningEvent:
    message: str


@dataclass(frozen=True, slots=True)
class VerboseEvent:
    message: str


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """An error record: non-terminating (the command went on) or terminating (the pipeline failed).

    Local failures (a bad Where-Object, an unwritable Export-Csv path) use ``category="LocalError"``.
    """

    message: str
    category: str = "NotSpecified"
    error_id: str = ""
    target: str | None = None
    terminating: bool = False
    exception_type: str = ""


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    activity: str
    status: str
    percent: int = -1
    record_id: int = 0
    completed: bool = False


@dataclass(frozen=True, slots=True)
class FormatEvent:
    """A formatting request from the local suffix (Format-Table/Format-List): ``hint`` is shell-local's
    FormatHint, passed through unchanged to the renderer."""

    hint: Any


@dataclass(frozen=True, slots=True)
class TextEvent:
    """Text the local suffix produced (ConvertTo-Json, ConvertTo-Csv …)."""

    text: str


@dataclass(frozen=True, slots=True)
class FileEvent:
    """A file written for Export-Csv/Out-File (atomically, by the session layer)."""

    path: str
    bytes_written: int
    append: bool = False


@dataclass(frozen=True, slots=True)
class RedirectEvent:
    """The connection was redirected (``-AllowRedirection``); ``uri`` is kept for the whole session."""

    uri: str
    message: str


@dataclass(frozen=True, slots=True)
class SilenceEvent:
    """The server has not answered a running command for ``seconds`` (longer than a long poll may
    take): exohop still waits, and Ctrl+C abandons the command."""

    host: str
    seconds: float

    @property
    def message(self) -> str:
        return f"no answer from {self.host} for {self.seconds:.0f} s — still waiting (Ctrl+C to abandon)"


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Catalog import progress: ``done`` of ``total`` commands (``total`` 0 = not yet known)."""

    done: int
    total: int
    phase: str = "commands"   # "commands" while receiving metadata, "cache" when served from the cache
    from_cache: bool = False

    @property
    def text(self) -> str:
        if self.from_cache:
            return f"{self.total} commands (from cache)"
        if self.total:
            return f"Getting command information from remote session ... {self.done} of {self.total} commands"
        return "Getting command information from remote session ..."


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The outcome of one command line."""

    line: str
    outcome: str            # "ok" | "errors" (non-terminating errors) | "failed" | "stopped" | "invalid"
    #                         | "refused" (read-only: a state change, nothing sent)
    records: int = 0
    errors: int = 0
    warnings: int = 0
    duration_s: float = 0.0
    assigned_to: str | None = None
    error: Exception | None = None   # the RemotingError/ParseError that failed the line, if any
    retries: int = 0                 # requests retried after throttling or a transient fault (429/503/504)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


Event = (RecordEvent | WarningEvent | VerboseEvent | ErrorEvent | ProgressEvent | FormatEvent | TextEvent
         | FileEvent | RedirectEvent | SilenceEvent)
