"""The simulator engine's object model: output objects, errors, and the context a run writes to.

Pure Python: sim-wire's runspace glue turns ``SimObject`` into PSObjects and ``CmdletError`` into
ErrorRecords; the engine never sees psrpcore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class SimObject:
    """One output object: .NET type-name chain (most derived first), ordered properties, ToString.

    Property values are None, bool, int, float, str, datetime, uuid.UUID, list, dict[str, Any] or
    SimObject (nested objects such as Get-Command's ParameterSets). ``notes``: the properties are note
    properties (a PSCustomObject's, such as Select-Object's output; CLIXML ``<MS>``), not adapted ones
    (a .NET object's; ``<Props>``).
    """

    type_names: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict)
    to_string: str = ""
    notes: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        """Property value by case-insensitive name, as PowerShell looks properties up."""
        if name in self.properties:
            return self.properties[name]
        low = name.lower()
        for key, value in self.properties.items():
            if key.lower() == low:
                return value
        return default

    def has(self, name: str) -> bool:
        low = name.lower()
        return any(key.lower() == low for key in self.properties)


class CmdletError(Exception):
    """An error a cmdlet reports, in the service's words.

    ``terminating`` errors end the pipeline (the engine raises them); non-terminating ones go to
    ``RunContext.error`` and the pipeline goes on. ``category_target``: the CategoryInfo's TargetName
    when it differs from ``target`` (Exchange leaves it empty: "NotSpecified: (:) [Get-Mailbox], …").
    The engine fills in where the error arose: ``command`` (the CategoryInfo's Activity) and the
    command's place in its pipeline (InvocationInfo's PipelinePosition / PipelineLength).
    """

    def __init__(self, message: str, *, category: str = "NotSpecified", error_id: str = "",
                 exception_type: str = "System.Management.Automation.RuntimeException",
                 target: str | None = None, terminating: bool = True,
                 category_target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category
        self.error_id = error_id
        self.exception_type = exception_type
        self.target = target
        self.terminating = terminating
        self.category_target = category_target
        self.command = ""
        self.pipeline_position = 0
        self.pipeline_length = 0
        self.bound: dict[str, Any] = {}

    def arose_in(self, command: str, position: int, length: int, bound: dict[str, Any]) -> CmdletError:
        """Record the command the error came from (the first one to claim it keeps it)."""
        if not self.command:
            self.command, self.pipeline_position, self.pipeline_length = command, position, length
            self.bound = dict(bound)
        return self

    def __repr__(self) -> str:
        return f"CmdletError({self.message!r}, category={self.category!r}, error_id={self.error_id!r})"


class PipelineStopped(Exception):
    """The client stopped the pipeline (PSRP Signal ctrl_c); raised by ``RunContext.check_stopped``."""


class RunContext(Protocol):
    """Where a run writes its streams; implemented by sim-wire's runspace glue (and by tests)."""

    account: str
    tenant: str

    def output(self, obj: SimObject) -> None: ...

    def warning(self, text: str) -> None: ...

    def verbose(self, text: str) -> None: ...

    def progress(self, activity: str, status: str, percent: int, record_id: int = 0,
                 completed: bool = False) -> None: ...

    def error(self, err: CmdletError) -> None: ...

    def check_stopped(self) -> None: ...
